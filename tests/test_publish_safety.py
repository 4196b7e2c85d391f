"""Publishing is safe by construction (issue 13).

`build --out` replaces only what Casebook made and never what it reads; one
build at a time per site; a symlinked --out is published through; `doc` and
`guide` keep existing files; file-system errors are named, in Chinese, exit 2;
and nothing of a killed build or a stopped preview stays in the temp folder.

Most builds here use the small `mini` library in a project folder of its own
(library, docs/, mkdocs.yml side by side, as `casebook` expects them).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from generator.outdir import MARKER
from tests.conftest import AS_OF, MINI, REPO, SAMPLE, run_cli

PYTHON = sys.executable
# A project after a build of site/: the build's cache and lock file (never removed, harmless) beside it.
PROJECT_AFTER_BUILD = [".site.casebook-cache", ".site.casebook-lock", "cases", "docs", "mkdocs.yml", "site"]
OPEN_RECORD = "XF-2024-0001"  # an open record of the sample library (test_doc_templates.py)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and symlink under `root` (hidden ones included), by content."""
    digest = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest[relative] = "-> " + os.readlink(path)
        elif path.is_file():
            digest[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[relative] = "dir"
    return digest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: cases/ (the mini library), docs/ and mkdocs.yml, as a user has them."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root / "cases")
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


def build_in(project: Path, out: str | Path, *extra: str):
    """`casebook build cases --out OUT` run from the project folder (in this process)."""
    cwd = Path.cwd()
    os.chdir(project)
    try:
        return run_cli("build", "cases", "--out", out, "--as-of", AS_OF, *extra)
    finally:
        os.chdir(cwd)


def subprocess_env(tmpdir: Path, **extra: str) -> dict[str, str]:
    tmpdir.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1", **extra}


# ── finding 1: build --out deletes whatever folder it is given ──────────────


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("cases", "--out cases 就是案例库 cases：发布网站会删除它；请指定专用的输出文件夹"),
        (".", "--out . 包含案例库 cases：发布网站会删除它；请指定专用的输出文件夹"),
        ("docs", "--out docs 就是手写页面文件夹（docs_dir） {project}/docs：发布网站会删除它；请指定专用的输出文件夹"),
        ("mkdocs.yml", "--out mkdocs.yml 是文件，不是文件夹；未生成网站"),
        ("cases/site", "--out cases/site 位于案例库 cases 之内；请指定它之外的输出文件夹"),
        ("docs/site", "--out docs/site 位于手写页面文件夹（docs_dir） {project}/docs 之内；请指定它之外的输出文件夹"),
        ("..", "--out .. 包含案例库 cases：发布网站会删除它；请指定专用的输出文件夹"),
        (
            "notes",
            "--out notes 已有内容，但不是 Casebook 生成的网站（没有 .casebook-site.json）：为免删除其中的文件，"
            "未生成网站；请指定新的或空的文件夹（旧版 Casebook 生成的网站请先自行删除）",
        ),
    ],
)
def test_an_out_that_is_holds_or_lies_in_what_the_build_reads_or_a_foreign_folder_is_refused_before_any_work(
    project: Path, out: str, message: str
) -> None:
    (project / "notes").mkdir()
    (project / "notes" / "todo.txt").write_text("not a site", encoding="utf-8")
    # A broken record: had the build loaded the library, it would report it (exit 1).
    (project / "cases" / "records" / "XF-2023-0001.yaml").write_text("id: [", encoding="utf-8")
    before = tree_digest(project.parent)
    run = build_in(project, out)
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == f"错误：{message.format(project=project)}\n"
    assert tree_digest(project.parent) == before  # nothing written, not even a lock file


def test_a_symlink_or_dotdot_to_the_library_is_refused_too(project: Path) -> None:
    (project / "link").symlink_to(project / "cases")
    before = tree_digest(project.parent)
    for out in ("link", "docs/../cases"):
        run = build_in(project, out)
        assert run.exit_code == 2
        assert f"--out {out} 就是案例库 cases：发布网站会删除它" in run.stderr
    assert tree_digest(project.parent) == before


