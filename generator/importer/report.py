"""An import's report as the clerk reads it: what happened to each row (by row number), what was
masked per column (counts only, never an original), and what the export no longer has."""

from __future__ import annotations

from collections import Counter

from .mapping import title_of
from .run import ImportReport

ACTIONS = {"added": "新增", "updated": "更新", "unchanged": "未变", "held": "未更新", "invalid": "有错误"}
ENCODINGS = {"utf-8-sig": "UTF-8（带 BOM）", "utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}


def report_lines(report: ImportReport, *, rows: bool = True) -> list[str]:
    """The whole report: one line per row when `rows`, then the totals."""
    lines = [_heading(report)]
    for problem in report.problems:
        lines.append(str(problem))
    if rows:
        for outcome in sorted(report.outcomes, key=lambda o: o.row):
            if outcome.action == "invalid":
                continue
            would = "将" if not report.written and outcome.action != "unchanged" else ""
            line = f"第 {outcome.row} 行 → {outcome.record_id}：{would}{ACTIONS[outcome.action]}"
            if outcome.action == "updated" and outcome.changed:
                line += f"（{'、'.join(titles(outcome.changed))}）"
            if outcome.action == "held":
                changed = "、".join(titles(outcome.changed))
                line += f"（文件里有手写的注释，为不丢失注释没有改动；导出中有变化的字段：{changed}，请手工合并）"
            if outcome.kept:
                line += f"；保留手工修改：{'、'.join(titles(outcome.kept))}"
            lines.append(line)
        for number, why in report.skipped:
            lines.append(f"第 {number} 行：跳过（{why}）")
    lines += summary_lines(report)
    return lines


def titles(paths: list[str]) -> list[str]:
    """Field paths as the clerk knows them, in their order (mapping.title_of)."""
    return [title_of(path) for path in paths]


def _heading(report: ImportReport) -> str:
    where = f"工作表“{report.sheet}”，" if report.sheet else ""
    encoding = f"编码 {ENCODINGS.get(report.encoding, report.encoding)}，" if report.encoding else ""
    return f"导入 {report.source}（{where}{encoding}表头在第 {report.header_row} 行，{len(report.outcomes)} 行数据）"


def summary_lines(report: ImportReport) -> list[str]:
    invalid = report.count("invalid")
    would = "" if report.written else "将"  # nothing written (problems, --dry-run): what it would do
    counts = (
        f"{would}新增 {report.count('added')} 件，{would}更新 {report.count('updated')} 件，"
        f"未变 {report.count('unchanged')} 件，跳过 {len(report.skipped) + invalid} 行"
    )
    if invalid:
        counts += f"（其中有错误的数据行 {invalid} 行）"
    lines = [counts]
    held = report.count("held")
    if held:
        lines.append(f"{held} 件记录的文件里有手写注释，没有更新（见上面各行，请手工合并导出中的变化）")
    kept = sum(1 for outcome in report.outcomes if outcome.kept)
    if kept:
        lines.append(f"{kept} 件记录有手工修改过的字段，已保留不动")
    if report.masked:
        lines.append("脱敏：" + "；".join(_masked(report.masked)))
    if report.missing:
        shown = "、".join(f"{record_id}（{number}）" for record_id, number in report.missing[:20])
        more = f" 等 {len(report.missing)} 件" if len(report.missing) > 20 else ""
        lines.append(f"本次导出中没有、以前导入过的记录（未删除）：{shown}{more}")
    if report.unused_columns:
        lines.append("未使用的列：" + "、".join(report.unused_columns))
    if report.problems and not report.written:
        lines.append(f"共 {len(report.problems)} 个问题，未写入任何文件（可用 --skip-bad-rows 只导入没有问题的行）")
    elif report.dry_run:
        lines.append("试运行（--dry-run）：未写入任何文件")
    elif report.written and report.problems:
        lines.append(f"已写入没有问题的行；{invalid} 行有问题，未导入")
    elif not any(o.action in ("added", "updated") for o in report.outcomes):
        lines.append("案例库已是最新，没有文件需要改动")
    return lines


def _masked(masked: Counter[tuple[str, str]]) -> list[str]:
    by_column: dict[str, Counter[str]] = {}
    for (column, kind), count in masked.items():
        by_column.setdefault(column, Counter())[kind] += count
    parts = []
    for column in sorted(by_column):
        kinds = by_column[column]
        if set(kinds) == {"整列不导入"}:
            parts.append(f"{column} {kinds['整列不导入']} 格（整列不导入）")
        else:
            detail = "、".join(f"{kind} {count}" for kind, count in sorted(kinds.items()) if kind != "整列不导入")
            parts.append(f"{column} {sum(kinds.values())} 处（{detail}）")
    return parts
