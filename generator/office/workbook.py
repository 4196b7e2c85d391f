"""Ledgers → .xlsx workbooks: a class's 类案台账, and the whole library's with its 督办 sheet.

Staff filter and sort ledgers in Excel/WPS, so every sheet is one plain
table: a bold, frozen header row, an autofilter over the data, dates as
real date cells and day counts as numbers (a date typed as text neither
sorts nor filters by month). Column widths count a CJK character as two
units, as spreadsheet programs draw them.

A rebuild of unchanged data must give the same bytes (the build compares
outputs, and so do tests): the document and zip entry dates are the ledger's
as-of date (office/xlsx.py, which writes the workbook's XML).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..contract import date_text
from ..derive.ledger import LEDGER_STATES, OUTCOMES, BatchGroup, Ledger, LedgerBook, LedgerRow, Supervision, Tally
from ..memo import BlobMemo, remembered
from .xlsx import xlsx_bytes

MAX_WIDTH = 50
MIN_WIDTH = 6
_WIDE = re.compile("[\u2e80-\U0010ffff]")  # drawn two units wide
SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
# A text cell starting with one of these is taken for a formula when a user
# edits it in Excel or WPS (CSV/formula injection, OWASP): such cells carry
# quotePrefix, the apostrophe Excel itself puts before text typed as "=…".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Value = str | int | float | dt.date | None


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[LedgerRow], Value]


def _join(items: Iterable[str]) -> str:
    return "、".join(items)


def _day(day: dt.date | None, row: LedgerRow) -> dt.date | str | None:
    """A date cell, or 2019年5月 as text when the record's dates are known only that far."""
    return date_text(day, row.date_precision) if row.date_precision and day else day


ROW_COLUMNS_HEAD = [
    Column("编号", lambda r: r.id),
    Column("标题", lambda r: r.title),
    Column("收到日期", lambda r: _day(r.received, r)),
    Column("地区", lambda r: r.region),
]
ROW_COLUMNS_TAIL = [
    Column("主办单位", lambda r: r.lead_unit),
    Column("协办单位", lambda r: _join(r.assist_units)),
    Column("涉及户数", lambda r: r.households),
    Column("诉求金额（万元）", lambda r: r.amount_claimed),
    Column("兑付金额（万元）", lambda r: r.amount_paid),
    Column("办理程序", lambda r: r.procedure),
    Column("当前环节", lambda r: r.stage),
    Column("环节日期", lambda r: _day(r.stage_date, r)),
    Column("计时环节", lambda r: r.clock),
    Column("到期日期", lambda r: r.due),
    Column("剩余天数", lambda r: r.days_left),
    Column("期限状态", lambda r: r.state),
    Column("办理结果", lambda r: r.outcome),
    Column("对责任单位满意度", lambda r: r.unit_rating),
    Column("对信访部门满意度", lambda r: r.office_rating),
    Column("包案领导", lambda r: r.lead_official),
]
SUPERVISION_COLUMNS = [
    Column("责任单位", lambda r: r.lead_unit),
    Column("期限状态", lambda r: r.state),
    Column("剩余天数", lambda r: r.days_left),
    Column("到期日期", lambda r: r.due),
    Column("计时环节", lambda r: r.clock),
    Column("编号", lambda r: r.id),
    Column("标题", lambda r: r.title),
    Column("所属类案", lambda r: r.class_label),
    Column("收到日期", lambda r: _day(r.received, r)),
    Column("办理程序", lambda r: r.procedure),
    Column("当前环节", lambda r: r.stage),
    Column("环节日期", lambda r: _day(r.stage_date, r)),
    Column("协办单位", lambda r: _join(r.assist_units)),
    Column("包案领导", lambda r: r.lead_official),
]
TALLY_HEADERS = ["合计", "在办", *LEDGER_STATES, *OUTCOMES]


def ledger_columns(ledger: Ledger) -> list[Column]:
    """The row columns of a ledger sheet: the batch key sits after 地区, named by the rule."""
    return [*ROW_COLUMNS_HEAD, Column(ledger.group_label, lambda r: r.batch_key), *ROW_COLUMNS_TAIL]


def tally_cells(tally: Tally) -> list[Value]:
    return [tally.total, tally.open, *tally.states.values(), *tally.outcomes.values()]


