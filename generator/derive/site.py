"""Library → SiteModel: everything the pages need, computed once and sorted.

Templates only format; every decision about what appears where (audience
filtering, deadline states, related entries, facet values, counts) is made
here so that it can be tested without rendering and so that the output order
never depends on the order files were read in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import REVIEW_LABELS, CaseClass, CaseRecord, Settings, TypicalEntry, date_text
from ..edition import EDITION_NAMES, EDITIONS, Edition
from ..library import Library
from ..memo import TEXT_DIGESTS_FILE, HashMemo, SegmentMemo
from .classify import Suggestion
from .deadlines import Deadline
from .facts import FactsStore, RecordFacts, facts_context, facts_of
from .similar import (
    DEFAULT_WEIGHTS,
    EMPTY_CLIENT_MODEL,
    KEEP_TERMS,
    RELATED_FLOOR,
    RELATED_TOP,
    CaseText,
    Match,
    entry_text,
    export_client_model,
    library_segmenter,
    record_text,
)
from .similar_update import (
    Pass,
    load_kept,
    load_suggestions,
    pass_settings,
    save_kept,
    save_suggestions,
    similar_pass,
    suggestions_pass,
    text_digest,
)

Audience = str  # "internal" | "training" | "public": a key of edition.EDITIONS
AUDIENCES: tuple[str, ...] = EDITION_NAMES


@dataclass(frozen=True)
class RecordView:
    record: CaseRecord  # or a LazyRecord (derive/facts.py), which builds the model only when asked
    deadline: Deadline
    year: int
    district: str
    procedure: str
    case_class: CaseClass | None
    facts: RecordFacts  # what the lists, ledgers and indexes read of it (deadline and procedure among them)

    @property
    def meta(self) -> str:
        """The line under the record's title in a list or a search result (read from its facts only)."""
        fields = self.facts.fields
        outcome = self.facts.outcome or "未办结"
        received = date_text(fields["received"], fields["date_precision"])
        kind = " · 外地案例" if fields["external"] else " · 历史案例" if fields["archived"] else ""
        return f"{received} · {fields['domain']} · {self.district} · {outcome} · {self.deadline.state}{kind}"


@dataclass(frozen=True)
class EntryView:
    entry: TypicalEntry
    year: int
    district: str
    records: list[CaseRecord]  # source records, sorted by id
    case_class: CaseClass | None
    withheld: int = 0  # source records this edition excludes: counted, never named

    @property
    def meta(self) -> str:
        """The line under the entry's title in a list or a search result; 草稿 or 待审 said there too."""
        e = self.entry
        status = "" if e.review.status == "published" else f" · {REVIEW_LABELS[e.review.status]}"
        return f"{e.id} · {e.domain} · {self.district} · {e.outcome}{status}"


@dataclass(frozen=True)
class ClassView:
    case_class: CaseClass
    entries: list[TypicalEntry]
    records: list[RecordView]


@dataclass
class SiteModel:
    """The derived content of one edition's site build (edition.py: applied in `derive_site`)."""

    settings: Settings
    audience: Audience
    as_of: dt.date
    entries: list[EntryView] = field(default_factory=list)  # newest first
    records: list[RecordView] = field(default_factory=list)  # newest first; outside internal, those marked for it
    classes: list[ClassView] = field(default_factory=list)  # by id
    tags: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # tag → [(kind, id, title)]
    # "record:ID" / "typical:ID" → the most similar records and entries of this edition, with reasons
    related: Mapping[str, list[Match]] = field(default_factory=dict)
    # the same keys → key_of(similar.shown_text(the list)), as the similar pass keeps them (page keys)
    related_keys: dict[str, str] = field(default_factory=dict)
    # the 类案检索 box's model (derive/similar.py export_client_model): this edition's entries only;
    # the index itself is dropped after derive, it is hundreds of MB at 10,000 records
    similar_model: dict[str, Any] = field(default_factory=lambda: EMPTY_CLIENT_MODEL)
    suggestions: list[Suggestion] = field(default_factory=list)  # internal only: records without a fitting class
    # record id → its file's ParseCache key (library.Document.key), for records the edition shows
    # as they were read: the key names the record's every value, at a fraction of the cost of
    # its JSON (render/pages.py record_page_key). Records the edition changed are not here.
    source_keys: dict[str, str] = field(default_factory=dict)
    # What, besides its file, a record's facts and views are made of (facts.facts_context: the
    # settings and the date); "" when the settings have no key (a library not read from files).
    facts_context: str = ""

    def related_to(self, kind: str, id_: str) -> list[Match]:
        return self.related.get(f"{kind}:{id_}", [])

    @property
    def edition(self) -> Edition:
        return EDITIONS[self.audience]

    @property
    def audience_label(self) -> str:
        return self.edition.label

    @property
    def shows_records(self) -> bool:
        """Whether this edition has record pages: all of them internally, elsewhere those marked for it."""
        return bool(self.records)


