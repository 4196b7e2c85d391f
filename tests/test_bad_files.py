"""Files that are not YAML at all: one clear line each, the other files still checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.validate import check_library
from tests.conftest import SHARED, Scratch, require_or_skip, run_cli, shared_folder

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
    # As root the file is read without CAP_DAC_OVERRIDE (problems_seen_by); a link to
    # /proc/self/mem, used before, now leads out of the library and is never opened.
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


def problems_seen_by(mini: Scratch, name: str) -> list[str]:
    """The problems, as a user without root's right to read any file would see them."""
    if name != "unreadable" or os.geteuid() != 0:
        return mini.problems()
    setpriv = shutil.which("setpriv")
    require_or_skip(setpriv is not None, "setpriv (util-linux)")
    drop = "--bounding-set=-dac_override,-dac_read_search"
    result = subprocess.run(
        [setpriv, drop, sys.executable, "-m", "generator", "validate", str(mini.root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_gets_one_line_and_the_run_goes_on(mini: Scratch, name: str) -> None:
    make, expected = BAD_FILES[name]
    make(mini)
    plant_other_fault(mini)
    problems = problems_seen_by(mini, name)
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


# ── links that lead out of the library ──────────────────────────────────────
# The target's text must reach no output: not as "unknown field" keys, not in a value.
SECRET = "secret_key_qz: 外部文件的机密内容XYZ\npassword_qz: hunter2\n"
SECRET_WORDS = ("secret_key_qz", "机密内容XYZ", "password_qz", "hunter2")


def outside_folder(mini: Scratch) -> Path:
    """A folder beside the library holding a would-be record with secret lines."""
    folder = mini.root.parent / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "XF-2024-0099.yaml").write_text(SECRET, encoding="utf-8")
    return folder


def outside_line(relative: str, target: Path) -> str:
    return f"{relative}: 符号链接指向案例库以外（{os.path.realpath(target)}），未读取"


def assert_not_leaked(mini: Scratch, expected: list[str]) -> None:
    """Exact problems in-process, and the same lines from the real command, nothing of the target in any output."""
    assert mini.problems() == expected
    runs = [run_cli("validate", mini.root)]
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(mini.root)], capture_output=True, text=True, timeout=60
    )
    assert completed.stdout.splitlines() == expected
    runs.append(completed)
    for run in runs:
        code = run.exit_code if hasattr(run, "exit_code") else run.returncode
        assert code == 1
        output = run.stdout + run.stderr
        assert not any(word in output for word in SECRET_WORDS), output
        assert "Traceback" not in output and "内部错误" not in output


def test_file_linked_out_of_the_library_is_refused_unread(mini: Scratch) -> None:
    target = outside_folder(mini) / "XF-2024-0099.yaml"
    os.symlink(target, mini.path("records/XF-2024-0099.yaml"))
    assert_not_leaked(mini, [outside_line("records/XF-2024-0099.yaml", target)])


def test_file_linked_out_through_a_relative_chain_is_refused(mini: Scratch) -> None:
    """Two hops, the first inside the library: where the chain ends is what counts."""
    target = outside_folder(mini) / "XF-2024-0099.yaml"
    os.symlink("../../outside/XF-2024-0099.yaml", mini.path("records/.hop"))
    os.symlink(".hop", mini.path("records/XF-2024-0099.yaml"))
    assert_not_leaked(mini, [outside_line("records/XF-2024-0099.yaml", target)])


def test_link_to_a_fifo_outside_is_not_opened(mini: Scratch) -> None:
    """Opening a FIFO with no writer would block the run: refusing it proves the target is not opened."""
    fifo = mini.root.parent / "pipe.yaml"
    os.mkfifo(fifo)
    os.symlink(fifo, mini.path("records/XF-2024-0099.yaml"))
    assert mini.problems() == [outside_line("records/XF-2024-0099.yaml", fifo)]


def test_folder_linked_out_of_the_library_is_refused_unread(mini: Scratch) -> None:
    folder = outside_folder(mini)
    os.symlink(folder, mini.path("records/more"))
    os.makedirs(mini.path("classes/a/b"))
    os.symlink(folder, mini.path("classes/a/b/deep"))
    assert_not_leaked(mini, [outside_line("classes/a/b/deep", folder), outside_line("records/more", folder)])


