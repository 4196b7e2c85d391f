"""A data row → one record's values, desensitized, each value remembering the cell it came from.

Every text is masked on the way in with the detectors and replacements `casebook redact`
uses (privacy.py): names after role words and the settings' protected names become 张某,
ID, phone and card numbers keep only their first and last digits, household addresses lose
their numbers. The row's own personal columns (信访人, 联系电话, 身份证号码, 住址 …) are never
written: their values are looked for, and masked, in the row's other cells, so a summary
that begins "王建国反映" loses the name even with no role word before it. What was masked is
counted per column; no original is kept or shown.

Vocabulary cells are matched as staff write them: the mapping's value map first (走访 → 来访),
then the library's word itself, then the same with full-width letters and spaces folded; a
region may be written with or without the city and separators (城东区和平街道, 城东区/和平街道,
和平街道 when only one region has it). A word that matches nothing is kept as written, and
the contract check (run.py) names the closest valid one.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..privacy import NAME, PROTECTED_NAME, find_personal_data
from .cells import date_of, half_width, int_of, items_of, key_text, sentences_of, text_of
from .mapping import FIELDS, FieldSource, Mapping
from .table import Table

TITLE_LENGTH = 40
_NAME_LIKE = re.compile(r"[\u4e00-\u9fff·•]{2,6}")
_AND_OTHERS = re.compile(r"\s*等\s*[\d０-９一二三四五六七八九十百]*\s*[人名户位]?$")  # 何明亮等6人


def names_in(value: str) -> set[str]:
    """The names a name cell lists: 王建国、李秀英 / 何明亮等6人 / 张伟(代表)."""
    names = set()
    for item in items_of(value):
        item = _AND_OTHERS.sub("", re.sub(r"[（(][^）)]*[）)]", "", item))
        if _NAME_LIKE.fullmatch(item):
            names.add(item)
    return names


_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_MASK = "**"


@dataclass
class RowProblem:
    """One problem of one row: the cell (or None for the row as a whole), the field, the message."""

    column: int | None
    field: str  # a FIELDS name, "" for the row
    message: str


@dataclass
class Row:
    """One data row, converted."""

    number: int  # 1-based spreadsheet row
    case_number: str
    values: dict[str, Any] = field(default_factory=dict)  # FIELDS name → value; "stages" → list of dicts
    columns: dict[str, int] = field(default_factory=dict)  # value path (field, stages[i]) → its column
    problems: list[RowProblem] = field(default_factory=list)
    masked: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column name, kind) → count


class Vocabularies:
    """The library's lists, folded for matching as staff write them."""

    def __init__(self, lists: dict[str, list[str]]) -> None:
        self.lists = lists
        self.folded = {name: {key_text(value): value for value in values} for name, values in lists.items()}
        self.regions = _region_forms(lists.get("regions", []))

    def match(self, vocabulary: str, word: str) -> str:
        if vocabulary == "regions":
            return self.regions.get(_region_key(word), word)
        if word in self.lists.get(vocabulary, ()):
            return word
        return self.folded.get(vocabulary, {}).get(key_text(word), word)


def _region_key(text: str) -> str:
    return re.sub(r"[/\\\-－—>＞、,，\s]+", "", half_width(text))


def _region_forms(paths: list[str]) -> dict[str, str]:
    """Every way a region may be written → its path; a form two regions share is left out."""
    forms: dict[str, set[str]] = {}
    for path in paths:
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            region = "/".join(parts[:end])
            for start in range(end):
                forms.setdefault(_region_key("".join(parts[start:end])), set()).add(region)
    return {form: next(iter(regions)) for form, regions in forms.items() if len(regions) == 1}


class FileNames:
    """Every name written in the file's name columns (信访人, 姓名 …), to be found in any row.

    A petitioner often appears in another row too (a co-petitioner, a repeat visit), after no
    role word the detectors know ("城东区副区长约见陈淑芬"). Looking each text up against all
    names would be slow at 10,000 rows; here a text is read once, and only the two to six
    characters after a character that begins some name are looked up."""

    def __init__(self, names: set[str]) -> None:
        self.names = frozenset(names)
        self.first = frozenset(name[0] for name in names)
        self.lengths = sorted({len(name) for name in names}, reverse=True)

    def found_in(self, text: str) -> set[str]:
        found = set()
        if not self.first:
            return found
        for at, char in enumerate(text):
            if char in self.first:
                for length in self.lengths:
                    if text[at : at + length] in self.names:
                        found.add(text[at : at + length])
                        break
        return found


