"""The `casebook` command: parse arguments, call one stage, print, exit.

Each command delegates to a module that does the work; this file only
turns results into output and exit codes (0 clean, 1 problems found,
2 the library or request cannot be used at all).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .errors import EXIT_PROBLEMS, FileSystemProblem

DEFAULT_LIBRARY = Path("cases")
library_argument = click.argument("library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, required=False)


class CasebookGroup(click.Group):
    """The command group; a file-system error in any command becomes one Chinese message, exit 2.

    A full disk, a read-only mount or a path under a file is the user's situation,
    not a bug: the message names the path and the cause (errors.FileSystemProblem).
    This is the one place that translates them, for every command.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as error:
            if error.errno == errno.EPIPE:  # output piped into `head`: click's own quiet exit
                raise
            raise FileSystemProblem(error) from error


@click.group(cls=CasebookGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casebook")
def cli() -> None:
    """Casebook：信访典型案例库与标准化操作指引生成器。"""


@cli.command()
@library_argument
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="统计日期：晚于它的日期都是错误（默认今天；与 build 的 --as-of 相同）",
)
def validate(library: Path, as_of: dt.datetime | None) -> None:
    """检查案例库：列出全部问题（文件:行:列: 字段: 说明）。"""
    from .validate import check_citations, check_library

    loaded, problems = check_library(library, _as_of(as_of))
    warnings = check_citations(loaded)
    for problem in sorted(problems + warnings):
        click.echo(str(problem))
    noted = f"，{len(warnings)} 个警告" if warnings else ""
    if problems:
        click.echo(f"共 {len(problems)} 个问题{noted}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"{library}: 未发现问题{noted}", err=True)


@cli.command()
@library_argument
@click.option("--out", type=click.Path(path_type=Path), default=None, help="输出文件夹（默认 LIBRARY/.schema）")
def schema(library: Path, out: Path | None) -> None:
    """生成 JSON Schema，供编辑器（VS Code YAML 插件）补全和检查字段。"""
    from .library import read_library
    from .schema import vscode_settings, write_schemas

    loaded, _ = read_library(library)
    settings = loaded.settings.model if loaded.settings else None
    out = out or library / ".schema"
    for path in write_schemas(out, settings):
        click.echo(path.as_posix())
    click.echo("在 VS Code 的 settings.json 中加入：", err=True)
    click.echo(json.dumps(vscode_settings(out, library), ensure_ascii=False, indent=2), err=True)


@cli.command()
@click.argument("kind", type=click.Choice(["record", "typical", "class"]))
@library_argument
@click.option("--date", "today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="日期（默认今天）")
@click.option(
    "--received",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="record：收到日期（编号的年份随它，例如整理 2021 年的旧案）",
)
@click.option(
    "--from",
    "sources",
    multiple=True,
    help="typical：据以整理的记录编号（可多次给出；多件即批量案例），编号、领域、地区、类案和化解过程取自记录",
)
def new(
    kind: str, library: Path, today: dt.datetime | None, received: dt.datetime | None, sources: tuple[str, ...]
) -> None:
    """新建一份可通过校验的记录、典型案例或类案骨架，打印其路径；绝不覆盖已有文件。"""
    from .errors import UsageProblem
    from .library import read_library
    from .skeleton import UnknownRecords, write_new

    if received is not None and kind != "record":
        raise UsageProblem("--received 只用于 new record")
    if sources and kind != "typical":
        raise UsageProblem("--from 只用于 new typical")
    loaded, _ = read_library(library)
    if loaded.settings is None:
        raise UsageProblem("settings.yaml 有错误，无法取得词表；请先运行 casebook validate")
    try:
        path = write_new(kind, loaded, (received or today or dt.datetime.now()).date(), sources)
    except FileExistsError as error:
        raise UsageProblem(f"文件已存在，未覆盖：{error.filename}") from None
    except UnknownRecords as error:
        raise UsageProblem(f"案例库中没有这些记录（或它们有错误）：{error}") from None
    click.echo(path.as_posix())


def _as_of(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


audience_option = click.option(
    "--audience",
    type=click.Choice(["internal", "training", "public"]),
    default="internal",
    show_default=True,
    help="版本：internal 内部版 / training 培训版 / public 公开版",
)
as_of_option = click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="期限状态的统计日期（默认今天）"
)
library_option_for_similar = click.option(
    "--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库"
)
config_option = click.option(
    "--config", type=click.Path(path_type=Path), default=None, help="MkDocs 设置文件（默认案例库旁的 mkdocs.yml）"
)


@cli.command()
@library_argument
@click.option("--out", type=click.Path(path_type=Path), default=Path("site"), show_default=True, help="网站输出文件夹")
@audience_option
@as_of_option
@config_option
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="MkDocs 进程数（默认：大型案例库每核一个）")
@click.option("--full", is_flag=True, help="不沿用上次构建的结果，全部重新生成（默认只重新生成有变化的部分）")
def build(
    library: Path,
    out: Path,
    audience: str,
    as_of: dt.datetime | None,
    config: Path | None,
    jobs: int | None,
    full: bool,
) -> None:
    """校验案例库并生成网站；有任何问题则不生成，原网站保持不变。"""
    from .build import BuildOptions
    from .build import build as run_build
    from .progress import for_terminal

    options = BuildOptions(
        library=library, out=out, audience=audience, as_of=_as_of(as_of), config=config, jobs=jobs, full=full
    )
    # On a terminal a live bar per stage; piped or in CI, one line per finished stage.
    with for_terminal(sys.stderr) as progress:
        report = run_build(options, progress.finished, progress)
    if report.unchanged:
        click.echo(f"没有变化：{out} 与案例库一致，未重新生成", err=True)
        return
    if report.reason:
        click.echo(f"完整构建：{report.reason}", err=True)
    click.echo(
        f"已生成 {report.pages} 个页面 → {out}（重新生成 {report.rendered} 页，沿用 {report.reused} 页）", err=True
    )


@cli.command()
@library_argument
@audience_option
@as_of_option
@config_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(library: Path, audience: str, as_of: dt.datetime | None, config: Path | None, host: str, port: int) -> None:
    """本机预览：生成网站并在案例、模板或 docs/ 改动时自动重新生成。"""
    from .build import BuildOptions
    from .serve import serve as run_serve

    run_serve(BuildOptions(library, Path("site"), audience, _as_of(as_of), config), host, port)


@cli.command()
@click.argument("record_id")
@click.option("--template", "template_name", required=True, help="文书名称，例如：受理告知书、督办函（写出一部分即可）")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="输出的 .docx（默认 编号-文书名称.docx）")
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="成文日期，也用于计算办理期限（默认今天）"
)
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖它（默认不覆盖）")
def doc(
    record_id: str, template_name: str, out: Path | None, library: Path, as_of: dt.datetime | None, force: bool
) -> None:
    """用信访事项的字段填写文书模板（类案模板优先，其次通用模板），生成公文格式的 Word 文件。"""
    from .office.fill import write_record_document

    path = write_record_document(library, record_id, template_name, _as_of(as_of), out, force)
    click.echo(path.as_posix())


