"""`casebook serve` as a trainer uses it: a real serve process, a page open in a real headless Chromium.

One serve process (on a copy of the sample library) and one browser page are shared by the
tests of this module: starting serve costs a full build. Each test edits the library, waits
(bounded, polling) for the open page to change on its own (the live-reload script, never a
manual reload), and puts the library back the way it found it.

Chromium is the Debian package (/usr/bin/chromium); Playwright drives it. Locally a missing
Chromium skips these tests; with CI=true it fails them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from generator.errors import InvalidLibrary, Problem
from generator.serve import BANNER_ID, BANNER_TITLE, BuildFailure, banner_html
from tests.conftest import AS_OF, REPO, SAMPLE, Scratch, copy_library, launched_chromium

RECORD = "records/XF-2021-0001.yaml"
RECORD_URL = "records/XF-2021-0001/"
WAIT_MS = 30_000  # every wait for the page is bounded by this
START_SECONDS = 180  # the first (full) build of the sample, on a busy 2-core machine
BANNER = f"#{BANNER_ID}"


@dataclass
class Preview:
    """A running `casebook serve` and the page a reader has open in it."""

    library: Scratch
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    temp: Path  # the serve process's TMPDIR: its site folder lives here
    page: Any
    dialogs: list[str] = field(default_factory=list)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def site_files(self) -> list[Path]:
        return sorted(self.temp.glob("casebook-serve-*/site/**/*.html"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"casebook serve ended with {process.returncode}:\n{log.read_text(encoding='utf-8')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"casebook serve did not listen within {START_SECONDS} s:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def preview(chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    root = tmp_path_factory.mktemp("serve")
    library = copy_library(SAMPLE, root / "cases")
    temp = root / "tmp"
    temp.mkdir()
    port = free_port()
    log = root / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp)}
    command = [sys.executable, "-m", "generator", "serve", str(library.root), "--as-of", AS_OF]
    command += ["--config", str(REPO / "mkdocs.yml"), "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(process, port, log)
        page = chromium.new_page()
        running = Preview(library, f"http://127.0.0.1:{port}/", process, log, temp, page)
        page.on("dialog", lambda dialog: (running.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(running.url + RECORD_URL)
        yield running
        page.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("casebook serve did not stop within 60 s of SIGTERM")
    assert "预览已停止，临时网站已删除" in log.read_text(encoding="utf-8")
    assert not list(temp.glob("casebook-serve-*")), "the preview's temporary site outlived it"


@pytest.fixture
def original(preview: Preview) -> Iterator[str]:
    """The record's text as shipped; put back (and seen back in the page) after the test."""
    text = (SAMPLE / RECORD).read_text(encoding="utf-8")
    yield text
    if preview.library.read(RECORD) != text:
        preview.library.write(RECORD, text)
        wait_for_text(preview, title_of(text))
        preview.page.locator(BANNER).wait_for(state="detached", timeout=WAIT_MS)


def title_of(text: str) -> str:
    match = re.search(r"^title: (.+)$", text, re.MULTILINE)
    assert match, "the record has a plain one-line title"
    return match.group(1)


