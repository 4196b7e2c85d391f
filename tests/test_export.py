"""Issue 15: `casebook export` — an edition's records, entries and classes as versioned JSON with its
schema, or as one workbook; the site offers the same JSON as a download."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.export import export_schema
from generator.library import read_library
from generator.privacy import find_personal_data
from tests.conftest import AS_OF, SAMPLE, run_cli


def export(*args: object) -> bytes:
    run = run_cli("export", SAMPLE, "--as-of", AS_OF, *args)
    assert run.exit_code == 0, run.stderr
    return run.stdout.encode("utf-8")


def test_the_internal_export_holds_every_document_and_meets_its_schema() -> None:
    data = json.loads(export())
    jsonschema.validate(data, export_schema())
    library, _ = read_library(SAMPLE)
    assert (data["format"], data["version"], data["edition"]) == ("casebook-export", 1, "internal")
    assert [r["id"] for r in data["records"]] == sorted(doc.model.id for doc in library.records)
    assert [e["id"] for e in data["typical"]] == sorted(doc.model.id for doc in library.typical)
    assert [c["id"] for c in data["classes"]] == sorted(doc.model.id for doc in library.classes)
    first = next(r for r in data["records"] if r["id"] == "XF-2021-0001")
    assert first["class"] == "LA-002" and first["received"] == "2021-03-09"


@pytest.mark.parametrize("audience", ["training", "public"])
def test_a_narrower_edition_holds_nothing_it_excludes(audience: str) -> None:
    raw = export("--audience", audience).decode("utf-8")
    data = json.loads(raw)
    jsonschema.validate(data, export_schema())
    library, _ = read_library(SAMPLE)
    allowed = {"training": {"training", "public"}, "public": {"public"}}[audience]
    shown = {doc.model.id for doc in [*library.records, *library.typical] if doc.model.visibility in allowed}
    hidden = {doc.model.id for doc in [*library.records, *library.typical]} - shown
    assert {r["id"] for r in data["records"]} | {e["id"] for e in data["typical"]} <= shown
    assert hidden and not any(hidden_id in raw for hidden_id in hidden)  # not even cited in a text


def test_the_site_offers_the_same_bytes_as_the_command(sample_site: Path) -> None:
    assert (sample_site / "downloads" / "casebook-export.json").read_bytes() == export()
    home = (sample_site / "index.html").read_text(encoding="utf-8")
    assert 'href="downloads/casebook-export.json"' in home
    schema = json.loads((sample_site / "downloads" / "casebook-export.schema.json").read_text(encoding="utf-8"))
    assert schema == export_schema()


def test_files_are_written_with_the_schema_byte_identical_and_never_over_someone_elses(tmp_path: Path) -> None:
    out = tmp_path / "data.json"
    run = run_cli("export", SAMPLE, "--as-of", AS_OF, "--out", out)
    assert run.exit_code == 0 and run.stdout.splitlines() == [
        out.as_posix(),
        (tmp_path / "casebook-export.schema.json").as_posix(),
    ]
    first = out.read_bytes()
    assert run_cli("export", SAMPLE, "--as-of", AS_OF, "--out", out).exit_code == 0  # its own file: replaced
    assert out.read_bytes() == first
    book = tmp_path / "data.xlsx"
    assert run_cli("export", SAMPLE, "--as-of", AS_OF, "--format", "xlsx", "--out", book).exit_code == 0
    first_book = book.read_bytes()
    assert run_cli("export", SAMPLE, "--as-of", AS_OF, "--format", "xlsx", "--out", book).exit_code == 0
    assert book.read_bytes() == first_book
    mine = tmp_path / "mine.json"
    mine.write_text("{}")
    run = run_cli("export", SAMPLE, "--as-of", AS_OF, "--out", mine)
    assert run.exit_code == 2 and "已存在且不是 casebook export 的输出，未覆盖" in run.stderr
    assert mine.read_text() == "{}"


def test_the_workbook_has_a_sheet_per_kind_and_a_column_per_field(tmp_path: Path) -> None:
    book_path = tmp_path / "data.xlsx"
    assert run_cli("export", SAMPLE, "--as-of", AS_OF, "--format", "xlsx", "--out", book_path).exit_code == 0
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["信访事项", "典型案例", "类案", "说明"]
    records = list(book["信访事项"].iter_rows(values_only=True))
    library, _ = read_library(SAMPLE)
    assert len(records) == 1 + len(library.records)
    header = records[0]
    assert header[:4] == ("编号", "标题", "收到日期", "信访渠道")
    assert "信访人·人数" in header and "责任单位·主办单位" in header
    first = dict(zip(header, records[1], strict=True))
    assert first["编号"] == "XF-2021-0001" and first["收到日期"].date().isoformat() == "2021-03-09"
    assert json.loads(first["办理环节"])[0]["stage"] == "登记"
    assert re.fullmatch(r".+；.+", first["诉求"])


def test_a_library_with_problems_is_not_exported(tmp_path: Path) -> None:
    from tests.conftest import copy_library

    library = copy_library(SAMPLE, tmp_path / "cases")
    library.replace("records/XF-2021-0001.yaml", "domain: 征地拆迁", "domain: 征地拆签")
    run = run_cli("export", library.root, "--as-of", AS_OF)
    assert run.exit_code == 1 and run.stderr.strip() == "发现 1 个问题，未导出"
    assert run.stdout.startswith("records/XF-2021-0001.yaml:")


# The build vouches for the data download instead of having the output guard read it again
# (build.write_pages): every value in it passed the same detectors when the library was
# validated, and joining values as JSON makes no new finding. Values as the YAML loader lets them
# be (no control characters but line breaks and tabs), built from what findings are made of.
PIECES = st.sampled_from(
    ["138", "1234", "5678", "4403", "0619", "900307", "2411", "X", "0571", "8678", "6222", "０", "１３８",
     " ", "-", ".", "(", ")", "+86", "（", "）", "\n", "\t", '"', "\\", ",", ":", "王", "建国", "刘秀兰", "信访人",
     "业主", "反映", "路", "128号", "3单元", "502室", "@", "qq.com", "a"]
)  # fmt: skip
VALUES = st.lists(st.lists(PIECES, max_size=8).map("".join), max_size=6)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_values_that_pass_the_detectors_one_by_one_pass_them_joined_as_json(values: list[str]) -> None:
    names = ["王建国", "刘秀兰"]
    clean = [value for value in values if not find_personal_data(value, names)]
    record = {"summary": clean[:2], "demands": clean[2:], "note": "".join(clean[:1])}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    assert find_personal_data(text, names) == []


def test_the_guard_finds_nothing_in_the_sample_download(sample_site: Path) -> None:
    from generator.guard import check_file

    site_file = sample_site / "downloads" / "casebook-export.json"
    library, _ = read_library(SAMPLE)
    assert check_file(sample_site, site_file, list(library.settings.model.protected_names)) == []
