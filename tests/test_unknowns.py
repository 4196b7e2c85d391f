"""Issue 16, items 2 and 3: honest unknowns (不详, dates known to the month or year, households and
amounts) and archived or outside cases (free-text places and units, no clock, marked).

Each is followed through what a user reads: the record page, the class guide and its Word file,
the ledger page and workbook, the 督办 list, the list lines and a letter."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from generator.contract import CaseRecord
from generator.library import read_library
from generator.office.fill import record_values
from tests.conftest import SAMPLE, Scratch, build_site, run_cli

RECORD = "records/XF-2022-0001.yaml"  # LA-001 (问题楼盘办证), 已化解 in the sample


def errors(library: Scratch) -> list[str]:
    return [p for p in library.problems() if "警告" not in p]


def page_text(site: Path, relative: str) -> str:
    html = (site / relative / "index.html").read_text(encoding="utf-8")
    article = re.search(r"<article.*?</article>", html, re.S)
    assert article, relative
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article.group(0)))


def resolution_as(library: Scratch, relative: str, outcome: str, closed: bool) -> None:
    """The record's resolution with `outcome`, and its closing date kept or dropped."""
    text = library.read(relative)
    text = re.sub(r"^  outcome: .*$", f"  outcome: {outcome}", text, count=1, flags=re.M)
    if not closed:
        text = re.sub(r"^  closed: .*\n", "", text, count=1, flags=re.M)
    library.write(relative, text)


def sheet_texts(workbook: Path) -> str:
    with zipfile.ZipFile(workbook) as archive:
        return "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/") and name.endswith(".xml")
        )


def test_an_unknown_outcome_is_its_own_category_in_guide_ledger_and_figures(
    sample_copy: Scratch, tmp_path: Path
) -> None:
    resolution_as(sample_copy, RECORD, "不详", closed=False)
    assert errors(sample_copy) == []  # 不详 needs no closing date
    out = tmp_path / "site"
    run = build_site(sample_copy.root, out)
    assert run.exit_code == 0, run.stdout + run.stderr
    record = page_text(out, "records/XF-2022-0001")
    assert "办理结果 不详" in record and "办结日期 不详" in record and "期限状态：不计时限" in record
    # The class ledger counts it under 不详, and never as 未化解 or open.
    ledger = (out / "ledgers" / "LA-001" / "index.html").read_text(encoding="utf-8")
    tally = re.findall(r"<table>.*?</table>", ledger, re.S)[1]  # the counts under the ledger's facts
    heads = re.findall(r"<th[^>]*>(.*?)</th>", tally)
    counts = dict(zip(heads, re.findall(r"<td[^>]*>(.*?)</td>", tally), strict=True))
    assert counts["不详"] == "1" and counts["不计时限"] == "1"
    assert "不详 1" in ledger
    # The Word guide's ledger paragraph: the figures a report is made of.
    docx = next((out / "downloads").glob("guide-LA-001-*.docx"))
    with zipfile.ZipFile(docx) as archive:
        body = re.sub(r"<[^>]+>", "", archive.read("word/document.xml").decode("utf-8"))
    assert "不详 1 件" in body
    assert "不详" in sheet_texts(out / "downloads" / "ledger-LA-001.xlsx")
    supervision = (out / "supervision" / "index.html").read_text(encoding="utf-8")
    assert "XF-2022-0001" not in supervision


def test_dates_known_to_the_month_print_so_and_run_no_clock(sample_copy: Scratch, tmp_path: Path) -> None:
    # Without a result a record would be 逾期 years later; known only to the month, it runs no clock.
    text = sample_copy.read(RECORD)
    text = re.sub(r"^resolution:\n(?:  .*\n|    .*\n)*", "", text, flags=re.M)
    sample_copy.write(RECORD, text + "date_precision: month\n")
    assert errors(sample_copy) == []
    out = tmp_path / "site"
    assert build_site(sample_copy.root, out).exit_code == 0
    received = yaml.safe_load(sample_copy.read(RECORD))["received"]
    month = f"{received.year}年{received.month}月"
    record = page_text(out, "records/XF-2022-0001")
    assert f"收到日期 {month}（来源只写到月）" in record and "期限状态：不计时限" in record
    assert received.isoformat() not in record.split("办理环节")[0]
    ledger = page_text(out, "ledgers/LA-001")
    assert month in ledger
    assert "XF-2022-0001" not in (out / "supervision" / "index.html").read_text(encoding="utf-8")


