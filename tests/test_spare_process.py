"""The ledger workbooks' process is started ahead of its job (parallel.SpareProcess): it runs the
job it is given, stops when given none, and a build that uses it is byte for byte a full build."""

from __future__ import annotations

import operator
import time
from pathlib import Path

import pytest

from generator import build as build_module
from generator.parallel import SpareProcess, available_cores
from tests.conftest import require_or_skip
from tests.test_incremental import Project, assert_same_site, edit_title


def needs_two_cores() -> None:
    """A second process needs a second core: skipped on a one-core machine, a failure in CI."""
    require_or_skip(available_cores() >= 2, "a second core")


def test_a_spare_process_runs_the_job_it_is_given() -> None:
    needs_two_cores()
    spare = SpareProcess.start("generator.office.workbook", wanted=True)
    assert spare is not None
    job = spare.run(operator.pow, 2, 10)
    assert job.in_background and job.result() == 1024
    spare.close()  # given away already: nothing left to stop


def test_a_spare_process_given_no_job_is_stopped() -> None:
    needs_two_cores()
    spare = SpareProcess.start("generator.office.workbook", wanted=True)
    assert spare is not None
    processes = list(spare._pool._processes.values()) if spare._pool._processes else []
    spare.close()
    assert all(not process.is_alive() for process in processes)
    assert SpareProcess.start("generator.office.workbook", wanted=False) is None


def test_a_spare_process_that_died_leaves_its_job_to_this_one() -> None:
    """A killed spare process (or one whose start failed) does not fail the build: the job runs here."""
    needs_two_cores()
    spare = SpareProcess.start("generator.office.workbook", wanted=True)
    assert spare is not None
    pool = spare._pool
    pool.submit(operator.pow, 2, 2).result()  # the process is up
    for process in list(pool._processes.values()):
        process.kill()
    deadline = time.monotonic() + 30
    while not pool._broken and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool._broken, "the pool never noticed its process was gone"
    job = spare.run(operator.pow, 2, 10)
    assert not job.in_background and job.result() == 1024


def test_workbooks_made_in_the_spare_process_are_those_of_a_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ledger workbook in another process (the mini library is far below the threshold)."""
    monkeypatch.setattr(build_module, "WORKBOOKS_IN_BACKGROUND_FROM", 0)
    jobs: list[str] = []
    run = SpareProcess.run

    def counted(self: SpareProcess, function: object, *args: object) -> object:
        jobs.append(getattr(function, "__name__", ""))
        return run(self, function, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SpareProcess, "run", counted)
    project = Project(tmp_path)
    project.build("inc")
    project.build("full", "--full")  # the change log compares each with the site it replaces
    edit_title(project, 1)
    project.build("inc")
    project.build("full", "--full")
    assert_same_site(tmp_path / "inc", tmp_path / "full")
    if available_cores() >= 2:
        assert jobs == ["write_packed_workbooks"] * 4  # every build: each has a library workbook to make


def test_the_workbook_process_vouches_only_for_workbooks_the_guard_finds_clean(tmp_path: Path) -> None:
    """write_workbooks, given the protected names, returns the digest of each workbook the output
    guard's own check passes (the build's guard then passes a site file with those bytes), and
    leaves out one that holds a protected name: that one the build's guard reads and refuses."""
    from generator.build import write_workbooks
    from generator.derive.ledger import derive_ledgers
    from generator.state import digest
    from tests.test_ledger import SITE

    book = derive_ledgers(SITE)
    assert book is not None
    _, checked = write_workbooks(book, tmp_path / "clean", protected=[])
    downloads = [ledger.download for ledger in (*book.classes, book.library)]
    assert sorted(checked) == sorted(downloads)
    assert all(checked[path] == digest((tmp_path / "clean" / path).read_bytes()) for path in downloads)
    unit = book.library.rows[0].lead_unit  # in the whole-library workbook, as a name it must not hold
    _, checked = write_workbooks(book, tmp_path / "named", protected=[unit])
    assert book.library.download not in checked and checked
    _, unchecked = write_workbooks(book, tmp_path / "plain")
    assert unchecked == {}