NO_FILE_NAMES = FileNames(set())


_NOT_NAMES = ("电话", "手机", "证", "址", "号码", "邮箱", "账号", "卡号")


def file_names(table: Table, columns: Columns) -> FileNames:
    """The names of every data row's name columns: the personal columns whose name says no number
    or address (each cell may list several: 王建国、李某)."""
    holding = [c for c in columns.personal if not any(word in columns.names[c] for word in _NOT_NAMES)]
    names: set[str] = set()
    for _, cells in table.rows:
        for column in holding:
            if column < len(cells):
                names.update(names_in(text_of(cells[column])))
    return FileNames(names)


class Masker:
    """Masks one row's texts: the detectors, the settings' protected names, the file's names, and
    the row's own personal values wherever they stand."""

    def __init__(
        self, protected_names: list[str], personal_values: list[str], names: FileNames = NO_FILE_NAMES
    ) -> None:
        own = {name for value in personal_values for name in names_in(value)}
        self.names = sorted({*protected_names, *own}, key=len, reverse=True)
        self.file_names = names
        # other personal values (numbers, addresses) wherever they appear verbatim
        self.literals = sorted({v for v in personal_values if v not in own and len(v) >= 4}, key=len, reverse=True)

    def mask(self, text: str, column: str, counts: Counter[tuple[str, str]]) -> str:
        """`text` with every finding replaced as `casebook redact` does, then whatever is left of
        the row's own personal values (an address the detectors do not see as one) as **."""
        names = self.names
        others = self.file_names.found_in(text)
        if others:
            names = sorted({*names, *others}, key=len, reverse=True)
        findings = find_personal_data(text, names)
        if findings:
            parts, last = [], 0
            for finding in findings:
                counts[(column, NAME if finding.kind == PROTECTED_NAME else finding.kind)] += 1
                parts += [text[last : finding.start], finding.replacement]
                last = finding.end
            text = "".join([*parts, text[last:]])
        for literal in self.literals:
            if literal in text:
                counts[(column, "个人信息列的值")] += text.count(literal)
                text = text.replace(literal, _MASK)
        return text


@dataclass(frozen=True)
class Columns:
    """Which column feeds what, found once per table (every row reads the same columns)."""

    case_number: int | None
    personal: list[int]
    fields: list[tuple[str, int | None, FieldSource, str, dict[str, str]]]  # (field, column, source, name, folded map)
    stages: list[tuple[str, int | None]]
    names: list[str]  # column names, for the masked counts

    @classmethod
    def of(cls, table: Table, mapping: Mapping) -> Columns:
        personal = sorted({c for c in (table.column([name]) for name in mapping.personal) if c is not None})
        fields = []
        for name, source in mapping.fields.items():
            column = table.column(source.columns)
            folded = {key_text(k): v for k, v in source.values.items()}
            fields.append((name, column, source, table.names[column] if column is not None else name, folded))
        stages = [(stage, table.column(columns)) for stage, columns in mapping.stages.items()]
        return cls(table.column(mapping.case_number), personal, fields, stages, table.names)


