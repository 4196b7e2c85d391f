"""Personal data in the hand-written pages (docs/) that every build publishes beside the generated ones.

The YAML values are checked field by field in validate.py; the pages in the
MkDocs docs_dir are written by hand and reach readers just as directly, and
not only through their visible text: an image's alt and title, an HTML
comment, the front matter's description (it becomes a meta tag), a `tel:` or
`mailto:` link, an image or attachment file name all end up in the site. So
each page is read as raw text, line by line, everything on the line counts,
and what the line says once its HTML entities (&#49;) and percent escapes
(%31, tel:%2B86…) are decoded counts too. Every file under the folder, text
or not, is also checked by its name (docs/img/13812345678.png).

A problem's path is the page's path beside the library, starting with the
docs folder's own name (`docs/help/staff.md`), so it cannot be mistaken for a
library file.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from .errors import CasebookError, Problem
from .privacy import Finding, find_personal_data, personal_data_message

MAX_PAGE_BYTES = 5 * 1024 * 1024  # larger files are attachments, checked by name only
# An HTML character reference, or a run of percent escapes (one UTF-8 character is several).
_ENCODED = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);|(?:%[0-9A-Fa-f]{2})+")


def docs_folder(library: Path, config: Path | None = None) -> Path | None:
    """The docs_dir a build of `library` publishes (the mkdocs.yml it would use), if it exists."""
    import yaml

    from .build import _docs_dir, find_config  # build imports validate, which imports this module

    try:
        docs = _docs_dir(find_config(library, config))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, CasebookError):  # the build reports a bad mkdocs.yml
        return None
    return docs if docs.is_dir() else None


def check_docs(library: Path, protected_names: Iterable[str] = (), config: Path | None = None) -> list[Problem]:
    """Every piece of personal data in the docs folder, located by page, line and column."""
    docs = docs_folder(library, config)
    if docs is None:
        return []
    prefix = docs.name
    names = [name for name in protected_names if name]
    problems: list[Problem] = []
    for relative, path in _files(docs):
        shown = f"{prefix}/{relative}"
        for finding in find_personal_data(unquote(relative), names):
            problems.append(Problem(shown, 0, 0, "文件名", _message_of(finding)))
        text = _page_text(path)
        if text is not None:
            problems += check_page(shown, text, names)
    return problems


def check_page(shown: str, text: str, protected_names: list[str]) -> list[Problem]:
    """Personal data on each line of one page, as written and as decoded."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        as_written = find_personal_data(line, protected_names)
        problems += [Problem(shown, number, f.start + 1, "", _message_of(f)) for f in as_written]
        if not _ENCODED.search(line):
            continue
        found = {(f.start, f.kind) for f in as_written}
        decoded, origin = decode_line(line)
        for finding in find_personal_data(decoded, protected_names):
            start = origin[finding.start]
            if (start, finding.kind) not in found:
                problems.append(Problem(shown, number, start + 1, "", _message_of(finding)))
    return problems


def decode_line(line: str) -> tuple[str, list[int]]:
    """`line` with entities and percent escapes decoded, and for each of its characters the
    offset in `line` where the character (or the escape it came from) starts."""
    parts: list[str] = []
    origin: list[int] = []
    last = 0
    for match in _ENCODED.finditer(line):
        parts.append(line[last : match.start()])
        origin += range(last, match.start())
        token = match.group()
        decoded = unquote(token) if token.startswith("%") else html.unescape(token)
        parts.append(decoded)
        origin += [match.start()] * len(decoded)
        last = match.end()
    parts.append(line[last:])
    origin += range(last, len(line))
    return "".join(parts), origin


def _message_of(finding: Finding) -> str:
    return personal_data_message(finding, "（手写页面同样会发布）")


def _files(docs: Path) -> list[tuple[str, Path]]:
    """Every file under the docs folder (hidden ones too: MkDocs skips them, a copy may not), sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(docs):
        dirnames.sort()
        here = Path(dirpath)
        for name in filenames:
            path = here / name
            found.append((path.relative_to(docs).as_posix(), path))
    return sorted(found)


def _page_text(path: Path) -> str | None:
    """The file's text when it is text (a page, a stylesheet, an SVG), else None."""
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
