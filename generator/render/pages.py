"""SiteModel → pages, through the Jinja2 templates in generator/templates/.

Every page is returned as (relative path, text) in a fixed order, so the
build writes the same bytes every time; nothing here touches the disk.
Pages that grow with the library (record and entry pages, the tags page, the
ledgers, 督办, policy and the 待归类 list) are written as HTML (*.html.j2, see
site_html.py): Python-Markdown took seconds on each big list page at 10,000
records. Their rows are prepared here, in Python, so that the templates only
print (a macro call or a `selectattr` per row cost more than the page itself).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, overload

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..contract import DATE_PRECISION_LABELS, REVIEW_LABELS, REVIEW_STATES, VISIBILITY_LABELS, CaseClass, date_text
from ..derive.changes import ChangeSet
from ..derive.guide import GuideExtras, derive_extras
from ..derive.similar import Match
from ..derive.similar_update import shown_key
from ..derive.site import EntryView, RecordView, SiteModel, counts_by_domain_and_year
from ..template_cache import template_bytecode
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
        bytecode_cache=template_bytecode(),
    )
    env.filters.update(filters, day=date_text)
    env.globals.update(
        review_labels=REVIEW_LABELS,
        review_states=REVIEW_STATES,
        precision_labels=DATE_PRECISION_LABELS,
        visibility_labels=VISIBILITY_LABELS,
        tag_anchor=tag_anchor,
    )
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
    memo: RenderMemo | None = None,
) -> Iterator[tuple[str, str]]:
    """All generated pages of one build, in a fixed order; `hand_written` lists docs/ pages that exist.

    `changes`: the change log, newest first (derive/changes.py): its page and the home page's line.
    `memo`: an incremental build's record of what each record and entry page was made from;
    a page made from the same inputs as the published one comes out as STUB (not rendered)."""
    from .changes import PAGE, home_line, render_changes_page
    from .guides import POLICY_PAGE, guide_page, policy_page
    from .ledger_pages import ledger_pages
    from .statistics_pages import home_figures, statistics_pages

    extras = extras if extras is not None else derive_extras(site)
    common = {"site": site, "as_of": site.as_of.isoformat(), "hand_written": hand_written}
    years, rows = counts_by_domain_and_year(site)
    change_line = home_line(changes[0]) if changes else None
    stats = extras.statistics
    figures = home_figures(site, stats) if stats is not None else None
    yield "index.md", render("index.md.j2", years=years, rows=rows, change_line=change_line, figures=figures, **common)
    if changes:
        yield PAGE, render_changes_page(changes, site)
    yield "typical/index.md", typical_list_page(site, hand_written)
    shared = memo.shared_key(site, hand_written) if memo is not None else ""
    # Record and entry pages see only what their keys hold (record_page_key, entry_page_key): not `site`.
    own = {"as_of": common["as_of"], "hand_written": hand_written}
    for view in site.entries:
        uri = f"typical/{view.entry.id}.md"
        if memo is not None and memo.unchanged(uri, entry_page_key(shared, view, site)):
            yield uri, STUB
            continue
        shown = dataclasses.replace(view, case_class=class_name(view.case_class))
        related = shown_matches(site.related_to("typical", view.entry.id))
        yield uri, render_html("typical.html.j2", view=shown, e=view.entry, related=related, **own)
    yield "classes/index.md", render("classes_list.md.j2", **common)
    for class_view in site.classes:
        yield f"classes/{class_view.case_class.id}.md", guide_page(class_view, site, extras)
    yield POLICY_PAGE, policy_page(site, extras)
    if stats is not None:
        yield from statistics_pages(site, stats)
    if extras.ledgers is not None:
        book = extras.ledgers
        yield from ledger_pages(
            site, book.classes, book.supervision, book.library, memo, shared, extras.ledger_inputs, extras.class_figures
        )
    if site.shows_records:
        citing = entries_citing(site)
        yield "records/index.md", records_list_page(site, hand_written)
        for record_view in site.records:
            uri = f"records/{record_view.record.id}.md"
            cited_by = citing.get(record_view.record.id, [])
            if memo is not None and memo.unchanged(uri, record_page_key(shared, record_view, cited_by, site)):
                yield uri, STUB
                continue
            yield (
                uri,
                render_html(
                    "record.html.j2",
                    view=record_view,
                    r=record_view.record,
                    procedure=record_view.procedure,
                    view_class=class_name(record_view.case_class),
                    entries=cited_by,
                    related=shown_matches(site.related_to("record", record_view.record.id)),
                    **own,
                ),
            )
    yield "tags.md", tags_page(site)
    yield "similar.md", similar_page(site)
    if site.edition.unpublished:
        yield REVIEW_PAGE, review_page(site)
    yield (
        "search.md",
        render(
            "search.md.j2",
            static_rows=STATIC_ROWS,
            facets=RECORD_FACETS if site.shows_records else ENTRY_FACETS,
            **common,
        ),
    )


class ListRows(Sequence[dict[str, str]]):
    """The rows of a list page's filter app (templates/_app.html.j2), one per view, each made
    only when read: the page prints the first STATIC_ROWS and the count; the script reads the
    rest from the search data. Making all 10,000 rows took 0.09 s of the page's 0.1 s."""

    def __init__(self, views: Sequence[Any], row: Callable[[Any], dict[str, str]]) -> None:
        self.views, self.row = views, row

    def __len__(self) -> int:
        return len(self.views)

    @overload
    def __getitem__(self, index: int) -> dict[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, str]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, str] | list[dict[str, str]]:
        if isinstance(index, slice):
            return [self.row(view) for view in self.views[index]]
        return self.row(self.views[index])


