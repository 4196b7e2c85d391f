"""类案台账, the whole-library ledger and 督办: derived data, .xlsx workbooks and pages.

The sample library as of 2024-06-30 has 6 正常, 4 临期 and 4 逾期 open
records; small hand-built records check the local fast-track procedures
(快速办理 5/20, 简易程序 2/10) whose days come from settings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from collections import Counter
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from generator.contract import BatchRule, CaseClass, CaseRecord, Resolution, Settings
from generator.derive.ledger import (
    UNCLASSIFIED,
    UNFILLED,
    LedgerBook,
    LedgerRow,
    class_ledger,
    derive_ledgers,
    library_ledger,
    packed_book,
    supervision_of,
    unpacked_book,
)
from generator.derive.site import ClassView, SiteModel, derive_site, district_of, record_view
from generator.office.workbook import (
    MAX_WIDTH,
    MIN_WIDTH,
    column_widths,
    display_width,
    ledger_workbook_bytes,
    ledger_workbooks,
    library_workbook_bytes,
    sheet_title,
    write_ledger_workbook,
    write_library_workbook,
)
from generator.render.ledger_pages import ledger_pages
from generator.validate import check_library
from tests.conftest import SAMPLE

AS_OF = dt.date(2024, 6, 30)
LIBRARY, PROBLEMS = check_library(SAMPLE)
SITE = derive_site(LIBRARY, "internal", AS_OF)
CLASS_YAML = {doc.model.id: doc.model for doc in LIBRARY.classes}

LEDGER_HEADERS = [
    "编号", "标题", "收到日期", "地区", "主办单位", "协办单位", "涉及户数", "诉求金额（万元）", "兑付金额（万元）", "办理程序", "当前环节", "环节日期", "计时环节",
    "到期日期", "剩余天数", "期限状态", "办理结果", "对责任单位满意度", "对信访部门满意度", "包案领导",
]  # fmt: skip
SUPERVISION_HEADERS = [
    "责任单位", "期限状态", "剩余天数", "到期日期", "计时环节", "编号", "标题", "所属类案", "收到日期", "办理程序",
    "当前环节", "环节日期", "协办单位", "包案领导",
]  # fmt: skip


@pytest.fixture(scope="module")
def book() -> LedgerBook:
    assert PROBLEMS == []
    result = derive_ledgers(SITE)
    assert result is not None
    return result


def with_batch(view: ClassView, group_by: str) -> ClassView:
    rule = BatchRule(group_by=group_by, description="按同一对象批量处理")
    return ClassView(view.case_class.model_copy(update={"batch": rule}), view.entries, view.records)


def class_view(class_id: str) -> ClassView:
    return next(v for v in SITE.classes if v.case_class.id == class_id)


# ── derived data on the sample ─────────────────────────────────────────────


def own(views: list) -> list:
    """The record views a ledger lists: the office's own, not the outside cases (external: true)."""
    return [view for view in views if not view.record.external]


def test_open_records_as_of_the_sample_date(book: LedgerBook) -> None:
    states = book.library.tally.states
    assert (states["正常"], states["临期"], states["逾期"]) == (6, 4, 4)
    assert book.library.tally.total == len(own(SITE.records)) == 97  # the 3 outside cases are not the office's
    rows = {row.id: row for row in book.library.rows}
    assert rows["XF-2024-0001"].state == "逾期"
    assert rows["XF-2024-0002"].state == "临期"
    assert rows["XF-2024-0003"].state == "正常"


def test_a_row_carries_stage_clock_due_outcome_and_ratings(book: LedgerBook) -> None:
    rows = {row.id: row for row in book.library.rows}
    late = rows["XF-2024-0001"]
    assert (late.stage, late.stage_date) == ("办理", dt.date(2024, 6, 5))
    assert (late.clock, late.due, late.days_left) == ("办理", dt.date(2024, 5, 28), -33)
    assert (late.lead_unit, late.lead_official, late.procedure) == ("临河县人民政府", "临河县副县长", "普通程序")
    assert late.assist_units == ("临河县人社局", "临河县信访局", "城关镇人民政府")
    assert late.class_label == "LA-003 拖欠农民工工资" == late.batch_key
    done = rows["XF-2022-0001"]
    assert (done.state, done.clock, done.due, done.outcome) == ("已办结", None, None, "已化解")
    assert (done.unit_rating, done.office_rating) == ("满意", "满意")


