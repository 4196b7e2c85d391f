"""What a build shows while it runs (generator/progress.py).

Piped output keeps exactly one line per stage; a terminal gets live bars with
counts and the time left that end in the same lines; and the counts a real
build reports add up to their totals, with one MkDocs process or several."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from generator.build import BuildOptions, StageTiming, build
from generator.progress import PUSH_EVERY, PlainProgress, Progress, TerminalProgress, for_terminal, shows_bars
from tests.conftest import AS_OF, MINI, REPO, build_site

STAGES = ["state", "load+validate", "derive", "render", "site", "search", "guard"]
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BAR_MARKS = [*"━╸╺⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏", "剩余", "已用"]  # bar, spinner, time left and time so far


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, and keeps what was written to it."""

    def isatty(self) -> bool:
        return True


def lines_seen(written: str) -> list[str]:
    """Each distinct line a terminal showed, escape codes dropped (a redraw starts with a carriage return)."""
    lines = [ESCAPE.sub("", part).rstrip() for part in re.split(r"\r\n|\r|\n", written)]
    return [line for line in lines if line]


def test_plain_progress_prints_exactly_todays_line_per_stage(capsys: pytest.CaptureFixture[str]) -> None:
    with PlainProgress() as progress:
        for name, seconds in (("load+validate", 10.304), ("render", 0.5)):
            with progress.stage(name, total=3, unit="个文件") as bar:
                bar.advance(2)
                bar.count(5, "个页面")
                bar.advance(5)
            progress.finished(StageTiming(name, seconds, 100.0))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "  load+validate   10.30 s\n  render           0.50 s\n"


def test_a_terminal_sees_counts_and_time_left_then_the_same_lines() -> None:
    stream = FakeTerminal()
    with TerminalProgress(stream) as progress:
        with progress.stage("derive"):
            progress.live.refresh()
            spinner = lines_seen(stream.getvalue())[-1]
        progress.finished(StageTiming("derive", 1.5, 100.0))
        with progress.stage("render") as bar:
            bar.count(40, "个案例页面")
            for _ in range(10):
                time.sleep(PUSH_EVERY)  # each count reaches the display
                bar.advance()
            progress.live.refresh()
            counting = lines_seen(stream.getvalue())[-1]
        progress.finished(StageTiming("render", 2.25, 100.0))
    # Without a total: a spinner and the time so far, no count and no estimate.
    assert re.fullmatch(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] derive\s+━+\s+已用 0:00", spinner), spinner
    assert re.search(r"render\s+━*[╸╺]?━*\s+10/40 个案例页面 剩余 00:0\d 已用 0:00$", counting), counting
    seen = lines_seen(stream.getvalue())
    assert "  derive           1.50 s" in seen
    assert seen[-1] == "  render           2.25 s"  # the bars are gone, the lines stay


def test_the_choice_of_display() -> None:
    assert shows_bars(FakeTerminal(), {})
    assert isinstance(for_terminal(FakeTerminal(), {"TERM": "xterm-256color"}), TerminalProgress)
    assert isinstance(for_terminal(FakeTerminal(), {"CI": "true"}), PlainProgress)  # CI logs: even on a TTY
    assert isinstance(for_terminal(FakeTerminal(), {"TERM": "dumb"}), PlainProgress)
    assert isinstance(for_terminal(io.StringIO(), {}), PlainProgress)  # a pipe or a file


def test_casebook_build_piped_prints_one_plain_line_per_stage(tmp_path: Path) -> None:
    run = build_site(MINI, tmp_path / "site")
    assert run.exit_code == 0, run.stderr
    lines = run.stderr.splitlines()
    assert [line.split()[0] for line in lines[: len(STAGES)]] == STAGES
    assert all(re.fullmatch(r"  \S+ +\d+\.\d\d s", line) for line in lines[: len(STAGES)]), lines
    assert lines[len(STAGES)] == "完整构建：首次构建"
    assert re.fullmatch(r"已生成 \d+ 个页面 → .+/site（重新生成 \d+ 页，沿用 0 页）", lines[len(STAGES) + 1])
    assert len(lines) == len(STAGES) + 2
    assert "\x1b" not in run.stderr
    assert not [mark for mark in BAR_MARKS if mark in run.stderr]


@dataclass
class Count:
    unit: str
    total: int | None
    done: int = 0


@dataclass
class RecordingBar:
    counts: list[Count] = field(default_factory=list)

    def count(self, total: int | None, unit: str = "") -> None:
        self.counts.append(Count(unit, total))

    def advance(self, done: int = 1) -> None:
        self.counts[-1].done += done


class RecordingProgress(Progress):
    """Every stage's counts, as a build reports them."""

    def __init__(self) -> None:
        self.stages: dict[str, list[Count]] = {}

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[RecordingBar]:
        bar = RecordingBar([Count(unit, total)] if total is not None else [])
        yield bar
        self.stages[name] = bar.counts


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_counts_every_file_and_page_up_to_its_total(tmp_path: Path, jobs: int) -> None:
    progress = RecordingProgress()
    options = BuildOptions(
        MINI, tmp_path / "site", as_of=dt.date.fromisoformat(AS_OF), config=REPO / "mkdocs.yml", jobs=jobs
    )
    report = build(options, progress=progress)
    counted = {name: [(c.unit, c.done, c.total) for c in counts] for name, counts in progress.stages.items()}
    assert list(counted) == STAGES
    files = len([p for p in MINI.rglob("*.yaml")])
    assert counted["load+validate"] == [("个文件已读取", files, files), ("个文件已校验", files, files)]
    assert counted["render"] == [("个案例页面", 3, 3), ("份 Word 指引", 1, 1)]  # two records, one entry; one class
    # MkDocs' two passes over the pages, in every process (with two, the second one's pages are
    # counted through shared memory). The lead shows the first pass until it has converted its
    # own pages: the other process may still be converting then.
    rendered = report.rendered
    [(converting, converted, total), written] = counted["site"]
    assert converting == "个页面已转换" and total == rendered and 0 < converted <= rendered
    assert converted == rendered or jobs > 1
    assert written == ("个页面已写出", rendered, rendered)
    site_files = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    [(unit, done, total)] = counted["guard"]
    assert unit == "个文件已检查" and done == total and 0 < total < len(site_files)  # theme files are not read
    assert counted["state"] == counted["derive"] == counted["search"] == []  # spinners: nothing to count
