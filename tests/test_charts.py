"""Build-time SVG charts (generator/render/charts.py): well-formed, offline, escaped, deterministic."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest

from generator.render.charts import (
    FONT_FAMILY,
    MISSING,
    NO_DATA,
    Series,
    bar_chart,
    format_value,
    line_chart,
    nice_ticks,
    text_width,
    x_label_indices,
)

HOSTILE = "<script>alert(1)</script>"
ATTRIBUTE = '" onload="x'
MONTHS = [f"{year}-{month:02d}" for year in (2023, 2024) for month in range(1, 13)]
OFFICES = ["城乡建设", "劳动社保", "征地拆迁", "城东区住房和城乡建设局"]


def samples() -> list[str]:
    """One output of each kind and edge case, for the checks that hold for all of them."""
    volume = [1260 + 10 * index if index % 7 else None for index in range(24)]
    return [
        bar_chart("各类信访事项", OFFICES, [1260, 985, None, 1534], unit="件"),
        bar_chart("按期办结率", OFFICES, [0.875, 0.93, 1.0, 0.6], percent=True),
        bar_chart(HOSTILE, [HOSTILE, ATTRIBUTE, "&amp; 'x'"], [1, 2, 3], unit=HOSTILE),
        line_chart("月度信访总量", MONTHS, [Series("信访总量", volume), Series("网上信访", [3.5] * 24)], unit="人次"),
        line_chart("满意率", [f"{m}月" for m in range(1, 13)], [Series("满意率", [0.9] * 12)], percent=True),
        line_chart(
            HOSTILE, [HOSTILE, ATTRIBUTE], [Series(HOSTILE, [1, None]), Series(ATTRIBUTE, [None, 2])], unit=ATTRIBUTE
        ),
        bar_chart("空", [], []),
        line_chart("空", [], []),
        bar_chart("零", ["甲", "乙"], [0, 0]),
        bar_chart("无", ["甲", "乙"], [None, None]),
        line_chart("零", MONTHS, [Series("甲", [0] * 24)]),
        line_chart("无", MONTHS, [Series("甲", [None] * 24)], percent=True),
        line_chart("无线", ["1月"], []),
        bar_chart("城东区住房和城乡建设局" * 8, ["a"], [123456789], unit="人次" * 30),
    ]


def texts(svg: str) -> list[str]:
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter("text")]


def titles(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter("title")]


@pytest.mark.parametrize("svg", samples())
def test_every_output_is_an_accessible_svg(svg: str) -> None:
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    assert root.get("role") == "img"
    assert root[0].tag == "title" and root[0].text == root.get("aria-label")
    assert re.fullmatch(r"0 0 640 \d+(\.\d)?", root.get("viewBox", ""))
    assert root.get("width") == "100%"
    assert root.get("font-family") == FONT_FAMILY
    assert "min-width:480px" in root.get("style", "")


def assert_text_inside(svg: str) -> None:
    """Every text's estimated extent lies within the 640 px width."""
    for element in ET.fromstring(svg).iter("text"):
        size = int(element.get("font-size", "13"))
        x, width = float(element.get("x", "0")), text_width("".join(element.itertext()), size)
        start = {"end": x - width, "middle": x - width / 2}.get(element.get("text-anchor", ""), x)
        assert start >= 0 and start + width <= 640, element.text


@pytest.mark.parametrize("svg", samples())
def test_text_stays_inside_the_view_box(svg: str) -> None:
    assert_text_inside(svg)


@pytest.mark.parametrize("svg", samples())
def test_no_external_reference(svg: str) -> None:
    lowered = svg.lower()
    for forbidden in ("http", "href", "url(", "<image", "<script", "xmlns", "@import"):
        assert forbidden not in lowered


@pytest.mark.parametrize("svg", samples())
def test_coordinates_have_at_most_one_decimal(svg: str) -> None:
    for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height"):
        for value in re.findall(rf' {name}="([^"]*)"', svg):
            assert re.fullmatch(r"\d+(\.\d)?|100%", value), (name, value)
    for d in re.findall(r' d="([^"]*)"', svg):
        assert re.fullmatch(r"(M|L)\d+(\.\d)? \d+(\.\d)?((M|L)\d+(\.\d)? \d+(\.\d)?)+", d)