def test_every_class_ledger_has_one_row_per_record_in_group_order(book: LedgerBook) -> None:
    assert [ledger.key for ledger in book.classes] == [v.case_class.id for v in SITE.classes]
    for ledger, view in zip(book.classes, SITE.classes, strict=True):
        assert sorted(row.id for row in ledger.rows) == [v.record.id for v in own(view.records)]
        order = [(row.batch_key, row.lead_unit, row.id) for row in ledger.rows]
        assert order == sorted(order)
        assert ledger.tally.total == sum(group.tally.total for group in ledger.groups) == len(own(view.records))


@pytest.mark.parametrize("group_by", ["subject", "region", "unit", "topic"])
def test_class_ledger_rows_taken_from_the_library_ledger_are_rows_made_anew(book: LedgerBook, group_by: str) -> None:
    """derive_ledgers copies each library row with the class's batch key instead of making it again."""
    for view in SITE.classes:
        regrouped = with_batch(view, group_by)
        made = {row.id: row for row in book.library.rows}
        assert class_ledger(regrouped, SITE.as_of, made) == class_ledger(regrouped, SITE.as_of)
    for ledger, view in zip(book.classes, SITE.classes, strict=True):
        assert ledger == class_ledger(view, SITE.as_of)


def test_class_ledgers_follow_the_batch_rule_else_group_by_lead_unit(book: LedgerBook) -> None:
    for ledger in book.classes:
        rule = CLASS_YAML[ledger.key].batch
        assert ledger.group_by == (rule.group_by if rule else "unit")
    if CLASS_YAML["LA-001"].batch is not None:  # the guide says 按楼盘批量处理
        assert CLASS_YAML["LA-001"].batch.group_by == "subject"


def test_grouping_by_subject_then_unit() -> None:
    ledger = class_ledger(with_batch(class_view("LA-001"), "subject"), AS_OF)
    assert ledger.group_label == "涉及项目"
    assert [(g.key, g.tally.total) for g in ledger.groups] == [("滨河湾小区", 3), ("锦绣花园小区", 12)]
    for group in ledger.groups:
        assert {row.batch_key for row in group.rows} == {group.key}
        units = [unit.unit for unit in group.units]
        assert units == sorted(set(units))
        for unit in group.units:
            assert [row.id for row in unit.rows] == sorted(row.id for row in unit.rows)
            assert {row.lead_unit for row in unit.rows} == {unit.unit}


def test_records_without_subject_go_to_the_unfilled_group_last() -> None:
    ledger = class_ledger(with_batch(class_view("LA-006"), "subject"), AS_OF)
    assert [(g.key, g.tally.total) for g in ledger.groups] == [("临河县人民法院执行案件", 1), (UNFILLED, 6)]


@pytest.mark.parametrize(
    ("group_by", "key"), [("region", lambda r: district_of(r.region)), ("topic", lambda r: r.topic)]
)
def test_grouping_by_region_and_topic(group_by, key) -> None:
    view = class_view("LA-003")
    ledger = class_ledger(with_batch(view, group_by), AS_OF)
    expected = Counter(key(v.record) for v in own(view.records))
    assert [(g.key, g.tally.total) for g in ledger.groups] == sorted(expected.items())


def test_library_ledger_groups_by_class_with_unclassified_last(book: LedgerBook) -> None:
    keys = [group.key for group in book.library.groups]
    assert keys[-1] == UNCLASSIFIED
    assert keys[:-1] == [f"{v.case_class.id} {v.case_class.name}" for v in SITE.classes]
    assert book.library.groups[-1].tally.total == sum(1 for v in own(SITE.records) if v.case_class is None)