def district_of(region: str) -> str:
    """某市/城东区/和平街道 → 城东区; the facet people filter by."""
    parts = region.split("/")
    return parts[1] if len(parts) > 1 else parts[0]


def entry_year(entry: TypicalEntry) -> int:
    """The year in the entry's id (入库年份)."""
    return int(entry.id[:4])


def record_view(
    record: CaseRecord,
    settings: Settings,
    as_of: dt.date,
    case_class: CaseClass | None,
    facts: RecordFacts | None = None,
) -> RecordView:
    """A record with what its pages and ledgers show of it as of a date (`facts`: its facts, when known)."""
    facts = facts if facts is not None else facts_of(record, settings, as_of)
    return RecordView(
        record=record,
        deadline=facts.deadline,
        year=record.received.year,
        district=district_of(record.region),
        procedure=facts.procedure,
        case_class=case_class,
        facts=facts,
    )


@dataclass(frozen=True)
class Shown:
    """A library's documents as one edition shows them (edition.py applied)."""

    records: dict[str, CaseRecord]  # id → the record as shown, in library order
    entries: list[TypicalEntry]  # in library order
    classes: list[CaseClass]  # by id


def shown_documents(library: Library, audience: Audience) -> Shown:
    """The included documents of `audience`'s edition, each without what the edition withholds:
    the one place that applies an edition to a library (the site model here, `casebook export`)."""
    edition = EDITIONS[audience]
    selection = edition.select(doc.model for doc in [*library.records, *library.typical, *library.classes])
    return Shown(
        {doc.model.id: selection.record(doc.model) for doc in library.records if edition.shows(doc.model)},
        [selection.entry(doc.model) for doc in library.typical if edition.shows(doc.model)],
        sorted(
            (selection.document(doc.model) for doc in library.classes if edition.shows(doc.model)),
            key=lambda c: c.id,
        ),
    )


def derive_site(
    library: Library,
    audience: Audience,
    as_of: dt.date,
    segments: SegmentMemo | None = None,
    kept: Path | None = None,
    facts: FactsStore | None = None,
    views_ready: Callable[[SiteModel], None] | None = None,
) -> SiteModel:
    """Build the site model of a library that has validated cleanly.

    The edition is applied here, once: excluded documents are left out, and the
    included ones lose their internal-only fields and every id the edition
    excludes (edition.py), so nothing downstream can show them. `segments` and
    `kept` (a cache folder) hold what an earlier build computed: the same
    result, computed again only where the input changed (similar_update.py). `facts` keeps
    the facts of each record shown as it was read, for the next build (derive/facts.py).
    `views_ready` is called with the model once its views are made, before the similar cases
    (the longest part): what needs the views alone can start on the other core (build.py)."""
    assert library.settings is not None, "derive_site needs a validated library"
    settings = library.settings.model
    edition = EDITIONS[audience]
    shown = shown_documents(library, audience)
    records, visible_entries, visible_classes = shown.records, shown.entries, shown.classes
    cited = {doc.model.id: len(doc.model.records) for doc in library.typical}
    model = SiteModel(settings=settings, audience=audience, as_of=as_of)
    model.source_keys = {
        doc.model.id: doc.key for doc in library.records if doc.key and records.get(doc.model.id) is doc.model
    }
    class_by_id = {c.id: c for c in visible_classes}
    settings_key = library.settings.key
    model.facts_context = facts_context(settings_key, as_of) if settings_key else ""
    kept_facts = (facts, model.facts_context) if facts is not None and model.facts_context else None

    if records:
        model.records = sorted(
            (
                record_view(
                    r, settings, as_of, class_by_id.get(r.class_ or ""), _facts(r, key, settings, as_of, kept_facts)
                )
                for r, key in ((records[id_], model.source_keys.get(id_)) for id_ in records)
            ),
            key=lambda v: (-v.record.received.toordinal(), v.record.id),
        )

    model.entries = sorted(
        (
            EntryView(
                entry=e,
                year=entry_year(e),
                district=district_of(e.region),
                records=sorted((records[i] for i in e.records if i in records), key=lambda r: r.id),
                case_class=class_by_id.get(e.class_ or ""),
                withheld=cited[e.id] - len(e.records),
            )
            for e in visible_entries
        ),
        key=lambda v: (-v.year, v.entry.id),
    )
    # grouped in one pass: a pass over every record per class took 1.2 s at 100,000 records
    by_class: dict[str | None, list[RecordView]] = defaultdict(list)
    for view in sorted(model.records, key=lambda v: v.record.id):
        by_class[view.record.class_].append(view)
    for case_class in visible_classes:
        model.classes.append(
            ClassView(
                case_class=case_class,
                entries=sorted((e for e in visible_entries if e.class_ == case_class.id), key=lambda e: e.id),
                records=by_class.get(case_class.id, []),
            )
        )
    model.tags = tag_index(model)
    if views_ready is not None:
        views_ready(model)
    result = similar_cases(library, model, segments, kept)
    if result is not None:
        index, model.related = result.index, result.related
        model.related_keys = dict(zip(result.kept.keys, result.kept.shown, strict=True))
        # Only records without a class, as the site lists them; judging every classed
        # record too is `casebook classify`'s job (3 s more at 10,000 records).
        if edition.class_suggestions:
            unclassified = sorted((d.model for d in library.records if not d.model.class_), key=lambda r: r.id)
            classes = [d.model for d in library.classes]
            loaded = load_suggestions(kept)
            found, kept_suggestions = suggestions_pass(result, classes, unclassified, loaded)
            if loaded is None or not result.unchanged:
                save_suggestions(kept, kept_suggestions)
            model.suggestions = [s for s in found if s.current is None]
        pages = {v.entry.id: (v.entry.title, f"../typical/{v.entry.id}/") for v in model.entries}
        names = {v.case_class.id: v.case_class.name for v in model.classes}
        model.similar_model = export_client_model(index, pages, names)
    return model