def test_an_outside_case_takes_its_own_places_and_units_and_never_runs_a_clock(
    sample_copy: Scratch, tmp_path: Path
) -> None:
    text = sample_copy.read(RECORD)
    text = re.sub(r"^region: .*$", "region: 外省某市/绿园区/某镇", text, count=1, flags=re.M)
    text = re.sub(r"^  lead: .*$", "  lead: 绿园区住房和城乡建设局", text, count=1, flags=re.M)
    text = re.sub(r"^resolution:\n(?:  .*\n|    .*\n)*", "resolution:\n  outcome: 已化解\n", text, flags=re.M)
    sample_copy.write(RECORD, text)
    local = errors(sample_copy)
    # As a local record: the places and units are not local vocabulary, and 已化解 needs its date.
    assert any("region" in p and "不在 settings.yaml" in p for p in local)
    assert any("units.lead" in p for p in local) and any("办结日期 closed" in p for p in local)
    # Never "是否应为 城西区…": no local place is offered for a place the source names.
    assert not any("是否应为" in p for p in local if "region" in p or "units.lead" in p)
    source = "source:\n  publisher: 某省信访局\n  title: 典型案例选编\n  url: https://example.org/case?id=1\n  published: 2021-06-01\n"
    sample_copy.write(RECORD, text + "external: true\n" + source)
    assert errors(sample_copy) == []
    out = tmp_path / "site"
    assert build_site(sample_copy.root, out).exit_code == 0
    record = page_text(out, "records/XF-2022-0001")
    assert "外地案例" in record and "某省信访局《典型案例选编》，2021-06-01" in record
    assert "期限状态：不计时限" in record
    html = (out / "records" / "XF-2022-0001" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://example.org' not in html  # shown as text: an intranet site links nowhere outside
    listing = (out / "records" / "index.html").read_text(encoding="utf-8")
    assert "不计时限 · 外地案例" in listing
    assert "XF-2022-0001" not in (out / "supervision" / "index.html").read_text(encoding="utf-8")
    assert "XF-2022-0001" not in (out / "ledgers" / "LA-001" / "index.html").read_text(encoding="utf-8")
    assert "XF-2022-0001" not in sheet_texts(out / "downloads" / "ledger-all.xlsx")


def test_an_entry_from_outside_records_is_an_outside_entry(sample_copy: Scratch) -> None:
    text = sample_copy.read(RECORD)
    text = re.sub(r"^region: .*$", "region: 外省某市/绿园区", text, count=1, flags=re.M)
    source = "source:\n  publisher: 某省信访局\n  published: 2021-06-01\n"
    sample_copy.write(RECORD, text + "external: true\ndate_precision: month\n" + source)
    run = run_cli("new", "typical", sample_copy.root, "--from", "XF-2022-0001")
    assert run.exit_code == 0, run.stderr
    data = yaml.safe_load(Path(run.stdout.strip()).read_text(encoding="utf-8"))
    assert (data["external"], data["date_precision"], data["region"]) == (True, "month", "外省某市/绿园区")
    assert data["source"] == {"publisher": "某省信访局", "published": dt.date(2021, 6, 1)}
    assert errors(sample_copy) == []  # the free-text region is valid in the new entry too


def test_an_archived_entry_is_marked_and_keeps_its_own_region(sample_copy: Scratch, tmp_path: Path) -> None:
    entry = "typical/2021-02-2-001.yaml"
    text = sample_copy.read(entry)
    text = re.sub(r"^region: .*$", "region: 某县/某镇", text, count=1, flags=re.M)
    sample_copy.write(entry, text)
    assert any(p.startswith(entry) and "region" in p for p in errors(sample_copy))
    sample_copy.write(entry, text + "archived: true\nsource:\n  publisher: 某市信访局\n")
    assert errors(sample_copy) == []
    out = tmp_path / "site"
    assert build_site(sample_copy.root, out).exit_code == 0
    assert "历史案例 ：某市信访局" in page_text(out, "typical/2021-02-2-001")


def test_households_and_amounts_reach_letters_pages_and_workbooks(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.replace(
        RECORD, "petitioners:\n", "amounts:\n  claimed: 1520.5\n  paid: 980\npetitioners:\n  households: 1260\n"
    )
    assert errors(sample_copy) == []
    library, _ = read_library(sample_copy.root)
    record = next(doc.model for doc in library.records if doc.model.id == "XF-2022-0001")
    case_class = next(doc.model for doc in library.classes if doc.model.id == "LA-001")
    values = record_values(record, library.settings.model, case_class, dt.date(2024, 6, 30))
    assert values["petitioners_scale"]() == "1260户" and values["households"]() == "1260"
    assert values["amount_claimed"]() == "1520.5 万元" and values["amount_paid"]() == "980 万元"
    out = tmp_path / "site"
    assert build_site(sample_copy.root, out).exit_code == 0
    page = page_text(out, "records/XF-2022-0001")
    assert "涉及 1,260 户" in page and "诉求 1520.5 万元，已兑付 980 万元" in page
    assert "涉及 1,260 户" in page_text(out, "ledgers/LA-001")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO((out / "downloads" / "ledger-LA-001.xlsx").read_bytes())).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if "涉及户数" in row)
    line = next(row for row in rows if "XF-2022-0001" in row)
    assert line[header.index("涉及户数")] == 1260
    assert (line[header.index("诉求金额（万元）")], line[header.index("兑付金额（万元）")]) == (1520.5, 980)


