"""Issue 15: an export full of personal data, in every spelling the detectors know, imports with
none of it in any written byte, and the report counts what was masked without showing it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl

from generator.importer.cells import half_width
from generator.privacy import find_personal_data, id_check_digit, luhn_valid
from tests.conftest import SAMPLE, copy_library, run_cli

HEADER = [
    "序号", "信访件编号", "登记日期", "信访形式", "信访人", "联系电话", "身份证号码", "家庭住址", "信访人数",
    "信访人类别", "问题领域", "具体问题", "问题属地", "涉及项目", "事项标题", "反映内容", "主要诉求", "责任单位",
    "包案领导", "受理日期",
]  # fmt: skip

ID_BODY = "44030619900307241"
ID_NUMBER = ID_BODY + id_check_digit(ID_BODY)
ID_X_BODY = "11010519491231002"
ID_X = ID_X_BODY + id_check_digit(ID_X_BODY)
OLD_ID = "440306900307241"
CARD = next(f"622202123456789{d}" for d in "0123456789" if luhn_valid(f"622202123456789{d}"))
MOBILES = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "138.1234.5678",
    "１３８１２３４５６７８",
    "+86 138 1234 5678",
    "138\u30001234\u30005678",
    "0086-13912345678",
]
NUMBERS = [
    *MOBILES,
    ID_NUMBER,
    f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}",
    ID_NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ID_X,
    ID_X.lower(),
    OLD_ID,
    CARD,
    f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}",
    "0571-86781234",
    "(0571)86781234",
]
NAMES = ["王建国", "陈淑芬", "欧阳明月", "刘秀兰"]  # 王建国 and 刘秀兰 are the sample's protected names
ADDRESS = "城东区和平路128号3单元502室"
EMAIL = "zhang.wei@qq.com"


def _rows() -> list[list[object]]:
    rows = []
    for i, number in enumerate(NUMBERS):
        name = NAMES[i % len(NAMES)]
        other = NAMES[(i + 1) % len(NAMES)]
        rows.append(
            [
                i + 1,
                f"XJ202405{i:05d}",
                dt.datetime(2024, 5, 6),
                "走访",
                name,
                number,
                ID_NUMBER,
                ADDRESS,
                1,
                "业主",
                "城乡建设",
                "物业纠纷",
                "城东区和平街道",
                f"{other}家附近的小区",  # a name in a field no role word stands before
                f"{name}反映物业问题",
                f"{name}反映：电话 {number}，住 {ADDRESS}，邮箱 {EMAIL}；业主{other}也来过，信访人{name}要求答复。",
                f"1.请回电 {number}；2.给{name}一个说法",
                "城东区住建局",
                f"城东区副区长{other}",
                "2024年5月8日",
            ]
        )
    return rows


def _export(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "登记台账"
    sheet.append(["某市信访局信访事项登记台账"])
    sheet.append(HEADER)
    for row in _rows():
        sheet.append(row)
    sheet.append([])
    sheet.append([f"填表人：{NAMES[1]}　联系电话：{MOBILES[0]}"])
    book.save(path)
    return path


def _digits(text: str) -> str:
    """The text with every separator the detectors allow between digits removed, half width."""
    return re.sub(r"[\s\-.．·()（）+—‐‑–－\u3000]", "", half_width(text))


def test_no_personal_data_reaches_any_written_byte(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    before = {p for p in library.root.rglob("*") if p.is_file()}
    run = run_cli("import", _export(tmp_path / "export.xlsx"), "--library", library.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    written = sorted(p for p in library.root.rglob("*") if p.is_file() and p not in before)
    assert len([p for p in written if p.suffix == ".yaml"]) == len(NUMBERS)
    assert [p.name for p in written if p.suffix != ".yaml"] == [".casebook-imports.json"]
    for path in written:
        text = path.read_bytes().decode("utf-8")
        assert find_personal_data(text, NAMES) == [], path.name
        squeezed = _digits(text)
        for number in [*NUMBERS, OLD_ID, CARD]:
            assert _digits(number).upper() not in squeezed.upper(), (path.name, number)
        for secret in [*NAMES, ADDRESS, EMAIL, "和平路128号"]:
            assert secret not in text, (path.name, secret)
    report = run.stdout + run.stderr
    for secret in [*NAMES, ADDRESS, EMAIL]:
        assert secret not in report
    for number in NUMBERS:
        assert _digits(number) not in _digits(report)
    masked = next(line for line in run.stdout.splitlines() if line.startswith("脱敏："))
    assert f"信访人 {len(NUMBERS)} 格（整列不导入）" in masked and f"联系电话 {len(NUMBERS)} 格（整列不导入）" in masked
    assert "反映内容" in masked and "主要诉求" in masked and "包案领导" in masked and "涉及项目" in masked


def test_masked_names_keep_their_surname_and_numbers_their_ends(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    run = run_cli("import", _export(tmp_path / "export.xlsx"), "--library", library.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    first = next(
        p for p in sorted((library.root / "records").glob("XF-2024-*.yaml")) if "XJ20240500000" in p.read_text()
    )
    text = first.read_text(encoding="utf-8")
    assert "summary: 王某反映：电话 138****5678，住 城东区和平路**号**单元**室，邮箱 z***@qq.com；" in text
    assert "业主陈某也来过，信访人王某要求答复。" in text
    assert "lead_official: 城东区副区长陈某" in text
