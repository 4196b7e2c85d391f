"""Material's page frame for record and entry pages: rendered once per folder, filled per page.

Material renders main.html for every page: head, header, nav, sidebars,
footer, scripts and the site's configuration, about 3 ms of CPU a page, most
of MkDocs's time on the 10,000 record pages of a large library. For a record
or entry page (not in the nav, so without previous/next links or an active
nav item) all of that is the same for every page of the same folder but for
four parts: the title (in <title> and the header), the link that skips to
the first heading, the table of contents and the content. So the frame is
rendered once, for a stand-in page whose title, first heading link and
content are markers and with Material's toc partial replaced by a marker, and
each page fills the markers: its title (as the frame shows the marker, raw or
escaped), its first heading's link (through MkDocs's `url` filter), its
toc (Material's own partial, rendered for the page) and its content.

Exact, not approximate: the first CHECKED_PAGES pages of each frame are
rendered in full as well, and a frame that differs from a full render (a
theme override, a setting or a later Material showing more of the page) is
dropped, its pages rendered in full. A frame can then cost time, never a
byte: tests/test_page_frames.py compares every page of the sample library
with a build without frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from markupsafe import Markup, escape

FRAME_TEMPLATE = "casebook-frame.html"  # a page rendered through its frame names this template
CHECKED_PAGES = 2  # pages of each frame also rendered in full, and compared
ENABLED = True  # tests turn frames off to compare with Material's own rendering

_OPEN, _CLOSE = "\ue0c0", "\ue0c1"  # private-use characters: no page, theme or setting writes them
# The title marker holds the characters HTML escaping changes, so that the frame
# shows how each place prints a title: as it is, or escaped (Jinja's `e` filter).
TITLE = f"{_OPEN}title&<>\"'{_CLOSE}"
TITLE_ESCAPED = str(escape(TITLE))
SKIP = f"#{_OPEN}skip{_CLOSE}"  # an anchor: MkDocs's url filter leaves it as it is (the hole takes the #)
TOC = f"{_OPEN}toc{_CLOSE}"
CONTENT = f"{_OPEN}content{_CLOSE}"
CONTENT_WITH_H1 = f"{_OPEN}content<h1{_CLOSE}"  # Material adds an <h1> to content that has none
_MARKER = re.compile(f"{_OPEN}[^{_CLOSE}]*{_CLOSE}")
_HOLES = {
    TITLE: "title",
    TITLE_ESCAPED: "title-escaped",
    SKIP[1:]: "skip",
    TOC: "toc",
    CONTENT: "content",
    CONTENT_WITH_H1: "content",
}
# A frame must show exactly these once each (the title at least once).
_ONCE = ("toc", "content")

# The toc partial as base.html includes it: with the `lang` macros it imports and the features it sets.
_TOC_ALONE = (
    '{%- import "partials/language.html" as lang with context -%}'
    "{%- set features = config.theme.features or [] -%}"
    '{%- include "partials/toc.html" -%}'
)
_TOC_ALONE_NAME = "casebook/toc-alone.html"
FRAME_SOURCE = "{{ casebook_frame() }}"


@dataclass
class _Anchor:
    """The first entry of the stand-in's table of contents: only its link is read (the skip link)."""

    url: str
    level: int = 2
    title: str = ""
    children: list[Any] = field(default_factory=list)


class _StandIn:
    """The page as the frame is rendered for: its own in everything but the parts each page fills."""

    def __init__(self, page: Any, has_toc: bool, has_h1: bool) -> None:
        self._page = page
        self.title = TITLE
        self.meta = {**page.meta, "title": TITLE}
        self.toc = [_Anchor(SKIP)] if has_toc else []
        self.content = CONTENT_WITH_H1 if has_h1 else CONTENT

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)


@dataclass
class _Frame:
    pieces: list[str] | None  # literal text and hole names, alternating (literal first); None: dropped
    checked: int = 0