def test_a_person_without_households_is_counted_in_people() -> None:
    library, _ = read_library(SAMPLE)
    record: CaseRecord = next(doc.model for doc in library.records if doc.model.id == "XF-2022-0001")
    values = record_values(record, library.settings.model, None, dt.date(2024, 6, 30))
    assert values["petitioners_scale"]() == f"{record.petitioners.count}人"
    assert "记录未填写" in str(values["households"]())


@pytest.mark.parametrize("field", ["date_precision", "archived", "external", "source", "amounts"])
def test_the_schema_and_the_record_skeleton_offer_the_new_fields(
    sample_copy: Scratch, tmp_path: Path, field: str
) -> None:
    assert run_cli("schema", sample_copy.root, "--out", tmp_path / "s").exit_code == 0
    schema = (tmp_path / "s" / "record.schema.json").read_text(encoding="utf-8")
    assert f'"{field}"' in schema
    run = run_cli("new", "record", sample_copy.root, "--received", "2021-03-05")
    assert f"# {field}:" in Path(run.stdout.strip()).read_text(encoding="utf-8")


def test_editors_accept_an_outside_case_s_own_places_and_flag_a_local_one(sample_copy: Scratch) -> None:
    import jsonschema

    from generator.schema import json_schema

    library, _ = read_library(sample_copy.root)
    validator = jsonschema.Draft202012Validator(json_schema("record", library.settings.model))
    # As an editor sees the file: YAML's dates are the text they were written as.
    data = json.loads(json.dumps(yaml.safe_load(sample_copy.read(RECORD)), default=str))
    assert list(validator.iter_errors(data)) == []
    data["region"], data["units"]["lead"] = "外省某市/绿园区", "绿园区住房和城乡建设局"
    assert len(list(validator.iter_errors(data))) == 2  # a local record: both flagged as one types
    assert list(validator.iter_errors({**data, "external": True})) == []
    assert list(validator.iter_errors({**data, "archived": True})) == []
