"""Deadline states on the mini library with fixed as-of dates."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.derive.deadlines import deadline
from generator.validate import check_library
from tests.conftest import MINI, Scratch

D = dt.date


def record_and_settings(root=MINI, record_id="XF-2023-0002"):
    library, problems = check_library(root)
    assert problems == []
    record = next(doc.model for doc in library.records if doc.model.id == record_id)
    return record, library.settings.model


@pytest.mark.parametrize(
    ("as_of", "state", "due", "days_left"),
    [
        (D(2023, 4, 1), "未收到", None, None),
        (D(2023, 4, 2), "正常", D(2023, 4, 17), 15),  # not yet accepted: received + 15
        (D(2023, 4, 3), "正常", D(2023, 6, 2), 60),  # accepted 04-03: + 60
        (D(2023, 5, 26), "临期", D(2023, 6, 2), 7),  # warning window is 7 days
        (D(2023, 6, 2), "临期", D(2023, 6, 2), 0),  # due today is not yet overdue
        (D(2023, 6, 3), "逾期", D(2023, 6, 2), -1),
    ],
)
def test_open_record(as_of, state, due, days_left) -> None:
    record, settings = record_and_settings()
    result = deadline(record, settings, as_of)
    assert (result.state, result.due, result.days_left) == (state, due, days_left)


def test_extension_moves_the_due_date_and_later_stages_do_not_count_yet() -> None:
    record, settings = record_and_settings(record_id="XF-2023-0001")
    before = deadline(record, settings, D(2023, 5, 4))
    assert (before.clock, before.due, before.extended_days) == ("办理", D(2023, 5, 7), 0)
    after = deadline(record, settings, D(2023, 5, 6))
    assert (after.due, after.extended_days, after.state) == (D(2023, 6, 6), 30, "正常")
    assert deadline(record, settings, D(2023, 6, 1)).state == "已答复"
    assert deadline(record, settings, D(2023, 6, 20)).state == "已办结"


def test_review_request_starts_a_new_clock(mini: Scratch) -> None:
    mini.replace(
        "records/XF-2023-0001.yaml",
        "  - {stage: 答复, date: 2023-05-30, unit: 城东区住建局}\n",
        "  - {stage: 答复, date: 2023-05-30, unit: 城东区住建局}\n  - {stage: 复查申请, date: 2023-06-25}\n",
    )
    record, settings = record_and_settings(mini.root, "XF-2023-0001")
    result = deadline(record, settings, D(2023, 7, 20))
    assert (result.clock, result.due, result.state) == ("复查", D(2023, 7, 25), "临期")


def test_simple_procedure_uses_its_own_limits(mini: Scratch) -> None:
    mini.replace("records/XF-2023-0002.yaml", "summary:", "procedure: 简易程序\nsummary:")
    record, settings = record_and_settings(mini.root)
    assert deadline(record, settings, D(2023, 4, 3)).due == D(2023, 4, 13)
