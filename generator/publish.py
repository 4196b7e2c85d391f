"""Put a finished site in place of the old one, atomically.

A build writes into a fresh folder beside the target; only when everything
has succeeded is that folder swapped in. On Linux the swap is a single
renameat2(RENAME_EXCHANGE) call, so readers see either the old site or the
new one, never a half-written or missing folder. Elsewhere two renames are
used (a moment without the folder, but never a mixed one).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from .workdir import abandoned, new_owned_folder, remove_abandoned

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
STAGING_PREFIX = ".casebook-staging-"
RETIRED_PREFIX = ".casebook-retired-"


def staging_folder(target: Path) -> Path:
    """A new empty folder beside `target`, so the swap is a rename on one file system.

    Its name carries this process's pid (workdir.py): a build killed before it could
    clean up leaves a folder that the next build into the same target removes.
    """
    target = target.absolute()
    clean_leftovers(target)
    return new_owned_folder(target.parent, f"{STAGING_PREFIX}{target.name}-")


def clean_leftovers(target: Path) -> None:
    """Remove staging and retired folders of builds that were killed before they could clean up."""
    target = target.absolute()
    for prefix in (STAGING_PREFIX, RETIRED_PREFIX):
        remove_abandoned(target.parent, f"{prefix}{target.name}-*")


def publish(new_site: Path, target: Path, retire_to: Path | None = None) -> None:
    """Swap `new_site` into `target`; the old site is removed after the swap.

    With `retire_to` (a folder of ours on the same file system), the old site is
    moved there and removed by a process of its own, so the command ends once the
    new site is in place: deleting 30,000 files took 3-10 s at 10,000 records. A
    removal that is cut short is finished by the next build (`clean_retired`)."""
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} 不是文件夹，拒绝覆盖")
    if target.exists() and _exchange(new_site, target):
        if retire_to is None or not _remove_in_background(new_site, retire_to):
            shutil.rmtree(new_site, ignore_errors=True)  # now holds the old site
        return
    if target.exists():
        retired = new_owned_folder(target.parent, f"{RETIRED_PREFIX}{target.name}-")
        retired.rmdir()
        os.rename(target, retired)
        os.rename(new_site, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(new_site, target)


# The remover is started first and the folder then named after it (workdir.py's
# `<prefix><pid>-<tag>`), by this process, before the build returns: while it deletes, the folder
# is the remover's, not the build's, which has usually ended. A build that starts meanwhile sees
# a folder whose owner is alive and leaves it alone, instead of deleting the same 300,000 files
# again in the foreground (4 s of a 100,000-record rebuild). The remover only deletes: it makes
# no new name beside the site (someone deleting the cache folder meanwhile is not in its way).
_REMOVER = """import os, shutil, sys
folder = sys.stdin.buffer.read().split(b"\\0")[0]
if folder:
    shutil.rmtree(os.fsdecode(folder), ignore_errors=True)
"""


def _remove_in_background(old_site: Path, retire_to: Path) -> bool:
    try:
        retired = new_owned_folder(retire_to, RETIRED_PREFIX)
        os.rename(old_site, retired / "site")
    except OSError:
        return False
    try:
        _hand_to_remover(retired)
    except OSError:
        shutil.rmtree(retired, ignore_errors=True)
    return True


def _hand_to_remover(folder: Path) -> None:
    """A process of its own deletes `folder` (a retired site in our cache folder); this one goes on.

    The folder is renamed after the remover's pid before the remover is told its name."""
    remover = subprocess.Popen(
        [sys.executable, "-c", _REMOVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert remover.stdin is not None
    try:
        named = folder.with_name(f"{RETIRED_PREFIX}{remover.pid}-{secrets.token_hex(4)}")
        os.rename(folder, named)
    except OSError:
        named = folder  # still removed, under the build's name
    with contextlib.suppress(OSError):
        remover.stdin.write(os.fsencode(named) + b"\0")
    with contextlib.suppress(OSError):
        remover.stdin.close()


def clean_retired(folder: Path) -> None:
    """Old sites whose removal was cut short (no live process owns them, see workdir.py):
    removed in the background as well, so a build does not wait for another's leftovers."""
    for leftover in abandoned(folder, f"{RETIRED_PREFIX}*"):
        try:
            _hand_to_remover(leftover)
        except OSError:
            shutil.rmtree(leftover, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with renameat2; False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
