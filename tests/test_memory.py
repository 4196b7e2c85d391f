"""The bench's memory figure (memory.py): all processes together, shared pages counted once."""

from __future__ import annotations

import os
import sys
import time

import pytest

from generator.memory import shares_memory, tree_memory_mb

BALLAST_MB = 300


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")
def test_a_forked_child_does_not_count_the_parent_twice() -> None:
    """Between fork and exec a child shares all of its parent's pages (each process start):
    summed resident sizes showed the parent twice, 8.8 GB for a build that needed 6.2 GB."""
    ballast = bytearray(BALLAST_MB * 1024 * 1024)
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1  # resident, page by page
    alone = tree_memory_mb()
    assert alone >= BALLAST_MB
    ready, told = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only waits to be measured
        os.write(told, b"x")
        time.sleep(30)
        os._exit(0)
    try:
        os.read(ready, 1)
        both = tree_memory_mb()
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
        os.close(ready)
        os.close(told)
    assert both < alone + BALLAST_MB / 3, (alone, both)
    assert ballast[0] == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kcmp is Linux only")
def test_a_child_in_its_parents_address_space_is_told_apart() -> None:
    """A vfork child (every process start, for microseconds) reports its parent's whole Pss:
    the sampler counts it once. A forked child has an address space of its own."""
    assert shares_memory(os.getpid(), os.getpid())
    child = os.fork()
    if child == 0:  # pragma: no cover
        time.sleep(30)
        os._exit(0)
    try:
        assert not shares_memory(os.getpid(), child)
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
