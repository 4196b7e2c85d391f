"""Problems are values; failures are one exception tree.

Loading and validating never raise on bad input: they collect `Problem`
objects and keep going, so a user sees every fault in one run. Only the
CLI decides what to do with them. Expected failures that must stop a
command (an unreadable library, a refused build) are `CasebookError`
subclasses, which click turns into one message and an exit code.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from typing import Literal

import click

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One fault in the library, located as precisely as the source allows.

    `path` is relative to the library root with forward slashes, so messages
    read the same on every machine and sort stably. `line` and `column` are
    1-based; 0 means "the file as a whole" (e.g. it could not be decoded).
    A warning points at something the build handles on its own (and says
    how); only errors stop a command.
    """

    path: str
    line: int
    column: int
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        flag = "警告：" if self.severity == "warning" else ""
        return f"{where}:{field} {flag}{self.message}"


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Order problems by file, then position, then text; drop exact repeats."""
    return sorted(set(problems))


class CasebookError(click.ClickException):
    """Root of every expected failure; click prints it without a traceback."""

    exit_code = EXIT_PROBLEMS

    def show(self, file=None) -> None:  # type: ignore[override]
        click.echo(f"错误：{self.format_message()}", file=file, err=True)


class LibraryUnreadable(CasebookError):
    """The library folder itself cannot be read (missing, not a folder, no settings)."""

    exit_code = EXIT_UNREADABLE


class InvalidLibrary(CasebookError):
    """The library has problems; the command refuses to go on."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, problems: list[Problem], nothing_made: str = "未生成网站"):
        self.problems = sort_problems(problems)
        super().__init__(f"发现 {len(self.problems)} 个问题，{nothing_made}")

    def show(self, file=None) -> None:  # type: ignore[override]
        for problem in self.problems:
            click.echo(str(problem), file=file)
        super().show(file)


class UsageProblem(CasebookError):
    """A command was asked for something that cannot be done (e.g. unknown id)."""

    exit_code = EXIT_UNREADABLE


class OutputRefused(CasebookError):
    """An output path the command must not or cannot write (a folder it did not make, a file
    that exists, the library itself, a path under a file), or one another build is writing."""

    exit_code = EXIT_UNREADABLE


# The cause of a file-system error in the user's words; anything else falls back to the
# system's own text. ENOTDIR: some folder on the way is a file.
_OS_CAUSES = {
    errno.ENOENT: "不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "位于只读的文件系统上",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EISDIR: "是文件夹，不是文件",
    errno.ENOTDIR: "路径中有一级是文件，不是文件夹",
    errno.EEXIST: "已存在",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.ENAMETOOLONG: "路径太长",
    errno.ELOOP: "符号链接形成循环",
    errno.EXDEV: "跨越了不同的文件系统",
    errno.EBUSY: "正被占用",
    errno.EIO: "读写出错（磁盘或网络存储故障）",
    errno.EMFILE: "打开的文件太多",
    errno.ETXTBSY: "正被占用",
}


def os_cause(error: OSError) -> str:
    """What went wrong, in Chinese."""
    if error.errno in _OS_CAUSES:
        return _OS_CAUSES[error.errno]
    return error.strerror or str(error)


class FileSystemProblem(CasebookError):
    """The file system refused a read or write: named path, cause in Chinese, exit 2."""

    exit_code = EXIT_UNREADABLE

    def __init__(self, error: OSError):
        where = error.filename if error.filename is not None else ""
        if error.filename2 is not None:
            where = f"{where} → {error.filename2}"
        where = os.fsdecode(where) if isinstance(where, bytes) else str(where)
        super().__init__(f"{where}：{os_cause(error)}" if where else f"文件操作失败：{os_cause(error)}")
