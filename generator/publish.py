"""Put a finished site in place of the old one, atomically.

A build writes into a fresh folder beside the target; only when everything
has succeeded is that folder swapped in. On Linux the swap is a single
renameat2(RENAME_EXCHANGE) call, so readers see either the old site or the
new one, never a half-written or missing folder. Elsewhere two renames are
used (a moment without the folder, but never a mixed one).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
STAGING_PREFIX = ".casebook-staging-"
RETIRED_PREFIX = ".casebook-retired-"


def staging_folder(target: Path) -> Path:
    """A new empty folder on the same file system as `target` (rename must not cross devices)."""
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{target.name}-", dir=target.parent))


def clean_leftovers(target: Path) -> None:
    """Remove staging folders of builds that were killed before they could clean up."""
    for prefix in (STAGING_PREFIX, RETIRED_PREFIX):
        for leftover in target.parent.glob(f"{prefix}{target.name}-*"):
            if leftover.is_dir() and not _in_use(leftover):
                shutil.rmtree(leftover, ignore_errors=True)


def _in_use(folder: Path) -> bool:
    """A staging folder whose owner process still runs (its pid is in the folder's .pid file)."""
    pid_file = folder / ".pid"
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


def mark_owner(staging: Path) -> None:
    (staging / ".pid").write_text(str(os.getpid()))


def publish(new_site: Path, target: Path) -> None:
    """Swap `new_site` into `target`; the old site is removed after the swap."""
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} 不是文件夹，拒绝覆盖")
    if target.exists() and _exchange(new_site, target):
        shutil.rmtree(new_site, ignore_errors=True)  # now holds the old site
        return
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f"{RETIRED_PREFIX}{target.name}-", dir=target.parent))
        retired.rmdir()
        os.rename(target, retired)
        os.rename(new_site, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(new_site, target)


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