class PageFrames:
    """The frames of one MkDocs build (one process): `templates` go into its Jinja
    environment, `install` puts the frame function in its globals."""

    templates: ClassVar[dict[str, str]] = {FRAME_TEMPLATE: FRAME_SOURCE, _TOC_ALONE_NAME: _TOC_ALONE}

    def __init__(self) -> None:
        self.frames: dict[tuple[Any, ...], _Frame] = {}
        self.tocs: dict[str, str] = {}  # toc_key → Material's toc partial for it
        self.env: Any = None
        self.framed = 0  # pages filled from a frame (for tests and measurements)

    def install(self, env: Any) -> None:
        import jinja2

        self.env = env

        @jinja2.pass_context
        def casebook_frame(context: Any) -> Any:
            return Markup(self.render(context.get_all()))

        env.globals["casebook_frame"] = casebook_frame

    @staticmethod
    def wanted(page: Any) -> bool:
        """Whether a page may go through a frame: one whose frame cannot show it otherwise.

        Pages in the nav, with neighbours, an edit link or a canonical URL show
        more of themselves than the four parts; their own template is theirs."""
        meta = page.meta
        return (
            ENABLED
            and "template" not in meta
            and bool(meta.get("title"))
            and isinstance(meta.get("title"), str)
            and page.parent is None
            and page.previous_page is None
            and page.next_page is None
            and not page.is_homepage
            and not page.canonical_url
            and not page.edit_url
            and isinstance(page.content, str)
        )

    def render(self, context: dict[str, Any]) -> str:
        page = context["page"]
        has_toc = bool(list(page.toc))
        has_h1 = "\u003ch1" in page.content
        folder = page.url.rsplit("/", 2)[0] if page.url.count("/") >= 2 else ""
        meta = repr(sorted((k, repr(v)) for k, v in page.meta.items() if k not in ("title", "template")))
        key = (folder, page.url.count("/"), has_toc, has_h1, meta, context.get("base_url"))
        frame = self.frames.get(key)
        if frame is None:
            frame = self.frames[key] = _Frame(self._frame(context, _StandIn(page, has_toc, has_h1)))
        if frame.pieces is None:
            return self._full(context)
        filled = self._fill(frame.pieces, context, page)
        if frame.checked < CHECKED_PAGES:
            frame.checked += 1
            full = self._full(context)
            if full != filled:
                frame.pieces = None
                return full
        self.framed += 1
        return filled

    def _full(self, context: dict[str, Any]) -> str:
        return str(self.env.get_template("main.html").render(context))

    def _frame(self, context: dict[str, Any], stand_in: _StandIn) -> list[str] | None:
        import jinja2

        # The marker partial comes from a DictLoader (no file name), so its bytecode has a key of
        # its own: the overlay shares the environment's compiled templates.
        overlay = self.env.overlay(
            loader=jinja2.ChoiceLoader([jinja2.DictLoader({"partials/toc.html": TOC}), self.env.loader])
        )
        text = str(overlay.get_template("main.html").render({**context, "page": stand_in}))
        pieces: list[str] = []
        last = 0
        for marker in _MARKER.finditer(text):
            hole = _HOLES.get(marker.group())
            if hole is None:  # a part of the page printed in a way the frame cannot fill
                return None
            literal = text[last : marker.start()]
            if hole == "skip":
                if not literal.endswith("#"):
                    return None
                literal = literal[:-1]
            pieces += [literal, hole]
            last = marker.end()
        pieces.append(text[last:])
        holes = pieces[1::2]
        if any(holes.count(name) != 1 for name in _ONCE) or not {"title", "title-escaped"} & set(holes):
            return None
        if _OPEN in "".join(pieces[0::2]) or _CLOSE in "".join(pieces[0::2]):
            return None
        return pieces

    def _toc(self, context: dict[str, Any], page: Any) -> str:
        """Material's toc partial for the page, rendered once for each table of contents:
        record pages have the same headings (and ids) but for their title."""
        key = toc_key(page.toc)
        html = self.tocs.get(key)
        if html is None:
            html = self.tocs[key] = self.env.get_template(_TOC_ALONE_NAME).render(context)
        return html

    def _fill(self, pieces: list[str], context: dict[str, Any], page: Any) -> str:
        from mkdocs.utils import normalize_url

        title = page.meta["title"]
        values = {
            "title": title,
            "title-escaped": str(escape(title)),
            "content": page.content,
            "toc": self._toc(context, page),
        }
        toc = list(page.toc)
        if toc:
            values["skip"] = normalize_url(str(toc[0].url), page=page, base=context.get("base_url", ""))
        out = list(pieces)
        out[1::2] = [values[hole] for hole in pieces[1::2]]
        return "".join(out)


def toc_key(toc: Any) -> str:
    """All that Material's toc partial reads of a page's table of contents: of its first
    entry, when that is the page's <h1>, only the level and the entries under it (the
    partial lists those); of every entry it lists, every attribute, nested."""
    entries = list(toc)
    if entries and entries[0].level == 1:
        return repr(("under h1", _entries_key(entries[0].children)))
    return repr(("all", _entries_key(entries)))


def _entries_key(entries: Any) -> tuple[Any, ...]:
    return tuple(
        (
            tuple(sorted((name, repr(value)) for name, value in vars(entry).items() if name != "children")),
            _entries_key(getattr(entry, "children", ())),
        )
        for entry in entries
    )
