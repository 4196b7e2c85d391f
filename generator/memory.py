"""Peak memory of a build across all its processes, sampled from /proc.

ru_maxrss gives each process's own peak, and RUSAGE_CHILDREN only the
largest child's: neither says how much the machine needed at once while
MkDocs workers and the index ran side by side. A sampler thread sums the
memory of this process and its descendants every 0.1 s: each one's
proportional set size (Pss), which splits a page shared by several processes
between them. Resident sizes (VmRSS) count a shared page once per process: a
child between fork and exec (every process start, MkDocs workers included)
showed the parent's 4.4 GB again, and the 100,000-record build's peak read
8.8 GB where the machine needed 6.2 GB. Python starts processes with vfork: until
its exec the child runs in its parent's address space and reports the parent's
whole Pss too, so such a child is not counted (shares_memory).
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import sys
import threading
from pathlib import Path


def _memory_kb(pid: int) -> int:
    """Pss of one process (kB); its VmRSS where smaps_rollup cannot be read (Linux before 4.14)."""
    for name, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(name, encoding="ascii", errors="replace") as stream:
                for line in stream:
                    if line.startswith(field):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_memory_mb(pid: int | None = None) -> float:
    """Memory of a process and all its descendants, in MB (shared pages counted once)."""
    pending, total = [pid or os.getpid()], 0
    while pending:
        current = pending.pop()
        total += _memory_kb(current)
        pending += [child for child in _children(current) if not shares_memory(current, child)]
    return total / 1024


_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())  # the kcmp system call's number
_KCMP_VM = 1


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def shares_memory(one: int, other: int) -> bool:
    """Whether two processes run in one address space: a child started with vfork (as Python
    starts every process) until its exec. Pss cannot tell: both report the whole of it."""
    libc = _libc()
    if _KCMP is None or libc is None or not sys.platform.startswith("linux"):
        return False
    return libc.syscall(_KCMP, one, other, _KCMP_VM, 0, 0) == 0


class PeakSampler:
    """`with PeakSampler() as s: …` then `s.peak_mb`: the largest sum seen (0 where /proc is absent)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_memory_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