@cli.command()
@click.argument("class_id")
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "md"]), default="docx", show_default=True, help="Word 或 Markdown"
)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="输出文件（默认 guide-类案编号-v版本.docx）")
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
@audience_option
@as_of_option
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖它（默认不覆盖）")
def guide(
    class_id: str, fmt: str, out: Path | None, library: Path, audience: str, as_of: dt.datetime | None, force: bool
) -> None:
    """单独生成一份类案的标准化操作指引（公文格式 Word），与网站上的下载文件相同。"""
    from .render.guides import write_guide

    path = write_guide(library, class_id, fmt, out, audience, _as_of(as_of), force)
    click.echo(path.as_posix())


@cli.command()
@click.option("--period", required=True, help="统计期：2024、2024-H1、2024-Q2、2024-05 或 2024-03-01..2024-05-31")
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="输出的 .docx（默认 统计附表-统计期.docx），.xlsx 在旁"
)
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="统计日期：计至这一天（默认今天）"
)
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖它（默认不覆盖）")
def report(period: str, out: Path | None, library: Path, as_of: dt.datetime | None, force: bool) -> None:
    """生成一个统计期的统计附表：公文格式的 Word 文件和数字相同的 Excel 工作簿，打印两者的路径。"""
    from .office.report import write_report

    for path in write_report(library, period, _as_of(as_of), out, force):
        click.echo(path.as_posix())


