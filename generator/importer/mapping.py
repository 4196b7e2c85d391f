"""The mapping file: which spreadsheet column feeds which record field, with the column-name
aliases of different exports, value maps and defaults.

It is YAML, read and checked like every library file (file:line:column messages, unknown
keys refused) and described by a JSON Schema (`casebook schema` writes it beside the others).
Casebook ships one for a typical 登记台账 (generator/defaults/import_mapping.yaml), used when
no --mapping is given; `casebook import FILE --suggest-mapping` writes a starting one from a
file's header row.

What a mapping can say:
- `case_number`: the column(s) holding the office's own case number (信访件编号): what a later
  export's rows are matched by;
- `record_id`: `allocate` (XF-<year received>-<next free number>) or `case_number` (the case
  number already is a record id such as XF-2024-0001);
- `fields`: per record field (a dotted path such as `units.lead`), the columns that may hold it
  (the first one present in the file is used), a map of the export's words to the library's,
  and a default for rows that leave it empty or files that lack it;
- `stages`: per 办理环节 (登记, 受理, 答复 …), the column(s) holding its date;
- `personal`: columns with petitioners' names, numbers and addresses. They are never written;
  their values are looked for, and masked, in every other cell of the same row.
What it cannot say: values computed from several columns (other than a region written across
two columns, which the region matcher reads from one cell), conditional rules, or more than one
stage of the same kind per row.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..contract import Category, Decision, Outcome, Rating, Route, StageKind, Visibility
from ..errors import Problem
from ..library import contract_problems
from ..load import parse_yaml

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "defaults" / "import_mapping.yaml"

# What each importable field is, as convert.py reads a cell for it.
FieldKind = Literal["text", "free", "date", "int", "list", "sentences", "vocab", "vocab_list", "region", "choice"]


@dataclass(frozen=True)
class FieldInfo:
    kind: FieldKind
    title: str  # the contract's Chinese title, as messages name the field
    vocabulary: str | None = None  # settings.yaml list (vocab, vocab_list)
    choices: tuple[str, ...] = ()  # the allowed words (choice)


def _choices(literal: Any) -> tuple[str, ...]:
    return tuple(typing.get_args(literal))


FIELDS: dict[str, FieldInfo] = {
    "title": FieldInfo("text", "标题"),
    "received": FieldInfo("date", "收到日期"),
    "channel": FieldInfo("vocab", "信访渠道", "channels"),
    "category": FieldInfo("choice", "信访类别", choices=_choices(Category)),
    "domain": FieldInfo("vocab", "问题领域", "domains"),
    "topic": FieldInfo("text", "具体问题"),
    "region": FieldInfo("region", "地区", "regions"),
    "subject": FieldInfo("text", "涉及项目"),
    "petitioners.count": FieldInfo("int", "信访人数"),
    "petitioners.kind": FieldInfo("vocab", "信访人类别", "petitioner_kinds"),
    "petitioners.representatives": FieldInfo("int", "代表人数"),
    "petitioners.households": FieldInfo("int", "涉及户数"),
    "flags": FieldInfo("vocab_list", "标记", "flags"),
    "procedure": FieldInfo("vocab", "办理程序", "procedures"),
    "summary": FieldInfo("free", "基本情况"),
    "demands": FieldInfo("sentences", "诉求"),
    "units.lead": FieldInfo("vocab", "主办单位", "units"),
    "units.assist": FieldInfo("vocab_list", "协办单位", "units"),
    "lead_official": FieldInfo("text", "包案领导"),
    "mechanisms": FieldInfo("vocab_list", "工作机制", "mechanisms"),
    "resolution.outcome": FieldInfo("choice", "办理结果", choices=_choices(Outcome)),
    "resolution.route": FieldInfo("choice", "化解方式", choices=_choices(Route)),
    "resolution.decision": FieldInfo("choice", "处理意见", choices=_choices(Decision)),
    "resolution.closed": FieldInfo("date", "办结日期"),
    "resolution.satisfaction.unit": FieldInfo("choice", "对责任单位的评价", choices=_choices(Rating)),
    "resolution.satisfaction.office": FieldInfo("choice", "对信访部门的评价", choices=_choices(Rating)),
    "resolution.note": FieldInfo("free", "结果说明"),
    "class": FieldInfo("text", "所属类案"),
    "tags": FieldInfo("list", "标签"),
    "visibility": FieldInfo("choice", "公开范围", choices=_choices(Visibility)),
}
FieldName = Literal[tuple(FIELDS)]  # type: ignore[valid-type]
STAGES: tuple[str, ...] = _choices(StageKind)
# Fields every record needs (contract.CaseRecord). A title missing from the file is made from
# the summary's first sentence; a date received missing is the 登记 stage's date.
REQUIRED = (
    "channel", "category", "domain", "topic", "region", "petitioners.count", "petitioners.kind",
    "summary", "demands", "units.lead",
)  # fmt: skip


# What a message calls a record path that is no importable field of its own.
OTHER_TITLES = {
    "id": "编号",
    "stages": "办理环节",
    "petitioners": "信访人",
    "units": "责任单位",
    "resolution": "办理结果",
}


def title_of(path: str) -> str:
    """A field path as the clerk knows it: resolution.outcome → 办理结果, stages.受理 → 受理日期,
    units.assist[1] → 协办单位; "" for none."""
    if not path:
        return ""
    if path.startswith("stages."):
        return f"{path.split('.', 1)[1]}日期"
    base = path.split("[", 1)[0]
    if base in FIELDS:
        return FIELDS[base].title
    return OTHER_TITLES.get(base.split(".", 1)[0], path)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSource(_Strict):
    """Where one field's value comes from."""

    columns: list[str] = Field(
        default_factory=list, title="列名", description="可能的列名（不同导出的叫法），用表中出现的第一个"
    )
    values: dict[str, str] = Field(
        default_factory=dict, title="取值对照", description="导出中的写法 → 案例库的写法，例如 走访: 来访"
    )
    default: str | int | None = Field(default=None, title="缺省值", description="表中没有这一列或该格为空时使用的值")

    @model_validator(mode="after")
    def _has_a_source(self) -> FieldSource:
        if not self.columns and self.default is None:
            raise ValueError("至少给出 columns（列名）或 default（缺省值）之一")
        return self