def test_supervision_groups_due_and_overdue_by_unit_most_overdue_first(book: LedgerBook) -> None:
    units = [(u.unit, u.overdue, u.due_soon, [row.id for row in u.rows]) for u in book.supervision.units]
    assert units == [
        ("临河县人民政府", 2, 0, ["XF-2024-0001", "XF-2024-0016"]),
        ("城西区征收办", 1, 0, ["XF-2024-0009"]),
        ("科技园街道办事处", 1, 0, ["XF-2024-0005"]),
        ("城东区人民政府", 0, 1, ["XF-2024-0007"]),
        ("城东区住建局", 0, 1, ["XF-2024-0004"]),
        ("市教育局", 0, 1, ["XF-2024-0014"]),
        ("高新区社会事务局", 0, 1, ["XF-2024-0002"]),
    ]
    assert (book.supervision.overdue, book.supervision.due_soon, book.supervision.warning_days) == (4, 4, 7)


def test_no_ledgers_for_editions_without_records() -> None:
    assert derive_ledgers(derive_site(LIBRARY, "training", AS_OF)) is None


# ── fast-track procedures, with hand-built records ──────────────────────────

SETTINGS: Settings = LIBRARY.settings.model
FAST_AS_OF = dt.date(2024, 6, 14)


def make_record(number: int, procedure: str | None, received: str, lead: str, *stages: tuple[str, str]) -> CaseRecord:
    return CaseRecord.model_validate(
        {
            "id": f"XF-2024-{9000 + number}",
            "title": f"测试事项{number}",
            "received": received,
            "channel": "来访",
            "category": "申诉求决类",
            "domain": "劳动社保",
            "topic": "拖欠农民工工资",
            "region": "某市/城东区/和平街道",
            "petitioners": {"count": 1, "kind": "农民工"},
            "procedure": procedure,
            "summary": "张某反映被拖欠工资。",
            "demands": ["结清工资"],
            "units": {"lead": lead},
            "stages": [{"stage": "登记", "date": received}]
            + [{"stage": kind, "date": date, **({"days": 10} if kind == "延期" else {})} for kind, date in stages],
            "resolution": {"outcome": "未化解"},
            "class": "LA-003",
        }
    )


FAST_RECORDS = [
    make_record(1, "快速办理", "2024-06-01", "城东区人社局"),  # 受理 due 06-06: 逾期 8
    make_record(2, "快速办理", "2024-06-01", "城东区人社局", ("受理", "2024-06-02")),  # 办理 due 06-22: 正常
    make_record(3, "简易程序", "2024-06-01", "城东区人社局", ("受理", "2024-06-02")),  # 办理 due 06-12: 逾期 2
    make_record(4, "简易程序", "2024-06-14", "和平街道办事处"),  # 受理 due 06-16: 临期
    make_record(5, "快速办理", "2024-05-19", "和平街道办事处", ("受理", "2024-05-20"), ("延期", "2024-06-05")),
    make_record(6, None, "2024-06-01", "和平街道办事处", ("受理", "2024-06-02")),  # 普通程序: due 08-01
    make_record(7, "简易程序", "2024-06-20", "和平街道办事处"),  # received after the as-of date
]


def fast_site(settings: Settings = SETTINGS) -> SiteModel:
    case_class = CaseClass.model_validate(
        {
            **CLASS_YAML["LA-003"].model_dump(by_alias=True, exclude={"batch"}),
            "batch": {"group_by": "unit", "description": "按主办单位"},
        }
    )
    views = [record_view(r, settings, FAST_AS_OF, case_class) for r in FAST_RECORDS]
    return SiteModel(
        settings=settings,
        audience="internal",
        as_of=FAST_AS_OF,
        records=views,
        classes=[ClassView(case_class, [], sorted(views, key=lambda v: v.record.id))],
    )


