"""The README's test command on a user's fresh clone: nothing beside the repository.

../shared (public corpora, the seed reports) exists only on the project's machines
and in CI. A test that reads it must skip with the reason on a fresh clone and fail
in CI; every other test must need nothing outside the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# Where tests read ../shared; every one of them goes through conftest.shared_folder.
READS_SHARED = ("tests/test_bad_files.py", "tests/test_privacy.py")


def test_only_conftest_knows_where_shared_is() -> None:
    """A new test that builds the path itself would bypass the skip/fail rule."""
    pattern = re.compile(r"REPO\.parent|[\"'](?:\.\./)?shared[/\"']")
    offenders = [
        path.relative_to(REPO).as_posix()
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name not in ("conftest.py", "test_fresh_clone.py") and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    users = sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "tests").glob("test_*.py")
        if "shared_folder(" in path.read_text(encoding="utf-8") and path.name != "test_fresh_clone.py"
    )
    assert users == sorted(READS_SHARED)


def fresh_clone(target: Path) -> Path:
    """The repository's tracked files (as in the working tree) in a folder with no ../shared."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not (target.parent / "shared").exists()
    return target


def run_tests(clone: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(clone)}
    if ci:
        env["CI"] = "true"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "seed or corpus or spec_rejects"]
    return subprocess.run([*command, *READS_SHARED], cwd=clone, env=env, capture_output=True, text=True, timeout=300)


def test_a_fresh_clone_skips_what_needs_shared_and_ci_fails_without_it(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "casebook")
    user = run_tests(clone, ci=False)
    assert user.returncode == 0, user.stdout + user.stderr
    assert "3 skipped" in user.stdout and "failed" not in user.stdout
    assert "../shared exists only on the project's machines and in CI" in user.stdout
    ci = run_tests(clone, ci=True)
    assert ci.returncode == 1
    assert "3 failed" in ci.stdout and "CI always has ../shared beside the repository" in ci.stdout