class Mapping(_Strict):
    """导入映射：表格的列 → 案例记录的字段。"""

    description: str | None = Field(default=None, title="说明", description="这份映射适用的台账或导出")
    sheet: str | None = Field(default=None, title="工作表", description="工作表名称；缺省时取第一个有表头的工作表")
    header_row: int | None = Field(
        default=None, ge=1, title="表头行", description="列名所在的行号（两行表头时为下面一行）；缺省时自动查找"
    )
    case_number: list[str] = Field(
        min_length=1, title="案件编号列", description="信访件编号所在的列（可列出多个叫法）：再次导入时按它对应"
    )
    record_id: Literal["allocate", "case_number"] = Field(
        default="allocate",
        title="记录编号",
        description="allocate：按收到年份分配 XF-年份-序号；case_number：案件编号本身就是 XF-年份-序号",
    )
    fields: dict[FieldName, FieldSource] = Field(title="字段", description="记录字段（如 units.lead）→ 来源")
    stages: dict[Literal[STAGES], list[str]] = Field(  # type: ignore[valid-type]
        default_factory=dict, title="办理环节", description="环节 → 记载该环节日期的列"
    )
    personal: list[str] = Field(
        default_factory=list,
        title="个人信息列",
        description="信访人姓名、电话、证件号、住址等列：绝不写入；其值在同一行其他各格中一并脱敏",
    )

    @model_validator(mode="after")
    def _covers_the_contract(self) -> Mapping:
        missing = [name for name in REQUIRED if name not in self.fields]
        if missing:
            raise ValueError("缺少必填字段的来源：" + "、".join(f"{name}（{FIELDS[name].title}）" for name in missing))
        if "received" not in self.fields and "登记" not in self.stages:
            raise ValueError("缺少收到日期的来源：给出 fields.received 或 stages.登记")
        if not self.stages:
            raise ValueError("stages 至少给出一个办理环节的日期列")
        return self

    def all_columns(self) -> set[str]:
        """Every column name the mapping knows, for finding the header row."""
        names = set(self.case_number) | set(self.personal)
        for source in self.fields.values():
            names.update(source.columns)
        for columns in self.stages.values():
            names.update(columns)
        return names


class MappingProblems(Exception):
    """The mapping file has problems (located, all of them)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def load_mapping(path: Path | None) -> tuple[Mapping, str]:
    """(the mapping, the name to show for it): `path`, or the shipped 登记台账 mapping."""
    source = path if path is not None else DEFAULT_MAPPING
    shown = source.as_posix() if path is not None else "（内置：登记台账）"
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingProblems([Problem(shown, 0, 0, "", "映射文件不存在")]) from None
    except UnicodeDecodeError:
        raise MappingProblems([Problem(shown, 0, 0, "", "映射文件不是 UTF-8 编码")]) from None
    loaded, issues = parse_yaml(text.removeprefix("\ufeff"))
    if loaded is None or issues:
        raise MappingProblems([Problem(shown, i.line, i.column, i.field, i.message) for i in issues])
    try:
        return Mapping.model_validate(loaded.data), shown
    except ValidationError as error:
        raise MappingProblems(contract_problems(shown, loaded, Mapping, error)) from None


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema of mapping files (for editors; `casebook schema` writes it)."""
    schema = Mapping.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "导入映射"
    schema["description"] = "Casebook 导入映射文件（由 casebook schema 生成，请勿手改）"
    return schema
