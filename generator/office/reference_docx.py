"""The GB/T 9704-2012 page and type rules → pandoc's reference.docx, built in code.

Pandoc takes styles, page setup, headers and footers from a "reference
docx". We build it from pandoc's own default (so every style pandoc uses
exists) and rewrite each style here instead of keeping a hand-edited binary
in the repository: the numbers below are the standard's, reviewable in a diff.

The standard (GB/T 9704-2012 §5, §7): A4; type area 156 × 225 mm with the
top margin 37 mm and the left (binding) margin 28 mm; 22 lines of 28
characters; body in 3号 仿宋; title 2号 小标宋; headings 一、 黑体,
（一） 楷体, 1. 仿宋 bold; page numbers 4号 宋体 "— 1 —", odd pages right,
even pages left, one character in from the edge of the type area.

Every style names its fonts explicitly (ascii, hAnsi, eastAsia) because a
style that leaves eastAsia unset falls back to the theme font, and Word then
sets Chinese text in 等线 or 宋体 whatever the style says. Font names are
the ones offices install; LibreOffice substitutes Noto CJK where they are
missing, which is fine for a preview.
"""

from __future__ import annotations

import io
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import pypandoc
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

# ── the standard's numbers ──────────────────────────────────────────────────
PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 37
MARGIN_BOTTOM_MM = 35
MARGIN_LEFT_MM = 28
MARGIN_RIGHT_MM = 26
TYPE_AREA_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
TYPE_AREA_HEIGHT_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
# The page number's top sits 7 mm below the type area; its line is about 5 mm.
FOOTER_DISTANCE_MM = 23
HEADER_DISTANCE_MM = 15

BODY_SIZE_PT = 16  # 3号
TITLE_SIZE_PT = 22  # 2号
PAGE_NUMBER_SIZE_PT = 14  # 4号
TABLE_SIZE_PT = 14  # 4号: tables of a guide carry several columns

WESTERN_FONT = "Times New Roman"
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
MONOSPACE = "Courier New"

# Our own paragraph styles (name → style id); pandoc never writes them itself.
TABLE_TEXT_STYLE = "Table Text"  # cell paragraphs, applied by word.py
ADDRESSEE_STYLE = "Addressee"  # 主送机关: flush left under the title (GB/T 9704 §7.3.2)
CUSTOM_STYLES = {TABLE_TEXT_STYLE: "TableText", ADDRESSEE_STYLE: "Addressee"}


def twips_from_mm(mm: float) -> float:
    return mm / 25.4 * 1440


# Exact line spacing that fits 22 lines into the 225 mm type area (579 twips = 28.95 pt);
# rounded down so the 22nd line never spills onto the next page.
LINE_PITCH_TWIPS = int(twips_from_mm(TYPE_AREA_HEIGHT_MM) / LINES_PER_PAGE)
# Word's character grid: charSpace is the pitch's difference from the default
# font size in 1/4096 pt, so 28 characters of 16 pt fill 156 mm.
CHAR_PITCH_PT = twips_from_mm(TYPE_AREA_WIDTH_MM) / 20 / CHARS_PER_LINE
CHAR_SPACE = round((CHAR_PITCH_PT - BODY_SIZE_PT) * 4096)
# A character grid ("linesAndChars") is what many Word templates use, but
# LibreOffice then lays every paragraph out on the grid, snapping or not, and
# fits only 27 characters (14 when the cell is under the font size). So the
# page has a line grid only, paragraphs do not snap to it, and 3号 text is
# condensed by the grid's 0.2 pt (rounded down to whole twentieths of a point):
# 28 characters a line in Word, WPS and LibreOffice alike. charSpace is still
# written so switching GRID_TYPE back needs no other change.
GRID_TYPE = "lines"
CONDENSE_TWIPS = math.floor((CHAR_PITCH_PT - BODY_SIZE_PT) * 20)


@dataclass(frozen=True)
class Look:
    """How one paragraph style looks; every field maps to one OOXML property."""

    east_asia: str = FANGSONG
    size_pt: float = BODY_SIZE_PT
    bold: bool = False
    align: str | None = "both"  # justified, as official documents are set
    indent_chars: int = 2
    line_twips: int | None = LINE_PITCH_TWIPS  # None: single spacing (images, captions)
    before_twips: int = 0
    after_twips: int = 0
    keep_next: bool = False
    outline_level: int | None = None
    western: str = WESTERN_FONT


