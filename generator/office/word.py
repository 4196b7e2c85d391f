"""Markdown → a Word file in the GB/T 9704 layout, byte-identical for identical input.

One pandoc call does the conversion with the reference.docx built by
`reference_docx`; python-docx then does what pandoc cannot: cell paragraphs
in the table style, bold header rows, pictures freed from the exact line
height, and the core properties (title, version, date) that let a printed
or forwarded guide be traced to its edition.

Determinism: pandoc stamps the time unless SOURCE_DATE_EPOCH is set, and
python-docx writes each zip entry with the current time. So pandoc gets the
document's date as SOURCE_DATE_EPOCH, core.xml gets that date, and the final
zip is rewritten with fixed timestamps in a fixed order.

Markdown conventions: `##` sections are the document's first level (一、),
`###` the second (（一）); the title and any subtitle lines are passed
separately. Chinese lines may be wrapped: pandoc's east_asian_line_breaks
drops the newline instead of turning it into a space.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import subprocess
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pypandoc
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from ..errors import CasebookError
from ..workdir import scratch
from .reference_docx import (
    BODY_SIZE_PT,
    LINE_PITCH_TWIPS,
    MONOSPACE,
    TABLE_TEXT_STYLE,
    WESTERN_FONT,
    fix_fonts,
    write_reference_docx,
)

PANDOC_FORMAT = "markdown+east_asian_line_breaks"
CONTENT_TYPES = "[Content_Types].xml"
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Signature:
    """落款: the issuing body's name centred over the date, the date four characters from the right.

    GB/T 9704 §7.3.5.1 (documents that are sealed): one blank line under the
    body, the date 右空四字, the name centred over the date; a name longer than
    the date moves outwards rather than pushing the date.
    """

    organization: str
    date: str


class WordError(CasebookError):
    """pandoc failed, or a picture the Markdown names cannot be read."""


# python-docx parses with one module-wide lxml parser, which two threads must not use at
# once (guides are made on two threads; the XML of two parts came out interleaved:
# "Opening and ending tag mismatch: wp … and Types"). pandoc, the slow part, runs unlocked.
_python_docx = threading.Lock()


def reference_docx_bytes() -> bytes:
    """The reference.docx, built once per process; each pandoc run gets its own copy in its scratch folder."""
    with _python_docx:
        return _reference_docx_bytes()


@functools.cache
def _reference_docx_bytes() -> bytes:
    with scratch("casebook-docx-") as folder:
        path = folder / "reference.docx"
        write_reference_docx(path)
        return path.read_bytes()


def escape_markdown(text: str) -> str:
    """Literal text for pandoc's Markdown: every ASCII punctuation mark backslash-escaped."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", text)


def styled_block(style: str, text: str) -> str:
    """A paragraph in a named Word style (pandoc's custom-style div)."""
    return f'::: {{custom-style="{style}"}}\n{escape_markdown(text)}\n:::\n'


def official_docx_bytes(
    markdown: str,
    *,
    title: str,
    date: dt.date,
    subtitle_lines: Sequence[str] = (),
    version: str | None = None,
    resource_path: Path | None = None,
    signature: Signature | None = None,
    adjust: Callable[[Any], None] | None = None,
) -> bytes:
    """The finished .docx as bytes; `resource_path` is where relative image paths are found.
    `adjust`: what one kind of document changes in the python-docx Document after the shared
    pass (the statistics annex sets its tables smaller), in the same reading of the file."""
    head = styled_block("Title", title) + "".join(styled_block("Subtitle", line) for line in subtitle_lines)
    converted = run_pandoc(head + "\n" + markdown, date, resource_path)
    with _python_docx:
        finished = finish(converted, title=title, date=date, version=version, signature=signature, adjust=adjust)
    return normalize_zip(finished, date)


def _epoch(date: dt.date) -> int:
    return int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())


def run_pandoc(markdown: str, date: dt.date, resource_path: Path | None) -> bytes:
    """One pandoc run, Markdown on stdin, the .docx on stdout.

    The reference.docx it needs is written to a scratch folder (workdir.py): beside the
    output being made, never the system temp folder a killed run would litter.
    """
    with scratch("casebook-docx-") as folder:
        reference = folder / "reference.docx"
        reference.write_bytes(reference_docx_bytes())
        return _pandoc(markdown, date, resource_path, reference)


def _pandoc(markdown: str, date: dt.date, resource_path: Path | None, reference: Path) -> bytes:
    command = [
        pypandoc.get_pandoc_path(),
        "--from",
        PANDOC_FORMAT,
        "--to",
        "docx",
        "--reference-doc",
        str(reference),
        # `##` is the document's first level: the `#` title is given separately.
        "--shift-heading-level-by=-1",
        "--output",
        "-",
    ]
    if resource_path is not None:
        command += ["--resource-path", str(resource_path)]
    environment = {**os.environ, "SOURCE_DATE_EPOCH": str(_epoch(date))}
    try:
        result = subprocess.run(command, input=markdown.encode("utf-8"), capture_output=True, env=environment)
    except OSError as error:
        raise WordError(f"无法运行 pandoc：{error}") from None
    messages = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise WordError(f"pandoc 转换 Word 失败：{messages.strip()}")
    missing = [line for line in messages.splitlines() if "Could not fetch resource" in line]
    if missing:
        names = "；".join(line.split("resource", 1)[-1].strip() for line in missing)
        raise WordError(f"Word 文档中的图片无法读取：{names}")
    return result.stdout


