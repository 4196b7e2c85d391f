"""Changing a library's files from a command, safely: find a document's file by its id, and
validate the changed library in a scratch copy before anything is written.

`casebook renumber` and `casebook publish` change YAML files a person wrote. Both find the file
the same way and both refuse a change that would leave the library with an error, so the copy is
checked first and the user's files are written only when it is clean.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from pathlib import Path

from .contract import CLASS_ID_PATTERN, RECORD_ID_PATTERN, TYPICAL_ID_PATTERN
from .errors import Problem, UsageProblem
from .library import FOLDERS, YAML_SUFFIXES
from .validate import check_library

PATTERNS = {"record": RECORD_ID_PATTERN, "typical": TYPICAL_ID_PATTERN, "class": CLASS_ID_PATTERN}
KIND_FOLDER = {kind: folder for folder, kind in FOLDERS.items()}


class ChangeProblems(Exception):
    """The library has errors before or would have them after a change: nothing was written."""

    def __init__(self, when: str, problems: list[Problem]) -> None:
        super().__init__(when)
        self.when = when
        self.problems = problems


def kind_of(document_id: str) -> str | None:
    """record, typical or class, by the form of the id; None for anything else."""
    for kind, pattern in PATTERNS.items():
        if re.fullmatch(pattern.strip("^$"), document_id):
            return kind
    return None


def document_file(root: Path, kind: str, document_id: str) -> Path:
    """The YAML file named after `document_id` in its kind's folder; UsageProblem when there is none."""
    folder = root / KIND_FOLDER[kind]
    found = next((p for p in sorted(folder.rglob("*")) if p.stem == document_id and p.suffix in YAML_SUFFIXES), None)
    if found is None:
        raise UsageProblem(f"{KIND_FOLDER[kind]}/ 中没有 {document_id}")
    return found


def check_changed(
    root: Path, texts: dict[Path, str], as_of: dt.date, renamed: tuple[Path, Path] | None = None
) -> list[Problem]:
    """The errors of the library at `root` with `texts` (path → new text) written and `renamed`
    (old path, new path) done, checked in a scratch copy: the library itself is not touched."""
    with tempfile.TemporaryDirectory(prefix="casebook-change-") as scratch:
        copy = Path(scratch) / "lib"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*"))
        for path, text in texts.items():
            (copy / path.relative_to(root)).write_text(text, encoding="utf-8")
        if renamed is not None:
            (copy / renamed[0].relative_to(root)).rename(copy / renamed[1].relative_to(root))
        _, problems = check_library(copy, as_of)
    return [p for p in problems if p.severity == "error"]
