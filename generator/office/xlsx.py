"""Plain tables → .xlsx bytes, written as SpreadsheetML text: the ledgers' workbooks.

openpyxl makes an object for every cell and a style for each: the whole
library's ledger (10,000 rows of 18 columns, and its 督办 sheet) took 4-6 s,
on every build that changed one record, and writes each Chinese character as
a character reference that the output guard must decode again. A ledger
sheet is one kind of table only (a bold frozen header row, an autofilter,
text, numbers and dates), so its XML is written here directly: the parts
Excel, WPS and LibreOffice read (ECMA-376 Part 1, §18), with the same content
openpyxl wrote: date cells with a date format, numbers as numbers, text as
inline strings, quotePrefix on text a spreadsheet would take for a formula.

Deterministic: document dates and zip entry dates are the as-of date, parts
are written in a fixed order, so the same sheets give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape


class Percent(float):
    """A fraction shown as a percentage with one decimal (0.667 → 66.7%): still a number to Excel."""


Cell = str | int | float | dt.date | None
Table = tuple[str, Sequence[str], Sequence[Sequence[Cell]], Sequence[float]]  # title, header row, rows, widths
DATE_FORMAT = "yyyy-mm-dd"

# Characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE): dropped.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]|[\ud800-\udfff]|[\ufffe\uffff]")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 of the 1900 date system (its 1900-02-29 included)

# cellXfs, in styles.xml's order
PLAIN, HEADER, DATE, QUOTED, QUOTED_HEADER, PERCENT = range(6)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = (
    _DECLARATION + f'<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    '<numFmt numFmtId="165" formatCode="0.0%"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="center"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1" quotePrefix="1">'
    '<alignment vertical="center"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def clean_text(value: str) -> str:
    """Text as a cell can hold it: characters XML cannot carry dropped."""
    return _ILLEGAL.sub("", value)


def xlsx_bytes(
    sheets: Sequence[Table],
    as_of: dt.date,
    formula_triggers: tuple[str, ...],
) -> bytes:
    """A workbook of `sheets`: (title, header row, rows, column widths) each; titles already valid.

    Text starting with one of `formula_triggers` carries quotePrefix (see workbook.py)."""
    stamp = f"{as_of.isoformat()}T00:00:00Z"
    parts: list[tuple[str, str]] = [("[Content_Types].xml", _content_types(len(sheets)))]
    parts.append(("_rels/.rels", _root_rels()))
    parts.append(("docProps/app.xml", _app()))
    parts.append(("docProps/core.xml", _core(stamp)))
    parts.append(("xl/workbook.xml", _workbook(sheets)))
    parts.append(("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets))))
    parts.append(("xl/styles.xml", STYLES))
    for number, (_, headers, rows, widths) in enumerate(sheets, start=1):
        parts.append((f"xl/worksheets/sheet{number}.xml", _sheet(headers, rows, widths, formula_triggers)))
    out = io.BytesIO()
    date_time = (as_of.year, as_of.month, as_of.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def _sheet(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[float], triggers: tuple[str, ...]
) -> str:
    letters = [column_letter(index) for index in range(1, len(headers) + 1)]
    last = f"{letters[-1]}{len(rows) + 1}" if letters else "A1"
    out = [
        _DECLARATION,
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
        f'<dimension ref="A1:{last}"/>',
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>",
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>',
    ]
    if widths:
        out.append("<cols>")
        out += [
            f'<col min="{number}" max="{number}" width="{width:g}" customWidth="1"/>'
            for number, width in enumerate(widths, start=1)
        ]
        out.append("</cols>")
    out.append("<sheetData>")
    out.append(_row(1, headers, letters, triggers, header=True))
    for number, values in enumerate(rows, start=2):
        out.append(_row(number, values, letters, triggers))
    out.append("</sheetData>")
    if letters:
        out.append(f'<autoFilter ref="A1:{last}"/>')
    out.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
    out.append("</worksheet>")
    return "".join(out)


def _row(
    number: int, values: Sequence[Cell], letters: list[str], triggers: tuple[str, ...], header: bool = False
) -> str:
    cells = [f'<row r="{number}">']
    text_style, quoted_style = (HEADER, QUOTED_HEADER) if header else (PLAIN, QUOTED)
    for letter, value in zip(letters, values, strict=False):
        at = f"{letter}{number}"
        if value is None:
            continue
        if isinstance(value, str):
            text = clean_text(value) if _ILLEGAL.search(value) else value
            if not text:
                continue  # no cell, as for None: an empty text only gets in the way of a filter
            style = quoted_style if text.startswith(triggers) else text_style
            styled = f' s="{style}"' if style else ""
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            if "&" in text or "<" in text or ">" in text:  # most cells hold none: escape's three passes skipped
                text = escape(text)
            cells.append(f'<c r="{at}"{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>')
        elif isinstance(value, bool):  # before int: bool is one
            cells.append(f'<c r="{at}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            cells.append(f'<c r="{at}" s="{DATE}"><v>{(day - EXCEL_EPOCH).days}</v></c>')
        elif isinstance(value, Percent):
            cells.append(f'<c r="{at}" s="{PERCENT}"><v>{float(value)!r}</v></c>')
        else:
            cells.append(f'<c r="{at}"><v>{value!r}</v></c>')
    cells.append("</row>")
    return "".join(cells)


def _workbook(sheets: Sequence[Table]) -> str:
    entries = "".join(
        f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{number}" r:id="rId{number}"/>'
        for number, (title, _, _, _) in enumerate(sheets, start=1)
    )
    # Excel keeps each autofilter's range as this hidden name as well.
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{number}" hidden="1">'
        f"'{escape(title).replace(chr(39), chr(39) * 2)}'!$A$1:${column_letter(len(headers))}${len(rows) + 1}"
        "</definedName>"
        for number, (title, headers, rows, _) in enumerate(sheets)
        if headers
    )
    names = f"<definedNames>{filters}</definedNames>" if filters else ""
    return (
        _DECLARATION + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>{names}"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _workbook_rels(count: int) -> str:
    sheet = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
    styles = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
    entries = "".join(
        f'<Relationship Id="rId{n}" Type="{sheet}" Target="worksheets/sheet{n}.xml"/>' for n in range(1, count + 1)
    )
    entries += f'<Relationship Id="rId{count + 1}" Type="{styles}" Target="styles.xml"/>'
    return _DECLARATION + f'<Relationships xmlns="{_PKG_REL}">{entries}</Relationships>'


def _root_rels() -> str:
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
    core = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
    app = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
    return (
        _DECLARATION + f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{office}" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{core}" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{app}" Target="docProps/app.xml"/>'
        "</Relationships>"
    )


def _content_types(count: int) -> str:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{sheet}"/>' for n in range(1, count + 1)
    )
    return (
        _DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}"
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )


def _core(stamp: str) -> str:
    return (
        _DECLARATION + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>casebook</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app() -> str:
    return (
        _DECLARATION + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Casebook</Application></Properties>"
    )
