"""`casebook report`: the 统计附表 of a period as Word and Excel, with the engine's own figures.

A leader's report quotes these tables, so every figure is checked against
derive/statistics.py directly, in both files; the Word file is rendered by
LibreOffice as a reader would see it printed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import docx
import openpyxl
import pytest

from generator.contract import Indicator
from generator.derive.site import derive_site
from generator.derive.statistics import (
    DIMENSIONS,
    TOTAL,
    Figure,
    FigureTable,
    Period,
    Statistics,
    change_text,
    parse_period,
)
from generator.render.statistics_pages import rule_text
from generator.validate import check_library
from tests.conftest import AS_OF, SAMPLE, Run, Scratch, libreoffice_convert, require_or_skip, run_cli, snapshot

PERIOD = "2024-Q2"
DOCX = f"统计附表-{PERIOD}.docx"
XLSX = f"统计附表-{PERIOD}.xlsx"
SHEETS = ["主要指标", *(f"按{label}" for label in DIMENSIONS.values())]
HOSTILE = "<b>*x*</b>|[y]"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def report(*args: object) -> Run:
    return run_cli("report", "--period", PERIOD, "--as-of", AS_OF, *args)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample library's annex for 2024-Q2 as of 2024-06-30, made once for the tests that read it."""
    folder = tmp_path_factory.mktemp("report")
    run = report("--library", SAMPLE, "--out", folder / DOCX)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [(folder / DOCX).as_posix(), (folder / XLSX).as_posix()]
    return folder / DOCX, folder / XLSX


@dataclass(frozen=True)
class Engine:
    """The figures as derive/statistics.py computes them, independently of the command."""

    indicators: list[Indicator]
    table: FigureTable
    now: Period
    year_ago: Period
    before: Period

    @property
    def headline(self) -> list[Indicator]:
        return [i for i in self.indicators if i.headline]


@pytest.fixture(scope="module")
def engine() -> Engine:
    as_of = dt.date.fromisoformat(AS_OF)
    library, problems = check_library(SAMPLE, as_of)
    assert not problems
    stats = Statistics(derive_site(library, "internal", as_of))
    now = parse_period(PERIOD).until(as_of)
    table = stats.compute([now, now.last_year(), now.previous()])
    return Engine(stats.indicators, table, now, now.last_year(), now.previous())


def workbook_value(figure: Figure) -> object:
    """A figure is a number in the workbook (a rate with a percent format), "—" its text."""
    if figure.value is None:
        return figure.text
    return pytest.approx(figure.value) if figure.is_rate else figure.value


