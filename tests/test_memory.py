"""The bench's memory figure (memory.py): all processes together, a vfork child not counted twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from generator.memory import shares_memory, tree_memory_mb

BALLAST_MB = 300


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")
def test_a_started_process_counts_with_its_own_memory_only() -> None:
    """A process the build starts (as it starts every one: exec'd) adds what it holds, not its parent's."""
    ballast = bytearray(BALLAST_MB * 1024 * 1024)
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1  # resident, page by page
    alone = tree_memory_mb()
    assert alone >= BALLAST_MB
    size = BALLAST_MB * 1024 * 1024
    holder = f"b = bytearray({size}); b[::4096] = b'x' * len(b[::4096]); print(1, flush=True); input()"
    with subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stdin is not None
        child.stdout.readline()
        both = tree_memory_mb()
        child.stdin.close()
    assert alone + BALLAST_MB <= both < alone + BALLAST_MB * 1.5, (alone, both)
    assert ballast[0] == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kcmp is Linux only")
def test_a_child_in_its_parents_address_space_is_told_apart() -> None:
    """A vfork child (every process start, for microseconds) reports its parent's whole memory:
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


DERIVE_CYCLES = """
import gc, sys
from pathlib import Path
from generator.bench import BENCH_AS_OF
from generator.validate import check_library
from generator.derive.site import derive_site
from generator.derive.similar import import_jieba
library, problems = check_library(Path(sys.argv[1]), BENCH_AS_OF)
assert not problems
if sys.argv[2] == "first":
    import_jieba()
gc.collect()
gc.disable()
derive_site(library, "internal", BENCH_AS_OF)
gc.set_debug(gc.DEBUG_SAVEALL)
print(gc.collect(0))
"""


@pytest.mark.parametrize("jieba", ["first", "lazily"])
def test_derive_leaves_next_to_nothing_in_cycles_once_jieba_is_imported_first(jieba: str) -> None:
    """The build freezes what derive made without sweeping it (build.py): that is right only
    while derive leaves no cycles. jieba's first import does (tracebacks inside pkg_resources,
    holding the frames below them): imported lazily, thousands of objects; first, a handful."""
    from conftest import SAMPLE

    run = subprocess.run(
        [sys.executable, "-c", DERIVE_CYCLES, str(SAMPLE), jieba], capture_output=True, text=True, check=True
    )
    left = int(run.stdout.split()[-1])
    if jieba == "first":
        assert left < 1_000, left
    else:
        assert left > 1_000, left  # what the test would miss if import_jieba did nothing
