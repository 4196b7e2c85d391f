"""Incremental builds are exact: after any edits, the same bytes as a full build.

Two sites are kept side by side through a sequence of edits to one project
(library, mkdocs.yml, docs/, a theme override): one built incrementally
after every edit, one built with --full. After every step they must hold
the same files with the same bytes (the marker, which names its build,
aside). The incremental one must also have reused pages where it could:
otherwise the comparison would pass for a build that is never incremental.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.dependencies import identity
from generator.outdir import MARKER
from generator.state import STATE_FORMAT, BuildState, StateStore
from generator.state import site_files as state_site_files
from tests.conftest import MINI, REPO, run_cli

REUSED = re.compile(r"沿用 (\d+) 页")


class Project:
    """A copy of the mini library with a project of its own: mkdocs.yml, docs/, a theme override."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(MINI, root / "cases")
        shutil.copytree(REPO / "docs", root / "docs")
        config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
        config = config.replace("theme:\n  name: material\n", "theme:\n  name: material\n  custom_dir: overrides\n")
        (root / "mkdocs.yml").write_text(config, encoding="utf-8")
        (root / "overrides").mkdir()
        self.template(0)
        self.as_of = "2024-06-30"
        self.added = 0

    def path(self, relative: str) -> Path:
        return self.root / "cases" / relative

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.path(relative)
        text = path.read_text(encoding="utf-8")
        assert old in text, (old, relative)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def template(self, version: int) -> None:
        (self.root / "overrides" / "main.html").write_text(
            '{% extends "base.html" %}\n{% block footer %}<p class="cb-test">第 ' + str(version) + " 版页脚</p>"
            "{{ super() }}{% endblock %}\n",
            encoding="utf-8",
        )

    def records(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "cases" / "records").glob("*.yaml"))

    def build(self, out: str, *extra: str) -> str:
        run = run_cli(
            "build", self.root / "cases", "--out", self.root / out, "--as-of", self.as_of,
            "--config", self.root / "mkdocs.yml", *extra,
        )  # fmt: skip
        assert run.exit_code == 0, run.stdout + run.stderr
        return run.stderr


# Edits: each takes the project and a number that varies it.
def add_record(project: Project, n: int) -> None:
    project.added += 1
    new_id = f"XF-2023-{100 + project.added:04d}"
    text = project.path("records/XF-2023-0002.yaml").read_text(encoding="utf-8")
    text = text.replace("XF-2023-0002", new_id).replace("再次反映办证进度", f"第{n}次反映车位销售")
    project.path(f"records/{new_id}.yaml").write_text(text, encoding="utf-8")


def edit_title(project: Project, n: int) -> None:
    record = project.records()[n % len(project.records())]
    path = project.path(f"records/{record}.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: (.*)$", rf"title: \1（修订{n}）", text, count=1, flags=re.M), encoding="utf-8")


def edit_summary(project: Project, n: int) -> None:
    project.edit("records/XF-2023-0002.yaml", "summary: ", f"summary: 业主第{n}次询问物业维修基金去向，")


def delete_record(project: Project, n: int) -> None:
    added = [r for r in project.records() if r >= "XF-2023-0100"]
    if added:
        project.path(f"records/{added[n % len(added)]}.yaml").unlink()
    else:
        add_record(project, n)


def rename_record(project: Project, n: int) -> None:
    added = [r for r in project.records() if r >= "XF-2023-0100"]
    if not added:
        add_record(project, n)
        return
    old = added[0]
    project.added += 1
    new = f"XF-2023-{100 + project.added:04d}"
    path = project.path(f"records/{old}.yaml")
    text = path.read_text(encoding="utf-8").replace(old, new)
    path.unlink()
    project.path(f"records/{new}.yaml").write_text(text, encoding="utf-8")


