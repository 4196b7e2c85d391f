"""casebook serve: build, serve on localhost, rebuild when a source changes.

Uses MkDocs' own live-reload server (it injects the reload script and
watches folders). A rebuild that fails validation prints the problems and
keeps serving the last good site, exactly like `casebook build`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from .build import BuildOptions, build, find_config
from .errors import CasebookError


def serve(options: BuildOptions, host: str, port: int) -> None:
    from mkdocs.livereload import LiveReloadServer

    out = Path(tempfile.mkdtemp(prefix="casebook-serve-")) / "site"
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
