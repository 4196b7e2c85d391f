"""The statistics engine's figures for one period → the 统计附表 of a leader's report, as Word and Excel.

Monthly and quarterly reports quote 信访总量, 化解率, 满意率 … with their 同比 and 环比, and
append the tables they came from. Typing those tables from the statistics page is where
figures go wrong, so `casebook report` writes the annex itself: a .docx in the official
layout (GB/T 9704, through office/word.py like every other document the project makes)
and an .xlsx with the same figures beside it (office/workbook.py), for whoever has to
re-cut them. Nothing is computed here: every figure is derive/statistics.py's, and the
Word cell shows exactly `Figure.text`, so the annex agrees with the site to the digit.

There are no official formulas for these indicators (settings.yaml defines each one), so
every indicator's name in 表1 carries a footnote with its written definition and the rule
the engine applied: a reader of the printed annex can see what was counted.

The shared styles are a guide's (4号 cells and footnotes); this annex's eighteen footnotes and
nine-column breakdowns need smaller type, so `fit_tables` sets this document's tables and
footnotes after word.py has made it, then the package is normalised again.

Everything from the library (its name, units, classes, indicator names and definitions)
is data: escaped for pandoc's Markdown (render/text.md_inline), never read as markup.
The same library, period and as-of date give byte-identical files (both writers fix
their dates to the as-of date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from ..contract import Indicator
from ..derive.site import SiteModel
from ..derive.statistics import DIMENSIONS, TOTAL, Figure, FigureTable, Period, Statistics, change_text, parse_period
from ..errors import InvalidLibrary, UsageProblem
from ..render.statistics_pages import rule_text
from ..render.text import md_inline
from .fill import chinese_date
from .reference_docx import TABLE_TEXT_STYLE
from .word import official_docx_bytes, styled_block
from .workbook import Sheet, Value, workbook_bytes
from .xlsx import Percent

FILE_PREFIX = "统计附表"
SUMMARY_HEAD = ("指标", "本期", "去年同期", "同比", "上期", "环比")
LAST_YEAR = "去年同期"
CLOSING_NOTE = "外地案例、历史案例和日期只知年月的事项不计入；比率的分母为 0 时记“—”。"
# Relative column widths of 表1 in the Word file (pandoc takes them from the separator line's
# dashes): the names and the 同比/环比 wording need room, the figures little.
SUMMARY_WIDTHS = (26, 13, 13, 18, 12, 18)
CELL_SIZE_PT = 12  # 小四
SMALL_SIZE_PT = 10.5  # 五号: footnotes, and the cells of tables with many columns
LINE_FACTOR = 1.4  # exact line height of table cells, as the project's table style has it
FIGURE_COLUMN_PERCENT = 10.5  # of 156 mm: "100.0%" in 五号 with 1 mm margins, in the widest stand-in font
FIRST_COLUMN_PERCENT = (16, 30)  # the names' column: at least, at most
MIN_DASHES = 100  # a separator line longer than pandoc's --columns (72) sets relative widths
CELL_MARGIN_TWIPS = 57  # 1 mm each side (the table style has 1.9 mm): room for "100.0%" in a narrow column


@dataclass(frozen=True)
class Cell:
    """One table cell: as the Word table prints it, and as the workbook holds it."""

    text: str
    value: Value  # a number where the figure has one (a rate as a Percent), else the text
    footnote: int | None = None  # the indicator's footnote number (表1's names)


@dataclass(frozen=True)
class AnnexTable:
    caption: str  # 主要指标, 按问题领域 …: the Word caption after 表n, and the sheet's name
    head: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Annex:
    """Everything the two files show, made once so both show the same figures."""

    title: str
    period_line: str  # 2024年第二季度（统计日期 2024-06-30）
    organization: str
    spans: tuple[tuple[str, str], ...]  # (本期 / 去年同期 / 上期, the days it covers)
    tables: tuple[AnnexTable, ...]
    definitions: tuple[tuple[str, str, str], ...]  # (name, definition, rule) in settings order
    notes: tuple[str, ...]  # the closing 说明
    as_of: dt.date

    @property
    def subtitle_lines(self) -> tuple[str, str]:
        return (self.period_line, self.organization)

    @property
    def about(self) -> tuple[tuple[str, str], ...]:
        """The workbook's 说明 sheet: what the Word file says above and below its tables."""
        return (
            ("标题", self.title),
            ("统计期", self.period_line),
            ("编制单位", self.organization),
            *self.spans,
            *(("说明", note) for note in self.notes),
        )


