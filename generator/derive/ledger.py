"""SiteModel → 类案台账 (one ledger per class, one for the whole library) and the 督办 view.

"建立台账、逐案施策": a class's records are grouped for batch handling by the
class's own rule (the same 楼盘, 地区, 主办单位 or 具体问题) and, within a
batch, by the 责任单位 who must act. The 督办 view lists what is 临期 or 逾期,
per 责任单位, most overdue first, because that is the order a supervisor
sends 督办函 in.

Pure data: no rendering and no files. The site model is already filtered
for its edition, so a ledger can only contain what that edition may show;
ledgers exist only in an edition that has them (edition.py: the internal one).
Deadline states come from `deadlines.deadline` (time limits are settings),
and everything is judged as of the model's date: stages dated later do not
count, records received later are left out, and a result whose 办结日期 is
after that date is not known yet (未办结).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import get_args

from ..contract import Outcome
from ..state import key_of
from .deadlines import DeadlineState
from .site import ClassView, RecordView, SiteModel

UNFILLED = "（未填写）"
UNCLASSIFIED = "未归类"
NOT_CLOSED = "未办结"
LIBRARY_KEY = "all"

# Ledger columns show the states a received record can be in, in reading order.
LEDGER_STATES: tuple[DeadlineState, ...] = ("正常", "临期", "逾期", "已答复", "已办结", "不计时限")
OPEN_STATES: tuple[DeadlineState, ...] = ("正常", "临期", "逾期")
SUPERVISED_STATES: tuple[DeadlineState, ...] = ("逾期", "临期")
OUTCOMES: tuple[str, ...] = (*get_args(Outcome), NOT_CLOSED)

# What each batch rule groups by (contract.BatchRule.group_by), plus the
# whole-library ledger's grouping by class.
GROUP_LABELS = {
    "subject": "涉及项目",
    "region": "地区",
    "unit": "主办单位",
    "topic": "具体问题",
    "class": "所属类案",
}
DEFAULT_GROUP_BY = "unit"


@dataclass(frozen=True)
class LedgerRow:
    """One record as a line of a ledger, as of the ledger's date."""

    id: str
    title: str
    received: dt.date
    date_precision: str | None  # year / month when the dates are known only that far (contract.DatePrecision)
    households: int | None  # 涉及户数
    amount_claimed: float | None  # 诉求金额（万元）
    amount_paid: float | None  # 兑付金额（万元）
    region: str
    district: str
    batch_key: str  # the value this row is grouped by in its ledger
    lead_unit: str
    assist_units: tuple[str, ...]
    procedure: str
    stage: str | None  # the last stage dated on or before the as-of date
    stage_date: dt.date | None
    clock: str | None  # 受理 / 办理 / 复查 / 复核 while a time limit runs
    due: dt.date | None
    days_left: int | None  # negative when overdue
    state: DeadlineState
    outcome: str  # an Outcome, or 未办结 while no result is known
    unit_rating: str | None
    office_rating: str | None
    lead_official: str | None
    class_id: str | None
    class_name: str | None

    @property
    def class_label(self) -> str:
        return f"{self.class_id} {self.class_name}" if self.class_id else UNCLASSIFIED

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class Tally:
    """Counts per deadline state and per outcome; every key is always present, in order."""

    states: dict[str, int]
    outcomes: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def open(self) -> int:
        return sum(self.states[state] for state in OPEN_STATES)

    @property
    def due_soon(self) -> int:
        return self.states["临期"]

    @property
    def overdue(self) -> int:
        return self.states["逾期"]

    @property
    def resolved(self) -> int:
        return self.outcomes["已化解"]


def tally(rows: Iterable[LedgerRow]) -> Tally:
    rows = list(rows)
    states = Counter(row.state for row in rows)
    outcomes = Counter(row.outcome for row in rows)
    return Tally({s: states[s] for s in LEDGER_STATES}, {o: outcomes[o] for o in OUTCOMES})


@dataclass(frozen=True)
class UnitGroup:
    """The rows of one batch that one 责任单位 (主办单位) leads, by id."""

    unit: str
    rows: list[LedgerRow]


@dataclass(frozen=True)
class BatchGroup:
    """One batch: the records sharing a batch key, split by 责任单位."""

    key: str
    units: list[UnitGroup]
    tally: Tally

    @property
    def rows(self) -> list[LedgerRow]:
        return [row for unit in self.units for row in unit.rows]


