"""Issue 15: cells as offices fill them in, and record files that read back as written."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.importer.cells import date_of, int_of, items_of, key_text, sentences_of, text_of
from generator.importer.convert import Vocabularies
from generator.importer.emit import record_yaml, scalar
from generator.importer.provenance import canonical, flatten, nest
from generator.load import parse_yaml

MAY_6 = dt.date(2024, 5, 6)


@pytest.mark.parametrize(
    "cell",
    [
        dt.datetime(2024, 5, 6),
        MAY_6,
        45418,  # Excel's serial number, stored as a plain number
        45418.0,
        "45418",
        "2024年5月6日",
        "2024.5.6",
        "2024/05/06",
        "2024-05-06",
        "2024年05月06日",
        " 2024-05-06 ",
        "２０２４年５月６日",
        "2024-05-06 09:30",
        "20240506",
    ],
)
def test_every_date_spelling_reads_as_the_day(cell: object) -> None:
    assert date_of(cell) == MAY_6


@pytest.mark.parametrize("cell", ["2024年13月5日", "2024-02-30", "5月6日", "若干", 12, 3.5, "", None, "2024"])
def test_what_is_no_date_reads_as_none(cell: object) -> None:
    assert date_of(cell) is None


@pytest.mark.parametrize(
    ("cell", "number"),
    [(5, 5), (5.0, 5), ("5", 5), (" 12 ", 12), ("５人", 5), ("46户", 46), ("若干", None), (2.5, None)],
)
def test_counts_written_as_text_or_numbers(cell: object, number: int | None) -> None:
    assert int_of(cell) == number


def test_texts_are_trimmed_and_whole_numbers_lose_their_point() -> None:
    assert text_of("  锦绣花园\u3000") == "锦绣花园"
    assert text_of(13812345678.0) == "13812345678"
    assert key_text(" ＸＪ２０２４０５ 00123 ") == "XJ20240500123"


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("1.一次性付清尾款2.尽快分配到户", ["一次性付清尾款", "尽快分配到户"]),
        ("1、办证；2、退还费用", ["办证", "退还费用"]),
        ("（1）补发工资（2）缴纳社保", ["补发工资", "缴纳社保"]),
        ("补发工资；缴纳社保", ["补发工资", "缴纳社保"]),
        ("补发工资\n缴纳社保", ["补发工资", "缴纳社保"]),
        ("退还 3.5 万元押金", ["退还 3.5 万元押金"]),
        ("2024.5.6 前办结", ["2024.5.6 前办结"]),
    ],
)
def test_demands_split_as_numbered_or_listed(cell: str, items: list[str]) -> None:
    assert sentences_of(cell) == items


def test_list_cells_split_on_the_usual_separators() -> None:
    assert items_of("集体访、重复访，越级访") == ["集体访", "重复访", "越级访"]


def test_regions_match_however_they_are_written() -> None:
    vocab = Vocabularies(
        {"regions": ["某市", "某市/城东区", "某市/城东区/和平街道", "某市/城西区", "某市/城西区/和平街道"]}
    )
    assert vocab.match("regions", "城东区和平街道") == "某市/城东区/和平街道"
    assert vocab.match("regions", "城东区/和平街道") == "某市/城东区/和平街道"
    assert vocab.match("regions", "某市 城东区") == "某市/城东区"
    assert vocab.match("regions", "和平街道") == "和平街道"  # two districts have one: left for the check to name


# as the importer makes texts from any cell (text_of), never empty
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30).map(
    lambda text: text_of(text) or "x"
)


@given(st.lists(TEXT, min_size=1, max_size=4), TEXT, st.integers(1, 10**6))
def test_a_record_file_reads_back_as_the_values_written(texts: list[str], title: str, count: int) -> None:
    values = {
        "id": "XF-2024-0001",
        "title": title,
        "received": MAY_6,
        "summary": "\n".join(texts),
        "demands": texts,
        "petitioners": {"count": count, "kind": texts[0]},
        "stages": [{"stage": "登记", "date": MAY_6}],
    }
    loaded, issues = parse_yaml(record_yaml(values, "由 casebook import 导入"))
    assert issues == [] and loaded is not None
    assert canonical(loaded.data) == canonical(values)


@pytest.mark.parametrize("text", ["2024-05-06", "12:30", "true", "no", "- x", "a: b", "#x", "*x", "1e5", "", " x"])
def test_scalars_yaml_would_misread_are_quoted(text: str) -> None:
    loaded, _ = parse_yaml(f"v: {scalar(text)}\n")
    assert loaded is not None and loaded.data["v"] == text


def test_flatten_and_nest_are_inverse() -> None:
    values = {"a": 1, "b": {"c": [1, 2], "d": {"e": "x"}}}
    assert flatten(values) == {"a": 1, "b.c": [1, 2], "b.d.e": "x"}
    assert nest(flatten(values)) == values