# ── the figures ─────────────────────────────────────────────────────────────


def text_cell(text: str) -> Cell:
    return Cell(text, text)


def figure_cell(figure: Figure) -> Cell:
    """A figure as a number in the workbook (a rate with a percent format), "—" as text."""
    if figure.value is None:
        return Cell(figure.text, figure.text)
    if figure.is_rate:
        return Cell(figure.text, Percent(figure.value))
    return Cell(figure.text, figure.numerator)


def annex(site: SiteModel, period: Period, stats: Statistics | None = None) -> Annex:
    """The annex of `period` as of the site's date (internal edition: statistics exist only there)."""
    stats = stats or Statistics(site)
    settings = site.settings
    now = period.until(site.as_of)
    year_ago, before = now.last_year(), now.previous()
    table = stats.compute([now, year_ago, before])
    indicators = stats.indicators
    tables = [summary_table(table, indicators, now, year_ago, before)]
    headline = stats.headline
    for dimension, label in DIMENSIONS.items():
        tables.append(breakdown_table(table, headline, dimension, label, now, year_ago))
    notes = [CLOSING_NOTE]
    states = [i.name for i in indicators if i.date == "status"]
    if states:
        notes.append(f"{'、'.join(states)}按统计期末的状态计（本期计至统计日期的，按统计日期的状态）。")
    return Annex(
        title=f"{settings.library.name}统计附表",
        period_line=subtitle(period, site.as_of),
        organization=settings.library.organization,
        spans=(("本期", span_text(now)), (LAST_YEAR, span_text(year_ago)), ("上期", span_text(before))),
        tables=tuple(tables),
        definitions=tuple((i.name, i.definition, rule_text(i)) for i in indicators),
        notes=tuple(notes),
        as_of=site.as_of,
    )


def subtitle(period: Period, as_of: dt.date) -> str:
    running = "，本期计至统计日期" if period.end > as_of else ""
    return f"{period.label}（统计日期 {as_of.isoformat()}{running}）"


def span_text(period: Period) -> str:
    """2024年4月1日至6月30日 (the year once when both days are in it)."""
    end = chinese_date(period.end)
    if period.end.year == period.start.year:
        end = end.split("年", 1)[1]
    return f"{chinese_date(period.start)}至{end}"


def summary_table(
    table: FigureTable, indicators: Sequence[Indicator], now: Period, year_ago: Period, before: Period
) -> AnnexTable:
    """表1: every indicator, this period against the same period last year and the one before."""
    current, last, previous = table.figures(now), table.figures(year_ago), table.figures(before)
    rows = []
    for number, indicator in enumerate(indicators, start=1):
        name = indicator.name
        rows.append(
            (
                Cell(name, name, footnote=number),
                figure_cell(current[name]),
                figure_cell(last[name]),
                text_cell(change_text(current[name], last[name])),
                figure_cell(previous[name]),
                text_cell(change_text(current[name], previous[name])),
            )
        )
    return AnnexTable("主要指标", SUMMARY_HEAD, tuple(rows))


