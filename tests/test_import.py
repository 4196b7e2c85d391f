"""Issue 15: `casebook import` of the shipped example exports (tests/data/import/, made by its
make_samples.py): May's 登记台账 into a copy of the sample library, then June's, then a build."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import jsonschema
import openpyxl
import pytest
import yaml

from generator.derive.deadlines import deadline
from generator.importer.mapping import DEFAULT_MAPPING, mapping_schema
from generator.library import read_library
from tests.conftest import AS_OF, SAMPLE, Scratch, build_site, copy_library, libreoffice_convert, run_cli, snapshot

DATA = Path(__file__).resolve().parent / "data" / "import"
MAY = DATA / "ledger-2024-05.xlsx"
JUNE = DATA / "ledger-2024-06.xlsx"
BAD = DATA / "ledger-bad.xlsx"


def imported(root: Path) -> dict[str, bytes]:
    return {
        name: data
        for name, data in snapshot(root).items()
        if name.startswith("records/XF-2024-0") and "import" in data.decode()
    }


def do_import(source: Path, library: Path, *extra: object) -> tuple[int, list[str]]:
    run = run_cli("import", source, "--library", library, *extra)
    return run.exit_code, run.stdout.splitlines()


@pytest.fixture
def may(tmp_path: Path) -> Scratch:
    library = copy_library(SAMPLE, tmp_path / "cases")
    code, lines = do_import(MAY, library.root)
    assert code == 0, lines
    return library


def test_may_adds_a_record_per_row_and_says_so_row_by_row(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    code, lines = do_import(MAY, library.root)
    assert code == 0
    assert lines[0] == "导入 ledger-2024-05.xlsx（工作表“登记台账”，表头在第 4 行，220 行数据）"
    added = [line for line in lines if re.fullmatch(r"第 \d+ 行 → XF-2024-\d{4}：新增", line)]
    assert len(added) == 220
    assert added[0] == "第 5 行 → XF-2024-0021：新增"  # the sample's own records end at XF-2024-0020
    skipped = [line for line in lines if "跳过（" in line]
    assert skipped == [
        "第 229 行：跳过（表尾说明或签名行，不是数据）",
        "第 230 行：跳过（表尾说明或签名行，不是数据）",
        "第 231 行：跳过（表尾说明或签名行，不是数据）",
    ]
    assert "新增 220 件，更新 0 件，未变 0 件，跳过 3 行" in lines
    assert "未使用的列：备注" in lines  # merged down from the group row: its name is in the row above
    assert len(imported(library.root)) == 220
    _, problems = read_library(library.root, as_of=dt.date(2024, 6, 30))
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_importing_the_same_file_twice_changes_nothing_and_says_so(may: Scratch) -> None:
    before = snapshot(may.root)
    times = {p: p.stat().st_mtime_ns for p in may.root.rglob("*.yaml")}
    code, lines = do_import(MAY, may.root)
    assert code == 0
    assert "新增 0 件，更新 0 件，未变 220 件，跳过 3 行" in lines
    assert "案例库已是最新，没有文件需要改动" in lines
    assert snapshot(may.root) == before
    assert {p: p.stat().st_mtime_ns for p in may.root.rglob("*.yaml")} == times


def test_june_updates_in_place_adds_the_new_and_lists_the_gone_without_deleting(may: Scratch) -> None:
    before = imported(may.root)
    code, lines = do_import(JUNE, may.root)
    assert code == 0
    assert "新增 40 件，更新 60 件，未变 140 件，跳过 3 行" in lines
    after = imported(may.root)
    assert set(before) <= set(after) and len(after) == 260  # the 20 gone from June's export are kept
    gone = next(line for line in lines if line.startswith("本次导出中没有"))
    assert gone.endswith("（未删除）：" + gone.split("：", 1)[1]) and gone.count("XF-2024-") == 20
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) == 60
    updated = [line for line in lines if "：更新（" in line]
    assert len(updated) == 60 and all("办理环节" in line or "办理结果" in line for line in updated)


def test_a_field_edited_by_hand_is_kept_and_the_rest_is_updated(may: Scratch) -> None:
    code, lines = do_import(JUNE, may.root, "--dry-run")
    target = next(line for line in lines if "：将更新（" in line)
    record = re.search(r"XF-2024-\d{4}", target)[0]
    path = f"records/{record}.yaml"
    title = re.search(r"^title: (.*)$", may.read(path), re.M)[1]
    may.replace(path, f"title: {title}", "title: 人工核实后改写的标题")
    code, lines = do_import(JUNE, may.root)
    assert code == 0
    line = next(line for line in lines if f"→ {record}：" in line)
    assert line.endswith("；保留手工修改：标题") and "办理" in line
    text = may.read(path)
    assert "title: 人工核实后改写的标题" in text and "outcome:" in text
    assert "1 件记录有手工修改过的字段，已保留不动" in lines
    code, lines = do_import(JUNE, may.root)  # and again: the person's title is theirs from now on
    assert "title: 人工核实后改写的标题" in may.read(path)
    assert "新增 0 件，更新 0 件，未变 240 件，跳过 3 行" in lines


def test_the_build_shows_imported_records_in_ledgers_and_supervision(may: Scratch, tmp_path: Path) -> None:
    assert do_import(JUNE, may.root)[0] == 0
    run = build_site(may.root, tmp_path / "site")
    assert run.exit_code == 0, run.stdout + run.stderr
    library, _ = read_library(may.root)
    settings, as_of = library.settings.model, dt.date.fromisoformat(AS_OF)
    records = [doc.model for doc in library.records if "import" in (may.root / doc.path).read_text()]
    assert len(records) == 260
    states = {record.id: deadline(record, settings, as_of).state for record in records}
    supervised = {rid for rid, state in states.items() if state in ("逾期", "临期")}
    assert supervised  # the export has rows never accepted, and rows close to their 60 days
    page = (tmp_path / "site" / "supervision" / "index.html").read_text(encoding="utf-8")
    shown = {rid for rid in re.findall(r"XF-2024-\d{4}", page) if rid in states}
    assert shown == supervised
    ledger = (tmp_path / "site" / "ledgers" / "index.html").read_text(encoding="utf-8")
    for record in records[:20]:
        assert (tmp_path / "site" / "records" / record.id / "index.html").is_file()
    closed = next(r for r in records if r.resolution and r.resolution.closed)
    assert states[closed.id] == "已办结"
    assert "260" in ledger or ledger  # the ledger front page exists
    book = openpyxl.load_workbook(tmp_path / "site" / "downloads" / "ledger-all.xlsx", read_only=True)
    ids = {row[0] for sheet in book for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert {record.id for record in records} <= {str(value) for value in ids}


BAD_PROBLEMS = [
    "ledger-bad.xlsx!登记台账!L6: 问题领域: “城乡建没” 不在 settings.yaml 的 domains 词表中，是否应为 “城乡建设”？",
    "ledger-bad.xlsx!登记台账!C8: 收到日期: 无法识别的日期 “2024年13月5日”（可写作 2024-05-06、2024年5月6日、2024.5.6、2024/05/06 或日期格式单元格）",
    "ledger-bad.xlsx!登记台账!T10: 主办单位: 缺少必填字段",
    "ledger-bad.xlsx!登记台账!I12: 信访人数: “若干” 不是整数",
    "ledger-bad.xlsx!登记台账!D14: 信访渠道: “飞鸽传书” 不在 settings.yaml 的 channels 词表中",
    "ledger-bad.xlsx!登记台账!C16: 登记日期: 环节顺序不对：“登记” 不应在 “答复” 之后",
]


def test_every_bad_cell_is_located_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    before = snapshot(library.root)
    source = BAD.read_bytes()
    code, lines = do_import(BAD, library.root)
    assert code == 1
    assert lines[1 : 1 + len(BAD_PROBLEMS)] == BAD_PROBLEMS
    assert "共 9 个问题，未写入任何文件（可用 --skip-bad-rows 只导入没有问题的行）" in lines
    assert snapshot(library.root) == before
    assert BAD.read_bytes() == source  # the source spreadsheet is only read


def test_skip_bad_rows_writes_the_good_rows_and_lists_the_rest(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    code, lines = do_import(BAD, library.root, "--skip-bad-rows")
    assert code == 1
    assert len(imported(library.root)) == 6
    assert "已写入没有问题的行；6 行有问题，未导入" in lines


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("utf8bom", "UTF-8（带 BOM）"), ("utf8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")],
)
def test_csv_in_every_encoding_gives_the_workbooks_records(tmp_path: Path, name: str, encoding: str) -> None:
    from_xlsx = copy_library(SAMPLE, tmp_path / "x")
    rows = openpyxl.load_workbook(MAY)["登记台账"]
    first_60 = openpyxl.Workbook()
    sheet = first_60.active
    sheet.title = "登记台账"
    data = [values for values in rows.iter_rows(min_row=5, values_only=True) if any(v is not None for v in values)]
    for values in [next(rows.iter_rows(min_row=4, max_row=4, values_only=True)), *data[:60]]:
        sheet.append(values)
    first_60.save(tmp_path / "first60.xlsx")
    assert do_import(tmp_path / "first60.xlsx", from_xlsx.root)[0] == 0
    library = copy_library(SAMPLE, tmp_path / name)
    code, lines = do_import(DATA / f"ledger-2024-05-{name}.csv", library.root)
    assert code == 0, lines
    assert lines[0] == f"导入 ledger-2024-05-{name}.csv（编码 {encoding}，表头在第 1 行，60 行数据）"
    expected = imported(from_xlsx.root)
    got = imported(library.root)
    assert set(got) == set(expected)
    differ = [n for n in got if got[n] != expected[n]]
    if name == "gbk":  # GBK has no 㮾: Excel wrote ? for it
        assert all("㮾" in expected[n].decode() and "?" in got[n].decode() for n in differ)
    else:
        assert differ == []


def test_a_csv_in_no_known_encoding_is_refused_with_where(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("信访件编号,登记日期\n".encode() + b"\xff\xfe\x00bad\n")
    run = run_cli("import", path, "--library", copy_library(SAMPLE, tmp_path / "cases").root)
    assert run.exit_code == 2
    assert "无法识别编码（不是 UTF-8、GBK 或 GB18030；第 " in run.stderr and "Traceback" not in run.stderr


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("truncated", "无法读取，文件已损坏或不是工作簿"),
        ("encrypted", "工作簿受密码保护（已加密），无法读取；请在 Excel 中取消密码后另存为 .xlsx 再导入"),
        ("empty", "都是空的，没有可导入的行"),
        ("no header", "都找不到表头"),
        ("missing column", "缺少映射所需的列：问题领域（可为：问题领域、问题分类、内容分类、涉及领域）"),
        ("text file", "不支持的文件类型 .txt"),
    ],
)
def test_a_file_that_cannot_be_imported_is_one_message_and_exit_2(tmp_path: Path, case: str, message: str) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    before = snapshot(library.root)
    path = tmp_path / "export.xlsx"
    if case == "truncated":
        path.write_bytes(MAY.read_bytes()[:20000])
    elif case == "encrypted":  # what Excel writes for a workbook with a password: a compound file
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le"))
    elif case == "empty":
        _workbook(path, [])
    elif case == "no header":
        _workbook(path, [["甲", "乙"], [1, 2]])
    elif case == "missing column":
        header = [c.value for c in openpyxl.load_workbook(MAY)["登记台账"][4] if c.value != "问题领域"]
        _workbook(path, [header, ["x"] * len(header)])
    else:
        path = tmp_path / "export.txt"
        path.write_text("x")
    run = run_cli("import", path, "--library", library.root)
    assert run.exit_code == 2
    assert message in run.stderr and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert snapshot(library.root) == before


def test_a_record_file_that_no_import_made_is_never_overwritten(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        DEFAULT_MAPPING.read_text(encoding="utf-8").replace("record_id: allocate", "record_id: case_number")
    )
    rows = openpyxl.load_workbook(MAY)["登记台账"]
    book = openpyxl.Workbook()
    for values in rows.iter_rows(min_row=4, max_row=6, values_only=True):
        book.active.append(values)
    book.active["B2"] = "XF-2024-0001"  # the sample's own record
    book.active["B3"] = "XF-2024-0999"
    book.save(tmp_path / "ids.xlsx")
    before = library.read("records/XF-2024-0001.yaml")
    code, lines = do_import(tmp_path / "ids.xlsx", library.root, "--mapping", mapping)
    assert code == 1
    assert lines[1] == "ids.xlsx!Sheet!第2行: records/XF-2024-0001.yaml 已存在且不是导入的记录，未覆盖"
    assert library.read("records/XF-2024-0001.yaml") == before
    assert not library.path("records/XF-2024-0999.yaml").exists()


def test_mapping_problems_are_located_in_the_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    mapping.write_text(text.replace("  topic:\n", "  topik:\n").replace("record_id: allocate", "record_id: 分配"))
    run = run_cli("import", MAY, "--library", tmp_path, "--mapping", mapping)
    assert run.exit_code == 2
    lines = run.stderr.splitlines()
    assert any(re.match(rf"{re.escape(mapping.as_posix())}:\d+:\d+: record_id: ", line) for line in lines)
    assert any(re.match(rf"{re.escape(mapping.as_posix())}:\d+:\d+: fields\.topik", line) for line in lines)
    assert lines[-1].startswith("映射文件有 ") and lines[-1].endswith(" 个问题，未导入")


def test_the_shipped_mapping_and_a_suggested_one_import_alike(tmp_path: Path) -> None:
    jsonschema.validate(yaml.safe_load(DEFAULT_MAPPING.read_text(encoding="utf-8")), mapping_schema())
    run = run_cli("import", MAY, "--suggest-mapping")
    assert run.exit_code == 0
    suggested = tmp_path / "suggested.yaml"
    suggested.write_text(run.stdout, encoding="utf-8")
    data = yaml.safe_load(run.stdout)
    jsonschema.validate(data, mapping_schema())
    assert data["personal"] == ["信访人", "联系电话", "身份证号码", "家庭住址"]
    assert data["stages"] == {"登记": ["登记日期"], "受理": ["受理日期"], "交办": ["交办日期"], "答复": ["答复日期"]}
    one = copy_library(SAMPLE, tmp_path / "one")
    two = copy_library(SAMPLE, tmp_path / "two")
    assert do_import(MAY, one.root)[0] == 0
    assert do_import(MAY, two.root, "--mapping", suggested)[0] == 0
    assert snapshot(one.root) == snapshot(two.root)


def test_the_same_export_gives_the_same_bytes(tmp_path: Path) -> None:
    one = copy_library(SAMPLE, tmp_path / "one")
    two = copy_library(SAMPLE, tmp_path / "two")
    for library in (one, two):
        assert do_import(MAY, library.root)[0] == 0
        assert do_import(JUNE, library.root)[0] == 0
    assert snapshot(one.root) == snapshot(two.root)
    provenance = json.loads(one.read(".casebook-imports.json"))
    assert len(provenance["records"]) == 260
    assert "信访人" not in one.read(".casebook-imports.json")


def test_a_damaged_provenance_file_stops_the_import(may: Scratch) -> None:
    may.write(".casebook-imports.json", "{not json")
    before = hashlib.sha256(json.dumps(sorted(imported(may.root))).encode()).hexdigest()
    run = run_cli("import", JUNE, "--library", may.root)
    assert run.exit_code == 2 and "导入记录文件无法读取" in run.stderr
    assert hashlib.sha256(json.dumps(sorted(imported(may.root))).encode()).hexdigest() == before


@pytest.mark.parametrize("target", ["xls", "ods"])
def test_older_and_open_formats_import_as_the_workbook_does(tmp_path: Path, target: str) -> None:
    """May's export saved by LibreOffice Calc as .xls (Excel 97–2003) and .ods: the same records."""
    converted = libreoffice_convert(MAY, target, tmp_path)
    from_xlsx = copy_library(SAMPLE, tmp_path / "x")
    library = copy_library(SAMPLE, tmp_path / target)
    assert do_import(MAY, from_xlsx.root)[0] == 0
    code, lines = do_import(converted, library.root)
    assert code == 0, lines
    assert lines[0] == f"导入 ledger-2024-05.{target}（工作表“登记台账”，表头在第 4 行，220 行数据）"
    assert imported(library.root) == imported(from_xlsx.root)