def sheet_rows(path: Path, name: str) -> tuple[list[str], list[tuple[object, ...]]]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def cell_texts(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def footnotes(path: Path) -> dict[str, str]:
    """Footnote id → its text, from word/footnotes.xml."""
    with zipfile.ZipFile(path) as package:
        root = ElementTree.fromstring(package.read("word/footnotes.xml"))
    return {
        note.get(f"{W}id"): "".join(t.text or "" for t in note.iter(f"{W}t")).strip()
        for note in root.iter(f"{W}footnote")
        if note.get(f"{W}type") is None
    }


# ── writing, refusing, overwriting ──────────────────────────────────────────


def test_writes_both_files_refuses_to_overwrite_and_rewrites_with_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = report("--library", SAMPLE)
    assert first.exit_code == 0, first.stdout + first.stderr
    assert first.stdout.splitlines() == [DOCX, XLSX]  # the default name, here
    written = snapshot(tmp_path)
    assert sorted(written) == sorted([DOCX, XLSX])

    again = report("--library", SAMPLE)
    assert again.exit_code != 0
    assert "已存在，未覆盖" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stdout + again.stderr
    assert snapshot(tmp_path) == written

    forced = report("--library", SAMPLE, "--force")
    assert forced.exit_code == 0, forced.stdout + forced.stderr
    assert forced.stdout.splitlines() == [DOCX, XLSX]
    assert snapshot(tmp_path) == written  # two runs, the same bytes


def test_same_input_gives_identical_files(made: tuple[Path, Path], tmp_path: Path) -> None:
    run = report("--library", SAMPLE, "--out", tmp_path / "again.docx")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert (tmp_path / "again.docx").read_bytes() == made[0].read_bytes()
    assert (tmp_path / "again.xlsx").read_bytes() == made[1].read_bytes()


def test_an_existing_file_is_never_overwritten_without_force(tmp_path: Path) -> None:
    for existing in ("annex.docx", "annex.xlsx"):  # either one: neither is written
        folder = tmp_path / existing.replace(".", "-")
        folder.mkdir()
        (folder / existing).write_bytes(b"kept")
        run = report("--library", SAMPLE, "--out", folder / "annex.docx")
        assert run.exit_code != 0
        assert f"{existing} 已存在，未覆盖" in run.stderr
        assert snapshot(folder) == {existing: b"kept"}


def test_a_bad_period_is_refused_in_chinese_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = run_cli("report", "--period", "2024-Q5", "--library", SAMPLE, "--as-of", AS_OF)
    assert run.exit_code == 2
    assert "季度只能是 Q1–Q4：2024-Q5" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert snapshot(tmp_path) == {}
    later = run_cli("report", "--period", "2025-Q1", "--library", SAMPLE, "--as-of", AS_OF)
    assert later.exit_code == 2 and "晚于统计日期" in later.stderr
    assert snapshot(tmp_path) == {}


def test_a_library_with_problems_prints_them_and_writes_nothing(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.replace("records/XF-2022-0002.yaml", "domain: 城乡建设", "domain: 城乡建筑")
    out = tmp_path / "out"
    run = report("--library", sample_copy.root, "--out", out / DOCX)
    assert run.exit_code == 1
    assert "records/XF-2022-0002.yaml" in run.stdout
    assert "未生成统计附表" in run.stderr
    assert not out.exists()


# ── the figures ─────────────────────────────────────────────────────────────


def test_workbook_figures_are_the_engines(made: tuple[Path, Path], engine: Engine) -> None:
    workbook = openpyxl.load_workbook(made[1])
    assert workbook.sheetnames[: len(SHEETS) + 1] == [*SHEETS, "指标口径"]
    head, rows = sheet_rows(made[1], "主要指标")
    assert head == ["指标", "本期", "去年同期", "同比", "上期", "环比"]
    now, last, before = (engine.table.figures(p) for p in (engine.now, engine.year_ago, engine.before))
    assert [row[0] for row in rows] == [i.name for i in engine.indicators]
    for row in rows:
        name = row[0]
        assert row[1:] == (
            workbook_value(now[name]),
            workbook_value(last[name]),
            change_text(now[name], last[name]),
            workbook_value(before[name]),
            change_text(now[name], before[name]),
        ), name
    assert any(isinstance(row[1], int) for row in rows)  # counts are numbers, not text
    head, rows = sheet_rows(made[1], "指标口径")
    assert head == ["指标", "计算口径", "规则"]
    assert rows == [(i.name, i.definition, rule_text(i)) for i in engine.indicators]


def test_workbook_breakdowns_are_the_engines(made: tuple[Path, Path], engine: Engine) -> None:
    for dimension, label in DIMENSIONS.items():
        head, rows = sheet_rows(made[1], f"按{label}")
        groups = engine.table.breakdown(engine.now, dimension)
        last = engine.table.breakdown(engine.year_ago, dimension)
        assert head[0] == label
        assert head[1:] == [
            name for i in engine.headline for name in ([i.name, "去年同期"] if i.name == TOTAL else [i.name])
        ]
        assert sorted(row[0] for row in rows) == sorted(groups)
        for row in rows:
            figures = groups[row[0]]
            cells = dict(zip(head[1:], row[1:], strict=True))
            for indicator in engine.headline:
                assert cells[indicator.name] == workbook_value(figures[indicator.name]), (label, row[0])
            earlier = last.get(row[0], {}).get(TOTAL)
            assert cells["去年同期"] == (earlier.value if earlier is not None else 0)


def test_word_tables_show_the_engines_figure_text(made: tuple[Path, Path], engine: Engine) -> None:
    document = docx.Document(str(made[0]))
    summary = cell_texts(document.tables[0])
    assert summary[0] == ["指标", "本期", "去年同期", "同比", "上期", "环比"]
    now, last = engine.table.figures(engine.now), engine.table.figures(engine.year_ago)
    assert [row[0] for row in summary[1:]] == [i.name for i in engine.indicators]
    for row in summary[1:]:
        assert row[1] == now[row[0]].text, row
        assert row[2] == last[row[0]].text, row
        assert row[3] == change_text(now[row[0]], last[row[0]]), row
    assert "—" in {row[1] for row in summary[1:]}  # a rate with nothing to divide by (一次性化解率)
    for number, (dimension, label) in enumerate(DIMENSIONS.items(), start=1):
        rows = cell_texts(document.tables[number])
        groups = engine.table.breakdown(engine.now, dimension)
        assert rows[0][0] == label
        assert sorted(row[0] for row in rows[1:]) == sorted(groups)
        for row in rows[1:]:
            cells = dict(zip(rows[0][1:], row[1:], strict=True))
            for indicator in engine.headline:
                assert cells[indicator.name] == groups[row[0]][indicator.name].text, (label, row[0])


def test_word_file_has_title_captions_note_and_a_footnote_per_indicator(
    made: tuple[Path, Path], engine: Engine
) -> None:
    document = docx.Document(str(made[0]))
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Title"] == ["某市信访典型案例库统计附表"]
    assert by_style["Subtitle"] == ["2024年第二季度（统计日期 2024-06-30）", "某市信访局"]
    assert by_style["Table Caption"] == [f"表{n}　{name}" for n, name in enumerate(SHEETS, start=1)]
    closing = "外地案例、历史案例和日期只知年月的事项不计入；比率的分母为 0 时记“—”"
    assert any(closing in text for text in by_style["Body Text"])
    notes = footnotes(made[0])
    name_cells = [row.cells[0]._tc for row in document.tables[0].rows[1:]]
    for indicator, cell in zip(engine.indicators, name_cells, strict=True):
        references = [ref.get(f"{W}id") for ref in cell.iter(f"{W}footnoteReference")]
        assert len(references) == 1, indicator.name
        note = notes[references[0]]
        assert indicator.definition.rstrip("。") in note
        assert rule_text(indicator) in note
    assert docx.Document(str(made[0])).core_properties.created == dt.datetime(2024, 6, 30, tzinfo=dt.UTC)


def test_a_period_running_past_the_as_of_date_says_so(tmp_path: Path) -> None:
    run = run_cli("report", "--period", "2024", "--library", SAMPLE, "--as-of", AS_OF, "--out", tmp_path / "y.docx")
    assert run.exit_code == 0, run.stdout + run.stderr
    document = docx.Document(str(tmp_path / "y.docx"))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert "2024年（统计日期 2024-06-30，本期计至统计日期）" in texts
    assert any(text.startswith("本期为2024年1月1日至6月30日") for text in texts)


# ── library text is data ────────────────────────────────────────────────────


def test_a_hostile_indicator_name_prints_literally(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.replace("settings.yaml", "  - name: 信访总量\n", f'  - name: "{HOSTILE}"\n')
    out = tmp_path / "hostile.docx"
    run = report("--library", sample_copy.root, "--out", out)
    assert run.exit_code == 0, run.stdout + run.stderr
    document = docx.Document(str(out))
    assert cell_texts(document.tables[0])[1][0] == HOSTILE
    assert HOSTILE in cell_texts(document.tables[1])[0]  # a headline indicator: a column of every breakdown
    with zipfile.ZipFile(out) as package:
        body = package.read("word/document.xml").decode()
    assert "&lt;b&gt;*x*&lt;/b&gt;|[y]" in body  # the characters themselves, not markup or escapes
    _, rows = sheet_rows(out.with_suffix(".xlsx"), "主要指标")
    assert rows[0][0] == HOSTILE


# ── as printed ──────────────────────────────────────────────────────────────


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require_or_skip(path is not None, name)
    return path or name


def test_libreoffice_renders_the_first_page(made: tuple[Path, Path], tmp_path: Path) -> None:
    pdftotext, pdftoppm = require_tool("pdftotext"), require_tool("pdftoppm")
    source = tmp_path / "annex.docx"
    source.write_bytes(made[0].read_bytes())
    pdf = libreoffice_convert(source, "pdf", tmp_path)
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    first = text.split("\f")[0].replace(" ", "")
    for expected in ("某市信访典型案例库统计附表", "表1", "主要指标", "信访总量", "11件", "—1—"):
        assert expected in first
    assert "表6" in text.replace(" ", "")
    subprocess.run([pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = (tmp_path / "page-1.png").read_bytes()
    assert image.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", image[16:24])
    assert height / width == pytest.approx(297 / 210, abs=0.01)