def _facts(
    record: CaseRecord, source: str | None, settings: Settings, as_of: dt.date, kept: tuple[FactsStore, str] | None
) -> RecordFacts:
    """A record's facts; kept for the next build when the record is shown as it was read (`source`:
    its file's key), so that a build that finds its file unchanged reads it without a model."""
    facts = facts_of(record, settings, as_of)
    if kept is not None and source is not None:
        store, context = kept
        store.put(FactsStore.key(context, source), facts)
    return facts


def similar_cases(
    library: Library, model: SiteModel, segments: SegmentMemo | None = None, kept: Path | None = None
) -> Pass | None:
    """The 5 most similar records and entries of every page, among what this edition shows.

    The index holds only the edition's own records and entries, so a training
    or public build can never link (or name) something it excludes. With `kept`,
    the pass of the last build in that folder is updated instead of redone."""
    texts = [record_text(v.record) for v in model.records] + [entry_text(v.entry) for v in model.entries]
    if len(texts) < 2:
        return None
    segmenter = library_segmenter(library)
    if segments is not None:  # sentences cut by an earlier build (memo.py): the same cut, not done again
        segmenter.cache = segments.for_fingerprint(segmenter.fingerprint)
    settings = pass_settings(segmenter, DEFAULT_WEIGHTS, KEEP_TERMS, RELATED_TOP, RELATED_FLOOR)
    # A record shown as it was read has the text digest of its file's last reading (memo.HashMemo).
    digests = HashMemo(kept, TEXT_DIGESTS_FILE)
    files = {f"record:{id_}": key for id_, key in model.source_keys.items()}

    def digest_of(text: CaseText) -> str:
        key = files.get(text.key)
        return digests.get(key, lambda: text_digest(text)) if key is not None else text_digest(text)

    result = similar_pass(
        texts,
        segmenter,
        load_kept(kept, settings),
        settings=settings,
        weights=DEFAULT_WEIGHTS,
        keep_terms=KEEP_TERMS,
        top_k=RELATED_TOP,
        min_score=RELATED_FLOOR,
        digest_of=digest_of,
    )
    digests.save()
    if not result.unchanged:
        save_kept(kept, result.kept)
    if segments is not None:
        # an update cut only the changed texts: keep the others' sentences for the next full pass
        segments.save(segmenter.fingerprint, segmenter.used if result.full else segmenter.cache)
    return result


def tag_index(model: SiteModel) -> dict[str, list[tuple[str, str, str]]]:
    """tag → pages carrying it, typical entries before records, each sorted by id."""
    pages: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for view in sorted(model.entries, key=lambda v: v.entry.id):
        for tag in sorted(set(view.entry.tags)):
            pages[tag].append(("typical", view.entry.id, view.entry.title))
    for record_view in sorted(model.records, key=lambda v: v.record.id):
        for tag in sorted(set(record_view.record.tags)):
            pages[tag].append(("record", record_view.record.id, record_view.record.title))
    return {tag: pages[tag] for tag in sorted(pages)}


def counts_by_domain_and_year(model: SiteModel) -> tuple[list[int], list[tuple[str, list[int], int]]]:
    """Home-page table: rows are domains (settings order), columns years ascending.

    Counts records in an edition that has every document (the internal one) and
    typical entries otherwise, so that a training or public edition never reveals
    how many internal records exist.
    """
    counter: Counter[tuple[str, int]] = Counter()
    if model.edition.complete:
        for v in model.records:
            counter[(v.record.domain, v.year)] += 1
    else:
        for e in model.entries:
            counter[(e.entry.domain, e.year)] += 1
    years = sorted({year for _, year in counter})
    rows = []
    for domain in model.settings.vocabularies.domains:
        cells = [counter[(domain.name, year)] for year in years]
        if sum(cells):
            rows.append((domain.name, cells, sum(cells)))
    return years, rows
