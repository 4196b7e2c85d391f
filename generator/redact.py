"""Library → a masked copy of it (or the library masked in place) and a report of every change.

`casebook redact` is how a locality cleans a library before it is shared or
built: names after 信访人/业主 … and the names in settings.yaml
`protected_names` become 张某 (某某 when no surname is recognised), ID, phone
and card numbers keep only their first and last digits (138****5678,
1101**********4514), e-mail addresses keep their domain (z***@qq.com),
household addresses lose their house and room numbers (和平路**号**单元**室).

It works on the raw text of each YAML file, replacing each finding where it
stands, so comments, key order, quoting and line endings stay as they were
and a reviewer can diff the copy against the original. Comments are scanned
too: they are not published, but a copy that is handed on carries them.

The input is never modified unless `in_place`; then every file about to change
is first copied into a backup folder and read back, and if that fails nothing
is changed. The report names each change by file:line:column and shows the
original only masked, so the report itself can be passed around. After
writing, the written copy is scanned again, as raw text (comments and keys
too) and as the validator reads it (a name split across a folded line, say;
a file whose contract check fails): whatever is still found, and every YAML
file that is not UTF-8 text and so could be neither read nor masked, is
listed for a person to fix, and `casebook redact` exits with 1.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LibraryUnreadable, Problem, UsageProblem
from .library import SETTINGS_FILE, YAML_SUFFIXES, link_outside, outside_message, read_document, read_library
from .load import parse_yaml
from .privacy import Finding, find_personal_data, personal_data_message

BACKUP_PREFIX = ".casebook-backup-"
BOM = "\ufeff"
# Folders never copied into a masked copy: backups hold the unmasked originals.
NOT_COPIED = re.compile(rf"^(?:{re.escape(BACKUP_PREFIX)}.*|\.git)$")
# Before this, a value starting with "*" would be read by YAML as an alias (*name).
_SCALAR_START = re.compile(r"(?:^\s*|[:?\-]\s+|[\[{,]\s*)$")


@dataclass(frozen=True, order=True)
class Change:
    """One replacement, located in the original file (1-based line and column)."""

    path: str
    line: int
    column: int
    kind: str
    masked: str  # the original as messages show it: never the original itself
    replacement: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column} {self.kind} {self.masked}→{self.replacement}"


@dataclass
class RedactReport:
    """What `redact_library` changed, copied, skipped and could not mask."""

    library: Path
    out: Path
    in_place: bool = False
    backup: Path | None = None
    changes: list[Change] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    copied_files: int = 0
    skipped: list[str] = field(default_factory=list)
    not_masked: list[str] = field(default_factory=list)  # YAML files that are not UTF-8 text
    keeps_protected_names: bool = False
    remaining: list[Problem] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.in_place:
            where = f"原地修改，备份于 {self.backup}" if self.backup else "原地修改，无需改动"
            out = [f"脱敏报告：{self.library}（{where}）"]
        else:
            out = [f"脱敏报告：{self.library} → {self.out}"]
        out += [str(change) for change in self.changes]
        summary = f"共脱敏 {len(self.changes)} 处，涉及 {len(self.changed_files)} 个文件"
        out.append(summary + ("" if self.in_place else f"；共写出 {self.copied_files} 个文件"))
        out += [f"未复制：{name}/（备份中是未脱敏的原文件）" for name in self.skipped]
        if self.keeps_protected_names:
            out.append("settings.yaml 的 protected_names 原样保留（该文件不发布；把副本交给他人前请删去其中的姓名）")
        if self.remaining:
            out.append(f"以下 {len(self.remaining)} 处个人信息未能自动脱敏，请人工处理：")
            out += [str(problem) for problem in self.remaining]
        return out


@dataclass
class _File:
    relative: str
    raw: bytes
    new: bytes | None = None  # None: copied unchanged


def redact_library(
    library: Path,
    out: Path,
    *,
    in_place: bool = False,
    backup_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> RedactReport:
    """Mask every finding in `library`'s YAML files into `out` (with `in_place`, `out` is the library itself)."""
    names = _protected_names(library)
    if in_place:
        if out.resolve() != library.resolve():
            raise UsageProblem("原地修改时输出文件夹就是案例库本身")
    else:
        _check_out(library, out)
    report = RedactReport(library, out, in_place, keeps_protected_names=bool(names))
    files = _read_files(library, report)
    for file in files:
        _redact_file(file, names, report)
    report.changes.sort()
    changed = [file for file in files if file.new is not None]
    report.changed_files = [file.relative for file in changed]
    if in_place:
        if changed:
            report.backup = backup_dir or library / f"{BACKUP_PREFIX}{(now or dt.datetime.now()):%Y%m%d-%H%M%S}"
            _write_backup(library, report.backup, changed)
            _write_in_place(library, report.backup, changed)
    else:
        _write_copy(out, files)
        report.copied_files = len(files)
    report.remaining = _remaining(out, names, report.not_masked)
    return report


