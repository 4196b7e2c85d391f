"""Records' facts + the indicators of settings.yaml → the figures of any period, by any dimension.

Every report in seeds/ is built on figures (信访总量 and its 同比, 化解率, 按期办结率,
满意率 …), and there is no official formula for any of them: each office writes its
own in settings.yaml (contract.Indicator), and this module computes exactly what is
written there, nothing else. Rules, as docs/help/statistics.md tells users:

- Only the office's own records count: outside and archived cases, and records whose
  dates are known only to the year or month, are left out of every figure.
- An indicator's `date` puts a record in a period: its 收到日期 (`received`), its first
  受理 / 不予受理 / 转送 / 交办 (`decided`), its first 答复 (`answered`), its 办结日期
  (`closed`: the resolution's, else the last 终结). `status` counts the records whose
  deadline state on the period's last day is one of `where.state` (逾期, 临期).
- A period ends at the build's date at the latest: a quarter still running is counted
  to that day, and its 同期 (the same span a year earlier) to the same day of last year.
- `outcome` and the ratings are those known on the build's date (未办结 while no result).
- A rate whose denominator is 0 has no value ("—"), never 0 %.

The figures are sums over records, so they are computed as numpy bincounts over one
table of codes (one row per record, made once from the facts the build has anyway):
at 100,000 records the whole statistics of a site are a fraction of a second, where a
Python pass per indicator, period and dimension would take minutes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..contract import Indicator, IndicatorFilter, Settings
from .deadlines import deadline_on
from .site import SiteModel

# What figures are broken down by (statistics page, report), in this order: key → label.
DIMENSIONS: dict[str, str] = {
    "domain": "问题领域",
    "district": "地区",
    "unit": "责任单位",
    "class": "类案",
    "channel": "信访渠道",
}
TOTAL = "信访总量"  # the indicator trends, shares and per-class counts are drawn for, when the settings have it
NOT_CLOSED = "未办结"
UNCLASSIFIED = "未归类"
UNRATED = "未评价"
_DECIDING = ("受理", "不予受理", "转送", "交办")
_ACCEPTING = ("受理", "转送", "交办")
_QUARTERS = "一二三四"


# ── periods ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included, with the name a report prints."""

    start: dt.date
    end: dt.date
    key: str  # 2024 / 2024-H1 / 2024-Q2 / 2024-05 / 2024-03-01..2024-05-31
    label: str  # 2024年 / 2024年上半年 / 2024年第二季度 / 2024年5月 / 2024-03-01至2024-05-31

    @property
    def kind(self) -> str:
        if re.fullmatch(r"\d{4}", self.key):
            return "year"
        if "-H" in self.key:
            return "half"
        if "-Q" in self.key:
            return "quarter"
        if re.fullmatch(r"\d{4}-\d{2}", self.key):
            return "month"
        return "custom"

    def last_year(self) -> Period:
        """The same span a year earlier (同比): 2024-Q2 → 2023-Q2, 2024 counted to 06-30 → 2023-01-01..2023-06-30;
        2 月 29 日 becomes 2 月 28 日."""
        start, end = _year_back(self.start), _year_back(self.end)
        if self.kind != "custom":
            natural = parse_period(_shift_key(self.key, -1))
            if (natural.start, natural.end) == (start, end):
                return natural
        return Period(start, end, f"{start}..{end}", f"{start}至{end}")

    def previous(self) -> Period:
        """The period just before, of the same kind (环比); a custom one: as many days just before."""
        kind = self.kind
        if kind == "year":
            return parse_period(str(self.start.year - 1))
        if kind == "custom":
            days = (self.end - self.start).days + 1
            end = self.start - dt.timedelta(days=1)
            start = end - dt.timedelta(days=days - 1)
            return Period(start, end, f"{start}..{end}", f"{start}至{end}")
        months = {"half": 6, "quarter": 3, "month": 1}[kind]
        before = _add_months(self.start, -months)
        return parse_period(_period_key(kind, before))

    def until(self, as_of: dt.date) -> Period:
        """This period as counted on `as_of`: its end moved back to that day when it is later."""
        if self.end <= as_of:
            return self
        return Period(self.start, as_of, self.key, self.label)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def parse_period(text: str) -> Period:
    """2024, 2024-H1, 2024-Q2, 2024-05 or 2024-03-01..2024-05-31 → Period; ValueError says what is wrong."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})", text):
        year = int(m[1])
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), text, f"{year}年")
    if m := re.fullmatch(r"(\d{4})-[Hh]([12])", text):
        year, half = int(m[1]), int(m[2])
        start = dt.date(year, 1 + 6 * (half - 1), 1)
        return Period(start, _month_end(_add_months(start, 5)), f"{year}-H{half}", f"{year}年{'上下'[half - 1]}半年")
    if m := re.fullmatch(r"(\d{4})-[Qq](\d)", text):
        year, quarter = int(m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise ValueError(f"季度只能是 Q1–Q4：{text}")
        start = dt.date(year, 3 * quarter - 2, 1)
        label = f"{year}年第{_QUARTERS[quarter - 1]}季度"
        return Period(start, _month_end(_add_months(start, 2)), f"{year}-Q{quarter}", label)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"月份只能是 01–12：{text}")
        start = dt.date(year, month, 1)
        return Period(start, _month_end(start), f"{year}-{month:02d}", f"{year}年{month}月")
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|至|~)\s*(\d{4}-\d{2}-\d{2})", text):
        try:
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        except ValueError:
            raise ValueError(f"日期无效：{text}") from None
        if end < start:
            raise ValueError(f"结束日期早于开始日期：{text}")
        return Period(start, end, f"{start}..{end}", f"{start}至{end}")
    raise ValueError(f"无法识别的统计期：{text}（可写 2024、2024-H1、2024-Q2、2024-05 或 2024-03-01..2024-05-31）")


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _year_back(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


def _period_key(kind: str, start: dt.date) -> str:
    if kind == "half":
        return f"{start.year}-H{1 if start.month <= 6 else 2}"
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _shift_key(key: str, years: int) -> str:
    return f"{int(key[:4]) + years}{key[4:]}"


# ── figures ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Figure:
    """One indicator's figure for one period and group of records."""

    indicator: Indicator
    numerator: float  # the count or sum; a rate's numerator
    denominator: int | None = None  # a rate's; None for a count or sum

    @property
    def name(self) -> str:
        return self.indicator.name

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None

    @property
    def value(self) -> float | None:
        if self.denominator is None:
            return self.numerator
        return self.numerator / self.denominator if self.denominator else None

    @property
    def text(self) -> str:
        """As a page prints it: 66.7%, 1,260件, or — when a rate has nothing to divide by."""
        return number_text(self.value, self.is_rate, self.indicator.unit)