def test_fast_track_deadline_states() -> None:
    rows = {row.id: row for row in library_ledger(fast_site()).rows}
    observed = {row_id: (r.procedure, r.clock, r.due, r.days_left, r.state) for row_id, r in rows.items()}
    assert observed == {
        "XF-2024-9001": ("快速办理", "受理", dt.date(2024, 6, 6), -8, "逾期"),
        "XF-2024-9002": ("快速办理", "办理", dt.date(2024, 6, 22), 8, "正常"),
        "XF-2024-9003": ("简易程序", "办理", dt.date(2024, 6, 12), -2, "逾期"),
        "XF-2024-9004": ("简易程序", "受理", dt.date(2024, 6, 16), 2, "临期"),
        "XF-2024-9005": ("快速办理", "办理", dt.date(2024, 6, 19), 5, "临期"),  # 20 + 10 days' extension
        "XF-2024-9006": ("普通程序", "办理", dt.date(2024, 8, 1), 48, "正常"),
    }
    assert "XF-2024-9007" not in rows  # not yet received on the as-of date


def test_fast_track_supervision_order() -> None:
    site = fast_site()
    supervision = supervision_of(library_ledger(site), 7)
    assert [(u.unit, [row.id for row in u.rows]) for u in supervision.units] == [
        ("城东区人社局", ["XF-2024-9001", "XF-2024-9003"]),
        ("和平街道办事处", ["XF-2024-9004", "XF-2024-9005"]),
    ]


def test_time_limits_come_from_settings() -> None:
    procedures = dict(SETTINGS.time_limits.procedures)
    procedures["快速办理"] = procedures["快速办理"].model_copy(update={"handle_days": 15})
    settings = SETTINGS.model_copy(
        update={"time_limits": SETTINGS.time_limits.model_copy(update={"procedures": procedures})}
    )
    rows = {row.id: row for row in library_ledger(fast_site(settings)).rows}
    assert (rows["XF-2024-9002"].due, rows["XF-2024-9002"].state) == (dt.date(2024, 6, 17), "临期")


def test_a_result_closed_after_the_as_of_date_is_not_known_yet() -> None:
    resolution = Resolution.model_validate(
        {"outcome": "已化解", "closed": "2024-06-20", "satisfaction": {"unit": "满意", "office": "满意"}}
    )
    record = FAST_RECORDS[1].model_copy(update={"resolution": resolution})
    view = record_view(record, SETTINGS, FAST_AS_OF, None)
    site = SiteModel(settings=SETTINGS, audience="internal", as_of=FAST_AS_OF, records=[view])
    (row,) = library_ledger(site).rows
    assert (row.outcome, row.unit_rating, row.class_label) == ("未办结", None, UNCLASSIFIED)


# ── workbooks ───────────────────────────────────────────────────────────────


def sheet_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_class_workbooks(book: LedgerBook, tmp_path: Path) -> None:
    for ledger in book.classes:
        path = tmp_path / f"{ledger.key}.xlsx"
        write_ledger_workbook(ledger, path)
        workbook = load_workbook(path)
        assert workbook.sheetnames == ["台账", "分组汇总"]
        sheet = workbook["台账"]
        rows = sheet_rows(sheet)
        expected_headers = [*LEDGER_HEADERS[:4], ledger.group_label, *LEDGER_HEADERS[4:]]
        assert list(rows[0]) == expected_headers
        assert all(cell.font.bold for cell in sheet[1])
        assert [row[0] for row in rows[1:]] == [row.id for row in ledger.rows]
        assert len(rows) - 1 == len(own(class_view(ledger.key).records))
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:U{len(rows)}"
        received = sheet.cell(row=2, column=3)
        assert isinstance(received.value, dt.datetime)
        assert received.value.date() == ledger.rows[0].received
        assert received.number_format == "yyyy-mm-dd"
        summary = sheet_rows(workbook["分组汇总"])
        assert [row[:2] for row in summary[1:]] == [(g.key, g.tally.total) for g in ledger.groups]


