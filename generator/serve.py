"""casebook serve: build, serve on localhost, rebuild when a source changes.

Uses MkDocs' own live-reload server (it injects the reload script and
watches folders). Every rebuild is the ordinary incremental build
(build.py): unchanged pages are reused from the preview's own published
site, so an edit to one record costs about as much as that record's pages.

A rebuild that fails keeps serving the last good site, exactly like
`casebook build`; the terminal lists the problems, and so does the browser:
every HTML page the preview server sends carries a banner at the top with
the located problems (`PreviewServer`), added to the response only, never
to the site's files. The browser reloads after every rebuild, failed or
not, so the banner appears when a build fails and goes when one succeeds.

The preview is the internal edition by default: it must not outlive the
session. It lives in a folder of its own in the system temp folder, removed
when the preview stops (Ctrl+C, or SIGTERM from a service manager or `kill`);
a preview killed outright leaves one, which the next `casebook serve` removes
(its name carries the owner's pid, see workdir.py).
"""

from __future__ import annotations

import re
import signal
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import click
from mkdocs.livereload import LiveReloadServer

from .build import BuildOptions, StageTiming, build, find_config
from .errors import CasebookError, FileSystemProblem, InvalidLibrary
from .render.text import html_text
from .workdir import owned_folder

SERVE_PREFIX = "casebook-serve-"
BANNER_ID = "casebook-build-failed"
BANNER_TITLE = "生成失败，下面是上一次成功生成的内容"
BANNER_LINES = 20  # problems shown in the page; the terminal has them all
# The file watcher (MkDocs' polling one: it works on network drives and with every editor's
# way of saving) looks for changes this often, part of every edit's save-to-screen time
# (MkDocs' default is 0.5 s). A scan of the sample's 150 files takes 3 ms, of 10,000 records
# 0.1 s: the pause grows with the scan's time, keeping the watcher's share of a core at
# POLL_SHARE (a 10,000-record library is polled about once a second).
POLL_SECONDS = 0.25
POLL_MAX_SECONDS = 2.0
POLL_SHARE = 0.1
_BODY_START = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