@cli.command()
@library_argument
@click.option("--write-to", type=click.Path(path_type=Path), default=None, help="把建议写成补丁文件（不改动记录）")
@click.option("--min-confidence", type=float, default=0.0, show_default=True, help="写入补丁的最低把握")
def classify(library: Path, write_to: Path | None, min_confidence: float) -> None:
    """为未归类和归类存疑的记录推荐类案：记录 -> 类案（把握，理由）。"""
    from .similar_commands import classify as run_classify

    suggestions, patch = run_classify(library, write_to, min_confidence)
    for suggestion in suggestions:
        click.echo(suggestion.line())
    fitting = sum(1 for s in suggestions if s.class_id)
    unfit = len(suggestions) - fitting
    click.echo(f"共 {len(suggestions)} 件：{fitting} 件有建议类案，{unfit} 件没有合适的类案", err=True)
    if write_to is not None:
        if patch is None:
            click.echo("没有可写入补丁的建议", err=True)
        else:
            click.echo(f"补丁：{patch}（审阅后在案例库文件夹中运行 patch -p1 < 补丁文件）", err=True)


@cli.command()
@click.argument("text")
@library_option_for_similar
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="列出几件")
def similar(text: str, library: Path, top: int) -> None:
    """输入一段新的案情描述，列出最相似的典型案例及其类案指引。"""
    from .derive.similar import QUERY_FLOOR
    from .similar_commands import similar as run_similar

    matches, names, entries = run_similar(library, text, top)
    if not matches:
        click.echo("没有找到相似的典型案例，请补充案情再试。", err=True)
    if len(matches) < top:  # always say why fewer came back than were asked for
        reasons = [f"案例库只有 {entries} 件典型案例"] if entries < top else []
        if len(matches) < min(top, entries):
            reasons.append(f"其余 {entries - len(matches)} 件与这段描述的相似度低于 {QUERY_FLOOR:.2f}，不列出")
        click.echo(f"要求列出 {top} 件，只找到 {len(matches)} 件：{'，'.join(reasons)}。", err=True)
    for number, match in enumerate(matches, start=1):
        guide = f" → 类案指引 {match.class_id} {names.get(match.class_id, '')}" if match.class_id else ""
        click.echo(f"{number}. {match.id} {match.title}（相似度 {match.score:.2f}）{guide}")
        if match.reason:
            click.echo(f"   {match.reason}")


@cli.command()
@library_argument
@click.option("--out", type=click.Path(path_type=Path), default=None, help="脱敏副本的输出文件夹（须不存在或为空）")
@click.option("--in-place", "in_place", is_flag=True, help="直接修改案例库：先把每个要改动的文件备份")
@click.option(
    "--backup",
    type=click.Path(path_type=Path),
    default=None,
    help="--in-place 的备份文件夹（默认 LIBRARY/.casebook-backup-时间）",
)
def redact(library: Path, out: Path | None, in_place: bool, backup: Path | None) -> None:
    """脱敏：姓名改为“张某”、号码只留首尾几位、门牌室号改为 **，列出每处改动（文件:行:列）；默认不改原案例库。"""
    from .errors import UsageProblem
    from .redact import redact_library

    if out is not None and in_place:
        raise UsageProblem("--out 与 --in-place 只能选一个")
    if out is None and not in_place:
        raise UsageProblem("请用 --out DIR 指定脱敏副本的输出文件夹，或用 --in-place 直接修改案例库（会先备份）")
    if backup is not None and not in_place:
        raise UsageProblem("--backup 只能与 --in-place 一起使用")
    report = redact_library(library, library if in_place else out, in_place=in_place, backup_dir=backup)
    for line in report.lines():
        click.echo(line)
    if report.remaining:
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@library_argument
@audience_option
@click.option(
    "--format", "fmt", type=click.Choice(["json", "xlsx"]), default="json", show_default=True, help="输出格式"
)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="输出文件（json 缺省时打印到标准输出）")
@as_of_option
def export(library: Path, audience: str, fmt: str, out: Path | None, as_of: dt.datetime | None) -> None:
    """导出一个版本的全部信访事项、典型案例和类案：带 JSON Schema 的 JSON，或一个工作簿。

    版本规则与网站相同（培训版、公开版不含其不收录的内容）；同样的案例库得到同样的字节。
    只覆盖以前导出的文件。"""
    from .errors import UsageProblem
    from .export import SCHEMA_FILE, export_json, export_workbook, is_export, schema_json
    from .validate import check_library
    from .workdir import write_atomically

    loaded, problems = check_library(library, _as_of(as_of))
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        for problem in sorted(errors):
            click.echo(str(problem))
        click.echo(f"发现 {len(errors)} 个问题，未导出", err=True)
        sys.exit(EXIT_PROBLEMS)
    if fmt == "xlsx" and out is None:
        raise UsageProblem("--format xlsx 需要用 --out 指定输出文件")
    data = export_json(loaded, audience) if fmt == "json" else export_workbook(loaded, audience)
    if out is None:
        sys.stdout.buffer.write(data)
        return
    targets = [(out, data)]
    if fmt == "json":
        targets.append((out.with_name(SCHEMA_FILE), schema_json()))
    for path, _ in targets:
        if path.exists() and not is_export(path):
            raise UsageProblem(f"{path} 已存在且不是 casebook export 的输出，未覆盖")
    for path, content in targets:
        write_atomically(path, content)
        click.echo(path.as_posix())


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="校验的统计日期（默认今天）")
def renumber(old: str, new: str, library: Path, as_of: dt.datetime | None) -> None:
    """改编号：改记录、典型案例或类案的编号、文件名和案例库中对它的全部引用，一步完成。

    改前、改后都校验，有任何问题就不改动任何文件。"""
    from .library_check import ChangeProblems
    from .renumber import renumber as run_renumber

    try:
        result = run_renumber(library, old, new, _as_of(as_of))
    except ChangeProblems as error:
        _refused(error)
    for line in result.lines():
        click.echo(line)


