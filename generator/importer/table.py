"""A grid of cells → the table in it: which row holds the column names, which rows are data.

Exports are made for printing, not for reading back: a title merged across the table, a line
saying who filled it in, two header rows with group cells (基本信息 / 反映问题 / 办理情况) over
the real column names, empty rows, a repeated header after a page break, and notes and
signatures under the table. The header row is the one among the first rows that holds the most
column names the mapping knows; a cell left empty in it takes the name above it (a name merged
down over both header rows). A row without a case number and with at most two filled cells is a
note or signature line; a row equal to the header is a repeated header. Both are reported as
skipped, with their row numbers; their text is never read into a record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .cells import key_text, text_of
from .mapping import Mapping
from .sheets import Grid, Source, SpreadsheetUnreadable

HEADER_SEARCH_ROWS = 30
_BRACKETED = re.compile(r"[（(][^（()）]*[)）]$")
_MARKS = re.compile(r"^[*＊※]+|[*＊※]+$")


def column_key(name: object) -> str:
    """A column name as compared: no spaces or line breaks, half-width, no * marks."""
    return _MARKS.sub("", key_text(name))


def _name_keys(name: object) -> list[str]:
    """The keys a header cell may match: itself, and without a bracketed unit (信访人数（人）)."""
    key = column_key(name)
    bare = _BRACKETED.sub("", key)
    return [key, bare] if bare and bare != key else [key]


@dataclass
class Table:
    """The table found in one sheet."""

    sheet: str
    header_row: int  # 1-based row number of the column names
    names: list[str]  # column name per column index ("" when the column has none)
    index: dict[str, int]  # column key → first column with it
    rows: list[tuple[int, tuple[object, ...]]] = field(default_factory=list)  # (row number, cells) of data
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row number, why)

    def column(self, names: list[str]) -> int | None:
        """The first of `names` (a mapping's aliases, in order) that the header has."""
        for name in names:
            found = self.index.get(column_key(name))
            if found is not None:
                return found
        return None


def find_table(source: Source, mapping: Mapping, sheet: str | None) -> Table:
    """The table of the sheet named (by --sheet or the mapping), or of the sheet whose header
    matches the mapping best. Raises SpreadsheetUnreadable when there is none."""
    wanted = sheet or mapping.sheet
    grids = source.grids
    if wanted is not None and not source.is_csv:
        grids = [grid for grid in source.grids if grid.name == wanted]
        if not grids:
            names = "、".join(grid.name for grid in source.grids)
            raise SpreadsheetUnreadable(f"{source.path}：没有名为“{wanted}”的工作表（有：{names}）")
    known = {column_key(name) for name in mapping.all_columns()}
    best: tuple[int, int, Grid] | None = None
    for grid in grids:
        if mapping.header_row is not None:
            at = mapping.header_row - 1
            score = _score(grid.rows[at], known) if at < len(grid.rows) else 0
        else:
            at, score = _header_row(grid, known)
        if score >= 2 and (best is None or score > best[0]):
            best = (score, at, grid)
    if best is None:
        where = f"工作表“{wanted}”" if wanted and not source.is_csv else "任何工作表"
        if all(not grid.rows for grid in grids):
            raise SpreadsheetUnreadable(f"{source.path}：{where}都是空的，没有可导入的行")
        raise SpreadsheetUnreadable(
            f"{source.path}：{where}的前 {HEADER_SEARCH_ROWS} 行中都找不到表头（没有一行含有两个以上映射中的列名）；"
            "请检查 --mapping，或用 --suggest-mapping 生成映射"
        )
    _, at, grid = best
    return _table(grid, at, mapping)


def _score(row: tuple[object, ...], known: set[str]) -> int:
    return sum(1 for cell in row if any(key in known for key in _name_keys(cell)))


def _header_row(grid: Grid, known: set[str]) -> tuple[int, int]:
    best_at, best_score = 0, 0
    for at, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        score = _score(row, known)
        if score > best_score:
            best_at, best_score = at, score
    return best_at, best_score


def _table(grid: Grid, at: int, mapping: Mapping) -> Table:
    header = grid.rows[at]
    above = grid.rows[at - 1] if at > 0 else ()
    names = []
    # as wide as the row above too: a last column merged down over both header rows (备注) has its
    # name above, and the header row read ends at its last filled cell
    for column in range(max(len(header), len(above))):
        name = text_of(header[column]) if column < len(header) else ""
        if not name and column < len(above):  # a name merged down over two header rows
            name = text_of(above[column])
        names.append(name)
    index: dict[str, int] = {}
    for column, name in enumerate(names):
        for key in _name_keys(name):
            if key:
                index.setdefault(key, column)
    table = Table(grid.name, at + 1, names, index)
    number_column = table.column(mapping.case_number)
    header_keys = {column_key(name) for name in names} - {""}
    for offset, row in enumerate(grid.rows[at + 1 :], start=at + 2):
        number = text_of(row[number_column]) if number_column is not None and number_column < len(row) else ""
        if number and column_key(number) not in header_keys and not number.isdigit():
            table.rows.append((offset, row))  # a case number (not a header's name, not a column's number)
            continue
        filled = [cell for cell in row if cell is not None and cell != "" and text_of(cell)]
        if not filled:
            continue  # an empty row: nothing to say
        if len(filled) >= 3 and sum(column_key(cell) in header_keys for cell in filled) >= 0.8 * len(filled):
            table.skipped.append((offset, "重复的表头行"))
            continue
        if len(filled) >= 3 and [text_of(cell) for cell in filled] == [str(n) for n in range(1, len(filled) + 1)]:
            table.skipped.append((offset, "列序号行"))
            continue
        if not number and len(filled) <= 2:
            table.skipped.append((offset, "表尾说明或签名行，不是数据"))
            continue
        table.rows.append((offset, row))
    return table