def change_entry_class(project: Project, n: int) -> None:
    second = project.path("classes/LA-002.yaml")
    if not second.exists():
        text = project.path("classes/LA-001.yaml").read_text(encoding="utf-8")
        second.write_text(text.replace("LA-001", "LA-002").replace("问题楼盘办证", "回迁安置办证"), encoding="utf-8")
    entry = project.path("typical/2023-01-2-001.yaml")
    now = "LA-002" if "class: LA-001" in entry.read_text(encoding="utf-8") else "LA-001"
    # The entry's source records move with it (validation: an entry and its records share a class).
    for path in (entry, project.path("records/XF-2023-0001.yaml"), project.path("records/XF-2023-0002.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"^class: LA-00\d$", f"class: {now}", text, flags=re.M), encoding="utf-8")


def edit_guide(project: Project, n: int) -> None:
    project.edit("classes/LA-001.yaml", "action: 登记并受理", f"action: 登记并受理（第{n}次修订）")


def edit_settings(project: Project, n: int) -> None:
    path = project.path("settings.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"name: 测试案例库.*", f"name: 测试案例库{n}", text, count=1), encoding="utf-8")


def edit_template(project: Project, n: int) -> None:
    project.template(n)


def edit_docs(project: Project, n: int) -> None:
    page = project.root / "docs" / "help" / "staff.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n\n补充说明第 {n} 条。\n", encoding="utf-8")


def change_as_of(project: Project, n: int) -> None:
    project.as_of = f"2024-{7 + n % 5:02d}-{1 + n % 28:02d}"


EDITS: list[Callable[[Project, int], None]] = [
    add_record,
    edit_title,
    edit_summary,
    delete_record,
    rename_record,
    change_entry_class,
    edit_guide,
    edit_settings,
    edit_template,
    edit_docs,
    change_as_of,
]


def site_files(site: Path) -> dict[str, str]:
    files = {}
    for folder, _, names in os.walk(site):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(site).as_posix()
            if relative != MARKER:
                files[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def site_folders(site: Path) -> list[str]:
    return sorted(Path(folder).relative_to(site).as_posix() for folder, _, _ in os.walk(site))


def assert_same_site(incremental: Path, full: Path, after: str = "") -> None:
    """The same files with the same bytes, and the same folders (none left empty by a removed page)."""
    a, b = site_files(incremental), site_files(full)
    assert site_folders(incremental) == site_folders(full), after
    assert sorted(a) == sorted(b), (after, sorted(set(a) - set(b))[:10], sorted(set(b) - set(a))[:10])
    differ = sorted(p for p in a if a[p] != b[p])
    assert not differ, (after, differ[:10])


def test_every_kind_of_edit_gives_the_bytes_of_a_full_build(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.build("inc")
    project.build("full", "--full")
    reused_any = 0
    for number, edit in enumerate(EDITS):
        edit(project, number)
        said = project.build("inc")
        project.build("full", "--full")
        assert_same_site(tmp_path / "inc", tmp_path / "full", edit.__name__)
        if edit in (edit_title, edit_summary, add_record, edit_guide):
            match = REUSED.search(said)
            assert match and int(match.group(1)) > 0, f"{edit.__name__}: nothing reused\n{said}"
            reused_any += 1
    assert reused_any == 4


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 50)), min_size=1, max_size=4))
def test_random_edit_sequences_give_the_bytes_of_a_full_build(steps: list[tuple[Callable, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Project(Path(folder))
        project.build("inc")
        project.build("full", "--full")
        for edit, number in steps:
            edit(project, number)
            project.build("inc")
            project.build("full", "--full")
            assert_same_site(project.root / "inc", project.root / "full")


def test_nothing_changed_does_nothing_and_a_touched_site_is_repaired(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.build("inc")
    before = site_files(tmp_path / "inc")
    said = project.build("inc")
    assert "没有变化" in said
    assert site_files(tmp_path / "inc") == before
    # A published page edited on the server is made again, a stray file removed.
    page = tmp_path / "inc" / "records" / "XF-2023-0001" / "index.html"
    page.write_text("changed on the server", encoding="utf-8")
    (tmp_path / "inc" / "stray.html").write_text("x", encoding="utf-8")
    said = project.build("inc")
    assert "没有变化" not in said
    assert site_files(tmp_path / "inc") == before


def test_the_search_data_is_recorded_from_its_writer_as_a_listing_would_find_it(tmp_path: Path) -> None:
    """The build records the search data's files from what wrote them (not listed, not stat'ed):
    every file there, no other, each with its size and mtime on disk and its content key; so a
    build with nothing changed after an edit does nothing."""
    from generator.build import site_as_recorded
    from generator.search.cache import content_key
    from generator.search.index import DATA_DIR

    project = Project(tmp_path)
    project.build("inc")
    edit_title(project, 1)
    project.build("inc")
    site = tmp_path / "inc"
    state = published_state(site)
    folder = f"{DATA_DIR.as_posix()}/"
    recorded = {path: record for path, record in state.files.items() if path.startswith(folder)}
    on_disk = {path for path, _ in state_site_files(site) if path.startswith(folder)}
    assert recorded.keys() == on_disk and len(on_disk) > 20
    for path, record in recorded.items():
        found = (site / path).stat()
        assert (record.size, record.mtime_ns) == (found.st_size, found.st_mtime_ns), path
        if record.digest:
            assert record.digest == content_key((site / path).read_bytes()), path
    assert any(record.digest for record in recorded.values())
    assert site_as_recorded(site, state)
    assert "没有变化" in project.build("inc")


def published_state(site: Path) -> BuildState:
    """The build state the site's marker names (state.py)."""
    from generator.outdir import read_marker

    marker = read_marker(site)
    assert marker is not None
    state, reason = StateStore(site).load(marker["build"], identity("internal"))
    assert state is not None, reason
    return state


def test_every_file_of_an_incremental_site_is_recorded_as_a_listing_would_find_it(tmp_path: Path) -> None:
    """The build records the site from what MkDocs wrote and the pages it reused, not from a
    listing of the site: after edits that add, rename and remove pages, the state holds every
    file on disk (so the guard checks every one), no other, each with its size and mtime."""

    project = Project(tmp_path)
    project.build("inc")
    for number, edit in enumerate([edit_title, add_record, rename_record, delete_record]):
        edit(project, number + 3)
        project.build("inc")
        site = tmp_path / "inc"
        state = published_state(site)
        on_disk = {path for path, _ in state_site_files(site) if path != MARKER}
        assert state.files.keys() == on_disk, (edit.__name__, sorted(on_disk ^ state.files.keys())[:5])
        for path, record in state.files.items():
            found = (site / path).stat()
            assert (record.size, record.mtime_ns) == (found.st_size, found.st_mtime_ns), path


@pytest.mark.parametrize("damage", ["missing", "corrupt", "misshapen", "foreign", "other-edition"])
def test_a_missing_corrupt_or_foreign_state_falls_back_to_a_full_build(tmp_path: Path, damage: str) -> None:
    project = Project(tmp_path)
    project.build("inc")
    project.build("full", "--full")  # the same history of published builds (the change log reads it)
    before = site_files(tmp_path / "inc")
    states = list(StateStore(tmp_path / "inc").folder.glob("state-*.json"))
    assert len(states) == 1
    if damage == "missing":
        states[0].unlink()
    elif damage == "corrupt":
        states[0].write_text("{not json", encoding="utf-8")
    elif damage == "misshapen":  # JSON, but a file's size is a text
        data = json.loads(states[0].read_text(encoding="utf-8"))
        first = next(iter(data["files"]))
        data["files"][first][0] = str(data["files"][first][0])
        states[0].write_text(json.dumps(data), encoding="utf-8")
    elif damage == "foreign":
        text = states[0].read_text(encoding="utf-8")
        assert f'"format":"{STATE_FORMAT}"' in text
        states[0].write_text(text.replace(f'"format":"{STATE_FORMAT}"', '"format":"0"'), encoding="utf-8")
    edit_title(project, 1)
    extra = ("--audience", "training") if damage == "other-edition" else ()
    said = project.build("inc", *extra)
    lines = [line for line in said.splitlines() if line.startswith("完整构建")]
    assert len(lines) == 1, said
    reason = {
        "missing": "缺失",
        "corrupt": "损坏",
        "misshapen": "损坏",
        "foreign": "另一版本",
        "other-edition": "已变",
    }[damage]
    assert reason in lines[0]
    assert site_files(tmp_path / "inc") != before
    if damage != "other-edition":
        project.build("full", "--full")
        assert_same_site(tmp_path / "inc", tmp_path / "full")
    assert len(list(StateStore(tmp_path / "inc").folder.glob("state-*.json"))) == 1


def test_unchanged_record_pages_are_not_even_rendered(tmp_path: Path) -> None:
    """A record page made from the same inputs is a stub for MkDocs: its key says so (RenderMemo)."""
    import datetime as dt

    from generator.build import BuildOptions, build

    project = Project(tmp_path)
    options = BuildOptions(
        library=tmp_path / "cases", out=tmp_path / "inc", as_of=dt.date(2024, 6, 30), config=tmp_path / "mkdocs.yml"
    )
    add_record(project, 1)
    add_record(project, 2)
    assert build(options).stubbed == 0
    edit_guide(project, 3)  # the class page changes; no record or entry shows the step's wording
    report = build(options)
    # 4 records, 1 entry and the class's ledger (a guide's steps are not in its ledger)
    assert report.stubbed == 6 and report.reused >= 6
    shutil.copytree(tmp_path / "inc", tmp_path / "full")  # the same published site before the edit
    project.edit("records/XF-2023-0001.yaml", "count: 23", "count: 24")  # shown on its own page only
    report = build(options)
    # not itself, nor the entry citing it (its key holds its records), nor its class's ledger
    # (a row's key is its record's file: derive/ledger.py inputs_key)
    assert report.stubbed == 3
    project.build("full", "--full")
    assert_same_site(tmp_path / "inc", tmp_path / "full")


def test_a_large_old_site_is_removed_after_the_build_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old site goes to the cache folder and a process of its own deletes it; nothing is left."""
    import time

    from generator.publish import RETIRED_PREFIX

    monkeypatch.setattr("generator.build.RETIRE_IN_BACKGROUND_FROM", 0)
    project = Project(tmp_path)
    project.build("inc")
    edit_title(project, 1)
    project.build("inc")
    cache = StateStore(tmp_path / "inc").folder
    deadline = time.monotonic() + 30
    while list(cache.glob(f"{RETIRED_PREFIX}*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(cache.glob(f"{RETIRED_PREFIX}*"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".casebook-")]
    shutil.copytree(tmp_path / "inc", tmp_path / "copy")  # the published site is whole
    assert (tmp_path / "copy" / "index.html").is_file()


def test_an_old_site_being_removed_is_left_to_its_remover_and_an_abandoned_one_is_removed_in_the_background(
    tmp_path: Path,
) -> None:
    """A folder being removed is named after its remover, so the next build does not delete the
    same files again in the foreground; one whose remover was killed is given a new remover."""
    import subprocess
    import sys
    import time

    from generator.publish import RETIRED_PREFIX, clean_retired
    from generator.workdir import owner_alive

    cache = tmp_path / "cache"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    busy = cache / f"{RETIRED_PREFIX}{sleeper.pid}-removing"  # a live remover's folder
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = cache / f"{RETIRED_PREFIX}{dead.pid}-abc123"  # its build or remover was killed
    try:
        for folder in (busy, left):
            (folder / "site" / "records").mkdir(parents=True)
            for number in range(200):
                (folder / "site" / "records" / f"{number}.html").write_text("x")
        clean_retired(cache)
        # not deleted in the foreground: handed to a remover, under the remover's name
        handed = [p for p in cache.iterdir() if p != busy]
        assert len(handed) == 1 and handed[0] != left and owner_alive(handed[0])
        deadline = time.monotonic() + 30
        while [p for p in cache.iterdir() if p != busy] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p.name for p in cache.iterdir()] == [busy.name]  # the live remover's folder is its own
        assert len(list((busy / "site" / "records").iterdir())) == 200
        assert owner_alive(busy)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_pages_taken_over_are_indexed_by_key_and_read_only_when_the_search_cache_lacks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state keeps a key and length per page text, not the text (441 MB at 100,000 records):
    a page taken over is not read while the search cache has it; without the cache it is read
    from the published page, and either way the bytes are a full build's."""
    import datetime as dt

    import generator.build
    from generator.build import BuildOptions, build

    reads: list[str] = []
    reading = generator.build.published_body

    def counted(site: Path, dests: dict[str, str], url: str) -> str:
        reads.append(url)
        return reading(site, dests, url)

    monkeypatch.setattr("generator.build.published_body", counted)
    project = Project(tmp_path)
    options = BuildOptions(
        library=tmp_path / "cases", out=tmp_path / "inc", as_of=dt.date(2024, 6, 30), config=tmp_path / "mkdocs.yml"
    )
    build(options)
    edit_title(project, 1)
    assert build(options).reused >= 10
    assert reads == []
    state = next(StateStore(tmp_path / "inc").folder.glob("state-*.json")).read_text(encoding="utf-8")
    assert "首批办证名单" not in state  # words of a page's body; the titles are there
    for step, damage in ((2, "search cache removed"), (3, "none")):
        shutil.rmtree(tmp_path / "full", ignore_errors=True)
        shutil.copytree(tmp_path / "inc", tmp_path / "full")  # the same published site before the edit
        if step == 2:
            shutil.rmtree(StateStore(tmp_path / "inc").folder / "search")
        reads.clear()
        edit_title(project, step)
        assert build(options).reused >= 10
        project.build("full", "--full")
        assert_same_site(tmp_path / "inc", tmp_path / "full", damage)
        assert (len(reads) >= 5) if step == 2 else not reads, (damage, reads)
