"""Statistics (derive/statistics.py) → the 统计 pages: one per year, and per year and 问题领域.

A static site cannot compute on request, so each choice of the page's two filters
(年份, 问题领域) is a page of its own, and the filters are links between them: they
work without scripts, print as they look, and every figure is in the HTML. Each
chart (SVG drawn here, render/charts.py) is followed by its table, so the figures
can be read, copied and found on the page. Counts link to the record list filtered
the same way where the list has that filter (问题领域, 地区, 年份, 期限状态).

The pages are written as HTML (site_html.py), their rows made ready here; every text
from the library (names, units, definitions) is escaped by the template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape

from ..contract import INDICATOR_DATE_LABELS, Indicator
from ..derive.site import SiteModel
from ..derive.statistics import (
    DIMENSIONS,
    TOTAL,
    Figure,
    FigureTable,
    Statistics,
    change_text,
    monthly,
    number_text,
    parse_period,
)
from .charts import Series, bar_chart, line_chart

INDEX = "statistics/index.md"
# Breakdowns whose values the record list can filter by (its facet keys).
LIST_FILTERS = {"domain": "domain", "district": "district"}


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    title: str | None = None  # the arithmetic (numerator / denominator), shown on hover


@dataclass(frozen=True)
class Table:
    head: list[str]
    rows: list[list[Cell]]

    def __html__(self) -> str:
        """The table as HTML, every text escaped: written here rather than by a template macro per
        cell (a macro call per cell was most of the pages' time at 10,000 records)."""
        head = "".join(f"<th>{escape(h)}</th>\n" for h in self.head)
        body = "".join("<tr>\n" + "".join(_cell_html(c) for c in row) + "</tr>\n" for row in self.rows)
        return (
            f'<div class="cb-stat-table">\n<table>\n<thead>\n<tr>\n{head}</tr>\n</thead>\n'
            f"<tbody>\n{body}</tbody>\n</table>\n</div>\n"
        )


def _cell_html(cell: Cell) -> str:
    title = f' title="{escape(cell.title)}"' if cell.title else ""
    text = escape(cell.text)
    inner = f'<a href="{escape(cell.href)}">{text}</a>' if cell.href else text
    return f"<td{title}>{inner}</td>\n"


@dataclass(frozen=True)
class Section:
    title: str
    chart: Markup | None
    table: Table
    note: str = ""


@dataclass(frozen=True)
class FilterLink:
    text: str
    href: str
    current: bool


def page_path(year: int, domain_code: str | None, latest: int) -> str:
    """Where the page of one year and domain is: statistics/index.md for the latest year, all domains."""
    if domain_code is None:
        return INDEX if year == latest else f"statistics/{year}.md"
    return f"statistics/{year}-{domain_code}.md"


def statistics_pages(site: SiteModel, stats: Statistics | None = None) -> Iterator[tuple[str, str]]:
    """(source path, text) of every 统计 page, latest year first, then by domain code."""
    from .pages import render_html

    stats = stats or Statistics(site)
    latest = site.as_of.year
    years = list(range(latest, stats.months.first - 1, -1))
    domains = [(d.name, d.code) for d in site.settings.vocabularies.domains if d.name in _domains_with_records(stats)]
    for year in years:
        for domain, code in [(None, None), *domains]:
            page = StatisticsPage(site, stats, year, domain, code, years, domains)
            yield page.path, render_html("statistics.html.j2", page=page, as_of=site.as_of.isoformat())


def _domains_with_records(stats: Statistics) -> set[str]:
    return set(stats.table.codes["domain"].values)


class StatisticsPage:
    """One 统计 page: what the template prints, computed from `stats` for one year and domain."""

    def __init__(
        self,
        site: SiteModel,
        stats: Statistics,
        year: int,
        domain: str | None,
        code: str | None,
        years: list[int],
        domains: list[tuple[str, str]],
    ) -> None:
        self.site, self.stats, self.year, self.domain = site, stats, year, domain
        latest = years[0]
        self.path = page_path(year, code, latest)
        self.indicators: list[Indicator] = stats.indicators
        self.headline = stats.headline
        self.period = parse_period(str(year)).until(site.as_of)
        self.running = year == site.as_of.year  # the year is not over: this month and the last are shown too
        self.month = parse_period(f"{site.as_of.year}-{site.as_of.month:02d}") if self.running else None
        periods = [self.period, self.period.last_year()]
        if self.month is not None:
            periods += [self.month, self.month.last_year(), self.month.previous()]
        self.table: FigureTable = stats.compute(periods)
        self.year_links = [FilterLink(f"{y}年", self._link(page_path(y, code, latest)), y == year) for y in years]
        self.domain_links = [FilterLink("全部", self._link(page_path(year, None, latest)), domain is None)] + [
            FilterLink(name, self._link(page_path(year, c, latest)), name == domain) for name, c in domains
        ]

    @property
    def title(self) -> str:
        return f"统计 · {self.year}年" + (f" · {self.domain}" if self.domain else "")

    @property
    def span(self) -> str:
        return f"{_month_day(self.period.start)}至{_month_day(self.period.end)}"

    def _link(self, target: str) -> str:
        """A link from this page to another source page (site_html.py resolves it)."""
        return _relative(self.path, target)

    def _records(self, **filters: str) -> str:
        """The record list filtered as a figure counts (its facets: domain, district, year, deadline)."""
        if not self.site.shows_records:
            return ""
        query = {"year": str(self.year)} if "deadline" not in filters else {}
        if self.domain:
            query["domain"] = self.domain
        query.update(filters)
        # every character but letters and digits percent-encoded (a "." too): a value from the library
        # is a query value, never anything a browser or a checker could read as a link of its own
        encoded = urlencode(sorted(query.items()), quote_via=quote).replace(".", "%2E")
        return _url_from(self.path, "records/") + "?" + encoded

    # ── sections ────────────────────────────────────────────────────────────

    def summary(self) -> Table:
        """主要指标: every indicator for the year so far against the same span last year."""
        now = self.table.figures(self.period, self.domain)
        before = self.table.figures(self.period.last_year(), self.domain)
        head = ["指标", f"{self.year}年（{self.span}）", "去年同期", "同比"]
        rows = [
            [
                Cell(i.name),
                self._figure_cell(now[i.name], headline=True),
                self._figure_cell(before[i.name]),
                Cell(change_text(now[i.name], before[i.name])),
            ]
            for i in self.indicators
        ]
        return Table(head, rows)

    def month_summary(self) -> Table | None:
        """This month so far (the year still running): against the same month last year and the last month."""
        if self.month is None:
            return None
        now = self.table.figures(self.month, self.domain)
        year_ago = self.table.figures(self.month.last_year(), self.domain)
        before = self.table.figures(self.month.previous(), self.domain)
        head = ["指标", f"{self.month.label}（计至{self.site.as_of.day}日）", "去年同月", "同比", "上月", "环比"]
        rows = [
            [
                Cell(i.name),
                self._figure_cell(now[i.name]),
                self._figure_cell(year_ago[i.name]),
                Cell(change_text(now[i.name], year_ago[i.name])),
                self._figure_cell(before[i.name]),
                Cell(change_text(now[i.name], before[i.name])),
            ]
            for i in self.indicators
        ]
        return Table(head, rows)

    def _figure_cell(self, figure: Figure, headline: bool = False) -> Cell:
        title = f"{figure.numerator:g} ÷ {figure.denominator}" if figure.denominator is not None else None
        href = None
        if headline and self.site.shows_records:
            if figure.name == TOTAL:
                href = self._records()
            elif figure.indicator.date == "status" and self.running and figure.indicator.where.state:
                href = self._supervision()
        return Cell(figure.text, href, title)

    def _supervision(self) -> str | None:
        return _relative(self.path, "supervision.md") if self.site.edition.ledgers else None

    def headline_cards(self) -> list[tuple[str, str, str]]:
        """(name, figure, 同比) of the headline indicators, for the top of the page."""
        now = self.table.figures(self.period, self.domain)
        before = self.table.figures(self.period.last_year(), self.domain)
        return [(i.name, now[i.name].text, change_text(now[i.name], before[i.name])) for i in self.headline]

    def trend(self) -> Section | None:
        """信访总量 by month, this year against last year."""
        total = next((i for i in self.indicators if i.name == TOTAL), None) or next(
            (i for i in self.indicators if i.kind != "rate" and i.date != "status"), None
        )
        if total is None:
            return None
        this = monthly(self.stats, self.year, self.domain)[total.name]
        last = monthly(self.stats, self.year - 1, self.domain)[total.name]
        labels = [f"{m}月" for m in range(1, 13)]
        chart = line_chart(
            f"{total.name}（按月）",
            labels,
            [Series(f"{self.year}年", _values(this)), Series(f"{self.year - 1}年", _values(last))],
            unit=total.unit,
        )
        rows = [
            [Cell(label), Cell(_text(a)), Cell(_text(b)), Cell(change_text(a, b) if a and b else "—")]
            for label, a, b in zip(labels, this, last, strict=True)
            if a is not None or b is not None
        ]
        table = Table(["月份", f"{self.year}年", f"{self.year - 1}年", "同比"], rows)
        return Section(f"{total.name}月度趋势", Markup(chart), table)

    def rates(self) -> Section | None:
        """The headline rates month by month this year."""
        shown = [i for i in self.headline if i.kind == "rate"][:4]
        if not shown:
            return None
        series = monthly(self.stats, self.year, self.domain)
        labels = [f"{m}月" for m in range(1, 13)]
        chart = line_chart(
            "主要比率（按月）", labels, [Series(i.name, _values(series[i.name])) for i in shown], percent=True
        )
        rows = [
            [Cell(label), *(self._month_rate(series[i.name][n]) for i in shown)]
            for n, label in enumerate(labels)
            if any(series[i.name][n] is not None for i in shown)
        ]
        return Section("主要比率月度变化", Markup(chart), Table(["月份", *(i.name for i in shown)], rows))

    def _month_rate(self, figure: Figure | None) -> Cell:
        if figure is None:
            return Cell("")
        return Cell(figure.text, title=f"{figure.numerator:g} ÷ {figure.denominator}")

    def breakdowns(self) -> list[Section]:
        """By 问题领域 (on the all-domains page), 地区, 责任单位, 类案 and 信访渠道: the headline indicators."""
        sections = []
        for dimension, label in DIMENSIONS.items():
            if dimension == "domain" and self.domain is not None:
                continue
            groups = self.table.breakdown(self.period, dimension, self.domain)
            if not groups:
                continue
            before = self.table.breakdown(self.period.last_year(), dimension, self.domain)
            sections.append(self._breakdown(dimension, label, groups, before))
        return sections

    def _breakdown(
        self,
        dimension: str,
        label: str,
        groups: dict[str, dict[str, Figure]],
        before: dict[str, dict[str, Figure]],
    ) -> Section:
        total = next((i for i in self.headline if i.name == TOTAL), None)
        drawn = (
            total if dimension in ("domain", "channel") else next((i for i in self.headline if i.kind == "rate"), total)
        )
        chart = None
        if drawn is not None:
            chart = Markup(
                bar_chart(
                    f"{drawn.name}（按{label}）",
                    list(groups),
                    [figures[drawn.name].value for figures in groups.values()],
                    percent=drawn.kind == "rate",
                    unit=drawn.unit,
                )
            )
        head = [label, *(i.name for i in self.headline)]
        if total is not None:
            head.insert(2, "去年同期")
        rows = []
        for value, figures in groups.items():
            first = Cell(
                value, self._records(**{LIST_FILTERS[dimension]: value}) if dimension in LIST_FILTERS else None
            )
            cells = [self._figure_cell(figures[i.name]) for i in self.headline]
            if total is not None:
                last = before.get(value, {}).get(total.name)
                cells.insert(1, Cell(last.text if last is not None else number_text(0, False, total.unit)))
            rows.append([first, *cells])
        note = (
            "逾期、临期按统计期末（本年为统计日期）的状态计。" if any(i.date == "status" for i in self.headline) else ""
        )
        return Section(f"按{label}", chart, Table(head, rows), note)

    def definitions(self) -> list[tuple[str, str, str]]:
        """(name, definition, the machine rule in words) of every indicator."""
        return [(i.name, i.definition, rule_text(i)) for i in self.indicators]


def rule_text(indicator: Indicator) -> str:
    """The computed definition in words: kind, which date, the conditions."""
    kind = {"count": "件数", "sum": "合计", "rate": "比率"}[indicator.kind]
    parts = [kind, INDICATOR_DATE_LABELS[indicator.date]]
    where = _conditions(indicator.where)
    if where:
        parts.append(("分母：" if indicator.kind == "rate" else "范围：") + where)
    if indicator.numerator is not None:
        parts.append("分子：" + (_conditions(indicator.numerator) or "全部"))
    return "；".join(parts)


_CONDITION_LABELS = {
    "channel": "渠道",
    "category": "类别",
    "domain": "问题领域",
    "flags": "标记",
    "outcome": "办理结果",
    "route": "化解方式",
    "decision": "处理意见",
    "unit_rating": "对责任单位的评价",
    "office_rating": "对信访部门的评价",
    "state": "期末状态",
    "decided_on_time": "按期受理",
    "answered_on_time": "按期答复",
    "reviewed": "申请复查",
}


def _conditions(conditions: object) -> str:
    said = []
    for name, label in _CONDITION_LABELS.items():
        value = getattr(conditions, name)
        if value is None:
            continue
        said.append(
            f"{label}为{'、'.join(value)}" if isinstance(value, list) else f"{label}：{'是' if value else '否'}"
        )
    return "，".join(said)


def _month_day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _values(figures: list[Figure | None]) -> list[float | None]:
    return [f.value if f is not None else None for f in figures]


def _text(figure: Figure | None) -> str:
    return figure.text if figure is not None else ""


def _relative(source: str, target: str) -> str:
    """`target` (a source path) as a link from the page `source` (both relative to docs/)."""
    import posixpath

    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def _url_from(source: str, target_url: str) -> str:
    """The site URL `target_url` (a folder URL, e.g. records/) as a link from the page made of `source`:
    for links with a query, which the build does not resolve as it does links to source files."""
    import posixpath

    page_url = source[: -len("index.md")] if source.endswith("index.md") else source[: -len(".md")] + "/"
    return posixpath.relpath(target_url, page_url or ".") + "/"


def home_figures(site: SiteModel, stats: Statistics) -> dict[str, object] | None:
    """The home page's headline numbers (this year so far, 同比) and the 逾期/临期 counts now."""
    if not stats.indicators or not len(stats.table):
        return None
    period = parse_period(str(site.as_of.year)).until(site.as_of)
    table = stats.compute([period, period.last_year()])
    now, before = table.figures(period), table.figures(period.last_year())
    headline = [i for i in stats.indicators if i.headline and i.date != "status"]
    states = [i for i in stats.indicators if i.headline and i.date == "status"]
    return {
        "span": f"{period.start.year}年{_month_day(period.start)}至{_month_day(period.end)}",
        "figures": [(i.name, now[i.name].text, change_text(now[i.name], before[i.name])) for i in headline],
        "states": [(i.name, now[i.name].text) for i in states],
    }