def test_whole_records_folder_linked_out_is_refused(mini: Scratch) -> None:
    """`records -> /etc`: reported, not silently empty (the entry's citations then have nothing to find)."""
    folder = outside_folder(mini)
    shutil.rmtree(mini.path("records"))
    os.symlink(folder, mini.path("records"))
    problems = mini.problems()
    assert problems[0] == outside_line("records", folder)
    assert not any(word in "\n".join(problems) for word in SECRET_WORDS)


def test_deep_file_link_out_is_refused(mini: Scratch) -> None:
    target = outside_folder(mini) / "XF-2024-0099.yaml"
    os.makedirs(mini.path("typical/2024/more"))
    os.symlink(target, mini.path("typical/2024/more/2024-01-1-001.yaml"))
    assert_not_leaked(mini, [outside_line("typical/2024/more/2024-01-1-001.yaml", target)])


def test_settings_linked_out_of_the_library_is_refused_unread(mini: Scratch) -> None:
    target = mini.root.parent / "settings.yaml"
    mini.path("settings.yaml").rename(target)
    with target.open("a", encoding="utf-8") as stream:
        stream.write(SECRET)
    os.symlink(target, mini.path("settings.yaml"))
    assert_not_leaked(mini, [outside_line("settings.yaml", target)])


def test_links_inside_the_library_are_read(mini: Scratch) -> None:
    """A linked file and a linked folder that stay inside are read as usual (here: into a hidden folder)."""
    record = mini.read("records/XF-2023-0002.yaml").replace("XF-2023-0002", "XF-2023-0003")
    mini.write(".store/XF-2023-0003.yaml", record.replace("城乡建设", "城乡建筑"))
    mini.write(".store/more/XF-2023-0004.yaml", record.replace("XF-2023-0003", "XF-2023-0004"))
    os.symlink("../.store/XF-2023-0003.yaml", mini.path("records/XF-2023-0003.yaml"))
    os.symlink("../.store/more", mini.path("records/more"))
    assert mini.problems() == [
        "records/XF-2023-0003.yaml:6:9: domain: “城乡建筑” 不在 settings.yaml 的 domains 词表中，是否应为 “城乡建设”？"
    ]
    library, _ = check_library(mini.root)
    assert sorted(doc.path for doc in library.records) == [
        "records/XF-2023-0001.yaml",
        "records/XF-2023-0002.yaml",
        "records/XF-2023-0003.yaml",
        "records/more/XF-2023-0004.yaml",
    ]


def test_folder_links_that_loop_or_repeat_are_read_once(mini: Scratch) -> None:
    os.symlink("..", mini.path("records/up"))
    os.symlink(".", mini.path("records/here"))
    os.symlink("../records", mini.path("typical/records-again"))
    os.symlink("loop-b", mini.path("records/loop-a"))
    os.symlink("loop-a", mini.path("records/loop-b"))
    assert mini.problems() == []
    library, _ = check_library(mini.root)
    assert sorted(doc.path for doc in library.records) == ["records/XF-2023-0001.yaml", "records/XF-2023-0002.yaml"]


def test_a_link_that_sorts_before_its_folder_does_not_claim_it(mini: Scratch) -> None:
    """`latest -> records/2023` sorts before records/: the folder is still read where it is."""
    os.mkdir(mini.path("records/2023"))
    os.rename(mini.path("records/XF-2023-0002.yaml"), mini.path("records/2023/XF-2023-0002.yaml"))
    os.symlink("records/2023", mini.path("latest"))
    os.symlink("2023", mini.path("records/0-newest"))
    assert mini.problems() == []
    library, _ = check_library(mini.root)
    assert sorted(doc.path for doc in library.records) == [
        "records/2023/XF-2023-0002.yaml",
        "records/XF-2023-0001.yaml",
    ]


# ── text that cannot be printed or written ──────────────────────────────────