def _protected_names(library: Path) -> list[str]:
    if not library.is_dir():
        raise LibraryUnreadable(
            f"案例库不存在：{library}" if not library.exists() else f"案例库应是一个文件夹：{library}"
        )
    if not (library / SETTINGS_FILE).exists():
        raise LibraryUnreadable(f"{library} 不是案例库：缺少 {SETTINGS_FILE}")
    problems: list[Problem] = []
    settings = read_document(library, SETTINGS_FILE, "settings", problems)
    if settings is None:
        # Without the list, protected names would silently stay in the copy.
        raise UsageProblem("settings.yaml 有错误，无法读取受保护姓名 protected_names；请先运行 casebook validate 修正")
    return [name for name in settings.model.protected_names if name]


def _check_out(library: Path, out: Path) -> None:
    source, target = library.resolve(), out.resolve()
    if target == source:
        raise UsageProblem("输出文件夹不能是案例库本身；要直接修改案例库请用 --in-place（会先备份）")
    if target.is_relative_to(source) or source.is_relative_to(target):
        raise UsageProblem(f"输出文件夹 {out} 不能在案例库中，案例库也不能在输出文件夹中")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageProblem(f"输出文件夹 {out} 已存在且不为空，未写入；请指定一个新的文件夹")


def _outside(library: Path, path: Path, outside: list[str]) -> bool:
    """Whether `path` is a symlink leading out of the library (noted in `outside`)."""
    relative = path.relative_to(library).as_posix()
    target = link_outside(library, relative)
    if target is not None:
        outside.append(f"{relative}：{outside_message(target)}")
    return target is not None


def _read_files(library: Path, report: RedactReport) -> list[_File]:
    """Every file of the library, read before anything is written."""
    files = []
    outside: list[str] = []
    for dirpath, dirnames, filenames in os.walk(library):
        here = Path(dirpath)
        dirnames.sort()
        for name in list(dirnames):
            if NOT_COPIED.match(name):
                dirnames.remove(name)
                report.skipped.append((here / name).relative_to(library).as_posix())
        for name in list(dirnames):
            # A link out of the library (to /etc/passwd, another office's files) is
            # never read, let alone copied: validate refuses it the same way.
            if _outside(library, here / name, outside):
                dirnames.remove(name)
        for name in sorted(filenames):
            path = here / name
            if _outside(library, path, outside):
                continue
            try:
                files.append(_File(path.relative_to(library).as_posix(), path.read_bytes()))
            except OSError as error:
                raise UsageProblem(f"无法读取 {path}：{error.strerror or error}") from None
    if outside:
        raise UsageProblem("案例库中有指向库外的符号链接，未脱敏、未写出任何文件：\n  " + "\n  ".join(sorted(outside)))
    return files


def _redact_file(file: _File, protected_names: list[str], report: RedactReport) -> None:
    if not file.relative.endswith(YAML_SUFFIXES):
        return
    try:
        text = file.raw.decode("utf-8")
    except UnicodeDecodeError:
        report.not_masked.append(file.relative)
        return
    bom = text.startswith(BOM)
    body = text[1:] if bom else text
    # settings.yaml keeps its list of protected names: validation needs it, and it is not published.
    names = () if file.relative == SETTINGS_FILE else protected_names
    findings = find_personal_data(body, names)
    if not findings:
        return
    line_starts = [0] + [match.end() for match in re.finditer("\n", body)]
    parts, last = [], 0
    for finding in findings:
        line = bisect.bisect_right(line_starts, finding.start)
        column = finding.start - line_starts[line - 1] + 1
        replacement = _yaml_safe(finding, body, line_starts[line - 1])
        report.changes.append(Change(file.relative, line, column, finding.kind, finding.masked, replacement))
        parts += [body[last : finding.start], replacement]
        last = finding.end
    new = "".join([*parts, body[last:]])
    if parse_yaml(body)[0] is not None and parse_yaml(new)[0] is None:
        raise UsageProblem(f"{file.relative}：脱敏后不再是有效的 YAML，未写入任何文件；请人工处理此文件")
    file.new = ((BOM if bom else "") + new).encode("utf-8")