def _refused(error: Any) -> NoReturn:
    """A change a command would make fails validation (library_check.ChangeProblems): say where, exit 1."""
    for problem in sorted(error.problems):
        click.echo(str(problem))
    click.echo(f"{error.when}校验发现 {len(error.problems)} 个问题，未改动任何文件", err=True)
    sys.exit(EXIT_PROBLEMS)


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
def submit(ids: tuple[str, ...], library: Path) -> None:
    """送审：把典型案例或类案指引由草稿改为待审（只改该文件的 review 字段）。

    待审的列在内部版的“待审”页，审核通过后用 casebook publish 发布。"""
    _set_reviews(library, ids, "pending", None, None)


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--reviewer", required=True, help="审核人职务（只写职务，不写姓名），例如：市信访局业务指导处处长")
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
@click.option("--date", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="审核日期（默认今天）")
def publish(ids: tuple[str, ...], reviewer: str, library: Path, as_of: dt.datetime | None) -> None:
    """发布：把典型案例或类案指引改为已发布，写入审核人职务和日期（只改该文件的 review 字段）。

    改后先校验：仍有（待填写）等问题的不发布，不改动任何文件。已发布的进入培训版和公开版
    （按其 visibility）。"""
    _set_reviews(library, ids, "published", reviewer, as_of)