def convert_row(
    number: int,
    cells: tuple[object, ...],
    columns: Columns,
    vocabularies: Vocabularies,
    protected_names: list[str],
    names: FileNames = NO_FILE_NAMES,
) -> Row:
    """The record values of one data row (no id yet: run.py gives it)."""

    def cell(column: int | None) -> object:
        return cells[column] if column is not None and column < len(cells) else None

    row = Row(number, key_text(cell(columns.case_number)))
    if not row.case_number:
        row.problems.append(RowProblem(columns.case_number, "", "缺少信访件编号（再次导入时靠它对应记录）"))
    personal = []
    for c in columns.personal:
        value = text_of(cell(c))
        if value:
            personal.append(value)
            row.masked[(columns.names[c], "整列不导入")] += 1
    masker = Masker(protected_names, personal, names)

    for name, column, source, column_name, folded in columns.fields:
        raw = cell(column)
        if column is not None:
            row.columns[name] = column  # an empty cell too: "缺少必填字段" is then located at it
        if raw is None or raw == "" or not text_of(raw):
            if source.default is not None:
                row.values[name] = _defaulted(FIELDS[name].kind, source.default)
            continue
        value = _converted(name, raw, (source.values, folded), vocabularies, masker, column_name, row, column)
        if value is not None:
            row.values[name] = value
            row.columns[name] = column  # type: ignore[assignment]

    stages = []
    for stage, column in columns.stages:
        raw = cell(column)
        if raw is None or raw == "" or not text_of(raw):
            continue
        day = date_of(raw)
        if day is None:
            if not any(problem.column == column for problem in row.problems):  # the same cell as 收到日期
                row.problems.append(RowProblem(column, f"stages.{stage}", _bad_date(raw)))
            continue
        stages.append((day, len(stages), stage, column))
    received = row.values.get("received")
    if received is None:
        received = next((day for day, _, stage, _ in stages if stage == "登记"), None)
        if received is not None:
            row.values["received"] = received
            row.columns["received"] = next(c for _, _, stage, c in stages if stage == "登记")
        elif not any(problem.field in ("received", "stages.登记") for problem in row.problems):
            row.problems.append(RowProblem(row.columns.get("received"), "received", "缺少收到日期（登记日期）"))
    if received is not None and not any(stage == "登记" for _, _, stage, _ in stages):
        stages.append((received, -1, "登记", row.columns.get("received")))
    stages.sort(key=lambda item: (item[0], item[1]))
    row.values["stages"] = [{"stage": stage, "date": day} for day, _, stage, _ in stages]
    for i, (_, _, _, column) in enumerate(stages):
        row.columns[f"stages[{i}]"] = column  # type: ignore[assignment]

    if "title" not in row.values and "summary" in row.values:
        row.values["title"] = _title_from(row.values["summary"])
        row.columns["title"] = row.columns.get("summary")  # type: ignore[assignment]
    return row


def _defaulted(kind: str, default: str | int) -> Any:
    if kind == "int":
        return int_of(default)
    if kind in ("list", "vocab_list", "sentences"):
        return [str(default)]
    return default


def _converted(
    name: str,
    raw: object,
    value_maps: tuple[dict[str, str], dict[str, str]],
    vocabularies: Vocabularies,
    masker: Masker,
    column_name: str,
    row: Row,
    column: int | None,
) -> Any:
    info = FIELDS[name]
    value_map, folded_map = value_maps

    def mapped(word: str) -> str:
        if not value_map:
            return word
        found = value_map.get(word)
        return found if found is not None else folded_map.get(key_text(word), word)

    def problem(message: str) -> None:
        row.problems.append(RowProblem(column, name, message))

    if info.kind == "date":
        day = date_of(raw)
        if day is None:
            problem(_bad_date(raw))
        return day
    if info.kind == "int":
        number = int_of(raw)
        if number is None:
            problem(f"“{_shown(raw, masker)}” 不是整数")
        return number
    if info.kind in ("text", "free"):
        return masker.mask(text_of(raw), column_name, row.masked)
    if info.kind == "sentences":
        return [masker.mask(item, column_name, row.masked) for item in sentences_of(raw)]
    if info.kind == "list":
        return [masker.mask(mapped(item), column_name, row.masked) for item in items_of(raw)]
    if info.kind == "vocab_list":
        assert info.vocabulary is not None
        return [
            vocabularies.match(info.vocabulary, masker.mask(mapped(item), column_name, row.masked))
            for item in items_of(raw)
        ]
    word = masker.mask(mapped(text_of(raw)), column_name, row.masked)
    if info.kind in ("vocab", "region"):
        assert info.vocabulary is not None
        return vocabularies.match(info.vocabulary, word)
    # choice
    if word in info.choices:
        return word
    folded = {key_text(choice): choice for choice in info.choices}
    if key_text(word) in folded:
        return folded[key_text(word)]
    guess = difflib.get_close_matches(word, info.choices, n=1, cutoff=0.4)
    hint = f"，是否应为 “{guess[0]}”？" if guess else ""
    problem(f"“{word}” 不是可选值（可选：{'、'.join(info.choices)}）{hint}")
    return None


def _bad_date(raw: object) -> str:
    return f"无法识别的日期 “{text_of(raw)}”（可写作 2024-05-06、2024年5月6日、2024.5.6、2024/05/06 或日期格式单元格）"


def _shown(raw: object, masker: Masker) -> str:
    """A cell's text as a message may show it: masked like any imported text."""
    return masker.mask(text_of(raw), "", Counter())


def _title_from(summary: str) -> str:
    first = _SENTENCE_END.split(summary.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"
