"""Layered fixtures: the shipped sample library (read-only), the small hand-made
`mini` library whose line numbers the tests know, and scratch copies of
either that a test may break."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.validate import check_library

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "cases"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
# ../shared (public test corpora, the seed reports) sits beside the repository on the
# project's machines and in CI only, never in a user's fresh clone: tests that read it
# go through shared_folder(), which skips there and fails in CI.
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_folder(relative: str) -> Path:
    """A folder of ../shared; skip (fresh clone) or fail (CI, which always has it) when absent."""
    path = SHARED / relative
    if path.is_dir():
        return path
    if IN_CI:
        pytest.fail(f"{path} is missing: CI always has ../shared beside the repository")
    pytest.skip(f"{path} is absent: ../shared exists only on the project's machines and in CI")


@pytest.fixture(scope="session")
def library():
    """The sample library, validated once, for the tests that only read it."""
    library, problems = check_library(SAMPLE)
    assert not problems
    return library


@dataclass
class Scratch:
    """A writable copy of a library with small editing helpers."""

    root: Path

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def replace(self, relative: str, old: str, new: str) -> None:
        text = self.read(relative)
        assert text.count(old) == 1, f"{old!r} must occur exactly once in {relative}"
        self.write(relative, text.replace(old, new))

    def problems(self) -> list[str]:
        _, problems = check_library(self.root)
        return [str(problem) for problem in problems]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path → bytes): what "nothing was written" is checked against."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def copy_library(source: Path, target: Path) -> Scratch:
    shutil.copytree(source, target)
    return Scratch(target)


@pytest.fixture
def mini(tmp_path: Path) -> Scratch:
    return copy_library(MINI, tmp_path / "lib")


@pytest.fixture
def sample_copy(tmp_path: Path) -> Scratch:
    return copy_library(SAMPLE, tmp_path / "cases")


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Run:
    """Invoke the CLI in-process, as a user would from the shell."""
    result = CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def launched_chromium() -> Iterator[Any]:
    """A headless Debian Chromium through Playwright, for a module-scoped fixture to yield from
    (skipped locally when missing, a failure in CI)."""
    require_or_skip(CHROMIUM is not None, "Chromium (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "Playwright for Python")
        return
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


def require_or_skip(available: bool, what: str) -> None:
    """Skip locally when a system part is missing; in CI that is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but missing")
    pytest.skip(f"{what} not installed")


def libreoffice_convert(source: Path, target: str, folder: Path) -> Path:
    """`source` converted by headless LibreOffice into `folder`; the converted file.

    `target` is what --convert-to takes: "pdf", or a filter such as "csv:…". A profile of its
    own in `folder`, so parallel or earlier runs cannot lock or change it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    require_or_skip(soffice is not None, "LibreOffice (Debian package libreoffice-writer)")
    profile = folder / "lo-profile"
    command = [str(soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target]
    result = subprocess.run(
        [*command, "--outdir", str(folder), str(source)],
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(folder)},
    )
    converted = folder / f"{source.stem}.{target.split(':', 1)[0]}"
    assert converted.exists(), result.stderr.decode(errors="replace")
    return converted


AS_OF = "2024-06-30"


def build_site(library: Path, out: Path, *extra: str) -> Run:
    """`casebook build` with the repository's mkdocs.yml and the sample's reference date."""
    return run_cli("build", library, "--out", out, "--as-of", AS_OF, "--config", REPO / "mkdocs.yml", *extra)


def config_with_hook(folder: Path, hook: str) -> Path:
    """The repository's mkdocs.yml (docs/ still the repository's) plus an MkDocs hook module."""
    config = folder / "mkdocs.yml"
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config.write_text(text.replace("docs_dir: docs", f"docs_dir: {REPO / 'docs'}") + "\nhooks:\n  - hook.py\n")
    (folder / "hook.py").write_text(hook, encoding="utf-8")
    return config


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample library built once (internal edition, as of 2024-06-30); tests must not modify it."""
    out = tmp_path_factory.mktemp("sample") / "site"
    run = build_site(SAMPLE, out)
    assert run.exit_code == 0, run.stdout + run.stderr
    return out