def _set_reviews(library: Path, ids: tuple[str, ...], status: str, reviewer: str | None, as_of: Any) -> None:
    from .library_check import ChangeProblems
    from .review_status import set_review

    for document_id in ids:
        try:
            change = set_review(library, document_id, status, _as_of(as_of), reviewer)
        except ChangeProblems as error:
            _refused(error)
        for line in change.lines():
            click.echo(line)


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--mapping", type=click.Path(path_type=Path), default=None, help="导入映射文件（默认：内置的登记台账映射）"
)
@click.option("--library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, show_default=True, help="案例库")
@click.option("--sheet", default=None, help="工作表名称（默认：表头与映射最相符的工作表）")
@click.option("--encoding", default=None, help="CSV 文件的编码（默认自动识别 UTF-8、GBK、GB18030）")
@click.option("--dry-run", "dry_run", is_flag=True, help="只检查并报告，不写入任何文件")
@click.option("--skip-bad-rows", "skip_bad_rows", is_flag=True, help="有问题的行不导入，其余照常写入")
@click.option("--suggest-mapping", "suggest", is_flag=True, help="按表头生成一份映射文件，打印到标准输出，不导入")
@click.option("--quiet", "-q", is_flag=True, help="不逐行报告，只报告问题和合计")
def import_command(
    file: Path,
    mapping: Path | None,
    library: Path,
    sheet: str | None,
    encoding: str | None,
    dry_run: bool,
    skip_bad_rows: bool,
    suggest: bool,
    quiet: bool,
) -> None:
    """从台账导入：把信访信息系统或登记台账导出的 .xlsx/.xls/.csv 逐行写成案例记录（先脱敏）。

    再次导入同一台账的新导出会更新导入过的记录（按信访件编号对应），手工修改过的字段保留；
    任何一行有问题时不写入任何文件（除非 --skip-bad-rows）。源表格只读不改。"""
    from .errors import EXIT_UNREADABLE
    from .importer.mapping import MappingProblems, load_mapping
    from .importer.report import report_lines
    from .importer.run import import_file
    from .progress import for_terminal

    if suggest:
        from .importer.suggest import suggest_mapping

        click.echo(suggest_mapping(file, sheet, encoding), nl=False)
        return
    try:
        loaded, _ = load_mapping(mapping)
    except MappingProblems as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"映射文件有 {len(error.problems)} 个问题，未导入", err=True)
        sys.exit(EXIT_UNREADABLE)
    with for_terminal(sys.stderr) as progress:
        report = import_file(
            file, library, loaded, sheet=sheet, encoding=encoding, dry_run=dry_run,
            skip_bad_rows=skip_bad_rows, progress=progress,
        )  # fmt: skip
    for line in report_lines(report, rows=not quiet):
        click.echo(line)
    if report.problems:
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@click.option("--records", "count", type=int, default=1000, show_default=True, help="合成记录数")
@click.option("--keep", type=click.Path(path_type=Path), default=None, help="保留合成的案例库和网站于此文件夹")
@click.option(
    "--repeats", type=click.IntRange(min=1), default=3, show_default=True, help="每项测量的次数（报告中位数）"
)
@click.option(
    "--anchor/--no-anchor", default=True, show_default=True, help="同时构建基准网站（MkDocs-Material + Pagefind）"
)
@click.option(
    "--import",
    "import_rows",
    type=click.IntRange(min=1),
    default=None,
    help="改为测量导入：合成 N 行的登记台账导出，测首次导入、重复导入和次月导出的更新（取中位数）",
)
def bench(count: int, keep: Path | None, repeats: int, anchor: bool, import_rows: int | None) -> None:
    """基准测试：合成 N 件记录的案例库，完整构建与增量构建各测数次（取中位数），
    与基准（MkDocs-Material + Pagefind）比较；报告各阶段耗时、峰值内存、网站大小和单次检索下载量。"""
    if import_rows is not None:
        from .bench_import import run_import_bench

        result = run_import_bench(import_rows, repeats, say=lambda line: click.echo(line, err=True))
        for line in result.lines():
            click.echo(line)
        return
    from .bench import run_bench

    if keep is not None and keep.exists():
        raise click.UsageError(f"{keep} 已存在")
    # Each step's line goes to stderr as it ends (the report, on stdout, comes at the end).
    report = run_bench(count, keep, repeats=repeats, anchor=anchor, say=lambda line: click.echo(line, err=True))
    for line in report.lines():
        click.echo(line)


class Terminated(BaseException):
    """SIGTERM arrived (a service manager, a timeout, `kill`): the command leaves through
    every `finally` as on Ctrl+C, so worker processes are stopped and scratch folders
    removed; without a handler Python would die on the spot and leave them running.
    A BaseException, so that no `except Exception` on the way takes it for an error."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def main() -> None:
    """Console entry point: expected failures print one message, never a traceback."""
    signal.signal(signal.SIGTERM, _on_sigterm)  # `serve` puts its own in place while it runs
    try:
        cli(standalone_mode=False)
    except Terminated:
        click.echo("已终止", err=True)
        sys.exit(128 + signal.SIGTERM)
    except click.exceptions.Abort:
        click.echo("已中止", err=True)
        sys.exit(EXIT_PROBLEMS)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("已中断", err=True)
        sys.exit(130)
    except OSError as error:  # outside a command (CasebookGroup handles those): still not a bug
        problem = FileSystemProblem(error)
        problem.show()
        sys.exit(problem.exit_code)
    except Exception as error:
        # A bug, not bad input: one line for the user, the traceback only on request.
        if os.environ.get("CASEBOOK_DEBUG"):
            raise
        click.echo(
            f"内部错误：{type(error).__name__}: {error}（设置 CASEBOOK_DEBUG=1 可查看详情，请报告此问题）", err=True
        )
        sys.exit(3)
