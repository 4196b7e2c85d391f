"""Word output in the GB/T 9704-2012 layout: real pandoc, real python-docx, real LibreOffice."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from generator.office.reference_docx import TABLE_TEXT_STYLE
from generator.office.word import Signature, WordError, official_docx_bytes
from tests.conftest import REPO, libreoffice_convert, require_or_skip

DATE = dt.date(2024, 6, 30)
TITLE = "问题楼盘办证类信访事项标准化操作指引"
GUIDE = """## 一、适用范围

本指引适用于问题楼盘办证类信访事项。开发企业未缴清土地出让金、
未完成竣工验收备案，导致购房人无法办理不动产权证书的，按本指引办理。

### （一）识别要点

- 购房人已付清房款并已入住
- 开发企业未完成首次登记

### （二）责任分工

| 步骤 | 责任主体 | 时限 |
|---|---|---|
| 登记受理 | 区信访局 | 15 日 |
| 组织办理 | 区住建局 | 60 日 |

## 二、办理流程

![办理流程](flow.png)

1. 登记受理
2. 双向交办
"""


def png(width: int, height: int) -> bytes:
    """A small solid-colour PNG, made here so the test needs no binary fixture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([40, 90, 160]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("guide")
    (folder / "flow.png").write_bytes(png(240, 80))
    out = folder / "guide.docx"
    out.write_bytes(
        official_docx_bytes(
            GUIDE, title=TITLE, subtitle_lines=["（第 1.1 版）"], date=DATE, version="1.1", resource_path=folder
        )
    )
    return out


def style_fonts(document, name: str) -> tuple[str | None, str | None, float | None, bool | None]:
    """(eastAsia font, ascii font, size in pt, bold) as written on the style itself."""
    style = document.styles[name]
    fonts = style.element.rPr.find(qn("w:rFonts"))
    size = style.font.size.pt if style.font.size else None
    return fonts.get(qn("w:eastAsia")), fonts.get(qn("w:ascii")), size, style.font.bold


def test_page_is_a4_with_the_standard_margins(guide: Path) -> None:
    section = docx.Document(str(guide)).sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    assert section.top_margin.mm == pytest.approx(37, abs=0.1)
    assert section.bottom_margin.mm == pytest.approx(35, abs=0.1)
    assert section.left_margin.mm == pytest.approx(28, abs=0.1)
    assert section.right_margin.mm == pytest.approx(26, abs=0.1)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 225 mm / 22 lines


def test_styles_name_chinese_fonts_and_sizes(guide: Path) -> None:
    document = docx.Document(str(guide))
    assert style_fonts(document, "Title") == ("方正小标宋简体", "Times New Roman", 22, False)
    for name in ("Normal", "Body Text", "First Paragraph", "Compact"):
        assert style_fonts(document, name) == ("仿宋_GB2312", "Times New Roman", 16, False), name
    assert style_fonts(document, "Heading 1") == ("黑体", "Times New Roman", 16, False)
    assert style_fonts(document, "Heading 2") == ("楷体_GB2312", "Times New Roman", 16, False)
    assert style_fonts(document, "Heading 3") == ("仿宋_GB2312", "Times New Roman", 16, True)
    assert document.styles["Title"].paragraph_format.alignment == 1  # centred
    body = document.styles["Body Text"].element.pPr
    indent = body.find(qn("w:ind"))
    assert indent.get(qn("w:firstLineChars")) == "200"
    assert indent.get(qn("w:firstLine")) == "640"
    spacing = body.find(qn("w:spacing"))
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact")


def test_no_style_falls_back_to_theme_fonts(guide: Path) -> None:
    with zipfile.ZipFile(guide) as package:
        styles = package.read("word/styles.xml").decode()
    assert "Theme=" not in styles  # asciiTheme, eastAsiaTheme, hAnsiTheme, cstheme
    document = docx.Document(str(guide))
    for style in document.styles.element.iterchildren(qn("w:style")):
        if style.get(qn("w:type")) in ("paragraph", "character", "table"):
            fonts = style.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
            assert fonts is not None and fonts.get(qn("w:eastAsia")), style.get(qn("w:styleId"))
    defaults = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_footer_numbers_pages_in_the_official_form(guide: Path) -> None:
    document = docx.Document(str(guide))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, alignment in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert 'w:fldCharType="begin"' in xml and " PAGE " in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph._p.pPr.find(qn("w:jc")).get(qn("w:val")) == alignment
        fonts = paragraph.runs[0]._r.rPr
        assert fonts.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
        assert fonts.find(qn("w:sz")).get(qn("w:val")) == "28"  # 4号 = 14 pt


def test_markdown_structure_reaches_word(guide: Path) -> None:
    document = docx.Document(str(guide))
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Title"] == [TITLE]
    assert by_style["Subtitle"] == ["（第 1.1 版）"]
    assert by_style["Heading 1"] == ["一、适用范围", "二、办理流程"]
    assert by_style["Heading 2"] == ["（一）识别要点", "（二）责任分工"]
    # A wrapped Chinese line joins without a space (east_asian_line_breaks).
    assert any("土地出让金、未完成竣工验收备案" in text for text in by_style["First Paragraph"])
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["步骤", "责任主体", "时限"]
    assert table.rows[1].cells[0].paragraphs[0].style.name == TABLE_TEXT_STYLE
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    with zipfile.ZipFile(guide) as package:
        assert any(name.startswith("word/media/") and name.endswith(".png") for name in package.namelist())


def test_picture_paragraph_is_not_cropped_by_exact_spacing(guide: Path) -> None:
    document = docx.Document(str(guide))
    pictures = [p for p in document.paragraphs if p._p.find(".//" + qn("w:drawing")) is not None]
    assert pictures
    for paragraph in pictures:
        spacing = paragraph._p.pPr.find(qn("w:spacing"))
        assert spacing.get(qn("w:lineRule")) == "auto"


def test_file_carries_title_version_and_date(guide: Path) -> None:
    properties = docx.Document(str(guide)).core_properties
    assert properties.title == TITLE
    assert properties.version == "1.1"
    assert properties.created == dt.datetime(2024, 6, 30, tzinfo=dt.UTC)
    assert properties.modified == dt.datetime(2024, 6, 30, tzinfo=dt.UTC)
    with zipfile.ZipFile(guide) as package:
        assert {info.date_time for info in package.infolist()} == {(2024, 6, 30, 0, 0, 0)}
        assert package.namelist()[0] == "[Content_Types].xml"


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    arguments = dict(title=TITLE, date=DATE, version="1.0", signature=Signature("某市信访局", "2024年6月30日"))
    first = official_docx_bytes(GUIDE.split("## 二")[0], **arguments)
    second = official_docx_bytes(GUIDE.split("## 二")[0], **arguments)
    assert first == second
    # A fresh process builds its own reference.docx; the result must not change.
    script = (
        "import datetime, sys; from generator.office.word import official_docx_bytes, Signature; "
        "sys.stdout.buffer.write(official_docx_bytes(sys.stdin.read(), title=sys.argv[1], "
        "date=datetime.date(2024, 6, 30), version='1.0', signature=Signature('某市信访局', '2024年6月30日')))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, TITLE], input=GUIDE.split("## 二")[0].encode(), capture_output=True, cwd=REPO
    )
    assert other.returncode == 0, other.stderr.decode()
    assert other.stdout == first
    assert official_docx_bytes("正文", title=TITLE, date=dt.date(2024, 7, 1)) != official_docx_bytes(
        "正文", title=TITLE, date=DATE
    )


def test_title_is_literal_text() -> None:
    title = "关于*某某*项目[二期]的 #指引 <草稿>"
    document = docx.Document(io.BytesIO(official_docx_bytes("正文。", title=title, date=DATE)))
    assert document.paragraphs[0].text == title
    assert document.core_properties.title == title


def test_missing_picture_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WordError, match="图片无法读取"):
        official_docx_bytes("![图](missing.png)\n", title=TITLE, date=DATE, resource_path=tmp_path)