def test_hostile_text_is_escaped_and_round_trips() -> None:
    svg = bar_chart(HOSTILE, [HOSTILE, ATTRIBUTE], [1, 2], unit=HOSTILE)
    assert "<script" not in svg and 'onload="' not in svg
    root = ET.fromstring(svg)
    assert root.get("aria-label") == HOSTILE
    assert titles(svg)[0] == HOSTILE
    assert f"{HOSTILE}：1<scri…" in titles(svg)  # a unit prints 6 characters at most
    assert f"{ATTRIBUTE}：2<scri…" in titles(svg)
    assert ATTRIBUTE in texts(svg)

    svg = line_chart(HOSTILE, [HOSTILE, "b"], [Series(ATTRIBUTE, [1, 2]), Series(HOSTILE, [3, None])])
    assert "<script" not in svg and 'onload="' not in svg
    assert ATTRIBUTE in texts(svg) and HOSTILE in texts(svg)  # legend
    assert f"{HOSTILE} {HOSTILE}：3" in titles(svg)


def test_control_characters_cannot_break_the_document() -> None:
    svg = bar_chart("a\x00b", ["c\x1bd\ne"], [1])
    assert ET.fromstring(svg).get("aria-label") == "ab"
    assert "cd e" in texts(svg)


def test_deterministic() -> None:
    assert samples() == samples()


def test_number_formatting() -> None:
    assert format_value(1260, unit="件") == "1,260件"
    assert format_value(1260.0) == "1,260"
    assert format_value(1234567.25, unit="万元") == "1,234,567.2万元"
    assert format_value(2.96) == "3"
    assert format_value(0.875, percent=True) == "87.5%"
    assert format_value(1, percent=True) == "100.0%"
    assert format_value(None, unit="件") == MISSING == "—"
    assert format_value(5, unit="人次人次人次人次") == "5人次人次人…"

    svg = bar_chart("t", ["城乡建设", "劳动社保", "征地拆迁"], [1260, None, 0.5], unit="件")
    assert {"1,260件", "—", "0.5件"} <= set(texts(svg))
    assert {"城乡建设：1,260件", "劳动社保：—", "征地拆迁：0.5件"} <= set(titles(svg))
    assert "87.5%" in texts(bar_chart("t", ["a"], [0.875], percent=True))


def test_none_bar_has_no_bar() -> None:
    svg = bar_chart("t", ["a", "b"], [None, 5])
    assert svg.count('fill="#c62828"/>') == 1


def test_negative_and_non_finite_values() -> None:
    svg = bar_chart("t", ["a", "b", "c"], [-5, float("nan"), float("inf")])
    assert {"a：0", f"b：{MISSING}", f"c：{MISSING}"} <= set(titles(svg))
    assert "-" not in "".join(re.findall(r'width="([^"]*)"', svg))


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart("空", [], []),
        line_chart("空", [], [Series("甲", [])]),
    ],
)
def test_empty_input_says_no_data(svg: str) -> None:
    assert NO_DATA in texts(svg)


def test_all_zero_or_none_axis_runs_zero_to_one() -> None:
    assert "1.0" in texts(bar_chart("零", ["甲"], [0]))
    assert "1.0" in texts(line_chart("无", MONTHS, [Series("甲", [None] * 24)]))
    assert "100%" in texts(line_chart("无", MONTHS, [Series("甲", [None] * 24)], percent=True))


def test_mismatched_lengths_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        bar_chart("t", ["a", "b"], [1])
    with pytest.raises(ValueError):
        line_chart("t", ["a", "b"], [Series("s", [1])])


def test_long_label_is_cut_but_kept_whole_in_the_title() -> None:
    label = "城东区住房和城乡建设局关于老旧小区改造"
    svg = bar_chart("t", [label, "城乡建设"], [3, 4], unit="件")
    shown = [text for text in texts(svg) if text.startswith("城东区")]
    assert shown == [label[:11] + "…"]
    assert f"{label}：3件" in titles(svg)
    assert "城乡建设" in texts(svg)  # short labels are whole


