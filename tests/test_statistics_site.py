"""Statistics on the site: indicator definitions validated with located errors, the 统计 pages and
the home page's figures equal to the engine's (tests/test_statistics.py checks the engine by hand),
links that filter the record list, and no statistics outside the internal edition.

Why no statistics in the training and public editions: they hold a chosen few records (or none),
so figures over them would describe nothing, and counts of the office's work are internal."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from generator.derive.site import derive_site
from generator.derive.statistics import Statistics, change_text, parse_period
from generator.render.statistics_pages import page_path, statistics_pages
from generator.validate import check_library
from tests.conftest import AS_OF, SAMPLE, Scratch, build_site

AS_OF_DAY = dt.date.fromisoformat(AS_OF)


@pytest.fixture(scope="module")
def sample_model():
    library, problems = check_library(SAMPLE)
    assert not [p for p in problems if not p.warning]
    return derive_site(library, "internal", AS_OF_DAY)


# ── definitions are checked where they are written ─────────────────────────


def _with_indicators(mini: Scratch, text: str) -> list[str]:
    mini.write("settings.yaml", mini.read("settings.yaml") + "\nindicators:\n" + text)
    return mini.problems()


def test_each_wrong_definition_is_reported_at_its_line(mini: Scratch) -> None:
    problems = _with_indicators(
        mini,
        """  - name: 化解率
    definition: 已化解 ÷ 已办结
    kind: rate
    date: closed
  - name: 来信
    definition: 来信件数
    where: {channel: [来件]}
    numerator: {outcome: [已化解]}
  - name: 逾期
    definition: 期末逾期
    where: {state: [逾期]}
  - name: 来信
    definition: 重复的名称
    kind: sum
""",
    )
    start = len(mini.read("settings.yaml").splitlines()) - 13  # the line of the first "- name"
    assert problems == [
        f"settings.yaml:{start + 2}:11: indicators[0].kind: 比率（rate）须写 numerator（分子）",
        f"settings.yaml:{start + 6}:23: indicators[1].where.channel[0]: “来件” 不在 settings.yaml 的 channels 词表中",
        f"settings.yaml:{start + 7}:16: indicators[1].numerator: 只有比率（kind: rate）才有分子",
        f"settings.yaml:{start + 10}:20: indicators[2].where.state: 期限状态只能按统计期末计：请写 date: status",
        f"settings.yaml:{start + 11}:11: indicators[3].name: 指标名称 “来信” 与第 2 项重复",
        f"settings.yaml:{start + 13}:11: indicators[3].kind: 合计（sum）须写 sum：petitioners 或 households",
    ]


def test_an_unknown_condition_is_a_located_error(mini: Scratch) -> None:
    problems = _with_indicators(
        mini,
        """  - name: 来信
    definition: 来信件数
    where: {channels: [来信]}
