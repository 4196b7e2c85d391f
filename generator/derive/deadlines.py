"""Record + time limits + as-of date → which clock is running, when it is due, its state.

The 信访工作条例 sets the clocks (Art. 22: accept within 15 days; Art. 34:
handle within 60 days of acceptance, extendable once; Art. 35–36: review and
second review within 30 days of the request). Localities shorten them, so
the days come from settings.yaml's procedures, never from code.

An archived or outside case, one whose dates are known only to the year or
month, and one whose outcome is 不详 run no clock: their state is 不计时限.

Only what had happened by the as-of date counts: stages dated later are
ignored, so a past as-of date shows the ledger as it stood that day.
Days are calendar days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ..contract import CaseRecord, Procedure, Settings

DeadlineState = Literal["正常", "临期", "逾期", "已答复", "已办结", "不计时限", "未收到"]
OPEN_STATES = ("正常", "临期", "逾期")


@dataclass(frozen=True)
class Deadline:
    """The running time limit of one record as of a date."""

    state: DeadlineState
    clock: str | None = None  # 受理 / 办理 / 复查 / 复核: what is due
    started: dt.date | None = None
    due: dt.date | None = None
    days_left: int | None = None  # negative when overdue
    extended_days: int = 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def procedure_of(record: CaseRecord, settings: Settings) -> tuple[str, Procedure]:
    name = record.procedure or settings.time_limits.default_procedure
    return name, settings.time_limits.procedures[name]


@dataclass(frozen=True)
class Timeline:
    """What a record's deadline follows from: kept in its facts (facts.py), so the statistics can
    tell its state on any date (逾期 at the end of last year's quarter) without its model."""

    received: dt.date
    untimed: bool
    closed: dt.date | None  # the resolution's 办结日期 (not a 终结 stage's)
    procedure: str
    stages: tuple[tuple[str, dt.date, int | None], ...]  # (环节, date, 延期天数) in file order


def timeline_of(record: CaseRecord, settings: Settings) -> Timeline:
    return Timeline(
        received=record.received,
        untimed=untimed(record),
        closed=record.resolution.closed if record.resolution else None,
        procedure=procedure_of(record, settings)[0],
        stages=tuple((stage.stage, stage.date, stage.days) for stage in record.stages),
    )


def deadline(record: CaseRecord, settings: Settings, as_of: dt.date) -> Deadline:
    """The deadline state of `record` on `as_of`."""
    return deadline_on(timeline_of(record, settings), settings, as_of)


def deadline_on(timeline: Timeline, settings: Settings, as_of: dt.date) -> Deadline:
    """The deadline state on `as_of` of a record with this timeline."""
    if timeline.received > as_of:
        return Deadline("未收到")
    if timeline.untimed:
        return Deadline("不计时限")
    closed = timeline.closed
    stages = [stage for stage in timeline.stages if stage[1] <= as_of]
    limits = settings.time_limits.procedures[timeline.procedure]

    def last(*kinds: str) -> dt.date | None:
        dates = [date for kind, date, _ in stages if kind in kinds]
        return max(dates) if dates else None

    recheck_request, recheck = last("复核申请"), last("复核")
    if recheck_request and not (recheck and recheck >= recheck_request):
        return _running("复核", recheck_request, limits.recheck_days, 0, settings, as_of)
    review_request, review = last("复查申请"), last("复查")
    if review_request and not (review and review >= review_request):
        return _running("复查", review_request, limits.review_days, 0, settings, as_of)
    if closed is not None and closed <= as_of:
        return Deadline("已办结")
    if last("终结"):
        return Deadline("已办结")
    if last("答复"):
        return Deadline("已答复")
    accepted = last("受理", "转送", "交办")
    if last("不予受理"):
        return Deadline("已答复")
    if accepted:
        extension = sum(days or 0 for kind, _, days in stages if kind == "延期")
        return _running("办理", accepted, limits.handle_days, extension, settings, as_of)
    return _running("受理", timeline.received, limits.accept_days, 0, settings, as_of)


def untimed(record: CaseRecord) -> bool:
    """No clock runs for it: an archived or outside case, dates known only to the year or month, or
    an outcome the source does not give (不详) — a time limit computed from them would be invented
    (an archived case showed 超期 2571 日 in the 督办 list)."""
    outcome = record.resolution.outcome if record.resolution is not None else None
    return record.for_reference or record.date_precision is not None or outcome == "不详"


def _running(clock: str, started: dt.date, days: int, extension: int, settings: Settings, as_of: dt.date) -> Deadline:
    due = started + dt.timedelta(days=days + extension)
    left = (due - as_of).days
    if left < 0:
        state: DeadlineState = "逾期"
    elif left <= settings.time_limits.warning_days:
        state = "临期"
    else:
        state = "正常"
    return Deadline(state, clock, started, due, left, extension)