def breakdown_table(
    table: FigureTable,
    headline: Sequence[Indicator],
    dimension: str,
    label: str,
    now: Period,
    year_ago: Period,
) -> AnnexTable:
    """表2–表6: the headline indicators of this period for each value with a record, and 信访总量's 去年同期."""
    groups = table.breakdown(now, dimension)
    total = next((i for i in headline if i.name == TOTAL), None)
    last = table.breakdown(year_ago, dimension) if total is not None else {}
    head = [label]
    for indicator in headline:
        head.append(indicator.name)
        if indicator is total:
            head.append(LAST_YEAR)
    rows = []
    for value, figures in groups.items():
        cells = [text_cell(value)]
        for indicator in headline:
            cells.append(figure_cell(figures[indicator.name]))
            if indicator is total:
                earlier = last.get(value, {}).get(indicator.name)
                cells.append(figure_cell(earlier if earlier is not None else Figure(indicator, 0)))
        rows.append(tuple(cells))
    return AnnexTable(f"按{label}", tuple(head), tuple(rows))


# ── Word ────────────────────────────────────────────────────────────────────


def annex_markdown(annex: Annex) -> str:
    """The annex body in pandoc Markdown: the spans, the numbered tables, the notes, the footnotes."""
    parts = ["，".join(f"{name}为{md_inline(days)}" for name, days in annex.spans) + "。\n"]
    for number, table in enumerate(annex.tables, start=1):
        parts.append(table_markdown(table, number))
    parts.append("说明：" + "".join(md_inline(note) for note in annex.notes) + "\n")
    for number, (_, definition, rule) in enumerate(annex.definitions, start=1):
        said = md_inline(definition.strip().rstrip("。"))
        parts.append(f"[^{number}]: {said}。计算规则：{md_inline(rule)}。\n")
    return "\n".join(parts)


def table_markdown(table: AnnexTable, number: int) -> str:
    """A pipe table and its caption (pandoc puts it above); a table without rows says so instead."""
    caption = f"表{number}　{table.caption}"
    if not table.rows:
        return styled_block("Table Caption", caption) + "\n本期无计入统计的信访事项。\n"
    lines = ["| " + " | ".join(md_inline(text) for text in table.head) + " |", separator_line(table, number)]
    for row in table.rows:
        lines.append("| " + " | ".join(cell_markdown(cell) for cell in row) + " |")
    return "\n".join(lines) + f"\n\nTable: {md_inline(caption)}\n"


