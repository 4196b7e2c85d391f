"""What the site's lists, ledgers, indexes and change log need of one record, kept between builds.

Every aggregate of a build (the 台账, 督办, tag and policy indexes, list pages,
search rows, the change log's snapshot) reads the same few things of each record:
a dozen of its fields and what follows from them as of the build's date (its
deadline, the stage it is at, its outcome). A record's own page needs all of it;
the aggregates need only these `RecordFacts`. They follow from the record's file,
the settings and the as-of date alone, so they are kept under a key of those three
(`FactsStore`), and a record whose file did not change is not made into a model at
all: it is read as a `LazyRecord`, which answers from its facts and builds the
model only if something asks for more (its own page, a changed edition). At
100,000 records the models took 10.8 s of a one-record rebuild.

A record's facts are always made by `record_facts` from its model: the cached ones
are what the same function gave for the same file, settings and date, so a build is
the same whichever way each record was read (tests/test_facts.py; and every
incremental = full build test).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import cache_json
from ..contract import FROM_JSON, CaseRecord, Settings
from ..keyed_lines import KeptLines, encode
from ..state import key_of
from .deadlines import Deadline, Timeline, deadline_on, timeline_of

FACTS_FILE = "facts.jsonl"
KIND = "facts"
# The record fields a LazyRecord answers itself (attribute names of CaseRecord).
FIELDS = (
    "id",
    "title",
    "received",
    "region",
    "domain",
    "topic",
    "subject",
    "tags",
    "mechanisms",
    "class_",
    "visibility",
    "lead_official",
    "procedure",
    "date_precision",
    "archived",
    "external",
    "channel",
    "category",
    "flags",
)


@dataclass(frozen=True)
class RecordFacts:
    """One record as the aggregates see it on one date (`record_facts`)."""

    fields: dict[str, Any]  # FIELDS → the record's values
    procedure: str  # the time-limit scheme it runs under (the settings' default when it names none)
    deadline: Deadline
    closed: dt.date | None  # 办结 date (changes.closed_on)
    stage: str | None  # the last stage dated on or before the date (ledgers)
    stage_date: dt.date | None
    outcome: str | None  # the resolution's outcome, None without a resolution
    known: bool  # the result is known on the date (a resolution, not closed after it)
    unit_rating: str | None
    office_rating: str | None
    route: str | None  # 化解方式
    lead_unit: str
    assist_units: tuple[str, ...]
    policy: tuple[tuple[str, str | None, str | None], ...]  # (law, article, note) of each 政策依据
    households: int | None  # 涉及户数 (ledgers, letters)
    amounts: tuple[float | None, float | None]  # (诉求金额, 兑付金额) 万元, for the ledger workbooks
    petitioners: int  # 信访人数 (集体访人次)
    decision: str | None  # 处理意见
    timeline: Timeline  # what its deadline follows from: its state on any date (statistics.py)


def closed_on(record: CaseRecord) -> dt.date | None:
    """The 办结 date: the resolution's closed date, or else the last 终结 stage, or None while open."""
    if record.resolution is not None and record.resolution.closed is not None:
        return record.resolution.closed
    ended = [stage.date for stage in record.stages if stage.stage == "终结"]
    return max(ended) if ended else None


def record_facts(record: CaseRecord, settings: Settings, as_of: dt.date) -> RecordFacts:
    """The facts of a record (a model: never a LazyRecord, whose facts are these already)."""
    stages = sorted((s for s in record.stages if s.date <= as_of), key=lambda s: s.date)  # stable: file order
    current = stages[-1] if stages else None
    result = record.resolution
    known = result is not None and (result.closed is None or result.closed <= as_of)
    timeline = timeline_of(record, settings)
    return RecordFacts(
        fields={name: getattr(record, name) for name in FIELDS},
        procedure=timeline.procedure,
        deadline=deadline_on(timeline, settings, as_of),
        closed=closed_on(record),
        stage=current.stage if current else None,
        stage_date=current.date if current else None,
        outcome=result.outcome if result is not None else None,
        known=known,
        unit_rating=result.satisfaction.unit if result is not None else None,
        office_rating=result.satisfaction.office if result is not None else None,
        route=result.route if result is not None else None,
        lead_unit=record.units.lead,
        assist_units=tuple(record.units.assist),
        policy=tuple((p.law, p.article, p.note) for p in record.policy_basis),
        households=record.petitioners.households,
        amounts=(record.amounts.claimed, record.amounts.paid) if record.amounts else (None, None),
        petitioners=record.petitioners.count,
        decision=result.decision if result is not None else None,
        timeline=timeline,
    )


def facts_of(record: Any, settings: Settings, as_of: dt.date) -> RecordFacts:
    """A record's facts: a LazyRecord's own, or made from the model."""
    if isinstance(record, LazyRecord):
        return record.facts
    return record_facts(record, settings, as_of)


def model_of(document: Any) -> Any:
    """The model itself: a LazyRecord's (built now if it was not), any other document as it is.
    For what reads a model as a whole (pydantic's to_json, field by field)."""
    return document.model if isinstance(document, LazyRecord) else document


