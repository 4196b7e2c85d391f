"""How many cores this process may use, and running one job in a second process when there are two or more."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Background:
    """`function(*args)` in a second process (spawned: a serve session has threads), or here.

    It runs here, when `result()` is called, if it was not wanted, there is one
    core, or the process could not start (a script without a `__main__` guard
    cannot spawn): the caller gets the same result either way.
    """

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...], pool: Any = None, future: Any = None):
        self._function, self._args, self._pool, self._future = function, args, pool, future

    @classmethod
    def start(cls, function: Callable[..., Any], *args: Any, wanted: bool = True) -> Background:
        if not wanted or available_cores() < 2:
            return cls(function, args)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return cls(function, args, pool, pool.submit(function, *args))

    @property
    def in_background(self) -> bool:
        return self._future is not None

    def result(self) -> Any:
        if self._future is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                return self._future.result()
            except BrokenProcessPool:
                pass
            finally:
                self._pool.shutdown()
                self._future = None
        return self._function(*self._args)

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        """Leaving the block by an exception (a bad file, Ctrl+C, SIGTERM) stops the second process:
        otherwise the interpreter, on its way out, waits for it to finish work nobody will use."""
        if kind is not None:
            self.cancel()

    def cancel(self) -> None:
        """Stop the second process without waiting for its result (the caller gave up on it)."""
        if self._future is None:
            return
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._future = None


class SpareProcess:
    """A second process started before its job is known, so that its start and imports (1.5-2 s
    at 100,000 records, the ledger workbooks' process) overlap the work that decides the job.

    `run` hands it one job as a Background; `close` stops it if it got none."""

    def __init__(self, pool: Any) -> None:
        self._pool: Any = pool

    @classmethod
    def start(cls, module: str, wanted: bool) -> SpareProcess | None:
        """A spare process that imports `module` meanwhile; None when not wanted or one core."""
        if not wanted or available_cores() < 2:
            return None
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        pool.submit(_imported, module)  # starts the process now
        return cls(pool)

    def run(self, function: Callable[..., Any], *args: Any) -> Background:
        """The job, in the spare process; here (when its result is asked for) if that process is
        gone, as Background does when a process cannot start (a script without a `__main__` guard)."""
        from concurrent.futures.process import BrokenProcessPool

        pool, self._pool = self._pool, None
        if pool is None:
            return Background.start(function, *args)
        try:
            return Background(function, args, pool, pool.submit(function, *args))
        except BrokenProcessPool:
            pool.shutdown(wait=True)
            return Background(function, args)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


def _imported(module: str) -> None:
    import importlib

    importlib.import_module(module)
