"""Private working folders that a killed process cannot leave behind for long.

Every scratch file of a command (a build's staging folder, pandoc's
reference.docx and flow diagrams, openpyxl's sheet files, a preview's site)
lives in a folder whose name carries its owner's pid, beside the output the
command writes; never in the system temp folder, where nobody would ever
clean up after a SIGKILL. The next command that writes there removes the
folders whose owner is gone. The pid is in the name, not in a file inside,
so a folder is never seen "without owner" in the moment between its
creation and the writing of that file.

While a command works, `scratch_root` also points Python's `tempfile` and
the TMPDIR of child processes (MkDocs workers, pandoc) at its folder, so a
library that makes temporary files on its own ends up there too.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WORK_PREFIX = ".casebook-work-"
_OWNED_NAME = re.compile(r"-(\d+)-[^-]+$")  # …-<pid>-<mkdtemp's random part>

_lock = threading.Lock()
_root: Path | None = None


def new_owned_folder(parent: Path, prefix: str) -> Path:
    """A fresh empty folder `<prefix><pid>-<random>` in `parent` (created if missing)."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def owner_alive(folder: Path) -> bool:
    """Whether the process named in the folder's name still runs (a folder of ours: yes).

    Folders made by older versions carry no pid in the name; theirs is in a `.pid` file,
    and one without either is abandoned.
    """
    match = _OWNED_NAME.search(folder.name)
    try:
        pid = int(match.group(1)) if match else int((folder / ".pid").read_text())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """`path` holds `data` whole, or what it held before: written in an owned folder beside it, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = new_owned_folder(path.parent, ".writing-")
    try:
        temporary = folder / path.name
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def abandoned(parent: Path, pattern: str) -> list[Path]:
    """The folders matching `pattern` in `parent` whose owner process is gone, sorted."""
    if not parent.is_dir():
        return []
    return sorted(
        leftover
        for leftover in parent.glob(pattern)
        if leftover.is_dir() and not leftover.is_symlink() and not owner_alive(leftover)
    )


def remove_abandoned(parent: Path, pattern: str) -> None:
    """Remove the folders matching `pattern` in `parent` whose owner process is gone."""
    for leftover in abandoned(parent, pattern):
        shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def owned_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A private folder in `parent` for the duration of the block; abandoned ones are cleaned first."""
    remove_abandoned(parent, f"{prefix}*")
    folder = new_owned_folder(parent, prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_root(folder: Path) -> Iterator[Path]:
    """Make `folder` the home of every scratch file until the block ends (see the module docstring)."""
    global _root
    temporary = folder / "tmp"
    temporary.mkdir(parents=True, exist_ok=True)
    with _lock:
        saved = _root, tempfile.tempdir, os.environ.get("TMPDIR")
        _root, tempfile.tempdir = temporary, str(temporary)
        os.environ["TMPDIR"] = str(temporary)
    try:
        yield temporary
    finally:
        with _lock:
            _root, tempfile.tempdir = saved[0], saved[1]
            if saved[2] is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = saved[2]


def new_scratch_folder(prefix: str) -> Path:
    """A fresh folder for work that outlives one block (its maker removes it): in the current
    scratch root, or else an owned folder in the system temp folder (abandoned ones are cleaned
    first), so a killed caller's is still cleaned later."""
    with _lock:
        root = _root
    if root is not None:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    parent = Path(tempfile.gettempdir())
    remove_abandoned(parent, f"{WORK_PREFIX}*")
    return new_owned_folder(parent, WORK_PREFIX)


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh folder for one piece of work (one pandoc run), inside the current scratch root.

    Outside `scratch_root` (the library used from Python rather than the CLI) it is an
    owned folder in the system temp folder (new_scratch_folder).
    """
    folder = new_scratch_folder(prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
