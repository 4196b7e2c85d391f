"""Files that are not YAML at all: one clear line each, the other files still checked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import SHARED, Scratch, run_cli, shared_folder

BAD = "records/XF-2023-0009.yaml"
# A second, ordinary fault elsewhere proves the run went on past the bad file.
OTHER_FAULT = (
    "records/XF-2023-0002.yaml:6:9: domain: “城乡建筑” 不在 settings.yaml 的 domains 词表中，是否应为 “城乡建设”？"
)


def plant_other_fault(mini: Scratch) -> None:
    mini.replace("records/XF-2023-0002.yaml", "domain: 城乡建设", "domain: 城乡建筑")


def make_gbk(mini: Scratch) -> None:
    mini.write(BAD, "id: XF-2023-0009\ntitle: 业主反映办证问题\n".encode("gbk"))


def make_empty(mini: Scratch) -> None:
    mini.write(BAD, "")


def make_whitespace(mini: Scratch) -> None:
    mini.write(BAD, "\n   \n")


def make_binary(mini: Scratch) -> None:
    mini.write(BAD, bytes(range(256)) * 4)


def make_huge(mini: Scratch) -> None:
    line = "summary: 这是一行很长的文本用来把文件撑大\n".encode()
    mini.write(BAD, line * (50 * 1024 * 1024 // len(line)))


def make_folder(mini: Scratch) -> None:
    mini.path(BAD).mkdir(parents=True)
    (mini.path(BAD) / "inner.txt").write_text("x")


def make_symlink_loop(mini: Scratch) -> None:
    os.symlink("XF-2023-0009.yaml", mini.path("records/XF-2023-0008.yaml"))
    os.symlink("XF-2023-0008.yaml", mini.path(BAD))


def make_unreadable(mini: Scratch) -> None:
    if os.geteuid() == 0:
        # root ignores permission bits; /proc/self/mem is a regular file whose read fails.
        os.symlink("/proc/self/mem", mini.path(BAD))
    else:
        mini.write(BAD, "id: XF-2023-0009\n")
        mini.path(BAD).chmod(0)


def make_fifo(mini: Scratch) -> None:
    os.mkfifo(mini.path(BAD))


def make_two_documents(mini: Scratch) -> None:
    mini.write(BAD, "id: a\n---\nid: b\n")


def make_not_a_mapping(mini: Scratch) -> None:
    mini.write(BAD, "- 一\n- 二\n")


def make_python_tag(mini: Scratch) -> None:
    mini.write(BAD, "id: !!python/object:os.system echo\n")


def make_alias_bomb(mini: Scratch) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 10)}]")
    mini.write(BAD, "\n".join(lines) + "\n")


BAD_FILES = {
    "gbk": (make_gbk, f"{BAD}:2:10: 文件不是 UTF-8 编码（看起来是 GBK/GB18030 编码），请另存为 UTF-8"),
    "empty": (make_empty, f"{BAD}: 文件为空"),
    "whitespace only": (make_whitespace, f"{BAD}: 文件为空"),
    "binary": (make_binary, f"{BAD}: 这是二进制文件，不是 YAML 文本"),
    "50 MB": (make_huge, f"{BAD}: 文件过大（51199 KB，上限 2048 KB），一份记录不应这么大"),
    "folder named .yaml": (make_folder, f"{BAD}: 这是文件夹而不是 YAML 文件，已跳过"),
    "symlink loop": (make_symlink_loop, f"{BAD}: 符号链接指向不存在的文件或形成循环"),
    "unreadable": (make_unreadable, None),
    "fifo": (make_fifo, f"{BAD}: 不是普通文件（可能是管道、设备或套接字），已跳过"),
    "two documents": (make_two_documents, f"{BAD}:3:1: 一个文件只能写一个 YAML 文档（发现多个 ---）"),
    "not a mapping": (make_not_a_mapping, f"{BAD}:1:1: 应为键值对（字段: 值）"),
    "python tag": (make_python_tag, f"{BAD}:1:5: id: 不支持的 YAML 标签 tag:yaml.org,2002:python/object:os.system"),
    "alias bomb": (make_alias_bomb, f"{BAD}:1:32: f[0][6][8][8][8][8]: 展开后超过 200000 个值（别名展开过多）"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_gets_one_line_and_the_run_goes_on(mini: Scratch, name: str) -> None:
    make, expected = BAD_FILES[name]
    make(mini)
    plant_other_fault(mini)
    problems = mini.problems()
    bad = [p for p in problems if p.startswith(BAD)]
    assert len(bad) == 1, problems
    if expected is not None:
        assert bad == [expected]
    else:
        assert bad[0].startswith(f"{BAD}: 无法读取：")
    assert OTHER_FAULT in problems
    assert run_cli("validate", mini.root).exit_code == 1


def test_symlink_loop_of_folders_is_not_followed(mini: Scratch) -> None:
    os.symlink("..", mini.path("records/loop"))
    assert mini.problems() == []


ERROR_CORPUS_FOLDER = "corpora/yaml-test-suite-errors"
# Collected by name so that a fresh clone without ../shared still collects one case,
# which then skips (or fails in CI) with the reason instead of vanishing.
ERROR_CORPUS = sorted(path.name for path in (SHARED / ERROR_CORPUS_FOLDER).glob("*.yaml")) or ["(absent)"]


def test_error_corpus_is_present() -> None:
    assert len(list(shared_folder(ERROR_CORPUS_FOLDER).glob("*.yaml"))) == 94


@pytest.mark.parametrize("name", ERROR_CORPUS, ids=lambda name: name.removesuffix(".yaml"))
def test_yaml_the_spec_rejects(mini: Scratch, name: str) -> None:
    """Every must-reject input of the yaml-test-suite: one located message, run goes on."""
    mini.write(BAD, (shared_folder(ERROR_CORPUS_FOLDER) / name).read_bytes())
    plant_other_fault(mini)
    problems = mini.problems()
    bad = [p for p in problems if p.startswith(BAD)]
    assert len(bad) == 1, bad
    location = bad[0].split(": ", 1)[0]
    line, column = location.removeprefix(f"{BAD}:").split(":")
    assert int(line) >= 1 and int(column) >= 1
    assert "YAML" in bad[0]
    assert OTHER_FAULT in problems


def test_no_traceback_from_the_real_command(mini: Scratch) -> None:
    """The installed entry point, in a subprocess, on a library full of bad files."""
    for make, _ in BAD_FILES.values():
        if make in (make_unreadable, make_fifo):
            continue
        target = mini.path(BAD)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            import shutil

            shutil.rmtree(target)
        for extra in mini.path("records").glob("XF-2023-0008.yaml"):
            extra.unlink()
        make(mini)
        result = subprocess.run(
            [sys.executable, "-m", "generator", "validate", str(mini.root)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, (make.__name__, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
