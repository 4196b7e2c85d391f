"""SiteModel → Markdown pages, through the Jinja2 templates in generator/templates/.

Every page is returned as (relative path, text) in a fixed order, so the
build writes the same bytes every time; nothing here touches the disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..contract import REVIEW_LABELS, VISIBILITY_LABELS
from ..derive.changes import ChangeSet
from ..derive.guide import GuideExtras, derive_extras
from ..derive.site import SiteModel, counts_by_domain_and_year
from .text import html_paragraphs, html_text, join_lines, md_inline, md_paragraphs, title_yaml

# Facets shown on list pages, in this order: (key in the data file, label).
ENTRY_FACETS = [
    ("domain", "问题领域"),
    ("district", "地区"),
    ("year", "年份"),
    ("route", "化解方式"),
    ("outcome", "办理结果"),
    ("mechanism", "机制"),
    ("tag", "标签"),
]
RECORD_FACETS = [*ENTRY_FACETS[:5], ("deadline", "期限状态"), *ENTRY_FACETS[5:]]
# Index pages (tags, policy) list at most this many records under one heading:
# at 10,000 records a full list made a 7 MB page; the rest is a count (and a filter link).
LIST_LIMIT = 20
# A list page renders this many rows as plain HTML (for readers without
# scripts and for printing); the script pages through the rest.
STATIC_ROWS = 200
ANCHOR_LIMIT = 40  # characters of a tag kept in its anchor


@cache
def environment() -> Environment:
    """Templates of the Markdown pages (*.md.j2): not autoescaped, since we write Markdown;
    HTML blocks in them escape explicitly with |h."""
    return _environment(
        autoescape=False,
        filters={"md": md_inline, "paras": md_paragraphs, "h": html_text, "title_yaml": title_yaml},
    )


@cache
def html_environment() -> Environment:
    """Templates of the pages written straight as HTML (*.html.j2 pages, see site_html.py):
    everything is escaped unless a template marks it safe."""
    return _environment(
        autoescape=True,
        filters={"line": line, "paras": html_paragraphs, "title_yaml": title_yaml},
        extensions=["jinja2.ext.do"],
    )


def _environment(autoescape: bool, filters: dict[str, Any], extensions: Sequence[str] = ()) -> Environment:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=list(extensions),
    )
    env.filters.update(filters)
    env.globals.update(review_labels=REVIEW_LABELS, visibility_labels=VISIBILITY_LABELS, tag_anchor=tag_anchor)
    return env


def line(text: object) -> str:
    """Wrapped lines joined; still escaped by the template, unless it is already markup."""
    if isinstance(text, Markup):
        return Markup(join_lines(text))
    return join_lines(str(text))


def tag_anchor(tag: str) -> str:
    """The id of a tag's heading on the tags page: readable, stable, and safe wherever it
    goes (an href, an attr_list `{#…}` in Markdown, a URL fragment): letters, digits (CJK
    included) and `-` only (`_` would start emphasis inside `{#…}`). Spaces become `-`; a
    tag with any other character, or a long one, keeps its first letters and gets a short
    hash of the whole tag, so two tags that differ only there stay apart."""
    words = "-".join(tag.split())
    kept = "".join(char for char in words if char.isalnum() or char == "-")
    if kept == words and len(kept) <= ANCHOR_LIMIT:
        return f"tag-{kept}"
    digest = hashlib.sha1(tag.encode("utf-8")).hexdigest()[:8]
    kept = kept[:ANCHOR_LIMIT].strip("-")
    return f"tag-{kept}-{digest}" if kept else f"tag-{digest}"


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def render_html(template: str, **context: object) -> str:
    return html_environment().get_template(template).render(**context)


def render_pages(
    site: SiteModel,
    hand_written: frozenset[str] = frozenset(),
    extras: GuideExtras | None = None,
    changes: Sequence[ChangeSet] = (),
) -> Iterator[tuple[str, str]]:
    """All generated pages of one build, in a fixed order; `hand_written` lists docs/ pages that exist.

    `changes`: the change log, newest first (derive/changes.py): its page and the home page's line."""
    from .changes import PAGE, home_line, render_changes_page
    from .guides import POLICY_PAGE, guide_page, policy_page
    from .ledger_pages import ledger_pages

    extras = extras if extras is not None else derive_extras(site)
    common = {"site": site, "as_of": site.as_of.isoformat(), "hand_written": hand_written}
    years, rows = counts_by_domain_and_year(site)
    change_line = home_line(changes[0]) if changes else None
    yield "index.md", render("index.md.j2", years=years, rows=rows, change_line=change_line, **common)
    if changes:
        yield PAGE, render_changes_page(changes, site)
    yield "typical/index.md", render("typical_list.md.j2", facets=ENTRY_FACETS, static_rows=STATIC_ROWS, **common)
    for view in site.entries:
        yield f"typical/{view.entry.id}.md", render_html("typical.html.j2", view=view, e=view.entry, **common)
    yield "classes/index.md", render("classes_list.md.j2", **common)
    for class_view in site.classes:
        yield f"classes/{class_view.case_class.id}.md", guide_page(class_view, site, extras)
    yield POLICY_PAGE, policy_page(site, extras)
    if extras.ledgers is not None:
        book = extras.ledgers
        yield from ledger_pages(site, book.classes, book.supervision, book.library)
    if site.shows_records:
        citing = entries_citing(site)
        yield "records/index.md", render("records_list.md.j2", facets=RECORD_FACETS, static_rows=STATIC_ROWS, **common)
        for record_view in site.records:
            yield (
                f"records/{record_view.record.id}.md",
                render_html(
                    "record.html.j2",
                    view=record_view,
                    r=record_view.record,
                    procedure=record_view.procedure,
                    view_class=record_view.case_class,
                    entries=citing.get(record_view.record.id, []),
                    **common,
                ),
            )
    yield "tags.md", render("tags.md.j2", list_limit=LIST_LIMIT, **common)
    yield "similar.md", render("similar.md.j2", **common)
    yield (
        "search.md",
        render(
            "search.md.j2",
            static_rows=STATIC_ROWS,
            facets=RECORD_FACETS if site.shows_records else ENTRY_FACETS,
            **common,
        ),
    )


def entries_citing(site: SiteModel) -> dict[str, list[tuple[str, str]]]:
    """record id → typical entries built on it."""
    citing: dict[str, list[tuple[str, str]]] = {}
    for view in sorted(site.entries, key=lambda v: v.entry.id):
        for record_id in view.entry.records:
            citing.setdefault(record_id, []).append((view.entry.id, view.entry.title))
    return citing