def _yaml_safe(finding: Finding, text: str, line_start: int) -> str:
    """The replacement, with x instead of * where a plain YAML value would start with it (an alias)."""
    replacement = finding.replacement
    if replacement.startswith("*") and _SCALAR_START.search(text[line_start : finding.start]):
        return replacement.replace("*", "x")
    return replacement


def _write_copy(out: Path, files: list[_File]) -> None:
    """Write the whole copy next to `out` and rename it into place, so a failure leaves no half copy."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as error:
        raise UsageProblem(f"无法写入 {out}：{error.strerror or error}") from None
    try:
        for file in files:
            target = staging / file.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.new if file.new is not None else file.raw)
        if out.exists():
            out.rmdir()  # checked empty before anything was read
        staging.rename(out)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageProblem(f"无法写入 {out}：{error.strerror or error}") from None


def _write_backup(library: Path, backup: Path, changed: list[_File]) -> None:
    """Copy each file about to change and read it back; any failure stops before the library is touched."""
    try:
        if backup.exists() and (not backup.is_dir() or any(backup.iterdir())):
            raise UsageProblem(f"备份文件夹 {backup} 已存在且不为空，案例库未作任何修改")
        for file in changed:
            target = backup / file.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.raw)
            if target.read_bytes() != file.raw:
                raise OSError(f"备份文件 {target} 与原文件不一致")
    except OSError as error:
        raise UsageProblem(f"无法写入备份 {backup}（{error.strerror or error}），案例库未作任何修改") from None


def _write_in_place(library: Path, backup: Path, changed: list[_File]) -> None:
    for file in changed:
        try:
            _replace_file(library / file.relative, file.new or file.raw)
        except OSError as error:
            raise UsageProblem(
                f"无法写入 {file.relative}（{error.strerror or error}）；已改动的文件可从备份 {backup} 恢复"
            ) from None


def _replace_file(path: Path, data: bytes) -> None:
    """Write beside the file and rename over it: a crash leaves the old or the new file, never half of one."""
    temporary = path.with_name(f".{path.name}.redact-tmp")
    temporary.write_bytes(data)
    shutil.copymode(path, temporary)
    os.replace(temporary, path)


def _remaining(root: Path, protected_names: list[str], not_masked: list[str]) -> list[Problem]:
    """Personal data still in the written copy, and the files that could not be checked at all."""
    from .validate import check_personal_data, check_unread_personal_data
    from .validate import protected_names as names_of

    library, problems = read_library(root)
    names = names_of(library)
    documents = [*library.records, *library.typical, *library.classes]
    found = {problem for doc in documents for problem in check_personal_data(doc, names)}
    found.update(check_unread_personal_data(library, problems))
    seen = {(problem.path, problem.line, problem.column) for problem in found}
    for relative, text in _yaml_texts(root, not_masked):
        names = () if relative == SETTINGS_FILE else protected_names
        line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        for finding in find_personal_data(text, names):
            line = bisect.bisect_right(line_starts, finding.start)
            column = finding.start - line_starts[line - 1] + 1
            if (relative, line, column) not in seen:
                found.add(Problem(relative, line, column, "", personal_data_message(finding)))
    found.update(
        Problem(path, 0, 0, "", "不是 UTF-8 文本，未能检查和脱敏，原样保留；请另存为 UTF-8 后重新运行")
        for path in not_masked
    )
    return sorted(found)


def _yaml_texts(root: Path, not_masked: list[str]) -> list[tuple[str, str]]:
    """The text of every YAML file of the written copy (without a byte order mark)."""
    texts = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(name for name in dirnames if not NOT_COPIED.match(name))
        for name in sorted(filenames):
            relative = (here / name).relative_to(root).as_posix()
            if name.endswith(YAML_SUFFIXES) and relative not in not_masked:
                try:
                    texts.append((relative, (here / name).read_bytes().decode("utf-8").removeprefix(BOM)))
                except (OSError, UnicodeDecodeError):
                    continue
    return texts
