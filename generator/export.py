"""`casebook export`: every record, typical-case entry and class of one edition, as JSON (with its
JSON Schema) or as one workbook, for other systems and for people who work in Excel.

The edition is applied exactly as the site applies it (edition.py): a training or public export
holds no excluded document, no internal-only field and no id of an excluded document; and, as
on the site, no class's matching rules (configuration for `casebook classify`). The JSON
is versioned (`format`, `version`) and described by `casebook-export.schema.json`; it holds no
date of its own making, so the same library gives the same bytes on any day. The workbook's
document dates are the newest date in the data, for the same reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import zipfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .contract import VISIBILITY_LABELS, CaseClass, CaseRecord, TypicalEntry
from .derive.facts import model_of
from .derive.site import SiteModel, shown_documents
from .keyed_lines import KeptLines
from .library import Library
from .office.workbook import FORMULA_TRIGGERS, Sheet, column_widths, sheet_title
from .office.xlsx import xlsx_bytes
from .state import key_of

FORMAT = "casebook-export"
VERSION = 1
SCHEMA_FILE = "casebook-export.schema.json"
SITE_DOWNLOAD = "downloads/casebook-export.json"  # where the site offers its edition's JSON
SITE_SCHEMA = f"downloads/{SCHEMA_FILE}"
STORE_FILE = "export.jsonl"
STORE_KIND = "export"


class Export(BaseModel):
    """案例库导出：一个版本的全部信访事项、典型案例和类案。"""

    model_config = ConfigDict(extra="forbid")

    format: Literal["casebook-export"] = Field(title="格式", description="固定为 casebook-export")
    version: Literal[1] = Field(title="格式版本", description="本格式的版本号；不兼容的改动会增加它")
    edition: Literal["internal", "training", "public"] = Field(title="版本", description="内部版/培训版/公开版")
    library: str = Field(title="案例库名称", description="settings.yaml 中的 library.name")
    records: list[CaseRecord] = Field(title="信访事项", description="按编号排序")
    typical: list[TypicalEntry] = Field(title="典型案例", description="按入库编号排序")
    classes: list[CaseClass] = Field(title="类案", description="按类案编号排序")


def edition_documents(library: Library, audience: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(records, entries, classes) of `audience`'s edition, as the site's model holds them, by id."""
    shown = shown_documents(library, audience)
    return (
        sorted(shown.records.values(), key=lambda m: m.id),
        sorted(shown.entries, key=lambda m: m.id),
        shown.classes,
    )


# A class's matching rules steer the class suggestions of `casebook classify`: configuration, shown
# on no page of any edition (tests/test_injection.py NOT_SHOWN), so not exported either.
NOT_EXPORTED: dict[type[BaseModel], set[str]] = {CaseClass: {"matching"}}


def document_json(model: BaseModel) -> bytes:
    """One document as the export holds it: compact JSON, absent optional fields left out."""
    excluded = NOT_EXPORTED.get(type(model))
    return model.model_dump_json(by_alias=True, exclude_none=True, exclude=excluded).encode("utf-8")


def export_bytes(
    library_name: str, audience: str, records: list[bytes], entries: list[bytes], classes: list[bytes]
) -> bytes:
    """The export of documents already in document_json form, each list in id order."""
    head = json.dumps(
        {"format": FORMAT, "version": VERSION, "edition": audience, "library": library_name},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return b"".join(
        [
            head[:-1].encode("utf-8"),
            b',"records":[',
            b",".join(records),
            b'],"typical":[',
            b",".join(entries),
            b'],"classes":[',
            b",".join(classes),
            b"]}\n",
        ]
    )


def export_json(library: Library, audience: str) -> bytes:
    """The JSON export of a library's edition (what the site of that edition offers for download)."""
    assert library.settings is not None
    records, entries, classes = edition_documents(library, audience)
    return export_bytes(
        library.settings.model.library.name,
        audience,
        [document_json(model_of(m)) for m in records],
        [document_json(m) for m in entries],
        [document_json(m) for m in classes],
    )


def export_data(library: Library, audience: str) -> dict[str, Any]:
    """The export as plain JSON values."""
    return json.loads(export_json(library, audience))


class ExportStore(KeptLines):
    """Each record's export JSON by the key of its file, kept in the build's cache folder
    (keyed_lines.py): at 10,000 records, dumping every model again for each build took seconds
    and made every record a model; a record whose file did not change is taken from here."""

    def __init__(self, folder: Path | None) -> None:
        super().__init__(folder / STORE_FILE if folder is not None else None, STORE_KIND)


def site_export(site: SiteModel, store: ExportStore | None = None) -> bytes:
    """export_json of the site's edition, from the site model: a record shown as it was read
    (site.source_keys) is taken from `store` by its file's key, the rest dumped now."""
    records = []
    for view in sorted(site.records, key=lambda v: v.record.id):
        source = site.source_keys.get(view.record.id)
        key = key_of("export", source) if source is not None and store is not None else None
        data = store.get(key) if key is not None and store is not None else None
        if data is None:
            data = document_json(model_of(view.record))
            if key is not None and store is not None:
                store.put(key, data)
        records.append(data)
    entries = [document_json(v.entry) for v in sorted(site.entries, key=lambda v: v.entry.id)]
    classes = [document_json(v.case_class) for v in sorted(site.classes, key=lambda v: v.case_class.id)]
    return export_bytes(site.settings.library.name, site.audience, records, entries, classes)


def export_schema() -> dict[str, Any]:
    generated = Export.model_json_schema(by_alias=True)
    head = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_FILE,
        "title": "案例库导出",
        "description": f"casebook export 的输出格式，第 {VERSION} 版（由 casebook export 生成，请勿手改）",
    }
    entry = generated.get("$defs", {}).get("TypicalEntry", {}).get("properties", {}).get("records")
    if entry is not None:  # a narrower edition lists only the source records it includes: maybe none
        entry.pop("minItems", None)
        entry["description"] += "（培训版、公开版只列出本版收录的，可能为空）"
    return {**head, **{key: value for key, value in generated.items() if key not in head}}