def finish(
    data: bytes,
    *,
    title: str,
    date: dt.date,
    version: str | None,
    signature: Signature | None,
    adjust: Callable[[Any], None] | None = None,
) -> bytes:
    """The python-docx pass over pandoc's output."""
    document = docx.Document(io.BytesIO(data))
    name_fonts_on_added_styles(document)
    cell_style = document.styles[TABLE_TEXT_STYLE]
    for table in document.tables:
        style_table_cells(table, cell_style)
    for paragraph in document.element.body.iter(qn("w:p")):
        if paragraph.find(".//" + qn("w:drawing")) is not None:
            free_picture_line(paragraph)
    if signature is not None:
        append_signature(document, signature)
    if adjust is not None:
        adjust(document)
    properties = document.core_properties
    moment = dt.datetime(date.year, date.month, date.day)
    # Core properties hold at most 255 characters (python-docx raises beyond that); the
    # title and version come from data, and the document itself shows them in full.
    properties.title = title[:255]
    properties.version = (version or "")[:255]
    properties.created = moment
    properties.modified = moment
    properties.last_modified_by = ""
    properties.author = ""
    properties.revision = 1
    properties.language = "zh-CN"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def name_fonts_on_added_styles(document) -> None:
    """pandoc adds styles the reference lacks (Source Code, the highlighting …Tok); give them explicit fonts too."""
    for style in document.styles.element.iterchildren(qn("w:style")):
        fonts = style.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is None or not fonts.get(qn("w:eastAsia")):
            style_id = style.get(qn("w:styleId")) or ""
            code = style_id == "SourceCode" or style_id.endswith("Tok")
            fix_fonts(style, MONOSPACE if code else WESTERN_FONT)


def style_table_cells(table, cell_style) -> None:
    """Cell text in the 4号 table style; header rows (pandoc marks them tblHeader) bold."""
    for row in table.rows:
        header = row._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.style = cell_style
                if header:
                    for run in paragraph.runs:
                        run.bold = True


def free_picture_line(paragraph) -> None:
    """A paragraph holding a picture: single spacing (an exact height crops it), centred, no indent."""
    properties = paragraph.get_or_add_pPr()
    for tag in ("w:spacing", "w:ind", "w:jc"):
        for old in properties.findall(qn(tag)):
            properties.remove(old)
    properties.append(parse_xml(f'<w:spacing {nsdecls("w")} w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'))
    properties.append(parse_xml(f'<w:ind {nsdecls("w")} w:left="0" w:right="0" w:firstLineChars="0" w:firstLine="0"/>'))
    properties.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="center"/>'))
    order_paragraph_properties(properties)


def text_width_chars(text: str) -> float:
    """Width in body characters: ASCII (the date's digits) is half width."""
    return sum(0.5 if ord(char) < 128 else 1 for char in text)


def append_signature(document, signature: Signature) -> None:
    """The 落款 lines at the end of the body, before the section properties."""
    date_right = 4.0
    name_right = max(date_right + (text_width_chars(signature.date) - text_width_chars(signature.organization)) / 2, 0)
    body = document.element.body
    section = body.find(qn("w:sectPr"))
    char_twips = BODY_SIZE_PT * 20
    for text, right_chars, before in (
        (signature.organization, name_right, 2 * LINE_PITCH_TWIPS),
        (signature.date, date_right, 0),
    ):
        paragraph = parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="BodyText"/><w:keepNext/>'
            f'<w:spacing w:before="{before}" w:after="0" w:line="{LINE_PITCH_TWIPS}" w:lineRule="exact"/>'
            f'<w:ind w:left="0" w:right="{round(right_chars * char_twips)}" w:firstLineChars="0" w:firstLine="0"/>'
            f'<w:jc w:val="right"/></w:pPr><w:r><w:t xml:space="preserve"></w:t></w:r></w:p>'
        )
        paragraph.find(f"{qn('w:r')}/{qn('w:t')}").text = text
        section.addprevious(paragraph)


# CT_PPr's element order; Word refuses a file whose pPr children are out of order.
_PPR_ORDER = [
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr", "suppressLineNumbers",
    "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct", "topLinePunct",
    "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
    "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl",
    "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
]  # fmt: skip


def order_paragraph_properties(properties) -> None:
    rank = {qn(f"w:{name}"): index for index, name in enumerate(_PPR_ORDER)}
    children = sorted(properties, key=lambda child: rank.get(child.tag, len(rank)))
    for child in children:
        properties.append(child)


def normalize_zip(data: bytes, date: dt.date) -> bytes:
    """Rewrite the package with fixed timestamps and order so equal input gives equal bytes."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        names = sorted(source.namelist(), key=lambda name: (name != CONTENT_TYPES, name))
        entries = [(name, source.read(name)) for name in names]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, content, compresslevel=6)
    return buffer.getvalue()