# ── workbooks ───────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Sheet:
    """One sheet as it is written: all a workbook's bytes depend on, with the as-of date and the code."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]


def ledger_sheets(ledger: Ledger) -> list[Sheet]:
    """A class ledger: sheet 台账 (every row) and sheet 分组汇总 (one line per batch)."""
    return [
        _rows_sheet("台账", ledger_columns(ledger), ledger.rows),
        _sheet("分组汇总", [ledger.group_label, *TALLY_HEADERS], _group_cells(ledger.groups)),
    ]


def library_sheets(library: Ledger, supervision: Supervision) -> list[Sheet]:
    """The whole library: 台账, 督办 (临期/逾期 by unit), 督办汇总 and 类案汇总."""
    return [
        _rows_sheet("台账", ledger_columns(library), library.rows),
        _rows_sheet("督办", SUPERVISION_COLUMNS, supervision.rows),
        _sheet(
            "督办汇总",
            ["责任单位", "逾期", "临期", "合计"],
            [[u.unit, u.overdue, u.due_soon, len(u.rows)] for u in supervision.units],
        ),
        _sheet("类案汇总", [library.group_label, *TALLY_HEADERS], _group_cells(library.groups)),
    ]


def workbook_bytes(sheets: Sequence[Sheet], as_of: dt.date) -> bytes:
    """The workbook of `sheets`, each a plain table (office/xlsx.py writes its XML)."""
    tables = [(sheet_title(s.name), s.headers, s.rows, column_widths(s.headers, s.rows)) for s in sheets]
    return xlsx_bytes(tables, as_of, FORMULA_TRIGGERS)


def ledger_workbook_bytes(ledger: Ledger) -> bytes:
    return workbook_bytes(ledger_sheets(ledger), ledger.as_of)


def library_workbook_bytes(library: Ledger, supervision: Supervision) -> bytes:
    return workbook_bytes(library_sheets(library, supervision), library.as_of)


def write_ledger_workbook(ledger: Ledger, path: Path) -> None:
    path.write_bytes(ledger_workbook_bytes(ledger))


def write_library_workbook(library: Ledger, supervision: Supervision, path: Path) -> None:
    path.write_bytes(library_workbook_bytes(library, supervision))


def ledger_workbooks(
    book: LedgerBook,
    memo: BlobMemo | None = None,
    keys: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> Iterator[tuple[str, bytes]]:
    """Every ledger workbook of a build as (path relative to the docs folder, bytes), in a fixed order.

    With `memo`, a workbook made before from the same inputs is not made again (openpyxl
    takes seconds at 10,000 records; an edit changes one class's ledger). `keys`: download →
    the ledger's inputs key (workbook_keys), which stands for its cells: such a workbook's
    sheets are not even made when the memo has it. Others are known by their cells.
    `skip`: downloads already written (remembered_workbooks)."""
    made: list[tuple[str, Callable[[], list[Sheet]], dt.date]] = [
        (ledger.download, partial(ledger_sheets, ledger), ledger.as_of) for ledger in book.classes
    ]
    made.append((book.library.download, partial(library_sheets, book.library, book.supervision), book.library.as_of))
    for download, sheets_of, as_of in made:
        if download in skip:
            continue
        known = keys.get(download) if keys is not None else None
        if known is not None:
            yield download, remembered(memo, _inputs_parts(known), partial(_made, sheets_of, as_of))
            continue
        sheets = sheets_of()
        yield (
            download,
            remembered(memo, ("xlsx", repr(sheets), as_of.isoformat()), partial(workbook_bytes, sheets, as_of)),
        )


def workbook_keys(book: LedgerBook, inputs: Mapping[str, str]) -> dict[str, str]:
    """download → inputs key (derive/ledger.py; `inputs`: by ledger key) of every ledger workbook
    that has one. The whole library's workbook holds the 督办 sheet too, which follows from the
    same rows and settings."""
    return {ledger.download: inputs[ledger.key] for ledger in (*book.classes, book.library) if ledger.key in inputs}


def remembered_workbooks(keys: Mapping[str, str], memo: BlobMemo | None) -> dict[str, bytes]:
    """download → bytes of the workbooks `memo` holds under their inputs keys (read here, so
    what another process makes is only what changed)."""
    if memo is None:
        return {}
    found = {}
    for download, key in sorted(keys.items()):
        data = memo.get(memo.key(*_inputs_parts(key)))
        if data is not None:
            found[download] = data
    return found


def _inputs_parts(key: str) -> tuple[str, ...]:
    return ("xlsx-inputs", key)


def _made(sheets_of: Callable[[], list[Sheet]], as_of: dt.date) -> bytes:
    return workbook_bytes(sheets_of(), as_of)


# ── sheets ──────────────────────────────────────────────────────────────────


def _rows_sheet(name: str, columns: Sequence[Column], rows: Sequence[LedgerRow]) -> Sheet:
    return _sheet(
        name, [column.header for column in columns], [[column.value(row) for column in columns] for row in rows]
    )


def _sheet(name: str, headers: Sequence[str], rows: Iterable[Sequence[Value]]) -> Sheet:
    return Sheet(name, tuple(headers), tuple(tuple(row) for row in rows))


def _group_cells(groups: Sequence[BatchGroup]) -> list[list[Value]]:
    return [[group.key, *tally_cells(group.tally)] for group in groups]


def sheet_title(name: str) -> str:
    """Excel refuses sheet names longer than 31 characters or containing []:*?/\\."""
    return name.translate(SHEET_NAME_FORBIDDEN)[:31]


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[Value]]) -> list[float]:
    """Each column as wide as its widest value (CJK counted double), within MIN_WIDTH and MAX_WIDTH."""
    widths = []
    full = MAX_WIDTH - 2  # a value this wide makes the column as wide as a column gets
    for index, header in enumerate(headers):
        widest = display_width(header)
        for values in rows:
            if widest >= full:
                break  # no value can widen it further: the rest are not measured (a ledger of 100,000 rows)
            value = values[index]
            if value is None:
                continue
            # A value is at most twice as wide as it is long: one that could not beat the widest is skipped.
            if isinstance(value, str) and 2 * len(value) <= widest:
                continue
            widest = max(widest, display_width(value))
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, widest + 2)))
    return widths


def display_width(value: Any) -> int:
    """Width in spreadsheet units: a CJK (wide) character counts two."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text))