def test_utf8_bom_is_accepted_and_positions_are_unchanged(mini: Scratch) -> None:
    text = mini.read("records/XF-2023-0002.yaml").replace("id: XF-2023-0002", "id: XF-23-2")
    mini.write("records/XF-2023-0002.yaml", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert mini.problems() == [
        "records/XF-2023-0002.yaml:1:5: id: 格式不符（写的是 “XF-23-2”）：XF-年份-四位序号，例如：XF-2023-0001；一经确定不再更改"
    ]


WIDE = {
    "UTF-16 LE with BOM": ("utf-16-le", b"\xff\xfe", "UTF-16"),
    "UTF-16 BE with BOM": ("utf-16-be", b"\xfe\xff", "UTF-16"),
    "UTF-16 LE": ("utf-16-le", b"", "UTF-16"),
    "UTF-16 BE": ("utf-16-be", b"", "UTF-16"),
    "UTF-32 LE with BOM": ("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32"),
    "UTF-32 BE with BOM": ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32"),
    "UTF-32 LE": ("utf-32-le", b"", "UTF-32"),
    "UTF-32 BE": ("utf-32-be", b"", "UTF-32"),
}


@pytest.mark.parametrize("name", list(WIDE))
def test_utf16_and_utf32_files_are_named(mini: Scratch, name: str) -> None:
    codec, bom, label = WIDE[name]
    mini.write(BAD, bom + mini.read("records/XF-2023-0002.yaml").encode(codec))
    plant_other_fault(mini)
    bad = [p for p in mini.problems() if p.startswith(BAD)]
    assert bad == [f"{BAD}: 文件是 {label} 编码，请另存为 UTF-8"]


def test_file_name_that_is_not_utf8_is_named_and_printable(mini: Scratch) -> None:
    name = os.fsdecode(b"XF-2023-\xff.yaml")
    mini.write(f"records/{name}", mini.read("records/XF-2023-0002.yaml"))
    os.makedirs(mini.path("classes/" + os.fsdecode(b"d\xfe")))
    expected = [
        "classes/d\\xfe: 文件夹名不是 UTF-8 编码，未读取；请重命名",
        "records/XF-2023-\\xff.yaml: 文件名不是 UTF-8 编码，未读取；请重命名",
    ]
    assert mini.problems() == expected
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(mini.root)], capture_output=True, timeout=60
    )
    assert completed.returncode == 1
    assert completed.stdout.decode("utf-8").splitlines() == expected


# (replaced line, replacement, exact problem): surrogates once crashed validate or build, or printed
# pydantic's English; control characters and non-characters went into HTML, Word and Excel files.
INVALID_TEXT = {
    "lone high in a value": (
        "title: 某小区业主再次反映办证进度",
        'title: "某小区\\ud800业主"',
        "records/XF-2023-0002.yaml:2:12: title: 含有无效字符（单独的代理项 U+D800）",
    ),
    "lone low in a list": (
        "demands: [公布办证名单]",
        'demands: [公布办证名单, "\\udcff"]',
        "records/XF-2023-0002.yaml:12:20: demands[1]: 含有无效字符（单独的代理项 U+DCFF）",
    ),
    "vocabulary value (crashed validate)": (
        "class: LA-001",
        'class: LA-001\nflags: ["\\ud800"]',
        "records/XF-2023-0002.yaml:18:10: flags[0]: 含有无效字符（单独的代理项 U+D800）",
    ),
    "long escape": (
        "summary: 业主询问首批办证名单。",
        'summary: "业主\\U0000DC80询问"',
        "records/XF-2023-0002.yaml:11:13: summary: 含有无效字符（单独的代理项 U+DC80）",
    ),
    "pair written as two escapes": (
        "summary: 业主询问首批办证名单。",
        'summary: "业主\\ud83d\\ude00"',
        "records/XF-2023-0002.yaml:11:13: summary: 含有无效字符（代理项对 U+D83D U+DE00；请直接写 “😀” 或 \\U0001F600）",
    ),
    "in a key": (
        "class: LA-001",
        'class: LA-001\n"note\\ud800": x',
        "records/XF-2023-0002.yaml:18:6: 键含有无效字符（单独的代理项 U+D800）",
    ),
    "control character": (
        "summary: 业主询问首批办证名单。",
        'summary: "业主\\x01询问\\0"',
        "records/XF-2023-0002.yaml:11:13: summary: 含有无效字符（控制字符 U+0001）",
    ),
    "NUL after an escaped backslash": (
        "summary: 业主询问首批办证名单。",
        'summary: "C:\\\\x01\\0"',
        "records/XF-2023-0002.yaml:11:18: summary: 含有无效字符（控制字符 U+0000）",
    ),
    "escape character on a continued line": (
        "summary: 业主询问首批办证名单。",
        'summary: "业主询问\\\n  \\e"',
        "records/XF-2023-0002.yaml:12:3: summary: 含有无效字符（控制字符 U+001B）",
    ),
    "non-character": (
        "topic: 不动产证办理",
        'topic: "\\uFFFE"',
        "records/XF-2023-0002.yaml:7:9: topic: 含有无效字符（非字符 U+FFFE）",
    ),
    "beyond U+10FFFF (crashed validate)": (
        "summary: 业主询问首批办证名单。",
        'summary: "\\U00110000"',
        "records/XF-2023-0002.yaml:11:11: YAML 语法错误：转义 \\U00110000 超出 Unicode 范围（最大 \\U0010FFFF）",
    ),
}