""",
    )
    assert len(problems) == 1
    assert re.match(r"settings\.yaml:\d+:\d+: indicators\[0\]\.where\.channels: ", problems[0]), problems


def test_the_sample_definitions_are_clean_and_cover_the_reports() -> None:
    library, problems = check_library(SAMPLE)
    assert not [p for p in problems if not p.warning]
    names = [i.name for i in library.settings.model.indicators]
    for wanted in ("信访总量", "来信", "走访", "网上信访", "集体访批次", "集体访人次", "越级访", "重复信访率"):
        assert wanted in names
    for wanted in ("初信初访", "一次性化解率", "及时受理率", "按期办结率", "化解率", "参评率", "逾期", "临期"):
        assert wanted in names
    assert {"满意率（对责任单位）", "满意率（对信访部门）"} <= set(names)


# ── pages ──────────────────────────────────────────────────────────────────


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_statistics_page_shows_the_engines_figures(sample_site: Path, sample_model) -> None:
    page = (sample_site / "statistics" / "index.html").read_text(encoding="utf-8")
    stats = Statistics(sample_model)
    year = parse_period("2024").until(AS_OF_DAY)
    table = stats.compute([year, year.last_year()])
    now, before = table.figures(year), table.figures(year.last_year())
    text = _text(page)
    for name, figure in now.items():
        row = f"{name} {figure.text} {before[name].text} {change_text(figure, before[name])}"
        assert row in text, row
    # every chart is followed by its table, and is SVG drawn at build time that loads nothing
    charts = re.findall(r'<div class="cb-chart">(.*?)</div>\s*<div class="cb-stat-table">', page, re.S)
    assert len(charts) >= 4
    assert all(chart.startswith("<svg") and "http" not in chart for chart in charts)
    assert "<script" not in page.split("<article", 1)[-1].split("</article>", 1)[0]


def test_figures_link_to_the_filtered_record_list(sample_site: Path) -> None:
    page = (sample_site / "statistics" / "index.html").read_text(encoding="utf-8")
    links = [unquote(html.unescape(h)) for h in re.findall(r'href="(\.\./records/\?[^"]*)"', page)]
    queries = [parse_qs(urlsplit(link).query) for link in links]
    assert {"year": ["2024"]} in queries  # 信访总量
    assert {"domain": ["城乡建设"], "year": ["2024"]} in queries
    assert any(q.get("district") == ["城东区"] for q in queries)
    assert 'href="../supervision/"' in page  # 逾期 and 临期 now: the 督办 list


def test_filters_are_pages_linked_both_ways(sample_site: Path, sample_model) -> None:
    paths = [path for path, _ in statistics_pages(sample_model)]
    assert paths[0] == "statistics/index.md"
    assert "statistics/2023.md" in paths and "statistics/2024-01.md" in paths  # 01: 城乡建设's code
    domain_page = (sample_site / "statistics" / "2024-01" / "index.html").read_text(encoding="utf-8")
    assert "统计 · 2024年 · 城乡建设" in domain_page
    assert 'href="../2023-01/"' in domain_page and 'href="../"' in domain_page
    assert page_path(2023, None, 2024) == "statistics/2023.md"


def test_home_page_and_guides_carry_figures(sample_site: Path) -> None:
    home = _text((sample_site / "index.html").read_text(encoding="utf-8"))
    assert "本年主要数字" in home and "信访总量 20件 下降 13.0%" in home
    assert re.search(r"逾期 \d+件 ， 临期 \d+件", home)
    guide = _text((sample_site / "classes" / "LA-001" / "index.html").read_text(encoding="utf-8"))
    assert "本类累计数字" in guide and "记录 按期办结率 化解率" in guide
    ledger = _text((sample_site / "ledgers" / "LA-001" / "index.html").read_text(encoding="utf-8"))
    assert "本类累计数字" in ledger


@pytest.mark.parametrize("audience", ["training", "public"])
def test_no_statistics_outside_the_internal_edition(tmp_path: Path, audience: str) -> None:
    out = tmp_path / "site"
    run = build_site(SAMPLE, out, "--audience", audience)
    assert run.exit_code == 0, run.stderr
    assert not (out / "statistics").exists()
    for page in out.rglob("*.html"):
        if page.relative_to(out).parts[0] == "help":  # the help pages say where the statistics are
            continue
        text = page.read_text(encoding="utf-8")
        assert "本年主要数字" not in text and "本类累计数字" not in text, page
        assert not re.search(r'href="[./]*statistics/', text), page


def test_a_settings_file_of_the_earlier_contract_is_told_what_to_write(mini: Scratch) -> None:
    """settings.yaml once took `counts` (the ratings a 满意率 counted): it now says what to write instead."""
    problems = _with_indicators(mini, "  - name: 满意率\n    definition: 满意 ÷ 参评\n    counts: [满意, 基本满意]\n")
    assert len(problems) == 1
    assert "indicators[0].counts: 字段 counts 已不再使用：" in problems[0]
    assert "numerator: {unit_rating: [满意, 基本满意]}" in problems[0]


def test_a_library_without_indicators_has_no_statistics(mini: Scratch, tmp_path: Path) -> None:
    """Nothing to compute: no 统计 pages, no nav entry, no figures on the home page."""
    out = tmp_path / "site"
    run = build_site(mini.root, out)
    assert run.exit_code == 0, run.stderr
    assert not (out / "statistics").exists()
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "本年主要数字" not in home and 'href="statistics/"' not in home
