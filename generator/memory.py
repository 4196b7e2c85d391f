"""Peak memory of a build across all its processes, sampled from /proc.

ru_maxrss gives each process's own peak, and RUSAGE_CHILDREN only the
largest child's: neither says how much the machine needed at once while
MkDocs workers and the index ran side by side. A sampler thread sums the
resident memory (VmRSS, from /proc/<pid>/statm) of this process and its
descendants every 0.1 s.

Why not the proportional set size (Pss), which splits shared pages: the kernel
walks every page table to give it, 76 ms for a 4 GB process, so sampling it
every 0.1 s took a third of a core from a build on this 2-core machine (the
100,000-record build went from 491 to 671 s). The build starts every process
by spawn or exec, so no pages are shared copy-on-write; what two processes
share is the Python binary and its libraries, about 14 MB a process, counted
once per process here (so the figure errs high, by some 50 MB). Python starts
processes with vfork: until its exec the child runs in its parent's address
space and reports the parent's whole memory, so such a child is not counted
(shares_memory): summing it showed 8.8 GB where the machine needed 6.2.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import sys
import threading
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _memory_kb(pid: int) -> int:
    """Resident memory of one process (kB): statm's second field, in pages (no page-table walk)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as stream:
            return int(stream.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
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
    """Resident memory of a process and all its descendants, in MB (vfork children not counted)."""
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
    starts every process) until its exec. Its resident size is its parent's, whole."""
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


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim; nothing elsewhere).

    Memory freed by Python stays in the C heap, counted against this process: after the
    build lets the site model go (2 GB at 100,000 records) the MkDocs processes and the
    index's numpy arrays (mapped on their own, not from that heap) could not use it. At
    10,000 records this gives back 188 of 592 MB."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)