def number_text(value: float | None, rate: bool, unit: str = "") -> str:
    if value is None:
        return "—"
    if rate:
        return f"{value * 100:.1f}%"
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{shown}{unit}"


def change_text(now: Figure, before: Figure) -> str:
    """同比 or 环比 as a report words it: a count's change in per cent (上升 12.5% / 下降 22.0% / 持平),
    a rate's in percentage points; "—" when either side has no value or a count had none before."""
    a, b = now.value, before.value
    if a is None or b is None:
        return "—"
    if now.is_rate:
        points = (a - b) * 100
        if round(points, 1) == 0:
            return "持平"
        return f"{'提高' if points > 0 else '下降'} {abs(points):.1f} 个百分点"
    if b == 0:
        return "—" if a else "持平"
    change = (a - b) / b * 100
    if round(change, 1) == 0:
        return "持平"
    return f"{'上升' if change > 0 else '下降'} {abs(change):.1f}%"


# ── the table of records ───────────────────────────────────────────────────


class _Codes:
    """Texts ↔ small integers for one column, in first-seen order (sorted when shown)."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.index)
        return found

    def codes_of(self, values: Iterable[Any]) -> list[int]:
        return [self.index[v] for v in values if v in self.index]

    @property
    def values(self) -> list[Any]:
        return list(self.index)


_DATES = ("received", "decided", "answered", "closed")


@dataclass
class RecordTable:
    """One row per counted record: codes and day numbers (0 = no such date), as numpy columns."""

    settings: Settings
    as_of: dt.date
    timelines: list[Any] = field(default_factory=list)  # each row's deadlines.Timeline
    states_now: list[str] = field(default_factory=list)  # each row's deadline state on the build's date
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    codes: dict[str, _Codes] = field(default_factory=dict)
    flag_bits: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.timelines)


def record_table(site: SiteModel) -> RecordTable:
    """The rows of the records the statistics count, from their facts (no model is built).

    One pass over the records: at 100,000 records, a comprehension per column (each touching every
    record's facts again) took 2.6 s where this loop takes 1.7 s (at 10,000 it was the other way
    round, 0.12 s against 0.2 s: the facts of 10,000 records stay in the processor's caches)."""
    settings, as_of = site.settings, site.as_of
    limits = settings.time_limits.procedures
    table = RecordTable(settings, as_of)
    codes = {name: _Codes() for name in ("domain", "district", "unit", "class", "channel", "category")}
    codes.update({name: _Codes() for name in ("outcome", "route", "decision", "unit_rating", "office_rating")})
    table.codes = codes
    bits = table.flag_bits = {flag: 1 << i for i, flag in enumerate(settings.vocabularies.flags[:62])}
    raw: dict[str, list[int]] = {name: [] for name in (*_DATES, *codes, "flags", "on_time", "answered_on_time")}
    raw.update(reviewed=[], petitioners=[], households=[])
    for view in site.records:
        facts, fields = view.facts, view.facts.fields
        if fields["external"] or fields["archived"] or fields["date_precision"]:
            continue
        timeline = facts.timeline
        stages = [(kind, day, days) for kind, day, days in timeline.stages if day <= as_of]
        procedure = limits[timeline.procedure]
        received = fields["received"]
        decided = min((day for kind, day, _ in stages if kind in _DECIDING), default=None)
        answered = min((day for kind, day, _ in stages if kind == "答复"), default=None)
        raw["received"].append(received.toordinal())
        raw["decided"].append(decided.toordinal() if decided else 0)
        raw["answered"].append(answered.toordinal() if answered else 0)
        raw["closed"].append(facts.closed.toordinal() if facts.closed and facts.closed <= as_of else 0)
        raw["on_time"].append(int(decided is not None and (decided - received).days <= procedure.accept_days))
        raw["answered_on_time"].append(
            int(answered is not None and answered <= _answer_due(stages, answered, received, procedure))
        )
        raw["reviewed"].append(int(any(kind == "复查申请" for kind, _, _ in stages)))
        raw["domain"].append(codes["domain"](fields["domain"]))
        raw["district"].append(codes["district"](view.district))
        raw["unit"].append(codes["unit"](facts.lead_unit))
        case_class = view.case_class
        raw["class"].append(codes["class"](f"{case_class.id} {case_class.name}" if case_class else UNCLASSIFIED))
        raw["channel"].append(codes["channel"](fields["channel"]))
        raw["category"].append(codes["category"](fields["category"]))
        known = facts.known and facts.outcome is not None
        raw["outcome"].append(codes["outcome"](facts.outcome if known else NOT_CLOSED))
        raw["route"].append(codes["route"](facts.route))
        raw["decision"].append(codes["decision"](facts.decision))
        raw["unit_rating"].append(codes["unit_rating"](facts.unit_rating or UNRATED))
        raw["office_rating"].append(codes["office_rating"](facts.office_rating or UNRATED))
        raw["flags"].append(sum(bits.get(flag, 0) for flag in set(fields["flags"])))
        raw["petitioners"].append(facts.petitioners)
        raw["households"].append(facts.households or 0)
        table.timelines.append(timeline)
        table.states_now.append(facts.deadline.state)
    table.columns = {name: np.array(values, dtype=np.int64) for name, values in raw.items()}
    return table


def _answer_due(
    stages: list[tuple[str, dt.date, int | None]], answered: dt.date | None, received: dt.date, limits: Any
) -> dt.date:
    """When the first answer was due: the handling time from the latest acceptance before it (from the
    acceptance deadline when none is recorded), extended by the 延期 granted before it."""
    if answered is None:
        return dt.date.min
    accepted = max((day for kind, day, _ in stages if kind in _ACCEPTING and day <= answered), default=None)
    start = accepted if accepted is not None else received + dt.timedelta(days=limits.accept_days)
    extension = sum(days or 0 for kind, day, days in stages if kind == "延期" and day <= answered)
    return start + dt.timedelta(days=limits.handle_days + extension)


# ── computing ───────────────────────────────────────────────────────────────


class Statistics:
    """The statistics of one site model: `compute` the periods a page or report shows."""

    def __init__(self, site: SiteModel) -> None:
        self.settings = site.settings
        self.as_of = site.as_of
        self.table = record_table(site)
        self.indicators = list(site.settings.indicators)
        # what pages and the annex show first: those marked headline, or else the first six
        self.headline = [i for i in self.indicators if i.headline] or self.indicators[:6]
        self.domain_order = {d.name: n for n, d in enumerate(site.settings.vocabularies.domains)}
        self._states: dict[dt.date, np.ndarray] = {}
        self._members: dict[tuple[dt.date, dt.date, str | None], list[tuple[np.ndarray, np.ndarray | None]]] = {}
        self._counted: dict[tuple[dt.date, dt.date, str, str | None], dict[int, dict[str, Figure]]] = {}
        self._domain_dates: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._status_rows: dict[tuple[str, dt.date], np.ndarray] = {}

    @cached_property
    def _masks(self) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """indicator name → (its records, its numerator's) as boolean columns (period aside)."""
        found = {}
        for indicator in self.indicators:
            base = self._matching(indicator.where)
            numerator = base & self._matching(indicator.numerator) if indicator.numerator is not None else None
            found[indicator.name] = (base, numerator)
        return found

    def _matching(self, conditions: IndicatorFilter) -> np.ndarray:
        table, columns = self.table, self.table.columns
        mask = np.ones(len(table), dtype=bool)
        for name in ("channel", "category", "domain", "outcome", "route", "decision", "unit_rating", "office_rating"):
            wanted = getattr(conditions, name)
            if wanted is not None:
                mask &= np.isin(columns[name], table.codes[name].codes_of(wanted))
        if conditions.flags is not None:
            bits = sum(table.flag_bits.get(flag, 0) for flag in set(conditions.flags))
            mask &= (columns["flags"] & bits) != 0
        for name, column in (
            ("decided_on_time", "on_time"),
            ("answered_on_time", "answered_on_time"),
            ("reviewed", "reviewed"),
        ):
            wanted = getattr(conditions, name)
            if wanted is not None:
                mask &= columns[column] == int(wanted)
        return mask

    @cached_property
    def _by_date(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """indicator name → (its records' rows, sorted by the date it counts by; those dates): a period's
        records are then a slice found by bisection, not a pass over every record."""
        found = {}
        columns = self.table.columns
        for indicator in self.indicators:
            if indicator.date == "status":
                continue
            dates = columns[indicator.date]
            rows = np.flatnonzero(self._masks[indicator.name][0] & (dates > 0))
            rows = rows[np.argsort(dates[rows], kind="stable")]
            found[indicator.name] = (rows, dates[rows])
        return found

    def _by_date_in(self, name: str, domain: str | None) -> tuple[np.ndarray, np.ndarray]:
        """_by_date of one 问题领域's records (kept: every page of that domain asks for it)."""
        if domain is None:
            return self._by_date[name]
        key = (name, domain)
        found = self._domain_dates.get(key)
        if found is None:
            rows, dates = self._by_date[name]
            inside = np.isin(self.table.columns["domain"][rows], self.table.codes["domain"].codes_of([domain]))
            found = self._domain_dates[key] = (rows[inside], dates[inside])
        return found

    def _in_state(self, indicator: Indicator, day: dt.date) -> np.ndarray:
        """The rows a `status` indicator counts on `day` (kept: each page of a year asks for the same days)."""
        key = (indicator.name, day)
        found = self._status_rows.get(key)
        if found is None:
            codes = [STATE_CODES[s] for s in (indicator.where.state or [])]
            base = self._masks[indicator.name][0]
            received = self.table.columns["received"] <= day.toordinal()
            found = self._status_rows[key] = np.flatnonzero(base & received & np.isin(self.states_on(day), codes))
        return found

    def members(self, period: Period, domain: str | None) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per indicator (settings order): the rows it counts in `period` (a domain's only, when given),
        and those of its numerator. Kept: a page asks for the same period by five dimensions."""
        key = (period.start, period.end, domain)
        found = self._members.get(key)
        if found is not None:
            return found
        columns = self.table.columns
        found = []
        for indicator in self.indicators:
            numerator = self._masks[indicator.name][1]
            if indicator.date == "status":
                rows = self._in_state(indicator, period.end)
                if domain is not None:
                    rows = rows[np.isin(columns["domain"][rows], self.table.codes["domain"].codes_of([domain]))]
            else:
                ordered, dates = self._by_date_in(indicator.name, domain)
                low = np.searchsorted(dates, period.start.toordinal(), side="left")
                high = np.searchsorted(dates, period.end.toordinal(), side="right")
                rows = ordered[low:high]
            found.append((rows, rows[numerator[rows]] if numerator is not None else None))
        self._members[key] = found
        return found

    def counted(self, period: Period, dimension: str, domain: str | None) -> dict[int, dict[str, Figure]]:
        """group code → indicator name → figure: `dimension` "all" has the one group 0."""
        key = (period.start, period.end, dimension, domain)
        found = self._counted.get(key)
        if found is None:
            found = self._counted[key] = self._count(period, dimension, domain)
        return found

    def _count(self, period: Period, dimension: str, domain: str | None) -> dict[int, dict[str, Figure]]:
        columns = self.table.columns
        everything = dimension == "all"
        size = 1 if everything else len(self.table.codes[dimension].values)
        result: dict[int, dict[str, Figure]] = {}
        for indicator, (rows, tops_rows) in zip(self.indicators, self.members(period, domain), strict=True):
            groups = np.zeros(len(rows), dtype=np.int64) if everything else columns[dimension][rows]
            weights = columns[indicator.sum][rows] if indicator.kind == "sum" and indicator.sum else None
            counted = np.bincount(groups, weights=weights, minlength=size)
            tops = None
            if tops_rows is not None:
                top_groups = np.zeros(len(tops_rows), dtype=np.int64) if everything else columns[dimension][tops_rows]
                tops = np.bincount(top_groups, minlength=size)
            for code in [0] if everything else np.flatnonzero(counted).tolist():
                if tops is not None:
                    figure = Figure(indicator, int(tops[code]), int(counted[code]))
                else:
                    total = float(counted[code])
                    figure = Figure(indicator, int(total) if total.is_integer() else total)
                result.setdefault(code, {})[indicator.name] = figure
        if not everything:  # every group with a record in any figure shows every indicator, in settings order
            for code, figures in result.items():
                result[code] = {i.name: figures.get(i.name) or _empty(i) for i in self.indicators}
        return result

    @cached_property
    def months(self) -> MonthCube:
        return MonthCube(self)

    def compute(self, periods: Sequence[Period]) -> FigureTable:
        """The figures of each period (counted up to the build's date), overall and by every dimension."""
        return FigureTable(self, [period.until(self.as_of) for period in periods])

    def states_on(self, day: dt.date) -> np.ndarray:
        """Each row's deadline state on `day` (codes of STATE_CODES); the facts' own on the build's date.
        Kept per day: every page of a year asks for the same few days."""
        found = self._states.get(day)
        if found is None:
            found = self._states[day] = self._states_on(day)
        return found

    def _states_on(self, day: dt.date) -> np.ndarray:
        if day >= self.as_of:
            return np.array([STATE_CODES.get(state, -1) for state in self.table.states_now], dtype=np.int64)
        columns = self.table.columns
        limit = day.toordinal()
        # received by then, and not closed by then: only those can be open (the others need no clock)
        candidates = np.flatnonzero(
            (columns["received"] <= limit) & ~((columns["closed"] > 0) & (columns["closed"] <= limit))
        )
        states = np.full(len(self.table), -1, dtype=np.int64)
        for row in candidates.tolist():
            states[row] = STATE_CODES.get(deadline_on(self.table.timelines[row], self.settings, day).state, -1)
        return states


STATE_CODES = {"正常": 0, "临期": 1, "逾期": 2, "已答复": 3, "已办结": 4}


class FigureTable:
    """The figures of some periods: overall, for one 问题领域, and by dimension."""

    def __init__(self, stats: Statistics, periods: list[Period]) -> None:
        self.stats = stats
        self.periods = {period.key: period for period in periods}

    def figures(self, period: Period, domain: str | None = None) -> dict[str, Figure]:
        """indicator name → figure, in settings order: all records, or one 问题领域's."""
        by_value = self._by(period, "all", domain)
        return by_value.get(0) or {i.name: _empty(i) for i in self.stats.indicators}

    def breakdown(self, period: Period, dimension: str, domain: str | None = None) -> dict[str, dict[str, Figure]]:
        """value of `dimension` → figures, for the values with any record: 问题领域 in the settings' order
        (as everywhere else; one not listed there last), any other dimension by value."""
        by_value = self._by(period, dimension, domain)
        values = self.stats.table.codes[dimension].values
        order = self.stats.domain_order if dimension == "domain" else {}
        ranked = sorted(by_value, key=lambda c: (order.get(values[c], len(order)), values[c]))
        return {values[code]: by_value[code] for code in ranked}

    def _by(self, period: Period, dimension: str, domain: str | None) -> dict[int, dict[str, Figure]]:
        return self.stats.counted(self.periods.get(period.key, period).until(self.stats.as_of), dimension, domain)


def _empty(indicator: Indicator) -> Figure:
    return Figure(indicator, 0, 0 if indicator.kind == "rate" else None)


def monthly(stats: Statistics, year: int, domain: str | None = None) -> dict[str, list[Figure | None]]:
    """indicator name → its figure in each month of `year` (None after the build's date, and for
    a `status` indicator, which is counted on a day rather than over a month)."""
    return stats.months.year(year, domain)


class MonthCube:
    """Every indicator's counts by month and 问题领域, from one bincount each: a statistics page per
    year and domain reads its trend from here (a figures() call per month and page took seconds
    at 100,000 records)."""

    def __init__(self, stats: Statistics) -> None:
        self.stats = stats
        table, columns = stats.table, stats.table.columns
        self.first = stats.as_of.year  # the first year with a record
        if len(table):
            self.first = min(self.first, dt.date.fromordinal(int(columns["received"].min())).year)
        self.domains = len(table.codes["domain"].values) or 1
        months = (stats.as_of.year - self.first + 1) * 12
        self.counted: dict[str, np.ndarray] = {}
        self.tops: dict[str, np.ndarray] = {}
        self._years: dict[tuple[int, str | None], dict[str, list[Figure | None]]] = {}
        last = stats.as_of.toordinal()
        for indicator in stats.indicators:
            if indicator.date == "status":
                continue
            dates = columns[indicator.date]
            base, numerator = stats._masks[indicator.name]
            inside = (dates > 0) & (dates <= last) & (dates >= dt.date(self.first, 1, 1).toordinal())
            index = self._month_index(dates) * self.domains + columns["domain"]
            size = months * self.domains
            chosen = base & inside
            weights = columns[indicator.sum][chosen] if indicator.kind == "sum" and indicator.sum else None
            self.counted[indicator.name] = np.bincount(index[chosen], weights=weights, minlength=size).reshape(
                months, self.domains
            )
            if numerator is not None:
                self.tops[indicator.name] = np.bincount(index[numerator & inside], minlength=size).reshape(
                    months, self.domains
                )

    def _month_index(self, ordinals: np.ndarray) -> np.ndarray:
        """Months since January of the first year, of each day number (0 for none: clipped by the caller)."""
        safe = np.where(ordinals > 0, ordinals, dt.date(self.first, 1, 1).toordinal())
        # day numbers are proleptic ordinals (0001-01-01 is 1): from numpy's epoch, numpy reads the month
        stamps = (safe - dt.date(1970, 1, 1).toordinal()).astype("datetime64[D]")
        months_since_1970 = stamps.astype("datetime64[M]").astype(np.int64)
        return months_since_1970 - (self.first - 1970) * 12

    def year(self, year: int, domain: str | None = None) -> dict[str, list[Figure | None]]:
        found = self._years.get((year, domain))
        if found is None:
            found = self._years[(year, domain)] = self._year(year, domain)
        return found

    def _year(self, year: int, domain: str | None) -> dict[str, list[Figure | None]]:
        stats = self.stats
        codes = stats.table.codes["domain"].codes_of([domain]) if domain is not None else None
        series: dict[str, list[Figure | None]] = {}
        for indicator in stats.indicators:
            figures: list[Figure | None] = []
            for month in range(1, 13):
                at = (year - self.first) * 12 + month - 1
                counted = self.counted.get(indicator.name)
                if counted is None or at < 0 or at >= counted.shape[0] or dt.date(year, month, 1) > stats.as_of:
                    figures.append(None)
                    continue
                row = counted[at] if codes is None else counted[at][codes]
                total = float(row.sum())
                tops = self.tops.get(indicator.name)
                if tops is not None:
                    top = tops[at] if codes is None else tops[at][codes]
                    figures.append(Figure(indicator, int(top.sum()), int(total)))
                else:
                    figures.append(Figure(indicator, int(total) if total.is_integer() else total))
            series[indicator.name] = figures
        return series


def class_figures(stats: Statistics, open_by_class: Mapping[str, int]) -> dict[str, list[tuple[str, str]]]:
    """类案 id → (label, figure) of its records to date: 记录, the headline rates, 在办 (`open_by_class`:
    the class ledgers' own count, made already), and the headline 逾期 and 临期."""
    if not stats.indicators or not len(stats.table):
        return {}
    always = Period(dt.date.min, stats.as_of, "all", "累计")
    groups = stats.compute([always]).breakdown(always, "class")
    rates = [i for i in stats.indicators if i.headline and i.kind == "rate"]
    states = [i for i in stats.indicators if i.date == "status" and i.headline]
    found: dict[str, list[tuple[str, str]]] = {}
    for key, figures in groups.items():
        class_id = key.split(" ", 1)[0]
        total = figures.get(TOTAL)
        shown = [("记录", total.text if total is not None else "")]
        shown += [(i.name, figures[i.name].text) for i in rates]
        shown.append(("在办", f"{open_by_class.get(class_id, 0)}件"))
        shown += [(i.name, figures[i.name].text) for i in states]
        found[class_id] = shown
    return found
