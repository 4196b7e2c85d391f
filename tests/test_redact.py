"""`casebook redact`: a masked copy, an exact report that does not leak, an input left alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.errors import UsageProblem
from generator.load import parse_yaml
from generator.redact import redact_library
from generator.validate import check_library
from tests.conftest import Scratch, run_cli, snapshot

RECORD = "records/XF-2021-0001.yaml"
TYPICAL = "typical/2021-02-2-001.yaml"
# What is planted, each with what the copy must say instead.
PLANTED = {
    "刘秀兰": "刘某",  # a protected name in settings.yaml, after 信访人 too
    "110101199003074514": "1101**********4514",
    "+86 138 1234 5678": "+86 138 **** 5678",
    "0571-87654321": "0571-****4321",
    "liuxl@example.com": "l***@example.com",
    "12号3单元502室": "**号**单元**室",
    "5栋2单元301室": "xx栋xx单元xx室",  # at the start of a plain YAML value, * would make an alias
    "李明": "李某",
    "6222021234567890128": "6222***********0128",
    "13912345678": "139****5678",
    "110105491231002": "1101*******1002",
    "业主张三": "业主张某",
    "王建国": "王某",
}
EXPECTED_REPORT = [  # the positions in values are the ones `casebook validate` reports
    f"{RECORD}:1:7 手机号码 *******5678→139****5678",
    f"{RECORD}:1:24 身份证号码 ***********1002→1101*******1002",
    f"{RECORD}:15:9 详细地址 **栋**单元**室→xx栋xx单元xx室",
    f"{RECORD}:15:25 姓名 李*→李某",
    f"{RECORD}:15:34 银行卡号 ***************0128→6222***********0128",
    f"{RECORD}:18:6 受保护姓名 刘**→刘某",
    f"{RECORD}:18:13 身份证号码 **************4514→1101**********4514",
    f"{RECORD}:18:35 手机号码 +** *** **** 5678→+86 138 **** 5678",
    f"{RECORD}:18:56 固定电话 ****-****4321→0571-****4321",
    f"{RECORD}:18:73 电子邮箱 l***@example.com→l***@example.com",
    f"{RECORD}:18:95 详细地址 **号**单元**室→**号**单元**室",
    f"{TYPICAL}:2:32 姓名 张*→张某",
    f"{TYPICAL}:2:35 受保护姓名 王**→王某",
]


def plant(library: Scratch) -> None:
    """Personal data of every kind, in a comment, a plain value, a block text and a title."""
    record = library.read(RECORD)
    record = "# 联系人 13912345678，旧身份证 110105491231002\n" + record
    record = record.replace(
        "  note: 柳湾村一组、二组被征地农户每户 1 人联名，推选代表 5 人",
        "  note: 5栋2单元301室住户牵头，村民李明等联名，卡号 6222021234567890128",
    )
    record = record.replace(
        "summary: |\n",
        "summary: |\n  信访人刘秀兰（身份证110101199003074514，电话 +86 138 1234 5678，座机 0571-87654321，"
        "邮箱 liuxl@example.com）住和平路12号3单元502室。\n",
    )
    library.write(RECORD, record)
    typical = library.read(TYPICAL).splitlines(keepends=True)
    typical[1] = typical[1].rstrip("\n") + "（业主张三、王建国反映）\n"
    library.write(TYPICAL, "".join(typical))
    library.write("README.txt", "说明文件，不是 YAML：原样复制。\n")
    library.write(".casebook-backup-20240101-000000/records/old.yaml", "summary: 13812345678\n")


@pytest.fixture
def planted(sample_copy: Scratch) -> Scratch:
    plant(sample_copy)
    return sample_copy


def test_masked_copy_validates_and_the_input_is_untouched(planted: Scratch, tmp_path: Path) -> None:
    before = snapshot(planted.root)
    # not the comment; 刘秀兰 and 王建国 once each (a protected name after 信访人 is one finding)
    assert len([p for p in planted.problems() if "含有" in p]) == 11
    out = tmp_path / "masked"

    report = redact_library(planted.root, out)

    assert snapshot(planted.root) == before
    assert [str(change) for change in report.changes] == EXPECTED_REPORT
    assert report.changed_files == [RECORD, TYPICAL]
    assert report.remaining == []
    _, problems = check_library(out)
    assert problems == []
    copied = snapshot(out)
    assert set(copied) == {name for name in before if not name.startswith(".casebook-backup-")}
    assert [name for name in copied if copied[name] != before[name]] == [RECORD, TYPICAL]
    record = copied[RECORD].decode("utf-8")
    typical = copied[TYPICAL].decode("utf-8")
    for original, masked in PLANTED.items():
        assert original not in record + typical
        assert masked in record + typical
    assert record.startswith("# 联系人 139****5678，旧身份证 1101*******1002\n")  # comments are masked too


def test_report_never_shows_an_original(planted: Scratch, tmp_path: Path) -> None:
    text = "\n".join(redact_library(planted.root, tmp_path / "masked").lines())
    for original in PLANTED:
        assert original not in text.replace("业主张某", "")


def test_only_the_changed_values_differ(planted: Scratch, tmp_path: Path) -> None:
    """Comments, quoting, order and every other line stay byte for byte."""
    redact_library(planted.root, tmp_path / "masked")
    old = planted.read(RECORD).splitlines()
    new = (tmp_path / "masked" / RECORD).read_text(encoding="utf-8").splitlines()
    assert len(old) == len(new)
    assert [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b] == [1, 15, 18]


def test_line_endings_and_byte_order_mark_are_kept(sample_copy: Scratch, tmp_path: Path) -> None:
    text = sample_copy.read(RECORD).replace("summary: |\n", "summary: |\n  业主张三反映。\n")
    sample_copy.write(RECORD, ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    report = redact_library(sample_copy.root, tmp_path / "masked")
    assert [str(change) for change in report.changes] == [f"{RECORD}:17:5 姓名 张*→张某"]
    data = (tmp_path / "masked" / RECORD).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == text.count("\n")
    assert "业主张某反映" in data.decode("utf-8")


def test_nothing_to_mask_copies_the_library(sample_copy: Scratch, tmp_path: Path) -> None:
    report = redact_library(sample_copy.root, tmp_path / "masked")
    assert report.changes == [] and report.remaining == []
    assert snapshot(tmp_path / "masked") == snapshot(sample_copy.root)


def test_in_place_backs_up_every_changed_file_first(planted: Scratch) -> None:
    before = snapshot(planted.root)
    when = dt.datetime(2024, 6, 30, 9, 15, 0)
    report = redact_library(planted.root, planted.root, in_place=True, now=when)
    backup = planted.root / ".casebook-backup-20240630-091500"
    assert report.backup == backup
    assert snapshot(backup) == {RECORD: before[RECORD], TYPICAL: before[TYPICAL]}
    assert [str(change) for change in report.changes] == EXPECTED_REPORT
    assert planted.problems() == []
    after = snapshot(planted.root)
    assert {name for name in before if after[name] != before[name]} == {RECORD, TYPICAL}


def test_in_place_refuses_when_the_backup_cannot_be_written(planted: Scratch, tmp_path: Path) -> None:
    before = snapshot(planted.root)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(UsageProblem, match=r"无法写入备份.*案例库未作任何修改"):
        redact_library(planted.root, planted.root, in_place=True, backup_dir=blocker / "backup")
    with pytest.raises(UsageProblem, match="已存在且不为空，案例库未作任何修改"):
        redact_library(planted.root, planted.root, in_place=True, backup_dir=planted.root / "records")
    assert snapshot(planted.root) == before


def test_masked_values_stay_valid_yaml(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.write(
        "records/x.yaml", "a: 5栋2单元301室\nb: [5栋2单元301室, '5栋2单元301室']\nc:\n  - 5栋2单元301室\n"
    )
    redact_library(sample_copy.root, tmp_path / "masked")
    loaded, issues = parse_yaml((tmp_path / "masked" / "records/x.yaml").read_text(encoding="utf-8"))
    assert loaded is not None and issues == []
    assert loaded.data == {"a": "xx栋xx单元xx室", "b": ["xx栋xx单元xx室", "**栋**单元**室"], "c": ["xx栋xx单元xx室"]}


# ── the command ───────────────────────────────────────────────────────────────


def test_cli_prints_the_report(planted: Scratch, tmp_path: Path) -> None:
    result = run_cli("redact", planted.root, "--out", tmp_path / "masked")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"脱敏报告：{planted.root} → {tmp_path / 'masked'}"
    assert lines[1:14] == EXPECTED_REPORT
    assert lines[14:] == [
        f"共脱敏 13 处，涉及 2 个文件；共写出 {len(snapshot(tmp_path / 'masked'))} 个文件",
        "未复制：.casebook-backup-20240101-000000/（备份中是未脱敏的原文件）",
        "settings.yaml 的 protected_names 原样保留（该文件不发布；把副本交给他人前请删去其中的姓名）",
    ]


def test_cli_in_place_uses_the_default_backup_folder(planted: Scratch) -> None:
    result = run_cli("redact", planted.root, "--in-place")
    assert result.exit_code == 0, result.stderr
    backups = sorted(planted.root.glob(".casebook-backup-*"))
    assert len(backups) == 2  # the planted old one and the new one
    assert result.stdout.splitlines()[0].startswith(f"脱敏报告：{planted.root}（原地修改，备份于 {planted.root}")
    assert planted.problems() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "请用 --out DIR 指定脱敏副本的输出文件夹"),
        (("--out", "OUT", "--in-place"), "--out 与 --in-place 只能选一个"),
        (("--out", "OUT", "--backup", "B"), "--backup 只能与 --in-place 一起使用"),
        (("--out", "NONEMPTY"), "已存在且不为空，未写入"),
        (("--out", "LIB/masked"), "不能在案例库中"),
        (("--out", "LIB"), "输出文件夹不能是案例库本身"),
    ],
)
def test_cli_refuses_clearly(sample_copy: Scratch, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "NONEMPTY").mkdir()
    (tmp_path / "NONEMPTY" / "keep.txt").write_text("x")
    before = snapshot(sample_copy.root)
    paths = {"OUT": tmp_path / "out", "NONEMPTY": tmp_path / "NONEMPTY", "B": tmp_path / "b"}
    paths |= {"LIB": sample_copy.root, "LIB/masked": sample_copy.root / "masked"}
    result = run_cli("redact", sample_copy.root, *[str(paths.get(arg, arg)) for arg in args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(sample_copy.root) == before
    assert not (tmp_path / "out").exists()


def test_cli_missing_library(tmp_path: Path) -> None:
    result = run_cli("redact", tmp_path / "nothing", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "案例库不存在" in result.stderr


@pytest.mark.parametrize("link", ["records/XF-2024-0099.yaml", "records/outside", "extra"])
def test_links_out_of_the_library_are_neither_read_nor_copied(sample_copy: Scratch, tmp_path: Path, link: str) -> None:
    """A link to another folder (another office's files, /etc) must not be copied into the
    masked copy nor its content shown: redact refuses, naming the link, and writes nothing."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "XF-2024-0099.yaml"
    secret.write_text("id: XF-2024-0099\npassword: 机密口令hunter2\n", encoding="utf-8")
    target = secret if link.endswith(".yaml") else outside
    sample_copy.path(link).symlink_to(target)
    out = tmp_path / "copy"
    run = run_cli("redact", sample_copy.root, "--out", out)
    assert run.exit_code == 2
    assert f"{link}：符号链接指向案例库以外（{target}），未读取" in run.stderr
    assert "hunter2" not in run.stdout + run.stderr
    assert not out.exists()