def test_bars_start_at_one_x_and_values_stay_inside() -> None:
    svg = bar_chart("t", ["短", "城东区住房和城乡建设局"], [123456789, 5], unit="人次人次人次")
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="16"', svg)
    assert len({x for x, _ in bars}) == 1
    for x, _width in bars:
        assert float(x) > 0
    assert_text_inside(svg)


def test_line_chart_prints_at_most_twelve_x_labels_first_and_last() -> None:
    svg = line_chart("t", MONTHS, [Series("s", list(range(24)))])
    printed = [text for text in texts(svg) if text in MONTHS]
    assert 2 <= len(printed) <= 12
    assert printed[0] == "2023-01" and printed[-1] == "2024-12"
    months = [f"{m}月" for m in range(1, 13)]
    assert [text for text in texts(line_chart("t", months, [Series("s", [1] * 12)])) if text in months] == months


def test_x_label_thinning_is_even_and_never_too_tight() -> None:
    for count in range(1, 80):
        names = [f"{n:07d}" for n in range(count)]
        chosen = x_label_indices(names, spacing=560 / max(count - 1, 1))
        assert chosen == sorted(set(chosen)) and len(chosen) <= 12
        assert chosen[0] == 0 and chosen[-1] == count - 1
        gaps = [b - a for a, b in itertools.pairwise(chosen)]
        if gaps:
            assert max(gaps) - min(gaps) <= 1
            if len(chosen) > 2:
                assert min(gaps) * 560 / (count - 1) >= 7 * 13 * 0.6


def test_none_breaks_the_line_and_a_lone_point_is_a_dot() -> None:
    svg = line_chart("t", ["a", "b", "c", "d", "e", "f"], [Series("s", [1, 2, None, 4, None, 5])])
    paths = re.findall(r'<path d="([^"]*)"', svg)
    assert len(paths) == 1 and paths[0].count("L") == 1  # a–b; d and f stand alone
    assert svg.count("<circle") == 4  # one per value, none for the gaps
    assert {"a：1", "d：4", "f：5"} <= set(titles(svg))


def test_legend_only_for_two_or_more_series() -> None:
    one = line_chart("t", ["a", "b"], [Series("信访总量", [1, 2])])
    two = line_chart("t", ["a", "b"], [Series("2023年", [1, 2]), Series("2024年", [2, 3])])
    assert "信访总量" not in texts(one)
    assert {"2023年", "2024年"} <= set(texts(two))
    assert 'stroke="#c62828"' in two and 'stroke="#1565c0"' in two


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (37, [0, 10, 20, 30, 40]),
        (100, [0, 20, 40, 60, 80, 100]),
        (1534, [0, 500, 1000, 1500, 2000]),
        (0.87, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (11, [0, 2.5, 5, 7.5, 10, 12.5]),
    ],
)
def test_nice_ticks(maximum: float, ticks: list[float]) -> None:
    assert nice_ticks(maximum) == pytest.approx(ticks)


@pytest.mark.parametrize("maximum", [0.003, 0.9, 1, 3, 7, 9.99, 51, 101, 999, 12345, 1e9])
def test_nice_ticks_properties(maximum: float) -> None:
    for whole in (False, True):
        ticks = nice_ticks(maximum, whole=whole)
        step = ticks[1]
        assert ticks[0] == 0 and 4 <= len(ticks) <= 6 and ticks[-1] >= maximum
        assert ticks == pytest.approx([index * step for index in range(len(ticks))])
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 2.5, 5)
        if whole:
            assert step >= 1


def test_percent_axis_runs_to_one_hundred() -> None:
    svg = bar_chart("t", ["a"], [0.87], percent=True)
    assert {"0%", "20%", "100%"} <= set(texts(svg))
    svg = line_chart("t", ["a", "b"], [Series("s", [0.5, 0.87])], percent=True)
    assert "100%" in texts(svg)


def test_counts_get_whole_ticks() -> None:
    svg = bar_chart("t", ["a"], [2], unit="件")
    assert "0.5" not in texts(svg) and {"0", "1", "2", "3"} <= set(texts(svg))