def test_signature_sits_right_with_name_over_date() -> None:
    data = official_docx_bytes("正文。", title=TITLE, date=DATE, signature=Signature("某市信访局", "2024年6月30日"))
    paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    name, date = paragraphs[-2], paragraphs[-1]
    assert (name.text, date.text) == ("某市信访局", "2024年6月30日")
    assert date.paragraph_format.right_indent.pt == pytest.approx(64)  # 右空四字 of 16 pt
    # Name (5 characters) centred over the date (6.5): 0.75 character further in.
    assert name.paragraph_format.right_indent.pt == pytest.approx(64 + 0.75 * 16)


# ── LibreOffice: the layout as printed ──────────────────────────────────────


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require_or_skip(path is not None, name)
    return path or name


def to_pdf(docx_path: Path, folder: Path) -> Path:
    return libreoffice_convert(docx_path, "pdf", folder)


def test_libreoffice_prints_a4_pages_of_22_lines_of_28_characters(tmp_path: Path) -> None:
    pdfinfo, pdftotext, pdftoppm = (require_tool(name) for name in ("pdfinfo", "pdftotext", "pdftoppm"))
    source = tmp_path / "lines.docx"
    source.write_bytes(official_docx_bytes("## 一、正文\n\n" + "国" * (28 * 50) + "\n", title=TITLE, date=DATE))
    pdf = to_pdf(source, tmp_path)
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, height = (float(value) for value in size.split(":")[1].split("pts")[0].split(" x "))
    assert (width, height) == (pytest.approx(595.3, abs=0.5), pytest.approx(841.9, abs=0.5))
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    second = [line.strip() for line in pages[1].splitlines() if "国" in line]
    assert len(second) == 22
    assert {len(line) for line in second} == {28}
    assert "—1—" in pages[0].replace(" ", "") and "—2—" in pages[1].replace(" ", "")
    subprocess.run([pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = (tmp_path / "page-1.png").read_bytes()
    assert image.startswith(b"\x89PNG")
    png_width, png_height = struct.unpack(">II", image[16:24])
    assert png_height / png_width == pytest.approx(297 / 210, abs=0.01)


def test_libreoffice_renders_the_guide(guide: Path, tmp_path: Path) -> None:
    pdftotext = require_tool("pdftotext")
    pdf = to_pdf(guide, tmp_path)
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "")
    for expected in (TITLE, "一、适用范围", "（一）识别要点", "登记受理", "—1—"):
        assert expected in flat
