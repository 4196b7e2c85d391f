"""Generated pages written as HTML: MkDocs publishes them without Python-Markdown.

Record and entry pages are almost every page of a large library, and Python-
Markdown was two thirds of MkDocs's time on them (about 6 ms of CPU a page at
10,000 records: inline patterns, the raw-HTML parser, the toc pass). Their
templates (templates/*.html.j2) therefore write HTML, and a page whose front
matter says `casebook_html: true` skips Markdown. This module does for such a
page what MkDocs's Markdown pipeline would have done:

- links written to source files (`../classes/LA-001.md#x`, and files beside
  the pages such as `../downloads/ledger-LA-001.xlsx`) become the site's URLs,
  and a link to a file that does not exist is a warning (so strict mode fails
  the build), as for Markdown pages; links to anchors (`#unit-1`, `../tags.md#tag-…`)
  are handed to MkDocs's anchor check as a Markdown page's are;
- `<h1>`…`<h6>` headings get ids, permalinks and the page's table of contents,
  following the `toc` extension's settings in mkdocs.yml (slugify, separator,
  permalink, permalink_class, permalink_title, toc_depth). A heading written
  with an id (`<h2 id="tag-…">`, what attr_list's `{#tag-…}` gave on Markdown
  pages) keeps it, as the toc extension keeps an id set before it runs;
- the content is stripped of the blank lines around it, as Python-Markdown's
  output is: a big list page written as HTML comes out byte for byte as its
  Markdown template did.

Resolved links are remembered per folder: every record page links to the same
class, tag and sibling pages by the same relative URL.
"""

from __future__ import annotations

import html
import logging
import posixpath
import re
from typing import Any

from markdown.extensions.toc import nest_toc_tokens, slugify, strip_tags, unique
from mkdocs.structure.toc import get_toc

MARKER = "casebook_html"  # front matter key of a page written as HTML

# A relative link to a file (a page's source, a download): no scheme, query or fragment-only.
LINK = re.compile(r'href="([^":#?]+\.[A-Za-z0-9]+)(#[^"]*)?"')
SELF_LINK = re.compile(r'href="#([^"]+)"')  # a link to an anchor of the same page
HEADING = re.compile(r'<h([1-6])(?: id="([^"]*)")?>(.*?)</h\1>', re.S)
ID = re.compile(r'\sid="([^"]*)"')

log = logging.getLogger("mkdocs.plugins.casebook")


class HtmlPages:
    """Turns the HTML source of a page into its content, links and table of contents."""

    def __init__(self, config: Any, files: Any) -> None:
        toc = dict((config["mdx_configs"] or {}).get("toc") or {})
        self.slugify = toc.get("slugify", slugify)
        self.separator = toc.get("separator", "-")
        permalink = toc.get("permalink", False)
        self.permalink = "&para;" if permalink is True else (permalink or None)
        self.permalink_class = toc.get("permalink_class", "headerlink")
        self.permalink_title = toc.get("permalink_title", "Permanent link")
        self.toc_top, self.toc_bottom = _depth(toc.get("toc_depth", 6))
        self.files = {f.src_uri: f for f in files}
        self.find = files.get_file_from_path  # also finds a page left out of the files (site_build.py)
        self.resolved: dict[tuple[str, bool, str], tuple[str, Any]] = {}  # → (url, target file)

    def render(self, page: Any) -> None:
        """Fill in what Page.render would: content, toc, the ids present, the links to anchors, the title."""
        linked, anchors = self.links(page, page.markdown)
        content, tokens, ids = self.headings(linked)
        page.content = content.strip()  # as Python-Markdown leaves it
        page.toc = get_toc(tokens)
        page.present_anchor_ids = ids
        page.links_to_anchors = anchors
        page._title_from_render = next((t["name"] for t in tokens if t["level"] == 1), None)

    def links(self, page: Any, source: str) -> tuple[str, dict[Any, dict[str, str]]]:
        """The source with its links resolved; and, as MkDocs records them for its anchor check
        (validation.links.anchors), the anchors it links to: target file → anchor → link."""
        folder = posixpath.dirname(page.file.src_uri)
        is_index = page.file.name == "index"
        anchors: dict[Any, dict[str, str]] = {}

        def replace(match: re.Match[str]) -> str:
            href, anchor = match.group(1), match.group(2) or ""
            key = (folder, is_index, href)
            known = self.resolved.get(key)
            if known is None:
                path = posixpath.normpath(posixpath.join(folder, href))
                target = self.files.get(path) or self.find(path)
                if target is None:
                    log.warning(
                        "Doc file '%s' contains a link '%s', but the target is not found among documentation files.",
                        page.file.src_uri,
                        href,
                    )
                    return match.group(0)
                url = target.url_relative_to(page.file)
                if target is not page.file:  # a link to itself depends on the page: not remembered
                    self.resolved[key] = (url, target)
            else:
                url, target = known
            if len(anchor) > 1:
                anchors.setdefault(target, {}).setdefault(html.unescape(anchor[1:]), html.unescape(href + anchor))
            return f'href="{url}{anchor}"'

        content = LINK.sub(replace, source)
        for fragment in SELF_LINK.findall(source):
            anchors.setdefault(page.file, {}).setdefault(html.unescape(fragment), html.unescape("#" + fragment))
        return content, anchors

    def headings(self, source: str) -> tuple[str, list[dict[str, Any]], set[str]]:
        used = set(ID.findall(source))
        tokens: list[dict[str, Any]] = []

        def replace(match: re.Match[str]) -> str:
            level, given, inner = int(match.group(1)), match.group(2), match.group(3)
            name = strip_tags(inner)
            if given is not None:
                anchor = html.unescape(given)
            else:
                anchor = unique(self.slugify(html.unescape(name), self.separator), used)
            if self.toc_top <= level <= self.toc_bottom:
                tokens.append({"level": level, "id": anchor, "name": name, "html": inner, "data-toc-label": ""})
            quoted = html.escape(anchor)
            link = ""
            if self.permalink:
                title = f' title="{html.escape(self.permalink_title)}"' if self.permalink_title else ""
                link = f'<a class="{self.permalink_class}" href="#{quoted}"{title}>{self.permalink}</a>'
            return f'<h{level} id="{quoted}">{inner}{link}</h{level}>'

        content = HEADING.sub(replace, source)
        return content, nest_toc_tokens(tokens), used


def _depth(setting: Any) -> tuple[int, int]:
    """toc_depth as the toc extension reads it: "3" (bottom) or "2-4" (top-bottom)."""
    text = str(setting)
    if "-" in text:
        top, bottom = text.split("-", 1)
        return int(top), int(bottom)
    return 1, int(text)


def is_html_page(page: Any) -> bool:
    return bool(page.meta.get(MARKER))