class _Terminated(BaseException):
    """SIGTERM arrived: leave serve() through its finally, like Ctrl+C.

    A BaseException, as cli.Terminated: a rebuild runs in the thread that takes the signal,
    and its `except Exception` (a bug in a build is shown as a banner, the preview lives on)
    took a SIGTERM for a failed build and kept serving; so did MkDocs' build loop."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


@dataclass(frozen=True)
class BuildFailure:
    """Why the last rebuild failed, as plain text (escaped only when shown)."""

    summary: str  # one line above the list ("发现 3 个问题，未生成网站"), or ""
    lines: tuple[str, ...]  # the located problems, or the error's message
    at: str  # wall-clock time of the failure, HH:MM:SS: tells a reader the banner is current

    @classmethod
    def of(cls, error: Exception) -> BuildFailure:
        summary = ""
        if isinstance(error, InvalidLibrary):
            summary = error.format_message()
            # Errors before warnings: the lines that fit in the banner are the ones to fix.
            problems = sorted(error.problems, key=lambda problem: problem.severity != "error")
            lines = [str(problem) for problem in problems]
        elif isinstance(error, CasebookError):
            lines = error.format_message().splitlines()
        else:  # a bug: the terminal has the traceback
            lines = [f"程序内部错误（{type(error).__name__}）：{error}", "详细信息见运行 casebook serve 的终端"]
        return cls(summary, tuple(line for line in lines if line.strip()), time.strftime("%H:%M:%S"))


def banner_html(failure: BuildFailure, limit: int = BANNER_LINES) -> str:
    """The banner shown above every page while the last rebuild has failed.

    Every text is escaped: problems quote values from the library (a title
    `<script>…` must show as text). Inline styles only: the banner must not
    depend on the site's stylesheets, which a failed build may have broken.
    """
    shown = failure.lines[:limit]
    rest = len(failure.lines) - len(shown)
    item = '<li style="margin:0;padding:0">'
    items = "".join(f"{item}{html_text(line)}</li>" for line in shown)
    if rest:
        items += f"{item}另有 {rest} 处，完整列表见运行 casebook serve 的终端</li>"
    summary = f'<div style="margin:.3em 0 0">{html_text(failure.summary)}：</div>' if failure.summary else ""
    return (
        f'<div id="{BANNER_ID}" role="alert" style="position:relative;z-index:10;margin:0;'
        "padding:.8em 1.2em;background:#fdecea;color:#611a15;border-bottom:3px solid #d32f2f;"
        'font:14px/1.5 sans-serif;text-align:left;overflow-wrap:anywhere">'
        f'<strong style="display:block;font-size:15px">{html_text(BANNER_TITLE)}'
        f"（{html_text(failure.at)}）</strong>{summary}"
        f'<ul style="margin:.3em 0 0;padding:0 0 0 1.4em;font-family:monospace,sans-serif">{items}</ul>'
        "</div>"
    )


def with_banner(content: bytes, failure: BuildFailure | None) -> bytes:
    """An HTML page with the failure banner as the first thing in its body."""
    if failure is None:
        return content
    banner = banner_html(failure).encode("utf-8")
    match = _BODY_START.search(content)
    at = match.end() if match else 0
    return content[:at] + banner + content[at:]


class PreviewServer(LiveReloadServer):
    """MkDocs' live-reload server that puts the last failed rebuild's banner in every HTML response.

    `failure` is set by the builder, which MkDocs runs before it moves the epoch
    on; a page is served only once the epoch has caught up, so the browser's
    reload after a rebuild always sees that rebuild's outcome. The builder must
    never raise: MkDocs would then not move the epoch, no browser would reload,
    and every page request (each waits for the epoch) would hang until the next
    good build.

    A missing page gets the site's 404 page (its links are absolute), with the
    reload script and the banner: a reader whose page went away (a record
    renamed, or not made because the build failed) sees why, and sees it come
    back, rather than a bare "404 Not Found" that never reloads.
    """

    def __init__(
        self, builder: Callable[[], None], host: str, port: int, root: Path, polling_interval: float = POLL_SECONDS
    ) -> None:
        super().__init__(builder=builder, host=host, port=port, root=str(root), polling_interval=polling_interval)
        self.failure: BuildFailure | None = None
        self.error_handler = self._error_page

    def _error_page(self, code: int) -> bytes | None:
        if code != 404:
            return None
        try:
            content = (Path(self.root) / "404.html").read_bytes()
        except OSError:
            return None
        return self._inject_js_into_html(content, self._visible_epoch)

    def _inject_js_into_html(self, content: bytes, epoch: int) -> bytes:
        return with_banner(super()._inject_js_into_html(content, epoch), self.failure)


def poll_interval(folders: list[Path]) -> float:
    """Seconds between two scans of the watched folders (see POLL_SHARE), timed on one scan now."""
    from watchdog.utils.dirsnapshot import DirectorySnapshot

    start = time.perf_counter()
    for folder in folders:
        if folder.is_dir():
            DirectorySnapshot(str(folder))
    return min(max(POLL_SECONDS, (time.perf_counter() - start) / POLL_SHARE), POLL_MAX_SECONDS)


def serve(options: BuildOptions, host: str, port: int) -> None:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with owned_folder(Path(tempfile.gettempdir()), SERVE_PREFIX) as folder:
            _serve(options, folder / "site", host, port)
    except _Terminated:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("预览已停止，临时网站已删除", err=True)


def _stage_line(seconds: float, stages: list[StageTiming]) -> str:
    """The rebuild's wall time and each stage's seconds, on one line: where an edit's waiting
    time goes (the rest is checking and locking --out, saving the state and publishing)."""
    parts = "，".join(f"{stage.name} {stage.seconds:.2f}" for stage in stages)
    return f"用时 {seconds:.2f} s（{parts}）"


def _serve(options: BuildOptions, out: Path, host: str, port: int) -> None:
    config = find_config(options.library, options.config)
    options = BuildOptions(options.library, out, options.audience, options.as_of, config)
    server: PreviewServer | None = None

    def rebuild() -> None:
        stages: list[StageTiming] = []
        failure: BuildFailure | None = None
        start = time.perf_counter()
        try:
            report = build(options, stages.append)
            seconds = time.perf_counter() - start
            if report.unchanged:
                click.echo(f"没有变化，未重新生成；{_stage_line(seconds, stages)}", err=True)
            else:
                click.echo(
                    f"已重新生成 {report.pages} 个页面（重新生成 {report.rendered} 页，沿用 {report.reused} 页）；"
                    f"{_stage_line(seconds, stages)}",
                    err=True,
                )
        except CasebookError as error:
            error.show()
            failure = BuildFailure.of(error)
        except OSError as error:
            problem = FileSystemProblem(error)
            problem.show()
            failure = BuildFailure.of(problem)
        except Exception as error:  # a bug: say so, and keep the preview (and its reload) alive
            traceback.print_exc()
            failure = BuildFailure.of(error)
        if failure is not None:
            click.echo("保留上一次成功生成的网站；浏览器中的页面顶部列出了上面的问题", err=True)
        if server is not None:
            server.failure = failure

    rebuild()
    if not out.exists():
        raise click.ClickException("案例库有问题，无法生成网站；请先修正上面列出的问题")
    templates = Path(__file__).resolve().parent / "templates"
    watched = [path for path in (options.library, config.parent / "docs", config, templates) if path.exists()]
    server = PreviewServer(rebuild, host, port, out, poll_interval(watched))
    for path in watched:
        server.watch(str(path))
    click.echo(f"预览：http://{host}:{port}/（修改案例、模板或 docs/ 后自动刷新；Ctrl+C 退出）", err=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