def typical_row(view: EntryView) -> dict[str, str]:
    e = view.entry
    return {"href": f"{e.id}/", "title": e.title, "meta": view.meta}


def record_row(view: RecordView) -> dict[str, str]:
    r = view.record
    return {"href": f"{r.id}/", "title": f"{r.id} {r.title}", "meta": view.meta}


def typical_list_page(site: SiteModel, hand_written: frozenset[str] = frozenset()) -> str:
    """典型案例库: the filter app, its first STATIC_ROWS rows as plain HTML (for readers without scripts)."""
    return render(
        "typical_list.md.j2",
        site=site,
        as_of=site.as_of.isoformat(),
        hand_written=hand_written,
        rows=ListRows(site.entries, typical_row),
        facets=ENTRY_FACETS,
        static_rows=STATIC_ROWS,
    )


def records_list_page(site: SiteModel, hand_written: frozenset[str] = frozenset()) -> str:
    """案例记录 (internal edition): as typical_list_page."""
    return render(
        "records_list.md.j2",
        site=site,
        as_of=site.as_of.isoformat(),
        hand_written=hand_written,
        rows=ListRows(site.records, record_row),
        facets=RECORD_FACETS,
        static_rows=STATIC_ROWS,
    )


@dataclasses.dataclass(frozen=True)
class TagSection:
    """One tag of the tags page as shown: its typical entries, its first LIST_LIMIT records (by id)
    and how many records carry it; titles with their wrapped lines joined."""

    tag: str
    shown: str
    anchor: str
    count: int  # pages carrying the tag
    typical: list[tuple[str, str]]  # (id, title)
    records: list[tuple[str, str]]
    record_count: int


def tag_sections(site: SiteModel) -> list[TagSection]:
    """The tags page's sections, in tag order (site.tags: entries first, then records by id)."""
    sections = []
    for tag, tagged in site.tags.items():
        typical = [(page_id, join_lines(title)) for kind, page_id, title in tagged if kind == "typical"]
        records = [(page_id, title) for kind, page_id, title in tagged if kind == "record"]
        first = [(page_id, join_lines(title)) for page_id, title in records[:LIST_LIMIT]]
        sections.append(TagSection(tag, join_lines(tag), tag_anchor(tag), len(tagged), typical, first, len(records)))
    return sections


def tags_page(site: SiteModel) -> str:
    return render_html("tags.html.j2", site=site, sections=tag_sections(site))


REVIEW_PAGE = "review.md"


def review_page(site: SiteModel) -> str:
    """待审: every entry and guide of the edition not yet 已发布, pending ones first (internal edition only)."""
    waiting: dict[str, list[dict[str, Any]]] = {"pending": [], "draft": []}
    documents = [(v.entry, "典型案例", f"typical/{v.entry.id}.md", v.entry.title) for v in site.entries]
    documents += [
        (v.case_class, "类案指引", f"classes/{v.case_class.id}.md", f"{v.case_class.name}标准化操作指引")
        for v in site.classes
    ]
    for document, kind, href, title in documents:
        status = document.review.status
        if status == "published":
            continue
        revised = max((revision.date for revision in document.revisions), default=None)
        waiting[status].append(
            {
                "id": document.id,
                "title": title,
                "href": href,
                "kind": kind,
                "visibility": document.visibility,
                "revised": revised.isoformat() if revised else "—",
            }
        )
    return render(REVIEW_PAGE + ".j2", waiting=waiting)


def similar_page(site: SiteModel) -> str:
    """类案检索 and, in the internal edition, the records waiting for a class (site.suggestions)."""
    fitting = [s for s in site.suggestions if s.class_id]
    unfit = [s for s in site.suggestions if not s.class_id]
    return render_html("similar.html.j2", site=site, fitting=fitting, unfit=unfit)


