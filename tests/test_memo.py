"""The segmentation memo (memo.SegmentMemo): words read back are shared, a damaged file is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.memo import SEGMENTS_FILE, SegmentMemo


def test_words_read_back_are_one_string_each(tmp_path: Path) -> None:
    memo = SegmentMemo(tmp_path)
    memo.save("f", {"拖欠工资。": ["拖欠", "工资"], "工资未付。": ["工资", "未付"]})
    again = SegmentMemo(tmp_path).for_fingerprint("f")
    assert again == {"拖欠工资。": ["拖欠", "工资"], "工资未付。": ["工资", "未付"]}
    assert again["拖欠工资。"][1] is again["工资未付。"][0]
    assert SegmentMemo(tmp_path).for_fingerprint("other") == {}


@pytest.mark.parametrize(
    "sentences", [{"句子。": [1, 2]}, {"句子。": "拖欠"}, {"句子。": None}, {"句子。": [["拖欠"]]}]
)
def test_a_damaged_memo_is_not_used(tmp_path: Path, sentences: object) -> None:
    (tmp_path / SEGMENTS_FILE).write_text(json.dumps({"fingerprint": "f", "sentences": sentences}), encoding="utf-8")
    assert SegmentMemo(tmp_path).for_fingerprint("f") == {}