BODY = Look()
UNINDENTED = Look(indent_chars=0)
PARAGRAPH_LOOKS: dict[str, Look] = {
    "Normal": BODY,
    "Body Text": BODY,
    "First Paragraph": BODY,
    "Block Text": BODY,
    "Definition": BODY,
    "Bibliography": BODY,
    "Abstract": BODY,
    # Tight list items (numbering supplies the indent) and pandoc's own table cells.
    "Compact": UNINDENTED,
    "Definition Term": Look(indent_chars=0, bold=True, keep_next=True),
    "Title": Look(
        XIAOBIAOSONG,
        TITLE_SIZE_PT,
        align="center",
        indent_chars=0,
        line_twips=int(TITLE_SIZE_PT * 20 * 1.5),
        after_twips=LINE_PITCH_TWIPS,
    ),
    "Subtitle": Look(KAITI, align="center", indent_chars=0),
    "Author": Look(KAITI, align="center", indent_chars=0),
    "Date": Look(align="right", indent_chars=0),
    "Abstract Title": Look(HEITI, align="center", indent_chars=0),
    # Headings keep the body's two-character indent, as the standard's examples show.
    "Heading 1": Look(HEITI, keep_next=True, outline_level=0),
    "Heading 2": Look(KAITI, keep_next=True, outline_level=1),
    "Heading 3": Look(FANGSONG, bold=True, keep_next=True, outline_level=2),
    **{f"Heading {n}": Look(FANGSONG, keep_next=True, outline_level=n - 1) for n in range(4, 10)},
    "TOC Heading": Look(HEITI, align="center", indent_chars=0),
    "Footnote Text": Look(size_pt=TABLE_SIZE_PT, indent_chars=0, line_twips=None),
    "Footnote Block Text": Look(size_pt=TABLE_SIZE_PT, indent_chars=0, line_twips=None),
    "Caption": Look(size_pt=TABLE_SIZE_PT, align="center", indent_chars=0, line_twips=None),
    "Table Caption": Look(HEITI, TABLE_SIZE_PT, align="center", indent_chars=0, keep_next=True),
    "Image Caption": Look(size_pt=TABLE_SIZE_PT, align="center", indent_chars=0, line_twips=None),
    # An exact line height would crop an inline picture to one line.
    "Figure": Look(align="center", indent_chars=0, line_twips=None),
    "Captioned Figure": Look(align="center", indent_chars=0, line_twips=None, keep_next=True),
    ADDRESSEE_STYLE: UNINDENTED,
    TABLE_TEXT_STYLE: Look(size_pt=TABLE_SIZE_PT, align=None, indent_chars=0, line_twips=int(TABLE_SIZE_PT * 20 * 1.4)),
}
CODE_FONTS = {"Verbatim Char": MONOSPACE, "Source Code": MONOSPACE}


def pandoc_default_reference() -> bytes:
    """pandoc's own reference.docx: it holds every style pandoc writes."""
    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=True,
    )
    return result.stdout