def separator_line(table: AnnexTable, number: int) -> str:
    """The line under the header: the first column left-aligned, the figures centred, and dashes in
    the columns' proportions, more than pandoc's 72 columns in all, so the table fills the text width
    and its columns are cut in these proportions rather than by their content."""
    widths = SUMMARY_WIDTHS if number == 1 and len(table.head) == len(SUMMARY_WIDTHS) else breakdown_widths(table)
    scale = -(-MIN_DASHES // sum(widths))
    cut = [":" + "-" * (width * scale) + (":" if n else "-") for n, width in enumerate(widths)]
    return "|" + "|".join(cut) + "|"


def breakdown_widths(table: AnnexTable) -> tuple[int, ...]:
    """Half per cents of the text width: each figure column wide enough for "100.0%" in 五号, the names the rest."""
    figures = len(table.head) - 1
    low, high = FIRST_COLUMN_PERCENT
    first = min(max(100 - figures * FIGURE_COLUMN_PERCENT, low), high)
    each = int((200 - 2 * first) // max(figures, 1))
    return (200 - each * figures, *([each] * figures))


def cell_markdown(cell: Cell) -> str:
    text = md_inline(cell.text)
    return f"{text}[^{cell.footnote}]" if cell.footnote is not None else text


def annex_docx(annex: Annex) -> bytes:
    return official_docx_bytes(
        annex_markdown(annex),
        title=annex.title,
        date=annex.as_of,
        subtitle_lines=annex.subtitle_lines,
        adjust=fit_tables,
    )


def fit_tables(document: Any) -> None:
    """Set the tables of this document for a statistics annex (the shared styles are a guide's).

    A guide's 4号 cells and footnotes, applied to eighteen indicators with a footnote each,
    spread 表1 over five pages of two rows each, and nine columns of 4号 broke "100.0%" in
    two. So here: cells in 小四 (12 pt), tables with more columns than 表1 in 五号, 1 mm cell
    margins, footnotes (and their marks) in 五号, rows that do not split across pages, and
    cell text centred vertically.
    """
    styles = document.styles
    _size_style(styles[TABLE_TEXT_STYLE], CELL_SIZE_PT, exact=True)
    _size_style(styles["Footnote Text"], SMALL_SIZE_PT, exact=False)
    styles["Footnote Reference"].font.size = Pt(SMALL_SIZE_PT)  # else the body's 3号 (16 pt) mark
    margins = "".join(f'<w:{side} w:w="{CELL_MARGIN_TWIPS}" w:type="dxa"/>' for side in ("left", "right"))
    for table in document.tables:
        look = table._tbl.tblPr.find(qn("w:tblLook"))  # tblCellMar comes before it (CT_TblPr's order)
        look.addprevious(parse_xml(f"<w:tblCellMar {nsdecls('w')}>{margins}</w:tblCellMar>"))
        small = len(table.columns) > len(SUMMARY_HEAD)
        for row in table.rows:
            row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
            for cell in row.cells:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                if small:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.line_spacing = Pt(SMALL_SIZE_PT * LINE_FACTOR)
                        for run in paragraph.runs:
                            run.font.size = Pt(SMALL_SIZE_PT)


def _size_style(style, size_pt: float, exact: bool) -> None:
    style.font.size = Pt(size_pt)
    if exact:
        style.paragraph_format.line_spacing = Pt(size_pt * LINE_FACTOR)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY


# ── Excel ───────────────────────────────────────────────────────────────────


def annex_sheets(annex: Annex) -> list[Sheet]:
    """One sheet per table (named as captioned), then 指标口径 (name, definition, rule) and 说明."""
    sheets = [
        Sheet(table.caption, table.head, tuple(tuple(cell.value for cell in row) for row in table.rows))
        for table in annex.tables
    ]
    sheets.append(Sheet("指标口径", ("指标", "计算口径", "规则"), annex.definitions))
    sheets.append(Sheet("说明", ("项目", "内容"), annex.about))
    return sheets


def annex_workbook(annex: Annex) -> bytes:
    return workbook_bytes(annex_sheets(annex), annex.as_of)


# ── the `casebook report` command ───────────────────────────────────────────


def report_paths(period: Period, out: Path | None) -> tuple[Path, Path]:
    """The .docx (given, or 统计附表-<period>.docx here) and the .xlsx of the same name beside it."""
    target = out or Path(f"{FILE_PREFIX}-{period.key}.docx")
    if target.suffix.lower() != ".docx":
        raise UsageProblem(f"--out 应为 .docx 文件（同名的 .xlsx 写在它旁边）：{target}")
    return target, target.with_suffix(".xlsx")


def write_report(
    library_root: Path, period_text: str, as_of: dt.date, out: Path | None = None, force: bool = False
) -> tuple[Path, Path]:
    """`casebook report`: validate the library, write the annex of `period_text`; return both paths.

    The period and both output files are checked before the library is loaded; an existing
    file is kept unless `force`.
    """
    from ..derive.site import derive_site
    from ..outdir import check_file_out, file_work, write_file
    from ..validate import check_library

    try:
        period = parse_period(period_text)
    except ValueError as error:
        raise UsageProblem(str(error)) from None
    if period.start > as_of:
        raise UsageProblem(f"统计期{period.label}晚于统计日期 {as_of.isoformat()}，没有可统计的事项")
    targets = report_paths(period, out)
    for target in targets:
        check_file_out(target, force)

    library, problems = check_library(library_root, as_of)
    if problems:
        raise InvalidLibrary(problems, "未生成统计附表")
    site = derive_site(library, "internal", as_of)
    made = annex(site, period)
    docx_path, xlsx_path = targets
    with file_work(docx_path) as work:
        contents = ((docx_path, annex_docx(made)), (xlsx_path, annex_workbook(made)))
        for target, data in contents:
            # write_file stages `work`/output and may hard-link it as the target: a second file
            # staged in the same folder would be written through into the first.
            staging = work / target.suffix.lstrip(".")
            staging.mkdir()
            write_file(target, data, staging, force)
    return targets
