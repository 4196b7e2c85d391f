"""The whole import: read, convert every row, check every record as `casebook validate` would,
then write all of them or none, and say what happened to each row.

A row becomes a record file `records/<id>.yaml`. Its id is the one an earlier import gave the
same case number (provenance.py), or a new one (`record_id: allocate`: XF-<year received>-<next
free number>; `case_number`: the case number itself). A record file that exists but was not
written by an import is never overwritten. A record whose case number is missing from this
export is listed, never deleted.

Every problem is collected before anything is written: `FILE!SHEET!C12: 字段: 说明` for a
workbook, `FILE:12:3: 字段: 说明` for CSV. With any problem nothing is written (exit 1), unless
`skip_bad_rows`, which writes the good rows and lists the rest. The files are written into a
folder of our own beside them and then renamed into place one by one, the provenance last.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..contract import RECORD_ID_PATTERN
from ..errors import Problem, UsageProblem
from ..library import FOLDERS, SETTINGS_FILE, Library, document_of, read_document
from ..load import LoadedYaml, parse_yaml
from ..progress import NO_PROGRESS, Progress
from ..skeleton import used_numbers
from ..validate import Inputs, Vocab, check_document, protected_names
from ..workdir import new_owned_folder
from .convert import Columns, Row, Vocabularies, convert_row, file_names
from .emit import record_yaml
from .mapping import FIELDS, REQUIRED, Mapping, title_of
from .provenance import (
    PROVENANCE_FILE,
    Origin,
    Provenance,
    ProvenanceUnreadable,
    canonical,
    flatten,
    nest,
    read_provenance,
    value_hash,
    write_provenance,
)
from .sheets import Source, SpreadsheetUnreadable, read_source
from .table import Table, find_table

RECORDS = next(folder for folder, kind in FOLDERS.items() if kind == "record")
_ID = re.compile(RECORD_ID_PATTERN)


@dataclass(frozen=True)
class Located:
    """One problem, located in the spreadsheet."""

    where: str  # FILE!SHEET!C12, FILE:12:3, or FILE!SHEET!第12行
    row: int
    column: int  # 0 for the row as a whole
    field: str  # the field's Chinese title, "" for the row
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"


@dataclass
class Outcome:
    """What happened to one data row."""

    row: int
    record_id: str | None
    action: str  # added / updated / unchanged / held (hand-written comments in the file) / invalid
    changed: list[str] = field(default_factory=list)  # fields updated
    kept: list[str] = field(default_factory=list)  # fields a person changed, left as they are


@dataclass
class ImportReport:
    source: str
    sheet: str
    header_row: int
    encoding: str | None
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Located] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (record id, case number) not in this export
    masked: Counter[tuple[str, str]] = field(default_factory=Counter)
    unused_columns: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)


def import_file(
    path: Path,
    library_root: Path,
    mapping: Mapping,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    today: dt.date | None = None,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Import `path` into the library at `library_root` (see the module's docstring). `progress`
    shows a bar per stage on a terminal (progress.py)."""
    clock = _Clock(progress)
    library = _settings_and_classes(library_root)
    if library.settings is None:
        raise UsageProblem(f"{library_root}/settings.yaml 有错误或不存在，无法取得词表；请先运行 casebook validate")
    try:
        provenance = read_provenance(library_root)
    except ProvenanceUnreadable as error:
        raise UsageProblem(str(error)) from None
    if not provenance.records and (orphan := _imported_without_provenance(library_root)) is not None:
        raise UsageProblem(
            f"案例库中有导入的记录（如 {orphan}），但没有 {PROVENANCE_FILE}：无法知道哪些记录和字段是导入的，"
            "再导入会重复建立记录。请从备份或版本库恢复该文件后再导入"
        )
    source = read_source(path, encoding)
    table = find_table(source, mapping, sheet)
    _require_columns(source, table, mapping)
    report = ImportReport(path.name, table.sheet, table.header_row, source.encoding, dry_run=dry_run)
    report.skipped = list(table.skipped)
    columns = Columns.of(table, mapping)
    report.unused_columns = _unused(table, columns)
    clock.done("读取")

    settings = library.settings.model
    vocabularies = Vocabularies(Vocab(settings.vocabularies, settings.time_limits).values)
    names = protected_names(library)
    rows: list[Row] = []
    everyone = file_names(table, columns)
    with progress.stage("转换", len(table.rows), "行") as bar:
        for number, cells in table.rows:
            rows.append(convert_row(number, cells, columns, vocabularies, names, everyone))
            bar.advance()
    for row in rows:
        report.masked.update(row.masked)
    clock.done("转换")

    ids, refused = _assign_ids(rows, library, provenance, mapping)
    context = _Context(
        source, table, library_root, provenance, Inputs.of(library, today or dt.date.today()),
        {doc.model.id for doc in library.classes},
    )  # fmt: skip
    planned: list[tuple[str, bytes | None, Origin]] = []
    with progress.stage("检查", len(rows), "行") as bar:
        for row in rows:
            outcome = Outcome(row.number, ids.get(row.number), "invalid")
            problems = [_located(source, table, row.number, p.column, p.field, p.message) for p in row.problems]
            if row.number in refused:
                column = table.column(mapping.case_number)
                problems.append(_located(source, table, row.number, column, "", refused[row.number]))
            if outcome.record_id is not None and not problems:
                result = _plan_row(row, outcome.record_id, context, outcome)
                if isinstance(result, list):
                    problems += result
                else:
                    planned.append((outcome.record_id, *result))
            if problems:
                outcome.action = "invalid"
            report.problems += problems
            report.outcomes.append(outcome)
            bar.advance()
    clock.done("检查")

    seen = {row.case_number for row in rows}
    report.missing = sorted(
        (record_id, origin.case_number)
        for record_id, origin in provenance.records.items()
        if origin.case_number not in seen
    )
    report.problems.sort(key=lambda p: (p.row, p.column, p.field, p.message))
    if (report.problems and not skip_bad_rows) or dry_run:
        return report
    _write(library_root, provenance, planned)
    report.written = True
    clock.done("写入")
    return report