def write_reference_docx(path: Path) -> None:
    """Write the GB/T 9704 reference.docx that `word.official_docx_bytes` hands to pandoc."""
    document = docx.Document(io.BytesIO(pandoc_default_reference()))
    set_page(document)
    set_defaults(document)
    styles = document.styles.element
    for name, style_id in CUSTOM_STYLES.items():
        styles.append(
            parse_xml(
                f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
                f'<w:name w:val="{name}"/><w:basedOn w:val="Normal"/><w:qFormat/></w:style>'
            )
        )
    for style in styles.iterchildren(qn("w:style")):
        name = style.find(qn("w:name")).get(qn("w:val"))
        kind = style.get(qn("w:type"))
        look = PARAGRAPH_LOOKS.get(_word_name(name))
        linked = _linked_look(style, styles)
        if kind == "paragraph" and look is not None:
            restyle_paragraph(style, look)
        elif kind == "character" and linked is not None:
            restyle_character(style, linked)
        else:
            fix_fonts(style, CODE_FONTS.get(name, WESTERN_FONT))
    style_table(styles)
    add_page_numbers(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def _linked_look(style, styles) -> Look | None:
    """The look of the paragraph style a character style is linked to ("Title Char" → "Title")."""
    link = style.find(qn("w:link"))
    if link is None:
        return None
    target = styles.find(qn("w:style") + f"[@{qn('w:styleId')}='{link.get(qn('w:val'))}']")
    if target is None or target.get(qn("w:type")) != "paragraph":
        return None
    return PARAGRAPH_LOOKS.get(_word_name(target.find(qn("w:name")).get(qn("w:val"))))


def _word_name(name: str) -> str:
    """Word stores built-in heading names in lower case ("heading 1")."""
    return name[0].upper() + name[1:] if name.startswith("heading") else name


def set_page(document: docx.document.Document) -> None:
    """A4 portrait, the standard's margins and the 22 × 28 grid."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(MARGIN_TOP_MM)
    section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
    section.left_margin = Mm(MARGIN_LEFT_MM)
    section.right_margin = Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(HEADER_DISTANCE_MM)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.gutter = 0
    sect_pr = section._sectPr
    for grid in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(grid)
    grid = parse_xml(
        f'<w:docGrid {nsdecls("w")} w:type="{GRID_TYPE}" w:linePitch="{LINE_PITCH_TWIPS}" w:charSpace="{CHAR_SPACE}"/>'
    )
    # docGrid is the last of the page properties we set, before printerSettings.
    anchor = sect_pr.find(qn("w:printerSettings"))
    if anchor is not None:
        anchor.addprevious(grid)
    else:
        sect_pr.append(grid)


def set_defaults(document: docx.document.Document) -> None:
    """docDefaults: explicit fonts and 3号, so nothing inherits the theme's 等线."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for child in list(defaults):
        defaults.remove(child)
    defaults.append(
        parse_xml(
            f"<w:rPrDefault {nsdecls('w')}><w:rPr>{fonts_xml(FANGSONG, WESTERN_FONT)}"
            f'<w:spacing w:val="{CONDENSE_TWIPS}"/><w:kern w:val="0"/>'
            f'<w:sz w:val="{BODY_SIZE_PT * 2}"/><w:szCs w:val="{BODY_SIZE_PT * 2}"/>'
            '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
        )
    )
    defaults.append(
        parse_xml(
            f'<w:pPrDefault {nsdecls("w")}><w:pPr><w:snapToGrid w:val="0"/>'
            f'<w:spacing w:before="0" w:after="0" w:line="{LINE_PITCH_TWIPS}" w:lineRule="exact"/>'
            "</w:pPr></w:pPrDefault>"
        )
    )


def fonts_xml(east_asia: str, western: str = WESTERN_FONT, *, declare: bool = False) -> str:
    """A w:rFonts naming every script's font; `declare` adds the namespace for a standalone parse."""
    namespace = f" {nsdecls('w')}" if declare else ""
    return (
        f'<w:rFonts{namespace} w:ascii="{western}" w:hAnsi="{western}" w:eastAsia="{east_asia}" '
        f'w:cs="{western}" w:hint="eastAsia"/>'
    )


def paragraph_properties_xml(look: Look) -> str:
    """A w:pPr in the schema's element order (Word rejects other orders)."""
    parts = []
    if look.keep_next:
        parts.append("<w:keepNext/><w:keepLines/>")
    parts.append('<w:snapToGrid w:val="0"/>')
    if look.line_twips is None:
        line = 'w:line="240" w:lineRule="auto"'
    else:
        line = f'w:line="{look.line_twips}" w:lineRule="exact"'
    parts.append(f'<w:spacing w:before="{look.before_twips}" w:after="{look.after_twips}" {line}/>')
    first_line = round(look.indent_chars * look.size_pt * 20)
    parts.append(
        f'<w:ind w:left="0" w:right="0" w:firstLineChars="{look.indent_chars * 100}" w:firstLine="{first_line}"/>'
    )
    if look.align:
        parts.append(f'<w:jc w:val="{look.align}"/>')
    if look.outline_level is not None:
        parts.append(f'<w:outlineLvl w:val="{look.outline_level}"/>')
    return f"<w:pPr {nsdecls('w')}>{''.join(parts)}</w:pPr>"


def run_properties_xml(look: Look) -> str:
    bold = "<w:b/><w:bCs/>" if look.bold else '<w:b w:val="0"/><w:bCs w:val="0"/>'
    size = round(look.size_pt * 2)
    condense = f'<w:spacing w:val="{CONDENSE_TWIPS}"/>' if look.size_pt == BODY_SIZE_PT else ""
    return (
        f"<w:rPr {nsdecls('w')}>{fonts_xml(look.east_asia, look.western)}{bold}"
        f'<w:i w:val="0"/><w:iCs w:val="0"/><w:color w:val="000000"/>{condense}'
        f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
    )


def restyle_paragraph(style, look: Look) -> None:
    """Replace a paragraph style's own properties with `look`."""
    for tag in ("w:pPr", "w:rPr"):
        for old in style.findall(qn(tag)):
            style.remove(old)
    style.append(parse_xml(paragraph_properties_xml(look)))
    style.append(parse_xml(run_properties_xml(look)))


def restyle_character(style, look: Look) -> None:
    """A linked character style carries the same run look as its paragraph style."""
    for old in style.findall(qn("w:rPr")):
        style.remove(old)
    style.append(parse_xml(run_properties_xml(look)))


# Children of w:style that must follow w:rPr (CT_Style sequence).
_AFTER_RPR = ("w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr")


def fix_fonts(style, western: str) -> None:
    """Name all three fonts on a style and drop theme references and theme colours."""
    run_properties = style.find(qn("w:rPr"))
    if run_properties is None:
        run_properties = parse_xml(f"<w:rPr {nsdecls('w')}/>")
        following = [style.find(qn(tag)) for tag in _AFTER_RPR]
        following = [element for element in following if element is not None]
        if following:
            following[0].addprevious(run_properties)
        else:
            style.append(run_properties)
    for old in run_properties.findall(qn("w:rFonts")):
        run_properties.remove(old)
    fonts = parse_xml(fonts_xml(FANGSONG, western, declare=True))
    style_ref = run_properties.find(qn("w:rStyle"))
    if style_ref is not None:
        style_ref.addnext(fonts)
    else:
        run_properties.insert(0, fonts)
    for color in style.iter(qn("w:color")):
        for attribute in ("w:themeColor", "w:themeShade", "w:themeTint"):
            color.attrib.pop(qn(attribute), None)
        color.set(qn("w:val"), "000000")


def style_table(styles) -> None:
    """Tables print with all rules, as tables in official documents do."""
    table = styles.find(qn("w:style") + f"[@{qn('w:styleId')}='Table']")
    if table is None:
        return
    table_properties = table.find(qn("w:tblPr"))
    borders = "".join(
        f'<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    element = parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>")
    # tblBorders follows tblInd in CT_TblPr.
    indent = table_properties.find(qn("w:tblInd"))
    if indent is not None:
        indent.addnext(element)
    else:
        table_properties.insert(0, element)


def page_number_paragraph_xml(odd: bool) -> str:
    """ "— 1 —" in 4号 宋体, one character in from the outside edge of the type area."""
    size = PAGE_NUMBER_SIZE_PT * 2
    one_char = PAGE_NUMBER_SIZE_PT * 20
    run_properties = f'<w:rPr>{fonts_xml(SONGTI, SONGTI)}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
    indent = f'w:right="{one_char}"' if odd else f'w:left="{one_char}"'

    def text(value: str) -> str:
        return f'<w:r>{run_properties}<w:t xml:space="preserve">{value}</w:t></w:r>'

    def field_char(kind: str) -> str:
        return f'<w:r>{run_properties}<w:fldChar w:fldCharType="{kind}"/></w:r>'

    return (
        f'<w:p {nsdecls("w")}><w:pPr><w:snapToGrid w:val="0"/>'
        f'<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
        f'<w:ind {indent} w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="{"right" if odd else "left"}"/>'
        f"{run_properties}</w:pPr>"
        + text("— ")
        + field_char("begin")
        + f'<w:r>{run_properties}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        + field_char("separate")
        + text("1")
        + field_char("end")
        + text(" —")
        + "</w:p>"
    )


def add_page_numbers(document: docx.document.Document) -> None:
    """Odd pages numbered on the right, even pages on the left."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
        footer.is_linked_to_previous = False
        body = footer._element
        for paragraph in body.findall(qn("w:p")):
            body.remove(paragraph)
        body.append(parse_xml(page_number_paragraph_xml(odd)))