def test_numbers_are_numbers_and_open_rows_have_due_dates(book: LedgerBook) -> None:
    ledger = next(ledger for ledger in book.classes if ledger.key == "LA-003")
    sheet = load_workbook(BytesIO(ledger_workbook_bytes(ledger)))["台账"]
    headers = [cell.value for cell in sheet[1]]
    by_id = {row[0]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    late = by_id["XF-2024-0001"]
    assert late["剩余天数"] == -33 and isinstance(late["剩余天数"], int)
    assert late["到期日期"] == dt.datetime(2024, 5, 28)
    assert late["期限状态"] == "逾期"
    assert late["协办单位"] == "临河县人社局、临河县信访局、城关镇人民政府"
    widths = {sheet.column_dimensions[c].width for c in "AB"}
    assert all(6 <= width <= 50 for width in widths)


def test_library_workbook_supervision_sheet_matches_the_view(book: LedgerBook, tmp_path: Path) -> None:
    path = tmp_path / "all.xlsx"
    write_library_workbook(book.library, book.supervision, path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["台账", "督办", "督办汇总", "类案汇总"]
    assert len(sheet_rows(workbook["台账"])) - 1 == 97
    sheet = workbook["督办"]
    rows = sheet_rows(sheet)
    assert list(rows[0]) == SUPERVISION_HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:N{len(rows)}"
    per_unit = Counter((row[0], row[1]) for row in rows[1:])
    for unit in book.supervision.units:
        assert (per_unit[(unit.unit, "逾期")], per_unit[(unit.unit, "临期")]) == (unit.overdue, unit.due_soon)
    assert sum(per_unit.values()) == 8
    assert [row[0] for row in sheet_rows(workbook["督办汇总"])[1:]] == [u.unit for u in book.supervision.units]
    assert sheet_rows(workbook["督办汇总"])[1] == ("临河县人民政府", 2, 0, 2)


def test_workbooks_are_byte_identical_across_writes(book: LedgerBook, tmp_path: Path) -> None:
    ledger = book.classes[0]
    write_ledger_workbook(ledger, tmp_path / "a.xlsx")
    write_ledger_workbook(ledger, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    first = library_workbook_bytes(book.library, book.supervision)
    assert first == library_workbook_bytes(book.library, book.supervision)
    properties = load_workbook(tmp_path / "a.xlsx").properties
    assert properties.created == properties.modified == dt.datetime(2024, 6, 30)


def test_workbook_paths_are_ascii_and_one_per_ledger(book: LedgerBook) -> None:
    paths = [path for path, _ in ledger_workbooks(book)]
    assert paths == [f"downloads/ledger-{v.case_class.id}.xlsx" for v in SITE.classes] + ["downloads/ledger-all.xlsx"]
    assert all(path.isascii() for path in paths)


def test_sheet_titles_are_valid() -> None:
    assert (
        sheet_title("台账[2024]:督办/汇总?*\\很长很长很长很长很长很长很长很长很长很长很长")
        == ("台账_2024__督办_汇总___很长很长很长很长很长很长很长很长很长"[:31])
    )
    assert len(sheet_title("x" * 40)) == 31


# ── pages ───────────────────────────────────────────────────────────────────


class Cells(HTMLParser):
    """Collects the state labels and the table rows (cell texts) of a page's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "span" and "cb-state-label" in (attributes.get("class") or ""):
            self.states.append(attributes["data-state"] or "")
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def page_states(text: str) -> list[str]:
    parser = Cells()
    parser.feed(text)
    return parser.states


def table_rows(text: str) -> list[list[str]]:
    parser = Cells()
    parser.feed(text)
    return parser.rows


def test_ledger_pages(book: LedgerBook) -> None:
    pages = dict(ledger_pages(SITE, book.classes, book.supervision, book.library))
    assert list(pages) == [
        "ledgers/index.md",
        *(f"ledgers/{v.case_class.id}.md" for v in SITE.classes),
        "supervision.md",
    ]
    la003 = pages["ledgers/LA-003.md"]
    assert la003.startswith('---\ntitle: "LA-003 拖欠农民工工资类案台账"\ncasebook_html: true\n---\n')
    assert '<a href="../records/XF-2024-0001.md">XF-2024-0001</a>' in la003
    assert '<a href="../downloads/ledger-LA-003.xlsx">Excel 台账</a>' in la003
    assert Counter(page_states(la003)) == Counter(row.state for row in book.classes[2].rows)
    late = next(row for row in table_rows(la003) if row[0] == "XF-2024-0001")
    assert late[2:] == [
        "2024-03-26", "临河县/城关镇", "临河县人社局、临河县信访局、城关镇人民政府", "办理（2024-06-05）", "办理",
        "2024-05-28", "超期 33 日", "逾期", "未化解", "未评价 / 未评价", "临河县副县长",
    ]  # fmt: skip
    index = pages["ledgers/index.md"]
    assert "[LA-001 问题楼盘办证](LA-001.md)" in index and "(../downloads/ledger-all.xlsx)" in index
    supervision = pages["supervision.md"]
    assert supervision.startswith("---\ntitle: 督办清单\ncasebook_html: true\n---\n")
    assert page_states(supervision) == ["逾期"] * 4 + ["临期"] * 4
    rows = table_rows(supervision)
    assert ["临河县人民政府", "2", "0", "2"] in rows and ["合计", "4", "4", "8"] in rows
    assert '<a href="#unit-1">临河县人民政府</a>' in supervision
    assert '<h2 id="unit-1">临河县人民政府（逾期 2，临期 0）</h2>' in supervision
    assert '<a href="records/XF-2024-0001.md">XF-2024-0001</a>' in supervision
    assert '<a href="ledgers/LA-003.md">LA-003 拖欠农民工工资</a>' in supervision
    assert next(row for row in rows if row[0] == "简易程序")[:4] == ["简易程序", "2 日", "2 日", "10 日"]


def test_ledger_pages_show_data_as_text(book: LedgerBook) -> None:
    """Titles, units, leads and batch keys from data are escaped text on the HTML ledger pages."""
    hostile = '<script>alert("x")</script> & <b>粗</b>'
    view = class_view("LA-003")
    records = [
        dataclasses.replace(
            v,
            record=v.record.model_copy(
                update={
                    "title": hostile + "\n续行",
                    "lead_official": hostile,
                    "units": v.record.units.model_copy(update={"lead": hostile, "assist": [hostile]}),
                }
            ),
        )
        for v in view.records
    ]
    ledger = class_ledger(ClassView(view.case_class, view.entries, records), AS_OF)
    site = dataclasses.replace(SITE, records=records)
    library = library_ledger(site)
    pages = dict(ledger_pages(site, [ledger], supervision_of(library, 7), library))
    for uri in ("ledgers/LA-003.md", "supervision.md"):
        page = pages[uri]
        assert "<script>" not in page and "<b>" not in page, uri
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;粗&lt;/b&gt;续行" in page, uri
        assert any(hostile + "续行" in row for row in table_rows(page)), uri


def test_ledger_pages_build_in_strict_mkdocs(book: LedgerBook, tmp_path: Path) -> None:
    """Every link on the ledger pages resolves (records, guides, workbooks, anchors) in a strict
    build by the build's own MkDocs step (site_build.py, which hands HTML pages to site_html.py)."""
    from generator.site_build import MkDocsJob, SiteBuildFailed, build_site

    docs = tmp_path / "docs"
    for relative, text in ledger_pages(SITE, book.classes, book.supervision, book.library):
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        (docs / relative).write_text(text, encoding="utf-8")
    for relative, data in ledger_workbooks(book):
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        (docs / relative).write_bytes(data)
    for folder, ids in (
        ("records", [v.record.id for v in SITE.records]),
        ("classes", [v.case_class.id for v in SITE.classes]),
    ):
        (docs / folder).mkdir()
        for page_id in ids:
            (docs / folder / f"{page_id}.md").write_text(f"# {page_id}\n", encoding="utf-8")
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: t\ntheme: {name: material}\nmarkdown_extensions: [tables, attr_list, toc]\n"
        "validation: {links: {not_found: warn, anchors: warn, unrecognized_links: warn}}\n",
        encoding="utf-8",
    )
    job = MkDocsJob(config, docs, None, 0, "t", "", [], 0, extra_css=[], extra_javascript=[])
    build_site(job, tmp_path / "site", jobs=1)
    html = (tmp_path / "site" / "supervision" / "index.html").read_text(encoding="utf-8")
    assert 'href="../records/XF-2024-0001/"' in html and 'href="../downloads/ledger-all.xlsx"' in html
    assert page_states(html) == ["逾期"] * 4 + ["临期"] * 4
    ledger = (tmp_path / "site" / "ledgers" / "LA-003" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../records/XF-2024-0001/"' in ledger and 'href="../../downloads/ledger-LA-003.xlsx"' in ledger
    assert 'href="../../classes/LA-003/"' in ledger

    # the check is real: an anchor that no heading has, and a workbook that is not there, fail it
    page = docs / "supervision.md"
    page.write_text(page.read_text(encoding="utf-8").replace('href="#unit-1"', 'href="#unit-99"'), encoding="utf-8")
    with pytest.raises(SiteBuildFailed, match="unit-99"):
        build_site(job, tmp_path / "site-2", jobs=1)
    page.write_text(page.read_text(encoding="utf-8").replace('href="#unit-99"', 'href="#unit-1"'), encoding="utf-8")
    (docs / "downloads" / "ledger-all.xlsx").unlink()
    with pytest.raises(SiteBuildFailed, match=r"ledger-all\.xlsx"):
        build_site(job, tmp_path / "site-3", jobs=1)


HOSTILE_TEXTS = ['=HYPERLINK("http://x","点此")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1+1", "\t=1"]


def test_text_that_looks_like_a_formula_stays_text_when_edited(book: LedgerBook) -> None:
    """A title starting with = + - @ is a string cell with quotePrefix (Excel's own
    apostrophe), so editing the cell in Excel or WPS never turns it into a formula."""
    view = SITE.classes[0]
    hostile = [
        dataclasses.replace(v, record=v.record.model_copy(update={"title": HOSTILE_TEXTS[k % len(HOSTILE_TEXTS)]}))
        for k, v in enumerate(view.records)
    ]
    ledger = class_ledger(ClassView(view.case_class, view.entries, hostile), AS_OF)
    data = ledger_workbook_bytes(ledger)
    assert_no_formulas(data)
    sheet = load_workbook(BytesIO(data))["台账"]
    titles = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in titles] == [row.title for row in ledger.rows]
    assert {cell.value for cell in titles} == set(HOSTILE_TEXTS[: len(hostile)])
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in titles)
    ordinary = sheet.cell(row=2, column=1)  # the id XF-…: no prefix needed
    assert ordinary.value == ledger.rows[0].id and not ordinary.quotePrefix


def assert_no_formulas(data: bytes) -> None:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                root = ElementTree.fromstring(archive.read(name))
                assert not [element for element in root.iter() if element.tag.endswith("}f")], name


def test_no_generated_workbook_holds_a_formula(sample_site: Path) -> None:
    workbooks = sorted(sample_site.rglob("*.xlsx"))
    assert len(workbooks) == len(SITE.classes) + 1
    for path in workbooks:
        assert_no_formulas(path.read_bytes())


# ── the workbook's XML (office/xlsx.py) ─────────────────────────────────────

AWKWARD = ["<b>加粗</b> & “引号” 'single' \"double\"", "  前后空格  ", "换行\n第二行", "控\x01制\x1f字符", "]]>", ""]


def awkward_workbook() -> bytes:
    from generator.office.workbook import Sheet, workbook_bytes

    rows = tuple((text, number, dt.date(2024, 2, 29), None, -1.5) for number, text in enumerate(AWKWARD))
    return workbook_bytes([Sheet("台账<&>'", ("文字", "数", "日期", "空", "小数"), rows)], AS_OF)


def test_markup_quotes_spaces_and_control_characters_come_back_as_text() -> None:
    sheet = load_workbook(BytesIO(awkward_workbook())).worksheets[0]
    assert sheet.title == "台账<&>'"
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in values] == [
        "<b>加粗</b> & “引号” 'single' \"double\"",
        "  前后空格  ",
        "换行\n第二行",
        "控制字符",
        "]]>",
        None,
    ]  # an empty text is no cell, as openpyxl wrote it
    assert [row[1] for row in values] == list(range(len(AWKWARD)))
    assert {row[2] for row in values} == {dt.datetime(2024, 2, 29)} and {row[4] for row in values} == {-1.5}
    assert {row[3] for row in values} == {None}


def test_libreoffice_calc_reads_the_workbook_as_written(tmp_path: Path) -> None:
    """Not only openpyxl: the spreadsheet program staff open ledgers with reads every cell."""
    from tests.conftest import libreoffice_convert, require_or_skip

    calc = Path("/usr/lib/libreoffice/program/libscfiltlo.so").exists()
    require_or_skip(calc, "LibreOffice Calc (Debian package libreoffice-calc)")
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(awkward_workbook())
    converted = libreoffice_convert(source, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path)
    import csv

    with open(converted, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["文字", "数", "日期", "空", "小数"]
    assert [row[0] for row in rows[1:]] == [text.replace("\x01", "").replace("\x1f", "") for text in AWKWARD]
    assert {row[2] for row in rows[1:]} == {"2024-02-29"} and {row[4] for row in rows[1:]} == {"-1.5"}


_CELL_TEXT = st.text(alphabet=st.sampled_from(["a", "Z", "1", "é", "中", "、", " ", "😀", "ｱ", "&"]), max_size=40)
_CELL = st.one_of(st.none(), _CELL_TEXT, st.integers(-5, 10**12), st.dates(), st.floats(0, 100))


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_column_widths_measure_only_what_can_matter(data: st.DataObject) -> None:
    """column_widths stops at the widest a column gets and skips values too short to beat the widest
    so far (a ledger of 100,000 rows): the same widths as measuring every value."""
    columns = data.draw(st.integers(1, 4))
    headers = data.draw(st.lists(_CELL_TEXT, min_size=columns, max_size=columns))
    rows = data.draw(st.lists(st.lists(_CELL, min_size=columns, max_size=columns), max_size=12))
    measured = [
        min(MAX_WIDTH, max(MIN_WIDTH, max([display_width(h), *(display_width(row[i]) for row in rows)]) + 2))
        for i, h in enumerate(headers)
    ]
    assert column_widths(headers, rows) == measured


def test_a_ledger_row_is_the_row_its_dataclass_makes() -> None:
    """ledger_row sets a row's fields at once (no __init__): every field, and the same row."""
    names = {field.name for field in dataclasses.fields(LedgerRow)}
    rows = library_ledger(SITE).rows
    assert rows
    for row in rows:
        assert set(vars(row)) == names
        made = LedgerRow(**{name: getattr(row, name) for name in names})
        assert made == row and repr(made) == repr(row) and hash(made) == hash(row)


def test_a_book_packed_for_the_workbook_process_unpacks_to_the_same_book(book: LedgerBook) -> None:
    """build.py sends the ledgers to the workbook process packed (marshal, not pickle): the same
    ledgers, rows, dates and counts come out, and rows shared by ledgers are shared again."""
    again = unpacked_book(packed_book(book))
    assert again == book
    assert again.library.rows and all(isinstance(row.received, dt.date) for row in again.library.rows)
    shared = {id(row) for row in again.library.rows}
    assert all(id(row) in shared for row in again.supervision.rows)