def test_a_theme_folder_or_hook_in_the_config_may_not_be_the_out(project: Path) -> None:
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("theme:\n", "theme:\n  custom_dir: overrides\n")
        + "\nhooks:\n  - hooks/hook.py\n",
        encoding="utf-8",
    )
    (project / "overrides").mkdir()
    (project / "hooks").mkdir()
    (project / "hooks" / "hook.py").write_text("", encoding="utf-8")
    run = build_in(project, "overrides")
    assert run.exit_code == 2
    assert f"--out overrides 就是主题覆盖文件夹（theme.custom_dir） {project}/overrides：" in run.stderr
    run = build_in(project, "hooks")
    assert run.exit_code == 2
    assert f"--out hooks 包含MkDocs 钩子（hooks） {project}/hooks/hook.py：" in run.stderr


def test_a_marked_site_is_replaced_and_carries_the_edition_version_date_and_build_time(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import __version__

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719705600")
    out = project / "site"
    out.mkdir()  # an empty folder may be used
    first = build_in(project, "site")
    assert first.exit_code == 0, first.stderr
    (out / "stale.html").write_text("from the last release", encoding="utf-8")
    second = build_in(project, "site", "--audience", "public")
    assert second.exit_code == 0, second.stderr
    assert not (out / "stale.html").exists()
    assert (out / "index.html").is_file()
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{24}", marker.pop("build"))  # names the build state (state.py)
    assert marker == {
        "generator": "casebook",
        "version": __version__,
        "edition": "public",
        "as_of": AS_OF,
        "built": "2024-06-30T00:00:00+00:00",
    }
    # beside the site: the lock file (never removed, harmless), the build's cache and the library's project
    assert sorted(p.name for p in project.iterdir()) == PROJECT_AFTER_BUILD


# ── finding 5: no lock; a symlinked --out is replaced by a real folder ──────


def test_a_symlinked_out_is_published_through_the_link(project: Path, tmp_path: Path) -> None:
    releases = tmp_path / "www"
    releases.mkdir()
    (releases / "current").mkdir()
    (project / "site").symlink_to(releases / "current")
    run = build_in(project, "site")
    assert run.exit_code == 0, run.stderr
    assert (project / "site").is_symlink() and os.readlink(project / "site") == str(releases / "current")
    assert (releases / "current" / "index.html").is_file() and (releases / "current" / MARKER).is_file()
    # staged beside the real folder (one file system), and nothing left there but the lock
    assert sorted(p.name for p in releases.iterdir()) == [
        ".current.casebook-cache",
        ".current.casebook-lock",
        "current",
    ]


def test_a_second_build_into_the_same_out_exits_2_naming_the_running_one(project: Path, tmp_path: Path) -> None:
    out = project / "site"
    first = subprocess.Popen(
        [PYTHON, "-m", "generator", "build", "cases", "--out", "site", "--as-of", AS_OF, "--audience", "public"],
        cwd=project,
        env=subprocess_env(tmp_path / "tmp"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock_file = project / ".site.casebook-lock"
        deadline = time.monotonic() + 60
        holder: dict = {}
        while time.monotonic() < deadline and holder.get("pid") != first.pid:
            time.sleep(0.05)
            with contextlib.suppress(OSError, ValueError):  # not written yet, or being written
                holder = json.loads(lock_file.read_text(encoding="utf-8"))
        assert holder.get("pid") == first.pid, "the first build never took the lock"
        second = build_in(project, "site")  # the internal edition, while the public one is building
        assert first.poll() is None, "the first build finished too early for this test to mean anything"
        assert second.exit_code == 2
        assert second.stderr == (
            f"错误：另一个 casebook build 正在写入 site（进程 {first.pid}，公开版，开始于 {holder['started']}）；"
            "请等它结束后再试\n"
        )
    finally:
        _, errors = first.communicate(timeout=600)
    assert first.returncode == 0, errors
    assert json.loads((out / MARKER).read_text(encoding="utf-8"))["edition"] == "public"


def test_a_lock_held_elsewhere_refuses_and_a_stale_lock_file_is_harmless(project: Path) -> None:
    lock_file = project / ".site.casebook-lock"
    lock_file.write_text('{"pid": 4242, "edition": "training", "started": "2024-06-30 09:00:00"}', encoding="utf-8")
    with open(lock_file, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = build_in(project, "site")
        assert run.exit_code == 2
        assert "另一个 casebook build 正在写入 site（进程 4242，培训版，开始于 2024-06-30 09:00:00）" in run.stderr
        assert not (project / "site").exists()
    run = build_in(project, "site")  # the file is still there, nobody holds it
    assert run.exit_code == 0, run.stderr


# ── finding 7: doc/guide overwrite silently; file-system errors are "内部错误" ──


@pytest.mark.parametrize("command", ["doc", "guide"])
def test_doc_and_guide_keep_an_existing_file_unless_forced(command: str, tmp_path: Path) -> None:
    out = tmp_path / "existing.docx"
    out.write_bytes(b"the user's own file")
    args = ["doc", OPEN_RECORD, "--template", "督办函"] if command == "doc" else ["guide", "LA-001", "--as-of", AS_OF]
    args += ["--library", SAMPLE, "--out", out]
    run = run_cli(*args)
    assert run.exit_code == 2
    assert run.stderr == f"错误：{out} 已存在，未覆盖（加 --force 覆盖）\n"
    assert out.read_bytes() == b"the user's own file"
    run = run_cli(*args, "--force")
    assert run.exit_code == 0, run.stderr
    assert out.read_bytes().startswith(b"PK")  # a .docx now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.docx"]  # no work folder left


@pytest.mark.parametrize("command", ["doc", "guide"])
def test_doc_and_guide_refuse_a_folder_or_a_path_under_a_file_before_loading(command: str, tmp_path: Path) -> None:
    (tmp_path / "folder.docx").mkdir()
    (tmp_path / "afile").write_text("", encoding="utf-8")
    base = ["doc", OPEN_RECORD, "--template", "督办函"] if command == "doc" else ["guide", "LA-001"]
    missing_library = tmp_path / "no-library"  # loading it would fail differently
    run = run_cli(*base, "--library", missing_library, "--out", tmp_path / "folder.docx", "--force")
    assert (run.exit_code, run.stderr) == (2, f"错误：无法写入 {tmp_path}/folder.docx：它是文件夹，不是文件\n")
    run = run_cli(*base, "--library", missing_library, "--out", tmp_path / "afile" / "x.docx")
    assert (run.exit_code, run.stderr) == (
        2,
        f"错误：无法写入 {tmp_path}/afile/x.docx：{tmp_path}/afile 是文件，不是文件夹\n",
    )


def test_build_out_under_a_file_or_that_is_a_file_fails_before_loading(project: Path) -> None:
    (project / "afile").write_text("", encoding="utf-8")
    (project / "cases" / "records" / "XF-2023-0001.yaml").write_text("id: [", encoding="utf-8")
    run = build_in(project, "afile/site")
    assert (run.exit_code, run.stderr) == (2, f"错误：无法写入 afile/site：{project}/afile 是文件，不是文件夹\n")
    run = build_in(project, "afile")
    assert (run.exit_code, run.stderr) == (2, "错误：--out afile 是文件，不是文件夹；未生成网站\n")


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """A folder nobody may write: a read-only bind mount for root (root ignores permissions), else chmod."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder, "没有写入权限"
        folder.chmod(0o755)
        return
    source = tmp_path / "source"
    source.mkdir()
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {mounted.stderr.decode().strip()}")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    try:
        yield folder, "位于只读的文件系统上"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_an_unwritable_out_is_named_with_its_cause_before_any_work(project: Path, read_only_folder) -> None:
    folder, cause = read_only_folder
    run = build_in(project, folder / "site")
    assert (run.exit_code, run.stderr) == (2, f"错误：无法写入 {folder}/site：{folder} {cause}\n")
    run = run_cli("guide", "LA-001", "--library", SAMPLE, "--out", folder / "g.docx")
    assert (run.exit_code, run.stderr) == (2, f"错误：无法写入 {folder}/g.docx：{folder} {cause}\n")


@pytest.fixture
def full_disk(tmp_path: Path):
    """A tiny file system (tmpfs, 300 KB): writing a site or a guide into it runs out of space."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_is_named_with_its_cause_and_leaves_nothing_half_written(project: Path, full_disk: Path) -> None:
    run = build_in(project, full_disk / "site")
    assert run.exit_code == 2
    message = run.stderr.splitlines()[-1]  # after the stages' timings
    assert message.startswith("错误：") and message.endswith("：磁盘已满")
    # The path that could not be created, in the staging folder beside the site; or, when the
    # space ran out in the middle of a write (no path in the error), the site being made.
    # Which of the two depends on where in the 300 KB the disk fills (the caches written first).
    named = message.removeprefix("错误：").removesuffix("：磁盘已满")
    assert named.startswith(f"{full_disk}/.casebook-staging-site-") or named == f"{full_disk}/site", message
    # The cache (parsed files) is written whole or not at all: no half-written file in it.
    assert sorted(p.name for p in full_disk.iterdir()) in (
        [".site.casebook-lock"],
        [".site.casebook-cache", ".site.casebook-lock"],
    )
    assert not [p for p in full_disk.rglob(".writing-*")]
    with contextlib.suppress(OSError), open(full_disk / "filler", "wb") as filler:  # fill what is left
        while True:
            filler.write(b"x" * 4096)
            filler.flush()
    run = run_cli("guide", "LA-001", "--library", SAMPLE, "--as-of", AS_OF, "--out", full_disk / "g.docx")
    assert (run.exit_code, run.stderr) == (2, f"错误：{full_disk}/g.docx：磁盘已满\n")
    assert sorted(p.name for p in full_disk.iterdir() if p.name != ".site.casebook-cache") == [
        ".site.casebook-lock",
        "filler",
    ]


def test_a_file_system_error_inside_any_command_names_the_path_in_chinese_not_an_internal_error(
    tmp_path: Path,
) -> None:
    """The CLI edge translates every OSError; `schema` has no early check of its own."""
    (tmp_path / "afile").write_text("", encoding="utf-8")
    out = tmp_path / "afile" / "schemas"
    run = subprocess.run(
        [PYTHON, "-m", "generator", "schema", str(MINI), "--out", str(out)],
        env=subprocess_env(tmp_path / "tmp"),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr == f"错误：{out}：路径中有一级是文件，不是文件夹\n"


# ── finding 8: leftovers in the system temp folder ──────────────────────────

# (stage line, how far into the next stage to kill: a share of that stage's time in the first
# build). Shares, not seconds: the mini library's build after `derive` takes under a second, so a
# fixed delay would land after the site is published and test nothing.
KILL_AFTER = [
    ("0.5 s", 0.0),  # starting up, loading
    ("load+validate", 0.0),  # deriving
    ("derive", 0.0),  # rendering: guides through pandoc (casebook-docx-*, casebook-guide-*)
    ("derive", 0.5),
    ("render", 0.0),  # MkDocs
    ("render", 0.5),
    ("site", 0.0),  # the search index
]
STAGES = ("state", "load+validate", "derive", "render", "site", "search", "guard")


def stage_seconds(stderr: str) -> dict[str, float]:
    """Each stage's seconds from a build's stage lines ("  render   0.35 s")."""
    found = {}
    for line in stderr.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] in STAGES and words[2] == "s":
            found[words[0]] = float(words[1])
    return found


def _start_build(project: Path, tmpdir: Path) -> subprocess.Popen:
    """A full build (--full: the library does not change between them, so an incremental one does nothing)."""
    return subprocess.Popen(
        [PYTHON, "-m", "generator", "build", "cases", "--out", "site", "--as-of", AS_OF, "--full"],
        cwd=project,
        env=subprocess_env(tmpdir),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: the kill takes its workers too
    )


def _casebook_things(tmpdir: Path) -> list[str]:
    # jieba (the similar-case segmenter) keeps its dictionary cache there on purpose; anything else is ours.
    return sorted(p.name for p in tmpdir.iterdir() if p.name != "jieba.cache")


def test_a_build_killed_at_any_point_leaves_the_temp_folder_clean_and_the_old_site_intact(
    project: Path, tmp_path: Path
) -> None:
    tmpdir = tmp_path / "tmp"
    env_first = _start_build(project, tmpdir)
    assert env_first.wait(timeout=600) == 0
    seconds = stage_seconds(env_first.stderr.read())
    assert set(seconds) == set(STAGES), seconds
    site = project / "site"
    before = tree_digest(site)
    killed_at = []
    for stage, share in KILL_AFTER:
        build = _start_build(project, tmpdir)
        try:
            if stage.endswith(" s"):
                time.sleep(float(stage.removesuffix(" s")))
            else:
                for line in build.stderr:
                    if line.split() and line.split()[0] == stage:
                        break
                time.sleep(share * seconds[STAGES[STAGES.index(stage) + 1]])
        finally:
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
        killed_at.append(stage)
        assert _casebook_things(tmpdir) == [], f"killed after {stage}"
        assert tree_digest(site) == before, f"killed after {stage}"
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".casebook-")]
    assert leftovers, "no kill landed while a staging folder existed: the test did not test anything"
    final = _start_build(project, tmpdir)
    assert final.wait(timeout=600) == 0, final.stderr.read()
    assert sorted(p.name for p in project.iterdir()) == PROJECT_AFTER_BUILD
    assert _casebook_things(tmpdir) == []


def _group_members(group: int) -> list[int]:
    """Pids of the live processes in a process group (from /proc: field 5 of stat is the group)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            fields = text[text.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize("stage", ["load+validate", "render"])
def test_sigterm_stops_the_build_and_its_workers_and_leaves_the_old_site(
    project: Path, tmp_path: Path, stage: str
) -> None:
    """SIGTERM (a service manager, a cron timeout) reaches only the main process: it stops its
    worker processes (MkDocs with --jobs 2, the ledger and guard processes) on its way out,
    removes its staging folder and exits 143; the published site is as it was."""
    tmpdir = tmp_path / "tmp"
    first = _start_build(project, tmpdir)
    assert first.wait(timeout=600) == 0
    before = tree_digest(project / "site")
    build = subprocess.Popen(
        [PYTHON, "-m", "generator", "build", "cases", "--out", "site", "--as-of", AS_OF, "--full", "--jobs", "2"],
        cwd=project,
        env=subprocess_env(tmpdir),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        said = []
        for line in build.stderr:  # the stage before the one to stop in has ended
            said.append(line)
            if line.split() and line.split()[0] == stage:
                break
        time.sleep(0.3)  # into the next stage: MkDocs workers spawned (render), or deriving
        assert build.poll() is None, "".join(said) + build.stderr.read()
        build.send_signal(signal.SIGTERM)
        assert build.wait(timeout=60) == 128 + signal.SIGTERM
        assert "已终止" in build.stderr.read()
        deadline = time.monotonic() + 10
        while _group_members(build.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group_members(build.pid) == [], "a worker outlived the build"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.pid, signal.SIGKILL)
    assert sorted(p.name for p in project.iterdir()) == PROJECT_AFTER_BUILD
    assert tree_digest(project / "site") == before
    assert _casebook_things(tmpdir) == []


def test_a_killed_guide_leaves_nothing_in_the_temp_folder_and_the_next_one_cleans_beside_the_output(
    tmp_path: Path,
) -> None:
    tmpdir, out = tmp_path / "tmp", tmp_path / "out" / "guide.docx"
    command = [PYTHON, "-m", "generator", "guide", "LA-001", "--library", str(SAMPLE), "--as-of", AS_OF]
    guide = subprocess.Popen([*command, "--out", str(out)], env=subprocess_env(tmpdir), start_new_session=True)
    deadline = time.monotonic() + 120
    scratch_folders = ("casebook-docx-*", "casebook-guide-*", ".casebook-work-*/tmp/casebook-*")
    while time.monotonic() < deadline and not any(
        list(folder.glob(pattern)) for folder in (tmpdir, out.parent) for pattern in scratch_folders
    ):
        time.sleep(0.02)  # until pandoc's scratch folder exists, wherever it is made
    os.killpg(guide.pid, signal.SIGKILL)
    guide.wait()
    assert _casebook_things(tmpdir) == []
    assert not out.exists()
    run = subprocess.run([*command, "--out", str(out)], env=subprocess_env(tmpdir), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["guide.docx"]
    assert _casebook_things(tmpdir) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_stopped_with_sigterm_leaves_nothing_and_removes_a_stale_preview(project: Path, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmpdir / f"casebook-serve-{dead.pid}-abc123"  # a preview killed with SIGKILL long ago
    (stale / "site").mkdir(parents=True)
    port = _free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "generator", "serve", "cases", "--as-of", AS_OF, "--port", str(port)],
        cwd=project,
        env=subprocess_env(tmpdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, answered = time.monotonic() + 300, False
        while time.monotonic() < deadline and not answered and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    answered = response.status == 200
            except OSError:
                time.sleep(0.2)
        assert answered, "serve never answered"
        stale_removed = not stale.exists()
        assert [p.name.startswith("casebook-serve-") for p in tmpdir.iterdir() if p.name != "jieba.cache"] == [True]
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=60)
    assert _casebook_things(tmpdir) == []
    assert server.returncode == 0, errors
    assert "预览已停止，临时网站已删除" in errors
    assert stale_removed
