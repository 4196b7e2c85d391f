"""Which links a text value may hold: relative ones and http(s)/mailto, nothing else.

The generator writes every value as text (render/text.py), so a link in data
never becomes live on our pages; but the same text goes to Word files,
Excel cells, the search data and whatever else a reader copies it into, and
a `javascript:` or `data:` address in a case file is never legitimate. So a
value that contains one is refused at validation, at its exact position.

Browsers are lenient with schemes, and so is this check: character
references are decoded (`&#106;avascript&colon;`), tabs, line breaks and
other control characters are dropped (a browser drops them inside a URL),
letter case is ignored. A scheme known to run code or embed content
(`javascript:`, `data:` …) is refused wherever it appears; any other scheme
only where it is used as a link (`scheme://`, a Markdown link target, an
autolink or an HTML attribute), so ordinary prose such as `注：` or
`Note: …` stays valid.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import Problem
from .load import Path as YamlPath
from .load import format_path

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
# Schemes that run script, embed a document or reach the reader's own machine.
DANGEROUS_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "livescript",
        "jscript",
        "ecmascript",
        "mocha",
        "data",
        "file",
        "blob",
        "filesystem",
        "jar",
        "mhtml",
        "ms-its",
        "view-source",
    }
)
MESSAGE = "链接只允许相对地址和 http、https、mailto 地址，不允许 {scheme}: 链接（请删除该地址）"

_REFERENCE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
# Dropped from URLs by browsers (tab, line feed, carriage return) or invisible.
_IGNORED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\t\u00ad\u200b-\u200f\u2060\ufeff]")
_SCHEME = re.compile(r"(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
# What before a scheme makes it a link target: `](`, `<`, an attribute's `=` or quote.
_LINK_BEFORE = re.compile(r"(\]\(\s*|<\s*|=\s*[\"']?\s*)$")


def normalized(text: str) -> tuple[str, list[int]]:
    """The text as a browser would read a URL in it, and for every character of that
    the offset in `text` where it came from (decoded twice: `&amp;#106;` too)."""
    chars, origin = list(text), list(range(len(text)))
    for _ in range(2):
        flat = "".join(chars)
        out: list[str] = []
        where: list[int] = []
        position = 0
        for match in _REFERENCE.finditer(flat):
            out.extend(flat[position : match.start()])
            where.extend(origin[position : match.start()])
            decoded = html.unescape(match.group(0))
            out.extend(decoded)
            where.extend([origin[match.start()]] * len(decoded))
            position = match.end()
        out.extend(flat[position:])
        where.extend(origin[position:])
        chars, origin = out, where
    kept = [(char, at) for char, at in zip(chars, origin, strict=True) if not _IGNORED.match(char)]
    return "".join(char for char, _ in kept), [at for _, at in kept]


def disallowed_links(text: str) -> Iterator[tuple[int, str]]:
    """(offset in `text`, scheme) of every link whose scheme is not allowed."""
    if ":" not in text and "&" not in text:
        return
    flat, origin = normalized(text)
    for match in _SCHEME.finditer(flat):
        scheme = match.group(1).lower()
        if scheme in ALLOWED_SCHEMES:
            continue
        used_as_link = flat.startswith("//", match.end()) or _LINK_BEFORE.search(flat, 0, match.start())
        if scheme in DANGEROUS_SCHEMES or used_as_link:
            yield origin[match.start()], scheme


def check_links(doc: Any, texts: Iterable[tuple[YamlPath, str]]) -> list[Problem]:
    """A located problem for each disallowed link in a document's text values."""
    problems = []
    for loc, text in texts:
        for offset, scheme in disallowed_links(text):
            line, column = doc.source.text_position(loc, offset)
            problems.append(Problem(doc.path, line, column, format_path(loc), MESSAGE.format(scheme=scheme)))
    return problems
