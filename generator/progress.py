"""What a build shows while it runs: a live bar per stage on a terminal, one line per stage elsewhere.

At 10,000 records several stages take 10 to 30 seconds each; a person at a
terminal should see that the build is alive, how far a stage has got and
how long it still needs. Piped output, CI logs and the tests that read
stderr keep exactly the line per stage they always had.

The stages only count: `with progress.stage("render") as bar:`, then
`bar.count(n, "页面")` once the count is known (it may never be: the bar is
then a spinner with the time so far; a stage with two long steps counts
twice) and `bar.advance(k)` as work gets done. Whoever owns a loop takes a `Bar` argument (default
`NO_BAR`), so library callers and tests pay nothing and see nothing. The
line that ends a stage is printed by `finished(timing)`, the build's
`on_stage` callback, with the seconds the build itself measured.

`for_terminal(stream)` chooses: the live bars (rich) when the stream is a
terminal, CI is unset and TERM is not "dumb"; the plain lines otherwise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import IO, Any, Protocol

import click

REFRESHES_PER_SECOND = 4  # the spinner and the elapsed time move on their own, between counts
PUSH_EVERY = 0.05  # seconds: counts reach the display this often at most


class Bar(Protocol):
    """One stage's counter, as the code doing the work sees it."""

    def count(self, total: int | None, unit: str = "") -> None:
        """Count `total` units of `unit` from zero (None: how many is not known)."""

    def advance(self, done: int = 1) -> None:
        """`done` more units are finished."""


class Timing(Protocol):
    """A finished stage as the build reports it (build.StageTiming)."""

    name: str
    seconds: float


class _NoBar:
    def count(self, total: int | None, unit: str = "") -> None:
        pass

    def advance(self, done: int = 1) -> None:
        pass


NO_BAR: Bar = _NoBar()


def stage_line(name: str, seconds: float) -> str:
    """The line a finished stage leaves behind, on a terminal or not (the same since the first build)."""
    return f"  {name:<14} {seconds:6.2f} s"


class Progress:
    """Shows nothing: the default of build(), for library callers, serve and bench."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        pass

    def stage(self, name: str, total: int | None = None, unit: str = "") -> AbstractContextManager[Bar]:
        """A counter for the stage `name` while the block runs."""
        return _no_stage()

    def finished(self, timing: Timing) -> None:
        """The stage is over (the build's on_stage callback)."""


@contextmanager
def _no_stage() -> Iterator[Bar]:
    yield NO_BAR


NO_PROGRESS = Progress()


class PlainProgress(Progress):
    """One line per finished stage on stderr and nothing else: for pipes, CI logs and dumb terminals."""

    def finished(self, timing: Timing) -> None:
        click.echo(stage_line(timing.name, timing.seconds), err=True)


class TerminalProgress(Progress):
    """A live bar for the running stage: name, count of total, time left and the stage's time so far.

    When the stage ends its bar is replaced by the same line PlainProgress prints,
    so the terminal is left holding exactly what a log would. The display redraws
    itself on a thread of rich's, so a stage that counts nothing (derive) still
    shows a moving spinner and clock."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Live

        self.console = Console(file=stream, highlight=False, markup=False, emoji=False)
        self.live = Live(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),  # a moving pulse while the total is not known
            TextColumn("{task.fields[counted]}"),
            TextColumn("{task.fields[left]}"),  # 剩余, once there is a total to finish
            TimeRemainingColumn(compact=True),  # from the recent speed; blank without a total
            TextColumn("已用 {task.fields[clock]}"),
            console=self.console,
            transient=True,
            refresh_per_second=REFRESHES_PER_SECOND,
        )

    def __enter__(self) -> TerminalProgress:
        self.live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.live.stop()

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[Bar]:
        task = self.live.add_task(f"{name:<14}", total=total, clock=_Clock(), **_shown(0, total, unit))
        try:
            yield _LiveBar(self.live, task, total, unit)
        finally:
            self.live.remove_task(task)
            self.live.refresh()  # else the line printed next would be followed by the stale bar

    def finished(self, timing: Timing) -> None:
        self.console.print(stage_line(timing.name, timing.seconds))


class _LiveBar:
    """Counts here and hands the count to the display at most every PUSH_EVERY seconds
    (and when it is complete): a page takes about a millisecond, an update of rich's 8 µs."""

    def __init__(self, live: Any, task: Any, total: int | None, unit: str) -> None:
        self.live, self.task, self.total, self.unit = live, task, total, unit
        self.done, self.pushed_at = 0, time.monotonic()

    def count(self, total: int | None, unit: str = "") -> None:
        # reset: the time left comes from this count's speed alone (the stage's clock goes on)
        self.total, self.unit, self.done = total, unit, 0
        self.live.reset(self.task, total=total)
        self.live.update(self.task, **_shown(0, total, unit))  # (reset would drop the clock)

    def advance(self, done: int = 1) -> None:
        self.done += done
        now = time.monotonic()
        if now - self.pushed_at >= PUSH_EVERY or self.done == self.total:
            self.live.update(self.task, completed=self.done, **_shown(self.done, self.total, self.unit))
            self.pushed_at = now


def _shown(done: int, total: int | None, unit: str) -> dict[str, str]:
    """The text fields of a bar: "1,234/10,257 页面", or "1,234 页面" without a total; 剩余 with one."""
    counted = f"{done:,}/{total:,}" if total is not None else f"{done:,}" if done else ""
    return {"counted": f"{counted} {unit}".strip(), "left": "" if total is None else "剩余"}


class _Clock:
    """The time since the stage began, as m:ss; read each time the bar is drawn."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __format__(self, spec: str) -> str:
        minutes, seconds = divmod(int(time.monotonic() - self.start), 60)
        return f"{minutes}:{seconds:02d}"


def shows_bars(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """Whether `stream` is a terminal a person watches: not a pipe or file, not CI, not TERM=dumb."""
    environ = os.environ if environ is None else environ
    if environ.get("CI") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def for_terminal(stream: IO[str], environ: Mapping[str, str] | None = None) -> Progress:
    """The live bars when `stream` is watched by a person (shows_bars), else the plain lines."""
    return TerminalProgress(stream) if shows_bars(stream, environ) else PlainProgress()