STUB = "---\ntitle: 未变\n---\n"  # a page the published site has, made from the same inputs


class RenderMemo:
    """What each record and entry page was made from (render keys), now and in the published build.

    A record page shows its record, its deadline as of the build, its class, the
    entries citing it and its five similar cases: all of that, and the templates,
    go into its key (`record_page_key`), so an unchanged key means the same text."""

    def __init__(self, previous: dict[str, str]) -> None:
        self.previous = previous
        self.keys: dict[str, str] = {}
        self.stubbed: set[str] = set()

    @staticmethod
    def shared_key(site: SiteModel, hand_written: frozenset[str]) -> str:
        from ..dependencies import code_digest
        from ..state import key_of

        return key_of(code_digest(), site.audience, site.as_of.isoformat(), *sorted(hand_written))

    def unchanged(self, uri: str, key: str) -> bool:
        self.keys[uri] = key
        if self.previous.get(uri) == key:
            self.stubbed.add(uri)
            return True
        return False


def _json(model: Any) -> str:
    return model.model_dump_json() if model is not None else "-"


@dataclasses.dataclass(frozen=True)
class ClassName:
    """All a record or entry page shows of its class: what its key holds, and all its template can read."""

    id: str
    name: str


@dataclasses.dataclass(frozen=True)
class ShownMatch:
    """A similar case as its page shows it: the score to two places, as printed (not 0.8213 but 0.82),
    so that a score moving in the fourth place does not make every page of a library anew."""

    kind: str
    id: str
    title: str
    score: float
    reason: str


def shown_matches(matches: Sequence[Match]) -> list[ShownMatch]:
    return [ShownMatch(m.kind, m.id, m.title, float(f"{m.score:.2f}"), m.reason) for m in matches]


def related_key(site: SiteModel, kind: str, id_: str) -> str:
    """The key of what a page shows of its similar cases (similar.shown_text, which `shown_matches`
    shows field for field): kept by the similar pass for each list (a list carried over keeps its
    key), made here where the pass made none."""
    known = site.related_keys.get(f"{kind}:{id_}")
    return known if known is not None else shown_key(site.related_to(kind, id_))


def fields_text(value: Any) -> str:
    """Every field of a dataclass (a Deadline), by name, as one text for a page key."""
    return repr([(name, str(getattr(value, name))) for name in _field_names(type(value))])


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def class_name(case_class: CaseClass | None) -> ClassName | None:
    return ClassName(case_class.id, case_class.name) if case_class is not None else None


def record_page_key(shared: str, view: Any, cited_by: list[tuple[str, str]], site: SiteModel) -> str:
    """Every input of a record page (templates/record.html.j2).

    A record shown as its file was read, with its facts made from the settings file and date
    that `site.facts_context` names: the file key and that context stand for the record, its
    deadline, year, district and procedure (all made from them, derive/facts.py), which are not
    written out again (0.8 s at 100,000 records)."""
    from ..state import key_of

    source = site.source_keys.get(view.record.id)
    case_class = view.case_class
    shown_class = f"{case_class.id}\n{case_class.name}" if case_class is not None else "-"
    if source and site.facts_context:
        related = related_key(site, "record", view.record.id)
        return key_of(shared, "record-file", site.facts_context, source, shown_class, repr(cited_by), related)
    return key_of(
        shared,
        "record",
        _record_input(view.record, site),
        fields_text(view.deadline),
        str(view.year),
        view.district,
        view.procedure,
        shown_class,
        repr(cited_by),
        related_key(site, "record", view.record.id),
    )


def entry_page_key(shared: str, view: Any, site: SiteModel) -> str:
    """Every input of a typical entry's page (templates/typical.html.j2)."""
    from ..state import key_of

    return key_of(
        shared,
        "typical",
        _json(view.entry),
        str(view.year),
        view.district,
        *(_record_input(record, site) for record in view.records),
        repr(class_name(view.case_class)),
        str(view.withheld),
        related_key(site, "typical", view.entry.id),
    )


def _record_input(record: Any, site: SiteModel) -> str:
    """A record as an input of a page key: its file's key when it is shown as it was read (which
    names every value, and needs no model: a LazyRecord stays lazy), else all of it as JSON."""
    source = site.source_keys.get(record.id)
    return f"file:{source}" if source else _json(record)


def entries_citing(site: SiteModel) -> dict[str, list[tuple[str, str]]]:
    """record id → typical entries built on it."""
    citing: dict[str, list[tuple[str, str]]] = {}
    for view in sorted(site.entries, key=lambda v: v.entry.id):
        for record_id in view.entry.records:
            citing.setdefault(record_id, []).append((view.entry.id, view.entry.title))
    return citing