@dataclass(frozen=True)
class Ledger:
    """类案台账 of one class (key = class id) or of the whole library (key = "all")."""

    key: str
    name: str
    group_by: str  # a GROUP_LABELS key
    rule: str | None  # the class's batch description; None when grouping by the default
    as_of: dt.date
    groups: list[BatchGroup]
    tally: Tally

    @property
    def group_label(self) -> str:
        return GROUP_LABELS[self.group_by]

    @property
    def rows(self) -> list[LedgerRow]:
        """Every row, in ledger order: by batch, then unit, then id."""
        return [row for group in self.groups for row in group.rows]

    @property
    def batch_count(self) -> int:
        return len(self.groups)

    @property
    def download(self) -> str:
        """Where the build writes this ledger's workbook, relative to the docs folder (ASCII)."""
        return f"downloads/ledger-{self.key}.xlsx"


@dataclass(frozen=True)
class SupervisedUnit:
    """One 责任单位's 临期 and 逾期 records, most overdue first."""

    unit: str
    rows: list[LedgerRow]

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.state == "逾期")

    @property
    def due_soon(self) -> int:
        return sum(1 for row in self.rows if row.state == "临期")


@dataclass(frozen=True)
class Supervision:
    """督办: every 临期 or 逾期 record as of the date, per 责任单位, most overdue units first."""

    as_of: dt.date
    warning_days: int
    units: list[SupervisedUnit]

    @property
    def rows(self) -> list[LedgerRow]:
        return [row for unit in self.units for row in unit.rows]

    @property
    def overdue(self) -> int:
        return sum(unit.overdue for unit in self.units)

    @property
    def due_soon(self) -> int:
        return sum(unit.due_soon for unit in self.units)


@dataclass(frozen=True)
class LedgerBook:
    """Everything ledger-shaped in one build: per class, the whole library, 督办."""

    classes: list[Ledger]
    library: Ledger
    supervision: Supervision


# ── building ────────────────────────────────────────────────────────────────


def derive_ledgers(site: SiteModel) -> LedgerBook | None:
    """All ledgers of a site model; None when the edition has none."""
    if not site.edition.ledgers:
        return None
    library = library_ledger(site)
    rows = {row.id: row for row in library.rows}
    classes = [class_ledger(view, site.as_of, rows) for view in site.classes]
    return LedgerBook(classes, library, supervision_of(library, site.settings.time_limits.warning_days))


def class_ledgers(site: SiteModel) -> list[Ledger]:
    """One ledger per class, by class id; none unless the edition has ledgers."""
    if not site.edition.ledgers:
        return []
    return [class_ledger(view, site.as_of) for view in site.classes]


def class_ledger(view: ClassView, as_of: dt.date, made: Mapping[str, LedgerRow] | None = None) -> Ledger:
    """A class's ledger, grouped by its batch rule (by 主办单位 when it has none).

    `made`: the library ledger's rows by record id. A class ledger's row differs from the
    library's only in what it is grouped by: taken from there with that key, it is not
    made twice (1.4 s at 100,000 records)."""
    batch = view.case_class.batch
    group_by = batch.group_by if batch else DEFAULT_GROUP_BY
    batch_key = BATCH_KEYS[group_by]
    made = made or {}
    rows = [_regrouped(made.get(v.record.id), v, batch_key(v)) for v in view.records if _received(v, as_of)]
    return Ledger(
        key=view.case_class.id,
        name=view.case_class.name,
        group_by=group_by,
        rule=batch.description if batch else None,
        as_of=as_of,
        groups=group_rows(rows),
        tally=tally(rows),
    )


def library_ledger(site: SiteModel) -> Ledger:
    """Every visible record, grouped by class (未归类 last), then by 责任单位."""
    rows = [ledger_row(v, _class_key(v)) for v in site.records if _received(v, site.as_of)]
    return Ledger(
        key=LIBRARY_KEY,
        name="全库",
        group_by="class",
        rule=None,
        as_of=site.as_of,
        groups=group_rows(rows),
        tally=tally(rows),
    )


