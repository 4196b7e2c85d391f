"""Page text for the search index, and the one normalisation both sides share.

The index is built from the built HTML, not from the YAML: "a page matches
when its text contains the query" must hold for what the reader sees.
Normalisation maps each character to one character (NFKC, lower case) and
keeps every other character as it is, so positions in the normalised text
are positions in the original text: snippets need no second mapping. The
browser script (assets/casebook.js) applies the same rule.
"""

from __future__ import annotations

import html
import re
import unicodedata

_ARTICLE = re.compile(r'<article class="md-content__inner[^"]*">(.*?)</article>', re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
# Not searched: scripts, heading anchors, marked spans, and marked blocks such as a page's
# 相似案例 list (titles and reasons of other pages: a search for a phrase should find the
# pages that are about it, not every page that links to one).
_DROP = re.compile(
    r"<(script|style)\b.*?</\1>|<a [^>]*class=\"headerlink\"[^>]*>.*?</a>|<span class=\"cb-noindex\">.*?</span>"
    r"|<!-- cb-noindex-start -->.*?<!-- cb-noindex-end -->",
    re.S,
)
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|tr|td|th|div|section|pre|blockquote|ol|ul|dt|dd|table)>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")

PageTexts = dict[str, tuple[str, str]]  # page URL (e.g. "records/XF-2024-0001/") → (title, body)

# Letters and digits (Unicode L* and N*): the characters bigrams are made of.
TERM_RUN = re.compile(r"[^\W_]+")


class _NormalTable(dict[int, str]):
    """ord → one normalised character, computed once per distinct character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        normal = unicodedata.normalize("NFKC", char).lower()
        value = normal if len(normal) == 1 else char
        self[code] = value
        return value


_TABLE = _NormalTable()


def normalise(text: str) -> str:
    """Same length as `text`; each character NFKC-normalised and lower-cased when that stays one character."""
    return text.translate(_TABLE)


def page_text(page_html: str) -> tuple[str, str] | None:
    """(title, body text) of a built Material page, or None if it has no article."""
    match = _ARTICLE.search(page_html)
    if not match:
        return None
    article = _DROP.sub("", match.group(1))
    heading = _H1.search(article)
    title = _to_text(heading.group(1)) if heading else ""
    if heading:
        article = article[: heading.start()] + article[heading.end() :]
    return title, _to_text(article)


def _to_text(fragment: str) -> str:
    text = _BLOCK_END.sub("\n", fragment)
    text = html.unescape(_TAG.sub("", text))
    text = _SPACE.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()
