"""A starting mapping file from a spreadsheet's header row (`casebook import FILE --suggest-mapping`).

Each column name is matched against what Casebook knows a column may be called: the aliases of
the shipped 登记台账 mapping, the contract's Chinese field titles, the 办理环节 names followed by
日期 or 时间, and the words of personal columns (姓名, 电话, 身份证, 住址 …). An exact name wins
over a name that contains a known one. What is not matched is listed as a comment, and every
field a record needs that no column feeds is written with a comment saying so, so that the
file is complete once a person has read it through."""

from __future__ import annotations

from pathlib import Path

from .emit import scalar
from .mapping import DEFAULT_MAPPING, FIELDS, REQUIRED, STAGES, Mapping, load_mapping
from .sheets import read_source
from .table import HEADER_SEARCH_ROWS, column_key

PERSONAL_WORDS = ("姓名", "电话", "手机", "身份证", "证件号", "住址", "地址", "联系人")
PERSONAL_NAMES = ("信访人", "来访人", "投诉人", "当事人")


def _known(default: Mapping) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(exact column key → field, [(key, field)] for containment, longest first)."""
    exact: dict[str, str] = {}
    for name, source in default.fields.items():
        for column in source.columns:
            exact.setdefault(column_key(column), name)
    for name, info in FIELDS.items():
        exact.setdefault(column_key(info.title), name)
    for number in default.case_number:
        exact.setdefault(column_key(number), "case_number")
    contained = sorted(((key, name) for key, name in exact.items() if len(key) >= 2), key=lambda item: -len(item[0]))
    return exact, contained


def _stage_of(key: str) -> str | None:
    for suffix in ("日期", "时间"):
        if key.endswith(suffix) and key[: -len(suffix)] in STAGES:
            return key[: -len(suffix)]
    return None


def _is_personal(key: str) -> bool:
    return key in PERSONAL_NAMES or any(word in key for word in PERSONAL_WORDS)


def suggest_mapping(path: Path, sheet: str | None = None, encoding: str | None = None) -> str:
    """The YAML text of a mapping for `path` (see the module's docstring)."""
    default, _ = load_mapping(None)
    exact, contained = _known(default)
    source = read_source(path, encoding)
    grids = [grid for grid in source.grids if sheet is None or grid.name == sheet or source.is_csv]
    best = (0, 0, grids[0] if grids else None)
    for grid in grids:
        for at, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
            score = sum(1 for cell in row if column_key(cell) in exact)
            if score > best[0]:
                best = (score, at, grid)
    score, at, grid = best
    if grid is None or score == 0:
        return "# 找不到表头：前 30 行中没有一行含有认识的列名。请参照内置映射手写：\n" + DEFAULT_MAPPING.read_text(
            encoding="utf-8"
        )
    header = [str(cell).strip() if cell is not None else "" for cell in grid.rows[at]]
    above = grid.rows[at - 1] if at > 0 else ()
    header = [
        name or (str(above[i]).strip() if i < len(above) and above[i] is not None else "")
        for i, name in enumerate(header)
    ]
    fields: dict[str, str] = {}
    stages: dict[str, str] = {}
    personal: list[str] = []
    case_number: list[str] = []
    unmatched: list[str] = []
    for name in header:
        key = column_key(name)
        if not key or key == "序号":
            continue
        target = exact.get(key)
        if target is None and _is_personal(key):
            personal.append(name)
            continue
        stage = _stage_of(key)
        if target is None and stage is None:
            target = next((field for known, field in contained if known in key), None)
        if target == "case_number":
            case_number.append(name)
        elif target is not None and target not in fields:
            fields[target] = name
            if target == "received" and "登记" not in stages:
                stages["登记"] = name
        elif stage is not None and stage not in stages:
            stages[stage] = name
        else:
            unmatched.append(name)
    return _yaml(path, grid.name, at + 1, default, fields, stages, personal, case_number, unmatched)


def _yaml(
    path: Path,
    sheet: str,
    header_row: int,
    default: Mapping,
    fields: dict[str, str],
    stages: dict[str, str],
    personal: list[str],
    case_number: list[str],
    unmatched: list[str],
) -> str:
    out = [
        f"# 按 {path.name} 的表头生成的导入映射：请逐项核对，再用 casebook import FILE --mapping 本文件 导入。",
        "# 字段说明见 docs/help/import.md；values 把导出中的写法对照到案例库的词表，default 是空格时的取值。",
        f"description: {scalar(path.stem + ' 的导入映射')}",
    ]
    if sheet:
        out.append(f"sheet: {scalar(sheet)}")
    out.append(f"header_row: {header_row}")
    if case_number:
        out.append(f"case_number: [{', '.join(scalar(name) for name in case_number)}]")
    else:
        out.append("case_number: [信访件编号]  # 没有找到案件编号列：请改为表中的列名（再次导入时按它对应记录）")
    out += ["record_id: allocate", "fields:"]
    for name in FIELDS:
        shipped = default.fields.get(name)
        if name in fields:
            out.append(f"  {name}:")
            out.append(f"    columns: [{scalar(fields[name])}]")
            if shipped is not None and shipped.values:
                out.append("    values:")
                out += [f"      {scalar(k)}: {scalar(v)}" for k, v in shipped.values.items()]
            if shipped is not None and shipped.default is not None:
                out.append(f"    default: {scalar(shipped.default)}")
        elif shipped is not None and shipped.default is not None:
            out.append(f"  {name}:  # 表中没有这一列，统一取缺省值")
            out.append(f"    default: {scalar(shipped.default)}")
        elif name in REQUIRED:
            out.append(f"  {name}:  # 必填（{FIELDS[name].title}），表中没有找到：请填写列名或缺省值")
            out.append("    default: （待填写）")
    out.append("stages:")
    if not stages:
        out.append("  登记: [登记日期]  # 没有找到环节日期列：请改为表中的列名")
    out += [f"  {stage}: [{scalar(column)}]" for stage, column in stages.items()]
    out.append(f"personal: [{', '.join(scalar(name) for name in personal)}]")
    if unmatched:
        out.append("# 未对应到任何字段的列（不导入）：" + "、".join(unmatched))
    return "\n".join(out) + "\n"
