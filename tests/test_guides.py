"""Guides, ledgers and the policy index as the build produces them (issue 4).

The Word engine and the workbooks have their own tests (test_word.py,
test_ledger.py); here: every class of the sample gets a guide page with every
section, a flow diagram, a Word file with the same sections in the official
format, a ledger workbook with one row per record, and links that resolve.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm, Pt
from openpyxl import load_workbook

from generator.validate import check_library
from tests.conftest import AS_OF, SAMPLE, libreoffice_convert, require_or_skip, run_cli

SECTIONS = [
    "适用范围与识别要点",
    "法律政策依据",
    "责任分工",
    "办理流程",
    "化解方法",
    "风险点与稳控措施",
    "文书模板",
    "检查清单",
    "本类典型案例",
    "类案台账概况",
    "版本与修订记录",
]
NUMERALS = "一二三四五六七八九十"


def sample_classes() -> list:
    library, problems = check_library(SAMPLE)
    assert problems == []
    return sorted((doc.model for doc in library.classes), key=lambda c: c.id)


def numbered(headings: list[str]) -> list[str]:
    """The numbered level-1 headings, in order, without their numbers; checks the numbering is 一、二、…"""
    out = []
    for number, heading in enumerate(headings, start=1):
        prefix = NUMERALS[number - 1] if number <= 10 else "十" + NUMERALS[number - 11]
        assert heading.startswith(prefix + "、"), headings
        out.append(heading[len(prefix) + 1 :])
    return out


def test_every_guide_page_has_every_section_a_flow_diagram_and_downloads(sample_site: Path) -> None:
    for c in sample_classes():
        html = (sample_site / "classes" / c.id / "index.html").read_text(encoding="utf-8")
        headings = [re.sub(r"<[^>]+>|¶|&para;", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]
        present = numbered(headings)
        expected = [s for s in SECTIONS if s != "批量处理"]
        assert [s for s in present if s != "批量处理"] == expected, c.id
        assert f'src="../{c.id}-flow.svg"' in html
        svg = (sample_site / "classes" / f"{c.id}-flow.svg").read_text(encoding="utf-8")
        assert svg.count("<rect") == len(c.steps) and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
        for step in c.steps:
            assert step.name in svg
        assert f'href="../../downloads/guide-{c.id}-v{c.version}.docx"' in html
        assert f'href="../../downloads/ledger-{c.id}.xlsx"' in html
        assert f"第 {c.version} 版" in html and str(c.published) in html
        assert 'href="../../policy/#law-' in html


def test_word_guides_are_official_documents_with_the_same_sections(sample_site: Path) -> None:
    for c in sample_classes():
        path = sample_site / "downloads" / f"guide-{c.id}-v{c.version}.docx"
        document = Document(str(path))
        section = document.sections[0]
        assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
        margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
        for margin, expected in zip(margins, (37, 35, 28, 26), strict=True):
            assert abs(margin - Mm(expected)) < Mm(0.1), (c.id, margin, expected)
        styles = document.styles
        for name, size, east_asia in (
            ("Title", 22, "方正小标宋简体"),
            ("Normal", 16, "仿宋_GB2312"),
            ("Heading 1", 16, "黑体"),
            ("Heading 2", 16, "楷体_GB2312"),
        ):
            style = styles[name]
            fonts = style.element.rPr.rFonts
            assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == east_asia
            assert style.font.size == Pt(size), name
        headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
        present = numbered(headings)
        assert [s for s in present if s != "批量处理"] == [s for s in SECTIONS if s != "批量处理"]
        title = [p.text for p in document.paragraphs if p.style.name == "Title"]
        assert title == [f"{c.name}标准化操作指引"]
        assert document.core_properties.version == c.version
        assert document.core_properties.created.date() == c.published
        assert any(r.tag.endswith("drawing") for p in document.paragraphs for r in p._p.iter()), "flow diagram"
        for template in c.templates:
            assert template.name in headings_text(document)


def headings_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs if p.style.name.startswith("Heading"))


def test_ledger_workbooks_have_a_row_per_record_of_the_class(sample_site: Path) -> None:
    library, _ = check_library(SAMPLE)
    for c in sample_classes():
        # An outside case (external: true) is read, not handled: it is in no ledger.
        ids = sorted(doc.model.id for doc in library.records if doc.model.class_ == c.id and not doc.model.external)
        sheet = load_workbook(sample_site / "downloads" / f"ledger-{c.id}.xlsx").worksheets[0]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
        column = [cell.value for cell in sheet["A"]][1:]
        assert sorted(column) == ids, c.id
    everything = load_workbook(sample_site / "downloads" / "ledger-all.xlsx")
    assert "督办" in everything.sheetnames
    assert everything.worksheets[0].max_row - 1 == sum(not doc.model.external for doc in library.records)


def test_policy_index_lists_each_law_with_whoever_cites_it(sample_site: Path) -> None:
    html = (sample_site / "policy" / "index.html").read_text(encoding="utf-8")
    library, _ = check_library(SAMPLE)
    laws = {b.law for doc in library.classes for b in doc.model.policy_basis}
    laws |= {b.law for doc in library.typical for b in doc.model.policy_basis}
    for law in laws:
        assert f"《{law}》" in html
    assert html.count('id="law-') == len(laws | {b.law for doc in library.records for b in doc.model.policy_basis})


def test_supervision_page_lists_due_and_overdue_records_by_unit(sample_site: Path) -> None:
    html = (sample_site / "supervision" / "index.html").read_text(encoding="utf-8")
    assert "XF-2024-0001" in html and "XF-2024-0002" in html  # 逾期, 临期 as of 2024-06-30
    assert "XF-2024-0003" not in html  # 正常


def test_training_edition_has_no_ledgers_and_guides_without_ledger_section(tmp_path: Path) -> None:
    from tests.conftest import build_site

    out = tmp_path / "training"
    assert build_site(SAMPLE, out, "--audience", "training").exit_code == 0
    assert not (out / "ledgers").exists() and not (out / "supervision").exists()
    assert not list((out / "downloads").glob("ledger-*"))
    document = Document(str(next((out / "downloads").glob("guide-LA-001-*.docx"))))
    assert "类案台账概况" not in headings_text(document)


def test_casebook_guide_writes_the_same_file_the_site_links(sample_site: Path, tmp_path: Path) -> None:
    c = sample_classes()[0]
    out = tmp_path / "guide.docx"
    run = run_cli("guide", c.id, "--library", SAMPLE, "--as-of", AS_OF, "--out", out)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert out.read_bytes() == (sample_site / "downloads" / f"guide-{c.id}-v{c.version}.docx").read_bytes()
    missing = run_cli("guide", "LA-999", "--library", SAMPLE)
    assert missing.exit_code == 2 and "LA-999" in missing.stderr


def test_a_guide_converted_by_libreoffice_is_an_a4_document_with_page_numbers(
    sample_site: Path, tmp_path: Path
) -> None:
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (Debian package poppler-utils)")
    c = sample_classes()[0]
    source = sample_site / "downloads" / f"guide-{c.id}-v{c.version}.docx"
    pdf = libreoffice_convert(source, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", pdf, "-"], capture_output=True, text=True
    ).stdout
    assert f"{c.name}标准化操作指引" in first.replace(" ", "")
    assert re.search(r"—\s*1\s*—", first)
    second = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", "-layout", pdf, "-"], capture_output=True, text=True
    ).stdout
    assert re.search(r"—\s*2\s*—", second)


@pytest.mark.parametrize("count", [1, 9, 10, 11, 12, 20])
def test_chinese_section_numbers(count: int) -> None:
    from generator.derive.guide import chinese_number

    assert chinese_number(count) == {1: "一", 9: "九", 10: "十", 11: "十一", 12: "十二", 20: "二十"}[count]