class LazyRecord:
    """A record read from the parse cache whose facts are known: the model is built on first need.

    Its FIELDS are its own attributes (its `__dict__` is its facts' field map: read as
    quickly as a model's, where a `__getattr__` for each took 1.5 s of 2 million reads at
    100,000 records); any other attribute (its stages, its summary, a pydantic method)
    builds the model from the file's cached JSON, as library.cached_document does, and is
    answered by it from then on."""

    __slots__ = ("__dict__", "_data", "_model", "facts")

    def __init__(self, facts: RecordFacts, data: bytes | Callable[[], bytes]) -> None:
        self.facts = facts
        self._data: bytes | Callable[[], bytes] | None = data  # or what reads it (ParseCache.loader)
        self._model: CaseRecord | None = None
        self.__dict__ = facts.fields  # shared, never written: only the slots above are set

    @property
    def model(self) -> CaseRecord:
        if self._model is None:
            assert self._data is not None
            data = self._data() if callable(self._data) else self._data
            self._model = CaseRecord.model_validate_json(data, context=FROM_JSON)
            self._data = None
        return self._model

    def __getattr__(self, name: str) -> Any:  # what is neither a field of the facts nor a slot
        if name.startswith("__"):  # copy, pickle and the like ask for these: not the model's
            raise AttributeError(name)
        return getattr(self.model, name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRecord):
            other = other.model
        return self.model == other

    def __hash__(self) -> int:
        return hash(self.model)

    def __repr__(self) -> str:
        return repr(self.model)


def facts_context(settings_key: str, as_of: dt.date) -> str:
    """What a record's facts depend on besides its file: the settings file and the date."""
    return key_of("facts", settings_key, as_of.isoformat())


class FactsStore:
    """Record facts by key_of(context, file key), in the build's cache folder (keyed_lines.py)."""

    def __init__(self, folder: Path | None) -> None:
        self.lines = KeptLines(folder / FACTS_FILE if folder is not None else None, KIND)

    @staticmethod
    def key(context: str, file_key: str) -> str:
        return key_of(context, file_key)

    def get(self, key: str) -> RecordFacts | None:
        data = self.lines.store.entries.get(key)
        if data is None:
            return None
        try:
            facts = decode(cache_json.loads(data))
        except (ValueError, TypeError, KeyError, IndexError):
            return None
        self.lines.get(key)  # used: kept by save
        return facts

    def put(self, key: str, facts: RecordFacts) -> None:
        if self.lines.path is None or key in self.lines.used:
            return
        encoded = encode(encoded_facts(facts))
        if encoded is not None:
            self.lines.put(key, encoded)

    def save(self) -> None:
        """Keep the facts this build used (and nothing else); untouched when nothing changed."""
        self.lines.save()


def iso_date(value: dt.date | None) -> str | None:
    """A date as JSON keeps it (None stays None)."""
    return value.isoformat() if value is not None else None


def _undate(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value is not None else None


def encoded_facts(facts: RecordFacts) -> list[Any]:
    fields = [facts.fields[name] for name in FIELDS]
    timeline = facts.timeline
    fields[FIELDS.index("received")] = facts.fields["received"].isoformat()
    due = facts.deadline
    return [
        fields,
        facts.procedure,
        [due.state, due.clock, iso_date(due.started), iso_date(due.due), due.days_left, due.extended_days],
        iso_date(facts.closed),
        facts.stage,
        iso_date(facts.stage_date),
        facts.outcome,
        facts.known,
        facts.unit_rating,
        facts.office_rating,
        facts.route,
        facts.lead_unit,
        list(facts.assist_units),
        [list(item) for item in facts.policy],
        facts.households,
        list(facts.amounts),
        facts.petitioners,
        facts.decision,
        [
            timeline.untimed,
            iso_date(timeline.closed),
            [[kind, date.isoformat(), days] for kind, date, days in timeline.stages],
        ],
    ]


def decode(data: list[Any]) -> RecordFacts:
    """encoded_facts backwards; raises (ValueError, TypeError, KeyError, IndexError) on anything else."""
    (
        fields,
        procedure,
        due,
        closed,
        stage,
        stage_date,
        outcome,
        known,
        unit,
        office,
        route,
        lead,
        assist,
        policy,
        homes,
        (claimed, paid),
        petitioners,
        decision,
        (untimed, timeline_closed, stages),
    ) = data
    if len(fields) != len(FIELDS):
        raise ValueError("facts of another shape")
    values = dict(zip(FIELDS, fields, strict=True))
    state, clock, started, due_date, days_left, extended = due
    received = values["received"] = dt.date.fromisoformat(values["received"])
    fromisoformat = dt.date.fromisoformat
    # Made as ledger.ledger_row makes a row: every field at once, not through the frozen dataclasses'
    # __init__ (one object.__setattr__ per field): decoding 100,000 records' facts is every build's.
    return _made(
        RecordFacts,
        fields=values,
        procedure=procedure,
        deadline=_made(
            Deadline,
            state=state,
            clock=clock,
            started=_undate(started),
            due=_undate(due_date),
            days_left=days_left,
            extended_days=extended,
        ),
        closed=_undate(closed),
        stage=stage,
        stage_date=_undate(stage_date),
        outcome=outcome,
        known=known,
        unit_rating=unit,
        office_rating=office,
        route=route,
        lead_unit=lead,
        assist_units=tuple(assist),
        policy=tuple([(law, article, note) for law, article, note in policy]),
        households=homes,
        amounts=(claimed, paid),
        petitioners=petitioners,
        decision=decision,
        timeline=_made(
            Timeline,
            received=received,
            untimed=untimed,
            closed=_undate(timeline_closed),
            procedure=procedure,
            stages=tuple([(kind, fromisoformat(date), days) for kind, date, days in stages]),
        ),
    )


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _made(kind: type[Any], **values: Any) -> Any:
    """An instance of a frozen dataclass with exactly these field values, set at once."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = frozenset(kind.__dataclass_fields__)
    if values.keys() != names:
        raise ValueError(f"{kind.__name__}: fields {sorted(names ^ values.keys())}")
    made = object.__new__(kind)
    made.__dict__.update(values)
    return made
