"""Where a command may write, decided before it does any work.

`casebook build` replaces its whole `--out` folder, so a wrong `--out` (the
library, `.`, docs/) would delete what the user has. It therefore replaces
only a folder that is absent, empty, or marked as a Casebook site by the
`.casebook-site.json` every build writes; and it never writes over, into or
around a path it reads. Paths are compared after resolving symlinks, so a
link or `..` cannot sneak past. A symlinked `--out` (a web server's document
root pointing at the current release) is published *through*: the link
stays, the folder it points at gets the new site.

One build at a time per site folder: an OS lock (flock) on a file beside it.
The kernel drops the lock when its process dies, however it dies, so a stale
lock file is harmless and is never deleted (deleting a held lock file would
let a third build lock a new file while the first still runs).

`casebook doc` and `casebook guide` write one file: an existing one is kept
unless `--force`, and the file appears whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .contract import VISIBILITY_LABELS
from .errors import OutputRefused

MARKER = ".casebook-site.json"
LOCK_SUFFIX = ".casebook-lock"


@dataclass(frozen=True)
class SiteOut:
    """The `--out` of a build: as given, and the real folder that receives the site."""

    given: Path
    real: Path  # symlinks resolved: where staging, swap and lock happen

    @property
    def lock_file(self) -> Path:
        return self.real.parent / f".{self.real.name}{LOCK_SUFFIX}"


@dataclass(frozen=True)
class ReadPath:
    """A path the build reads, and what to call it in a message."""

    path: Path
    label: str
    may_hold_out: bool = False  # the project folder: site/ normally lives in it


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor)


def check_writable_place(given: Path, real: Path) -> None:
    """Refuse at once a path that cannot be created: under a file, in a folder we cannot write."""
    ancestor = _existing_ancestor(real.parent)
    if not ancestor.is_dir():
        raise OutputRefused(f"无法写入 {given}：{ancestor} 是文件，不是文件夹")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(ancestor).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        cause = "位于只读的文件系统上" if read_only else "没有写入权限"
        raise OutputRefused(f"无法写入 {given}：{ancestor} {cause}")


def check_site_out(out: Path, reads: Iterable[ReadPath]) -> SiteOut:
    """The build's `--out`, or OutputRefused saying why it must not be replaced."""
    given = out
    real = _real(out.absolute())
    if real.exists() and not real.is_dir():
        raise OutputRefused(f"--out {given} 是文件，不是文件夹；未生成网站")
    for read in reads:
        path = _real(read.path)
        if real == path:
            raise OutputRefused(f"--out {given} 就是{read.label} {read.path}：发布网站会删除它；请指定专用的输出文件夹")
        if _within(path, real):
            raise OutputRefused(f"--out {given} 包含{read.label} {read.path}：发布网站会删除它；请指定专用的输出文件夹")
        if path.is_dir() and not read.may_hold_out and _within(real, path):
            raise OutputRefused(f"--out {given} 位于{read.label} {read.path} 之内；请指定它之外的输出文件夹")
    check_writable_place(given, real)
    if real.is_dir() and any(real.iterdir()) and not is_casebook_site(real):
        raise OutputRefused(
            f"--out {given} 已有内容，但不是 Casebook 生成的网站（没有 {MARKER}）：为免删除其中的文件，"
            "未生成网站；请指定新的或空的文件夹（旧版 Casebook 生成的网站请先自行删除）"
        )
    return SiteOut(given, real)


def is_casebook_site(folder: Path) -> bool:
    return read_marker(folder) is not None


def build_time() -> str:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds), as UTC ISO 8601."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch.isdigit() else dt.datetime.now(dt.UTC)
    return moment.replace(microsecond=0).isoformat()


def read_marker(folder: Path) -> dict[str, object] | None:
    """The marker of a Casebook site, or None (absent, unreadable, not ours)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("generator") == "casebook" else None


def write_marker(site: Path, edition: str, as_of: dt.date, build_id: str | None = None) -> None:
    """The marker that lets the next build replace this folder; also says what it holds.

    It is the one file of a site that differs between two builds of the same input.
    """
    from . import __version__

    data = {
        "generator": "casebook",
        "version": __version__,
        "edition": edition,
        "as_of": as_of.isoformat(),
        "built": build_time(),
    }
    if build_id is not None:
        data["build"] = build_id  # names the build state (state.py) that describes this site
    (site / MARKER).write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")


@contextmanager
def build_lock(out: SiteOut, edition: str) -> Iterator[None]:
    """Hold the site folder's lock for the block; OutputRefused naming the holder if it is taken."""
    lock_file = out.lock_file
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            raise OutputRefused(f"另一个 casebook build 正在写入 {out.given}（{holder}）；请等它结束后再试") from None
        holder = {"pid": os.getpid(), "edition": edition, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(holder, ensure_ascii=False).encode("utf-8"), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock; the file stays (see the module docstring)


def _holder(descriptor: int) -> str:
    try:
        holder = json.loads(os.pread(descriptor, 4096, 0).decode("utf-8"))
        edition = VISIBILITY_LABELS.get(holder["edition"], holder["edition"])
        return f"进程 {holder['pid']}，{edition}，开始于 {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "它刚刚开始，详情暂不可读"


# ── one-file outputs: casebook doc, casebook guide ──────────────────────────


def check_file_out(out: Path, force: bool) -> None:
    """Refuse, before any work, an output file that exists (without --force) or cannot be written."""
    real = _real(out.absolute())
    if real.is_dir():
        raise OutputRefused(f"无法写入 {out}：它是文件夹，不是文件")
    if os.path.lexists(out) and not force:
        raise OutputRefused(f"{out} 已存在，未覆盖（加 --force 覆盖）")
    check_writable_place(out, real)


def write_file(out: Path, data: bytes, work: Path, force: bool) -> None:
    """Put `data` at `out` whole or not at all: written in `work` (beside `out`), then renamed."""
    check_file_out(out, force)
    staged = work / "output"
    staged.write_bytes(data)
    if force:
        os.replace(staged, out)
        return
    try:
        os.link(staged, out)  # fails if `out` appeared meanwhile: never overwrite without --force
    except FileExistsError:
        raise OutputRefused(f"{out} 已存在，未覆盖（加 --force 覆盖）") from None
    except OSError:  # a file system without hard links
        os.replace(staged, out)


@contextmanager
def naming(out: Path) -> Iterator[None]:
    """An OSError without a path (a write that fails on a full disk) names the output being made.

    The CLI edge (cli.CasebookGroup) turns it into "path：cause"; without this a full disk
    would be reported without saying where.
    """
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(out)
        raise


@contextmanager
def file_work(out: Path) -> Iterator[Path]:
    """A private work folder beside the output file, home of every scratch file until the block ends."""
    from .workdir import WORK_PREFIX, owned_folder, scratch_root

    parent = out.absolute().parent
    with naming(out):
        parent.mkdir(parents=True, exist_ok=True)
        with owned_folder(parent, WORK_PREFIX) as work, scratch_root(work):
            yield work