@dataclass(frozen=True)
class _Stage:
    name: str
    seconds: float


class _Clock:
    """Ends each stage's line on the progress display with the time it took."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.progress.finished(_Stage(name, now - self.last))
        self.last = now


@dataclass(frozen=True)
class _Context:
    """What checking a row needs besides the row."""

    source: Source
    table: Table
    root: Path
    provenance: Provenance
    inputs: Inputs
    classes: set[str]


HEADER_START = "# 由 casebook import 从台账导入"


def _imported_without_provenance(root: Path) -> str | None:
    """A record file an import wrote (its first line says so), when there is no provenance."""
    for path in sorted((root / RECORDS).glob("*.yaml")):
        try:
            with path.open("rb") as handle:
                first = handle.readline().decode("utf-8", "replace")
        except OSError:
            continue
        if first.startswith(HEADER_START):
            return path.relative_to(root).as_posix()
    return None


def _settings_and_classes(root: Path) -> Library:
    """What an import reads of the library: the settings (vocabularies, protected names) and the
    classes (a record's class must exist). Records are not read: which ids are taken is told by
    the file names (skeleton.used_numbers) and the provenance."""
    if not root.is_dir():
        raise UsageProblem(f"{root}：案例库文件夹不存在")
    problems: list[Problem] = []
    settings = read_document(root, SETTINGS_FILE, "settings", problems)
    folder = next(name for name, kind in FOLDERS.items() if kind == "class")
    classes = []
    for path in sorted((root / folder).rglob("*.yaml")):
        doc = read_document(root, path.relative_to(root).as_posix(), "class", problems)
        if doc is not None:
            classes.append(doc)
    return Library(root, settings=settings, classes=classes)


def _require_columns(source: Source, table: Table, mapping: Mapping) -> None:
    """A required field no column feeds and no default fills: one message for all of them, exit 2."""
    missing = []
    if table.column(mapping.case_number) is None:
        missing.append(f"信访件编号（可为：{'、'.join(mapping.case_number)}）")
    for name in REQUIRED:
        spec = mapping.fields[name]
        if spec.default is None and table.column(spec.columns) is None:
            missing.append(f"{FIELDS[name].title}（可为：{'、'.join(spec.columns)}）")
    received = mapping.fields.get("received")
    registered = table.column(mapping.stages.get("登记", []))
    if received is not None and table.column(received.columns) is None and registered is None:
        missing.append(f"收到日期（可为：{'、'.join(received.columns)}）")
    if missing:
        where = f"工作表“{table.sheet}”" if table.sheet else "表中"
        raise SpreadsheetUnreadable(
            f"{source.path}：{where}缺少映射所需的列：{'；'.join(missing)}。表头（第 {table.header_row} 行）有："
            + "、".join(name for name in table.names if name)
        )


def _unused(table: Table, columns: Columns) -> list[str]:
    """The names of the columns no field, stage, case number or personal column reads."""
    used = {
        columns.case_number,
        *columns.personal,
        *(c for _, c, *_ in columns.fields),
        *(c for _, c in columns.stages),
    }
    return [name for column, name in enumerate(table.names) if name and column not in used and name != "序号"]


def _assign_ids(
    rows: list[Row], library: Library, provenance: Provenance, mapping: Mapping
) -> tuple[dict[int, str], dict[int, str]]:
    """(row number → record id, row number → why it has none: a case number twice, no free number)."""
    known = provenance.by_case_number()
    ids: dict[int, str] = {}
    refused: dict[int, str] = {}
    first_row: dict[str, int] = {}
    taken: dict[int, set[int]] = {}
    next_free: dict[int, int] = {}

    def allocate(year: int) -> str | None:
        if year not in taken:
            used = set(used_numbers(library, rf"XF-{year}-(\d{{4}})"))
            used |= {int(rid[8:]) for rid in provenance.records if rid.startswith(f"XF-{year}-")}
            taken[year] = used
            next_free[year] = 1
        number = next_free[year]
        while number in taken[year]:
            number += 1
        if number > 9999:
            return None
        taken[year].add(number)
        next_free[year] = number + 1
        return f"XF-{year}-{number:04d}"

    for row in rows:
        if not row.case_number or any(p.column is not None and not p.field for p in row.problems):
            continue
        if row.case_number in first_row:
            refused[row.number] = f"信访件编号 {row.case_number} 与第 {first_row[row.case_number]} 行重复"
            continue
        first_row[row.case_number] = row.number
        if row.case_number in known:
            ids[row.number] = known[row.case_number]
        elif mapping.record_id == "case_number":
            if _ID.fullmatch(row.case_number):
                ids[row.number] = row.case_number
            else:
                refused[row.number] = f"信访件编号 {row.case_number} 不是 XF-年份-四位序号 形式的记录编号"
        else:
            received = row.values.get("received")
            if isinstance(received, dt.date):
                allocated = allocate(received.year)
                if allocated is None:
                    refused[row.number] = f"{received.year} 年的记录编号已用完（最多 9999 件）"
                else:
                    ids[row.number] = allocated
    return ids, refused


def _located(source: Source, table: Table, row: int, column: int | None, field_name: str, message: str) -> Located:
    title = title_of(field_name)
    name = source.path.name
    if column is None:
        where = f"{name}:{row}" if source.is_csv else f"{name}!{table.sheet}!第{row}行"
        return Located(where, row, 0, title, message)
    if source.is_csv:
        return Located(f"{name}:{row}:{column + 1}", row, column + 1, title, message)
    from openpyxl.utils import get_column_letter

    return Located(f"{name}!{table.sheet}!{get_column_letter(column + 1)}{row}", row, column + 1, title, message)


def _record_values(row: Row, record_id: str) -> dict[str, Any]:
    """The nested values of the record a row makes (YAML keys: `class`, not `class_`)."""
    flat: dict[str, Any] = {"id": record_id}
    for name, value in row.values.items():
        if value is None or value == [] or value == "":
            continue
        flat[name] = value
    if "resolution.outcome" not in flat:  # no result: the rest of a result cannot stand alone
        for name in [n for n in flat if n.startswith("resolution.")]:
            del flat[name]
    return nest(flat)


def _plan_row(
    row: Row, record_id: str, context: _Context, outcome: Outcome
) -> list[Located] | tuple[bytes | None, Origin]:
    """What to write for one row (None: the file already says it), or its problems."""
    source, table, root, provenance = context.source, context.table, context.root, context.provenance

    relative = f"{RECORDS}/{record_id}.yaml"
    path = root / relative
    values = _record_values(row, record_id)
    new_flat = flatten(values)
    origin = provenance.records.get(record_id)
    header = f"{HEADER_START[2:]}（信访件编号 {row.case_number}）。再次导入会更新导入的字段；手工修改过的字段保留不动。"
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = None
    except OSError:
        existing = b"\xff"  # unreadable: reported below as such
    if existing is not None and origin is not None and existing == record_yaml(values, header).encode("utf-8"):
        # The file holds exactly what this row makes: nothing to merge, check or write (the
        # same export imported again: 10,000 files compared, none parsed).
        outcome.action = "unchanged"
        return None, Origin(row.case_number, source.path.name, table.sheet, row.number, dict(origin.fields))
    current: dict[str, Any] | None = None
    if existing is not None:
        try:
            loaded, issues = parse_yaml(existing.decode("utf-8"))
        except UnicodeDecodeError:
            loaded, issues = None, ["unreadable"]
        if loaded is None or issues or not isinstance(loaded.data, dict):
            return [
                _located(
                    source, table, row.number, None, "", f"{relative} 无法读取或不是有效的 YAML，未覆盖；请先修正它"
                )
            ]
        current = loaded.data
        if origin is None:
            return [_located(source, table, row.number, None, "", f"{relative} 已存在且不是导入的记录，未覆盖")]
    merged, owned, changed, kept = _merge(new_flat, flatten(current) if current is not None else None, origin)
    outcome.changed, outcome.kept = changed, kept
    values = nest(merged)
    text = record_yaml(values, header)
    problems: list[Problem] = []
    # The values as the library's reader would give them back from `text` (emit.py writes
    # what reads back as written: tests/test_import_cells.py), without parsing 10,000 files again.
    doc = document_of(relative, "record", LoadedYaml(canonical(values)), problems)
    if doc is not None:
        problems += check_document(doc, "record", context.inputs)
        if doc.model.class_ and doc.model.class_ not in context.classes:
            problems.append(doc.problem(("class",), f"类案 {doc.model.class_} 不存在"))
    if problems:
        return [_problem_at(p, row, source, table) for p in problems]
    new_origin = Origin(row.case_number, source.path.name, table.sheet, row.number, owned)
    if current is not None and canonical(current) == canonical(values):
        outcome.action = "unchanged"
        return None, new_origin
    if existing is not None and origin is not None and _hand_comments(existing):
        # Writing the file again would lose the comments a person wrote in it: it is left as it is
        # (the report names the fields the export changed, to be merged by hand).
        outcome.action = "held"
        return None, origin
    outcome.action = "added" if current is None else "updated"
    return text.encode("utf-8"), new_origin


def _hand_comments(data: bytes) -> bool:
    """Whether a record file holds comments besides the import's first line: a # at the start of a
    line or after a space that no scalar holds (YAML's own scanner says where the scalars are,
    quoted ones and literal blocks included: a "第 #3 号" in a value is no comment)."""
    text = data.decode("utf-8", "replace")
    body = text.find("\n") + 1
    marks = [m.start() for m in _COMMENT.finditer(text, body)]
    if not marks:
        return False
    try:
        scalars = [
            (token.start_mark.index, token.end_mark.index)
            for token in yaml.scan(text, Loader=yaml.SafeLoader)
            if isinstance(token, yaml.ScalarToken)
        ]
    except yaml.YAMLError:
        return True  # cannot tell: keep the person's file as it is
    return any(not any(start <= mark < end for start, end in scalars) for mark in marks)


_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#", re.M)


def _merge(
    new: dict[str, Any], current: dict[str, Any] | None, origin: Origin | None
) -> tuple[dict[str, Any], dict[str, str], list[str], list[str]]:
    """(merged flat values, the import's field hashes, fields changed, fields a person keeps)."""
    if current is None:
        return dict(new), {path: value_hash(value) for path, value in new.items()}, sorted(new), []
    owned_before = origin.fields if origin is not None else {}
    merged = dict(current)
    owned: dict[str, str] = {}
    changed, kept = [], []
    for path, value in new.items():
        mine = path in owned_before
        edited = mine and (path not in current or value_hash(current[path]) != owned_before[path])
        if (mine and not edited) or (not mine and path not in current):
            if path not in current or canonical(current[path]) != canonical(value):
                changed.append(path)
            merged[path] = value
            owned[path] = value_hash(value)
        elif mine and edited:
            kept.append(path)
    for path, hashed in owned_before.items():
        if path not in new and path in current and value_hash(current[path]) == hashed:
            del merged[path]  # the export no longer has it: the import's value goes with it
            changed.append(path)
    return merged, owned, sorted(changed), sorted(kept)


def _problem_at(problem: Problem, row: Row, source: Source, table: Table) -> Located:
    """A contract problem of the record a row made, located at the cell that fed the field."""
    path = problem.field
    column = None
    probe = path
    while probe:
        if probe in row.columns:
            column = row.columns[probe]
            break
        probe = probe.rsplit(".", 1)[0] if "." in probe else (probe.rsplit("[", 1)[0] if "[" in probe else "")
    title = _stage_title(path, row) or title_of(path)
    return _located(source, table, row.number, column, "", f"{title}: {problem.message}" if title else problem.message)


def _stage_title(path: str, row: Row) -> str | None:
    """stages[2].date → 答复日期: the stage's own column, as the clerk knows it."""
    match = re.match(r"stages\[(\d+)\]", path)
    stages = row.values.get("stages", [])
    if match is None or int(match[1]) >= len(stages):
        return None
    return f"{stages[int(match[1])]['stage']}日期"


def _write(root: Path, provenance: Provenance, planned: list[tuple[str, bytes | None, Origin]]) -> None:
    """Every changed record file, then the provenance: staged in a folder of ours, renamed into place."""
    records = root / RECORDS
    records.mkdir(parents=True, exist_ok=True)
    staging = new_owned_folder(records, ".importing-")
    try:
        staged = []
        for record_id, data, _ in planned:
            if data is None:
                continue
            temporary = staging / f"{record_id}.yaml"
            temporary.write_bytes(data)
            staged.append((temporary, records / f"{record_id}.yaml"))
        for temporary, final in staged:
            os.replace(temporary, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    updated = dataclasses.replace(provenance, records=dict(provenance.records))
    for record_id, _, origin in planned:
        updated.records[record_id] = origin
    write_provenance(root, updated)
