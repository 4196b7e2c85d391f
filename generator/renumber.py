"""`casebook renumber OLD NEW`: give a record, typical entry or class another id, and change every
reference to it in the library with it, in one step.

A trainer who wrote a 2021 case under a 2024 number had to rename the file, change its `id`, and
find every entry that lists it as a source, every record of a class, and every text that cites
it. Here the id is replaced wherever it stands as a whole id (not inside a longer one: XF-2021-0001
is not touched inside XF-2021-00012), in the raw text of each YAML file, so comments, key order
and quoting stay as they were; the file is renamed; the import's provenance follows.

The library must validate before; the changed library is validated in a scratch copy after; only
when both are clean are the files written (each atomically, the renamed file last of all, the old
one removed after it). On any problem nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageProblem
from .importer.provenance import PROVENANCE_FILE, ProvenanceUnreadable, provenance_bytes, read_provenance
from .library import YAML_SUFFIXES
from .library_check import KIND_FOLDER, ChangeProblems, check_changed, document_file, kind_of
from .validate import check_library
from .workdir import write_atomically

LABELS = {"record": "记录", "typical": "典型案例", "class": "类案"}


@dataclass
class Renumbered:
    old_path: str
    new_path: str
    changed: dict[str, int] = field(default_factory=dict)  # file → replacements made in it

    def lines(self) -> list[str]:
        out = [f"{self.old_path} → {self.new_path}"]
        out += [f"  {path}：{count} 处" for path, count in sorted(self.changed.items())]
        return out


def renumber(root: Path, old: str, new: str, as_of: dt.date) -> Renumbered:
    """Renumber `old` to `new` in the library at `root` (see the module's docstring)."""
    kind = kind_of(old)
    if kind is None:
        raise UsageProblem(f"{old} 不是记录、典型案例或类案的编号")
    if kind_of(new) != kind:
        raise UsageProblem(f"{new} 不是{LABELS[kind]}的编号格式")
    folder = root / KIND_FOLDER[kind]
    old_path = document_file(root, kind, old)
    new_path = old_path.with_name(new + old_path.suffix)
    if any(p.stem == new for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES):
        raise UsageProblem(f"{new} 已被使用，未改动任何文件")
    _, before = check_library(root, as_of)
    errors = [p for p in before if p.severity == "error"]
    if errors:
        raise ChangeProblems("改号前", errors)

    whole = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-])")
    texts: dict[Path, str] = {}
    result = Renumbered(old_path.relative_to(root).as_posix(), new_path.relative_to(root).as_posix())
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or path.suffix not in YAML_SUFFIXES or any(p.startswith(".") for p in relative.parts):
            continue
        text = path.read_text(encoding="utf-8")
        replaced, count = whole.subn(new, text)
        if count:
            texts[path] = replaced
            result.changed[relative.as_posix()] = count
    provenance = _provenance(root, old, new)

    errors = check_changed(root, texts, as_of, (old_path, new_path))
    if errors:
        raise ChangeProblems("改号后", errors)

    for path, text in texts.items():
        if path != old_path:
            write_atomically(path, text.encode("utf-8"))
    write_atomically(new_path, texts.get(old_path, old_path.read_text(encoding="utf-8")).encode("utf-8"))
    old_path.unlink()
    if provenance is not None:
        write_atomically(root / PROVENANCE_FILE, provenance)
        result.changed[PROVENANCE_FILE] = 1
    return result


def _provenance(root: Path, old: str, new: str) -> bytes | None:
    """The import's provenance with the record's key renamed (None when it does not name `old`)."""
    try:
        provenance = read_provenance(root)
    except ProvenanceUnreadable:
        return None
    if old not in provenance.records:
        return None
    provenance.records[new] = provenance.records.pop(old)
    return provenance_bytes(provenance)