@functools.cache
def schema_json() -> bytes:
    """The schema's file (0.4 s to make with pydantic: made once a process)."""
    return (json.dumps(export_schema(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_workbook(library: Library, audience: str) -> bytes:
    """One workbook: a sheet each for records, typical cases and classes; a column per field
    (nested fields as 父.子, lists joined by ；, lists of objects as JSON text)."""
    data = export_data(library, audience)
    sheets = [
        _sheet("信访事项", CaseRecord, data["records"]),
        _sheet("典型案例", TypicalEntry, data["typical"]),
        _sheet("类案", CaseClass, data["classes"]),
        Sheet(
            "说明",
            ("项目", "内容"),
            (
                ("案例库", data["library"]),
                ("版本", VISIBILITY_LABELS[audience]),
                ("格式", f"{FORMAT} 第 {VERSION} 版；完整结构见 casebook export --format json 及其 JSON Schema"),
            ),
        ),
    ]
    tables = [(sheet_title(s.name), s.headers, s.rows, column_widths(s.headers, s.rows)) for s in sheets]
    return xlsx_bytes(tables, _newest_date(data), FORMULA_TRIGGERS)


def _columns(model: type[BaseModel], prefix: str = "", title: str = "") -> list[tuple[str, str]]:
    """(dotted key, header) of every leaf of `model`: nested models are opened, lists are leaves."""
    columns = []
    for name, info in model.model_fields.items():
        if name in NOT_EXPORTED.get(model, ()):
            continue
        key = f"{prefix}{info.alias or name}"
        header = f"{title}{info.title or name}"
        annotation = info.annotation
        inner = next(
            (
                a
                for a in (annotation, *getattr(annotation, "__args__", ()))
                if isinstance(a, type) and issubclass(a, BaseModel)
            ),
            None,
        )
        if inner is not None and getattr(annotation, "__origin__", None) is not list:
            columns += _columns(inner, key + ".", header + "·")
        else:
            columns.append((key, header))
    return columns


def _sheet(name: str, model: type[BaseModel], items: list[dict[str, Any]]) -> Sheet:
    columns = _columns(model)
    rows = tuple(tuple(_cell(_get(item, key)) for key, _ in columns) for item in items)
    return Sheet(name, tuple(header for _, header in columns), rows)


def _get(item: dict[str, Any], key: str) -> Any:
    value: Any = item
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value: Any) -> str | int | float | dt.date | None:
    if value is None:
        return None
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) for v in value):
            return "；".join(str(v) for v in value)
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _newest_date(data: dict[str, Any]) -> dt.date:
    newest = dt.date(2000, 1, 1)
    text = json.dumps(data, ensure_ascii=False)
    for found in re.findall(r'"(\d{4}-\d{2}-\d{2})"', text):
        try:
            newest = max(newest, dt.date.fromisoformat(found))
        except ValueError:
            continue
    return newest


def is_export(path: Path) -> bool:
    """Whether `path` is a file an earlier `casebook export` wrote (so it may be replaced)."""
    try:
        head = path.read_bytes()[:4096]
    except OSError:
        return False
    if path.suffix.lower() == ".json":
        return b'{"format":"casebook-export"' in head or f'"$id": "{SCHEMA_FILE}"'.encode() in head
    return head.startswith(b"PK") and _is_our_workbook(path)


def _is_our_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "说明" in archive.read("xl/workbook.xml").decode("utf-8") and FORMAT.encode() in b"".join(
                archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")
            )
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
