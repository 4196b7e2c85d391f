"""Filters that turn YAML text into safe Markdown and HTML.

Source text is written by staff, not by Markdown authors: a `*` or `<` in a
summary is literal, and a line break inside a YAML block is just where the
writer wrapped the line. Chinese has no spaces between words, so wrapped
lines are joined without one (Markdown would otherwise show a stray space).
"""

from __future__ import annotations

import json
import re
from html import escape

from markupsafe import Markup

# Backslash escapes Python-Markdown and pandoc both honour: emphasis, code, links and
# images, tables, headings, attribute lists ({: onclick=…}, { #id }) and admonitions (!!!).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#{}!])")
# Characters with a meaning in common extensions but no Markdown backslash escape
# (a backslash would show): emoji and definition lists (:), footnotes and superscript (^),
# strikeout and subscript (~), mark (==), math ($). They become numeric character
# references, which every Markdown reader turns back into the character.
_MD_ENTITIES = {ord(c): f"&#{ord(c)};" for c in ":^~=$"}
_BLOCK_START = re.compile(r"^(\s*)([-+>]|\d+[.)])(\s)")


def _is_wide(char: str) -> bool:
    return ord(char) >= 0x2E80


# Where str.splitlines breaks a line; a text without any is one line (most titles and names).
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def join_lines(text: str) -> str:
    """Join wrapped lines: no space between two CJK characters, one space otherwise."""
    if not _LINE_BREAK.search(text):
        return text.strip()  # what the loop below gives for one line, 40,000 times a ledger build
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    out = lines[0]
    for line in lines[1:]:
        out += ("" if _is_wide(out[-1]) or _is_wide(line[0]) else " ") + line
    return out


def md_inline(text: object) -> str:
    """Escape text for use inside a Markdown paragraph, list item or table cell."""
    flat = join_lines(str(text))
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat).translate(_MD_ENTITIES)


def paragraphs(text: object) -> list[str]:
    """The blank-line separated paragraphs of a text, as written (not yet joined)."""
    return re.split(r"\n\s*\n", str(text).strip())


def md_paragraphs(text: object) -> str:
    """Blank-line separated paragraphs, each joined and escaped."""
    out = []
    for paragraph in paragraphs(text):
        escaped = md_inline(paragraph)
        if escaped:
            out.append(_BLOCK_START.sub(r"\1\\\2\3", escaped))
    return "\n\n".join(out)


def html_text(text: object) -> str:
    """Escape for raw HTML blocks, with wrapped lines joined."""
    return escape(join_lines(str(text)))


def html_paragraphs(text: object) -> Markup:
    """Blank-line separated paragraphs as <p> elements, each joined and escaped."""
    joined = (join_lines(p) for p in paragraphs(text))
    return Markup("\n".join(f"<p>{escape(p)}</p>" for p in joined if p))


def title_yaml(text: object) -> Markup:
    """A page title for front matter: HTML-escaped (MkDocs themes insert titles as HTML),
    then written as a JSON string, which is valid YAML whatever the title holds."""
    return Markup(json.dumps(html_text(text), ensure_ascii=False))


def html_markup(text: object) -> Markup:
    """Text escaped for HTML and marked as such, for values MkDocs themes insert both raw
    (`{{ config.site_name }}`) and through Jinja's escape filter (`title="{{ … | e }}"`):
    the escape filter leaves Markup alone, so both places show the text exactly once."""
    return Markup(html_text(text))


def estimated_width(text: str, size: float, narrow: float) -> float:
    """Width in px of `text` in an SVG drawn without measuring fonts: a CJK (or other wide)
    character one em, any other `narrow` em. The flow diagrams and the charts lay out by it."""
    return sum(size if ord(char) >= 0x2E80 else size * narrow for char in text)


def wrapped(text: str, width: float, size: float, narrow: float) -> list[str]:
    """`text` in lines no wider than `width` by estimated_width (Chinese breaks anywhere)."""
    lines, current, used = [], "", 0.0
    for char in text:
        step = estimated_width(char, size, narrow)
        if current and used + step > width:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += step
    if current:
        lines.append(current)
    return lines