def test_imported_records_without_their_provenance_stop_the_import(may: Scratch) -> None:
    may.path(".casebook-imports.json").unlink()
    before = snapshot(may.root)
    run = run_cli("import", JUNE, "--library", may.root)
    assert run.exit_code == 2 and "但没有 .casebook-imports.json" in run.stderr and "会重复建立记录" in run.stderr
    assert snapshot(may.root) == before


def test_a_record_with_hand_written_comments_is_not_rewritten_but_named(may: Scratch) -> None:
    lines = do_import(JUNE, may.root, "--dry-run")[1]
    record = re.search(r"XF-2024-\d{4}", next(line for line in lines if "：将更新（" in line))[0]
    path = f"records/{record}.yaml"
    text = may.read(path).replace("\nsummary:", "\n# 经办人注：已电话回访\nsummary:", 1)
    may.write(path, text)
    code, lines = do_import(JUNE, may.root)
    assert code == 0
    line = next(line for line in lines if f"→ {record}：" in line)
    assert "：未更新（文件里有手写的注释，为不丢失注释没有改动；导出中有变化的字段：" in line
    assert may.read(path) == text
    assert "1 件记录的文件里有手写注释，没有更新（见上面各行，请手工合并导出中的变化）" in lines


def test_a_hash_sign_inside_a_value_is_no_comment(may: Scratch) -> None:
    lines = do_import(JUNE, may.root, "--dry-run")[1]
    record = re.search(r"XF-2024-\d{4}", next(line for line in lines if "：将更新（" in line))[0]
    path = f"records/{record}.yaml"
    title = re.search(r"^title: (.*)$", may.read(path), re.M)[1]
    may.replace(path, f"title: {title}", 'title: "见 #3 号文件 #4"')
    may.replace(path, "summary: ", "summary: |-\n  第 #5 号楼反映\n  ")
    lines = do_import(JUNE, may.root)[1]
    line = next(line for line in lines if f"→ {record}：" in line)
    assert "：更新（" in line and "保留手工修改：基本情况、标题" in line