def supervision_of(library: Ledger, warning_days: int) -> Supervision:
    """The 督办 view of a whole-library ledger; `warning_days` is the 临期 window it was judged with.

    Units with more overdue records come first (ties by name), and within
    a unit the record furthest past its due date comes first.
    """
    flagged = sorted(
        (row for row in library.rows if row.state in SUPERVISED_STATES),
        key=lambda row: (row.lead_unit, row.days_left, row.id),
    )
    units = [SupervisedUnit(unit, list(rows)) for unit, rows in groupby(flagged, key=lambda row: row.lead_unit)]
    units.sort(key=lambda u: (-u.overdue, u.unit))
    return Supervision(library.as_of, warning_days, units)


def group_rows(rows: Sequence[LedgerRow]) -> list[BatchGroup]:
    """Rows → batches by key, each split by 主办单位, rows by id.

    Sorting is by code point, so "（未填写）" and "未归类" come after named groups.
    """
    ordered = sorted(rows, key=lambda row: (row.batch_key, row.lead_unit, row.id))
    groups = []
    for key, batch in groupby(ordered, key=lambda row: row.batch_key):
        batch_rows = list(batch)
        units = [UnitGroup(unit, list(unit_rows)) for unit, unit_rows in groupby(batch_rows, lambda r: r.lead_unit)]
        groups.append(BatchGroup(key, units, tally(batch_rows)))
    return groups


def ledger_row(view: RecordView, batch_key: str) -> LedgerRow:
    """One record as a ledger line on the date its view's facts are of (the site's as-of date)."""
    record, facts, due = view.record, view.facts, view.deadline
    known = facts.known
    # Every field given, all plain values: set at once, as _regrouped copies a row. The frozen
    # dataclass's __init__ sets each field through object.__setattr__: 5 µs a row, 0.5 s at
    # 100,000 records (tests/test_ledger.py compares with LedgerRow(...)).
    row = object.__new__(LedgerRow)
    row.__dict__.update(
        id=record.id,
        title=record.title,
        received=record.received,
        date_precision=record.date_precision,
        households=facts.households,
        amount_claimed=facts.amounts[0],
        amount_paid=facts.amounts[1],
        region=record.region,
        district=view.district,
        batch_key=batch_key,
        lead_unit=facts.lead_unit,
        assist_units=facts.assist_units,
        procedure=view.procedure,
        stage=facts.stage,
        stage_date=facts.stage_date,
        clock=due.clock,
        due=due.due,
        days_left=due.days_left,
        state=due.state,
        outcome=facts.outcome if known and facts.outcome is not None else NOT_CLOSED,
        unit_rating=facts.unit_rating if known else None,
        office_rating=facts.office_rating if known else None,
        lead_official=record.lead_official,
        class_id=view.case_class.id if view.case_class else None,
        class_name=view.case_class.name if view.case_class else None,
    )
    return row


def _regrouped(row: LedgerRow | None, view: RecordView, batch_key: str) -> LedgerRow:
    """The row of `view` grouped by `batch_key`: `row` (the same record's, made for another ledger
    on the same date) with that key, or a new one."""
    if row is None:
        return ledger_row(view, batch_key)
    if row.batch_key == batch_key:
        return row
    # dataclasses.replace checks every field and calls __init__: 13 µs, as long as ledger_row
    # itself. The row is frozen and all its fields are plain values: copying them is 1 µs.
    copy = object.__new__(LedgerRow)
    copy.__dict__.update(row.__dict__, batch_key=batch_key)
    return copy


def _received(view: RecordView, as_of: dt.date) -> bool:
    """In the ledgers: received by the date, and the office's own (an outside case is read, not handled)."""
    return view.record.received <= as_of and not view.facts.fields["external"]


def _class_key(view: RecordView) -> str:
    return f"{view.case_class.id} {view.case_class.name}" if view.case_class else UNCLASSIFIED


BATCH_KEYS: dict[str, Callable[[RecordView], str]] = {
    "subject": lambda v: v.record.subject or UNFILLED,
    "region": lambda v: v.district,
    "unit": lambda v: v.facts.lead_unit,
    "topic": lambda v: v.record.topic,
}