@pytest.mark.parametrize("name", list(INVALID_TEXT))
def test_invalid_characters_are_located_in_validate_and_build(mini: Scratch, tmp_path: Path, name: str) -> None:
    old, new, expected = INVALID_TEXT[name]
    mini.replace("records/XF-2023-0002.yaml", old, new)
    # The record is refused, so the entry's citation of it does not cascade.
    assert mini.problems() == [expected]
    for command in (["validate", mini.root], ["build", mini.root, "--out", tmp_path / "site", "--as-of", "2024-06-30"]):
        run = run_cli(*command)
        assert (run.exit_code, run.stdout.splitlines()) == (1, [expected])
        completed = subprocess.run(
            [sys.executable, "-m", "generator", *map(str, command)], capture_output=True, timeout=120
        )
        stdout, stderr = completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
        assert (completed.returncode, stdout.splitlines()) == (1, [expected]), stderr
        assert "Traceback" not in stderr and "内部错误" not in stderr
    assert not (tmp_path / "site").exists()


def test_surrogate_in_settings_is_located(mini: Scratch) -> None:
    """A protected name is matched against every output: it must be text that can be written."""
    mini.replace("settings.yaml", "protected_names: [王建国]", 'protected_names: [王建国, "\\ud800"]')
    assert mini.problems() == ["settings.yaml:26:25: protected_names[1]: 含有无效字符（单独的代理项 U+D800）"]


SCALARS = """\
plain: 中文
number: 2024
octal: 0o17
hex: 0x1F
float: 1.5e3
infinity: .inf
date: 2024-07-05
stamp: 2024-07-05T08:00:00Z
yes_no: yes
truth: true
nothing: null
tilde: ~
empty:
equals: =
quoted: "true"
single: '2024'
block: |
  第一行
  第二行
list: [1, 2.0, 三]
nested: {a: 1, b: [x, ~]}
"""


def test_the_fast_parser_builds_what_the_reference_parser_builds():
    """libyaml with the text-only resolver (load._TextLoader) and PyYAML's own parser give the
    same data and positions: every scalar stays text but for true/false/null by spelling."""
    from generator import load

    fast, fast_issues = load.parse_yaml(SCALARS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load, "_compose_fast", lambda text: None)
        reference, reference_issues = load.parse_yaml(SCALARS)
    assert fast is not None and reference is not None
    assert fast.data == reference.data and fast.values == reference.values and fast.keys == reference.keys
    assert fast_issues == reference_issues == []
    assert fast.data["number"] == "2024" and fast.data["date"] == "2024-07-05" and fast.data["truth"] is True
    assert fast.data["nothing"] is None and fast.data["quoted"] == "true" and fast.data["list"] == ["1", "2.0", "三"]


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "pure-python"])
def test_a_merge_key_is_refused_by_both_parsers(fast):
    from generator import load

    text = "base: &b\n  a: 1\nrecord:\n  <<: *b\n  title: 标题\nquoted:\n  '<<': 文字\n"
    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(load, "_compose_fast", lambda text: None)
        loaded, issues = load.parse_yaml(text)
    assert loaded is not None
    assert [(i.line, i.column) for i in issues] == [(4, 3)] and "<< 合并" in issues[0].message
    assert loaded.data["record"] == {"title": "标题"} and loaded.data["quoted"] == {"<<": "文字"}