def position_of(text: str, key: str) -> tuple[int, int]:
    """Line and column (1-based) of a top-level key's value, as the validator reports them."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}: "):
            return number, len(key) + 3
    raise AssertionError(f"no top-level {key} in the record")


def wait_for_text(preview: Preview, text: str) -> None:
    preview.page.wait_for_function(
        "t => document.body !== null && document.body.innerText.includes(t)", arg=text, timeout=WAIT_MS
    )


def body_text(preview: Preview) -> str:
    return str(preview.page.inner_text("body"))


def test_an_edit_appears_in_the_open_page_without_a_manual_reload(preview: Preview, original: str) -> None:
    old = title_of(original)
    wait_for_text(preview, old)
    new = old + "（已核实）"
    preview.library.write(RECORD, original.replace(f"title: {old}", f"title: {new}", 1))
    wait_for_text(preview, new)
    assert preview.page.locator(BANNER).count() == 0
    assert preview.page.url == preview.url + RECORD_URL
    assert "已重新生成" in preview.log_text()


def test_a_failed_build_shows_the_located_problem_above_the_last_good_page_until_fixed(
    preview: Preview, original: str
) -> None:
    old = title_of(original)
    wait_for_text(preview, old)
    new = old + "（待补充）"
    # One save changes the title and breaks the record: the page must keep the old title.
    broken = original.replace(f"title: {old}", f"title: {new}", 1).replace(
        "domain: 征地拆迁", "domain: 不存在的领域", 1
    )
    line, column = position_of(broken, "domain")
    preview.library.write(RECORD, broken)

    banner = preview.page.locator(BANNER)
    banner.wait_for(timeout=WAIT_MS)
    text = str(banner.inner_text())
    assert BANNER_TITLE in text
    assert f"{RECORD}:{line}:{column}: domain:" in text and "不存在的领域" in text
    # The last good page is under the banner: the old title, not the one of the failed save.
    assert old in body_text(preview) and new not in body_text(preview)
    # Above the page's heading, both measured in one look at the page: two separate lookups
    # could fall on either side of a live reload (a box of None; seen once in a full suite).
    preview.page.wait_for_function(
        """([banner, heading]) => {
            const b = document.querySelector(banner), h = document.querySelector(heading);
            return b !== null && h !== null && b.getBoundingClientRect().top < h.getBoundingClientRect().top;
        }""",
        arg=[BANNER, "article h1"],
        timeout=WAIT_MS,
    )
    assert f"{RECORD}:{line}:{column}" in preview.log_text()  # the terminal has it too

    # Every HTML page the preview sends carries the banner, not only the open one (a missing page too,
    # with the reload script, so it comes back by itself); the site's files never do.
    other = preview.page.context.browser.new_page()
    try:
        other.goto(preview.url)
        assert other.locator(BANNER).count() == 1
        missing = other.goto(preview.url + "records/XF-2099-0001/")
        assert missing is not None and missing.status == 404
        assert other.locator(BANNER).count() == 1 and "livereload(" in other.content()
    finally:
        other.close()
    files = preview.site_files()
    assert files and not [path for path in files if BANNER_ID.encode() in path.read_bytes()]

    # Fixing the record rebuilds with the new title and takes the banner away, again without a manual reload.
    preview.library.write(RECORD, broken.replace("domain: 不存在的领域", "domain: 征地拆迁", 1))
    wait_for_text(preview, new)
    banner.wait_for(state="detached", timeout=WAIT_MS)


def test_a_hostile_value_in_a_problem_shows_as_text_and_runs_nothing(preview: Preview, original: str) -> None:
    wait_for_text(preview, title_of(original))
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    preview.library.write(RECORD, original.replace("domain: 征地拆迁", f'domain: "{hostile}"', 1))
    banner = preview.page.locator(BANNER)
    banner.wait_for(timeout=WAIT_MS)
    assert hostile in str(banner.inner_text())
    assert banner.locator("img, script").count() == 0
    # Any dialog would have fired during the page's load, which is over once its load event has been.
    preview.page.wait_for_load_state("load", timeout=WAIT_MS)
    assert preview.dialogs == []


def test_the_banner_lists_twenty_problems_then_says_how_many_more() -> None:
    problems = [
        Problem(f"records/XF-2021-{n:04d}.yaml", 6, 9, "domain", f"“<b>{n}</b>” 不在词表中") for n in range(1, 26)
    ]
    failure = BuildFailure.of(InvalidLibrary(problems))
    html = banner_html(failure)
    assert html.count("<li") == 21
    assert "另有 5 处" in html
    assert "records/XF-2021-0020.yaml:6:9: domain:" in html and "XF-2021-0021" not in html
    assert "<b>" not in html and "&lt;b&gt;1&lt;/b&gt;" in html


def test_an_unexpected_error_still_makes_a_banner_that_points_at_the_terminal() -> None:
    failure = BuildFailure.of(RuntimeError("<b>坏了</b>"))
    html = banner_html(failure)
    assert "RuntimeError" in html and "&lt;b&gt;坏了&lt;/b&gt;" in html and "<b>" not in html
    assert "终端" in html and failure.summary == ""
