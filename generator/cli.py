"""The `casebook` command: parse arguments, call one stage, print, exit.

Each command delegates to a module that does the work; this file only
turns results into output and exit codes (0 clean, 1 problems found,
2 the library or request cannot be used at all).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import EXIT_PROBLEMS, Problem

DEFAULT_LIBRARY = Path("cases")
library_argument = click.argument("library", type=click.Path(path_type=Path), default=DEFAULT_LIBRARY, required=False)


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"共 {len(problems)} 个问题", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casebook")
def cli() -> None:
    """Casebook：信访典型案例库与标准化操作指引生成器。"""


@cli.command()
@library_argument
def validate(library: Path) -> None:
    """检查案例库：列出全部问题（文件:行:列: 字段: 说明）。"""
    from .validate import check_library

    _, problems = check_library(library)
    if problems:
        print_problems(problems)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"{library}: 未发现问题", err=True)


def main() -> None:
    """Console entry point: expected failures print one message, never a traceback."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已中止", err=True)
        sys.exit(EXIT_PROBLEMS)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except SystemExit:
        raise