def inputs_key(ledger: Ledger, site: SiteModel) -> str | None:
    """Everything a ledger's pages and workbook are made of, as one key; None when it cannot be told.

    A row follows from its record's file, the settings and the date (the record's facts:
    facts.py), its class and what it is grouped by; the ledger adds its own name, rule and
    date. So the key names each row by its record's file key (site.source_keys) instead of
    its values: hashing the rows themselves took 1.7 s at 100,000 records, every build, to
    find that an edit changed one class's ledger. A record the edition shows otherwise than
    it was read has no file key: then there is no key, and the ledger is always made."""
    if not site.facts_context:
        return None
    sources = site.source_keys
    parts = [
        site.facts_context,
        ledger.key,
        ledger.name,
        ledger.group_by,
        repr(ledger.rule),
        ledger.as_of.isoformat(),
        str(site.settings.time_limits.warning_days),
    ]
    for row in ledger.rows:
        source = sources.get(row.id)
        if source is None:
            return None
        parts.append(f"{row.id}\t{source}\t{row.batch_key}\t{row.class_id}\t{row.class_name}")
    return key_of(*parts)


# ── between processes ───────────────────────────────────────────────────────
# The ledger workbooks are made in a second process (build.py). Pickling a book of 100,000 rows
# (their 300,000 dates above all) held the GIL for 1.7 s while this process rendered pages;
# as plain tuples of text and numbers, marshal writes it in a tenth of that.

_ROW_FIELDS = tuple(LedgerRow.__dataclass_fields__)
_DATE_FIELDS = frozenset(name for name in _ROW_FIELDS if name in ("received", "stage_date", "due"))


def packed_book(book: LedgerBook) -> bytes:
    """`book` as bytes for unpacked_book (another process of the same generator)."""
    import marshal
    import operator

    rows: list[LedgerRow] = []
    number: dict[int, int] = {}

    def row_numbers(some: Iterable[LedgerRow]) -> list[int]:
        found = []
        for row in some:
            at = number.get(id(row))
            if at is None:
                at = number[id(row)] = len(rows)
                rows.append(row)
            found.append(at)
        return found

    def tally_of(counts: Tally) -> tuple:
        return (counts.states, counts.outcomes)

    def ledger(one: Ledger) -> tuple:
        groups = [
            (group.key, [(unit.unit, row_numbers(unit.rows)) for unit in group.units], tally_of(group.tally))
            for group in one.groups
        ]
        return (one.key, one.name, one.group_by, one.rule, one.as_of.toordinal(), groups, tally_of(one.tally))

    supervision = book.supervision
    plain = (
        [ledger(one) for one in book.classes],
        ledger(book.library),
        (
            supervision.as_of.toordinal(),
            supervision.warning_days,
            [(unit.unit, row_numbers(unit.rows)) for unit in supervision.units],
        ),
    )
    undated = operator.attrgetter(*(name for name in _ROW_FIELDS if name not in _DATE_FIELDS))
    table = [undated(row) for row in rows]
    dates = [
        [None if day is None else day.toordinal() for day in map(operator.attrgetter(name), rows)]
        for name in _ROW_FIELDS
        if name in _DATE_FIELDS
    ]
    return marshal.dumps((_ROW_FIELDS, plain, table, dates))


def unpacked_book(data: bytes) -> LedgerBook:
    """The book packed_book packed."""
    import marshal

    fields, plain, table, dates = marshal.loads(data)
    assert tuple(fields) == _ROW_FIELDS, "packed by another generator"
    undated = [name for name in _ROW_FIELDS if name not in _DATE_FIELDS]
    dated = [name for name in _ROW_FIELDS if name in _DATE_FIELDS]
    columns = [[None if day is None else dt.date.fromordinal(day) for day in column] for column in dates]
    rows = []
    for values, *days in zip(table, *columns, strict=True):
        row = object.__new__(LedgerRow)
        row.__dict__.update(zip(undated, values, strict=True))
        row.__dict__.update(zip(dated, days, strict=True))
        rows.append(row)

    def tally_of(counts: tuple) -> Tally:
        return Tally(*counts)

    def ledger(one: tuple) -> Ledger:
        key, name, group_by, rule, as_of, groups, counts = one
        batches = [
            BatchGroup(batch, [UnitGroup(unit, [rows[i] for i in numbers]) for unit, numbers in units], tally_of(t))
            for batch, units, t in groups
        ]
        return Ledger(key, name, group_by, rule, dt.date.fromordinal(as_of), batches, tally_of(counts))

    classes, library, (as_of, warning_days, units) = plain
    supervision = Supervision(
        dt.date.fromordinal(as_of),
        warning_days,
        [SupervisedUnit(unit, [rows[i] for i in numbers]) for unit, numbers in units],
    )
    return LedgerBook([ledger(one) for one in classes], ledger(library), supervision)
