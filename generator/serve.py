"""casebook serve: build, serve on localhost, rebuild when a source changes.

Uses MkDocs' own live-reload server (it injects the reload script and
watches folders). A rebuild that fails validation prints the problems and
keeps serving the last good site, exactly like `casebook build`.

The preview is the internal edition by default: it must not outlive the
session. It lives in a folder of its own in the system temp folder, removed
when the preview stops (Ctrl+C, or SIGTERM from a service manager or `kill`);
a preview killed outright leaves one, which the next `casebook serve` removes
(its name carries the owner's pid, see workdir.py).
"""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path
from types import FrameType

import click

from .build import BuildOptions, build, find_config
from .errors import CasebookError
from .workdir import owned_folder

SERVE_PREFIX = "casebook-serve-"


class _Terminated(Exception):
    """SIGTERM arrived: leave serve() through its finally, like Ctrl+C."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


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


def _serve(options: BuildOptions, out: Path, host: str, port: int) -> None:
    from mkdocs.livereload import LiveReloadServer

    config = find_config(options.library, options.config)
    options = BuildOptions(options.library, out, options.audience, options.as_of, config)

    def rebuild() -> None:
        try:
            report = build(options)
            click.echo(f"已重新生成 {report.pages} 个页面", err=True)
        except CasebookError as error:
            error.show()
            click.echo("保留上一次成功生成的网站", err=True)

    rebuild()
    if not out.exists():
        raise click.ClickException("案例库有问题，无法生成网站；请先修正上面列出的问题")
    server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(out))
    templates = Path(__file__).resolve().parent / "templates"
    for watched in (options.library, config.parent / "docs", config, templates):
        if watched.exists():
            server.watch(str(watched))
    click.echo(f"预览：http://{host}:{port}/（修改案例、模板或 docs/ 后自动刷新；Ctrl+C 退出）", err=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
