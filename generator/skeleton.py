"""Contract → a valid, commented YAML skeleton for `casebook new`.

The skeleton is walked from the same models that validate, so it can never
drift from the contract: required fields get a value of the right form
(the next free id, today's date, （待填写） for text, and for a vocabulary
field （待填写） in a record, the list's first word in an entry or guide),
optional fields appear as comments with their Chinese title and
description, ready to be uncommented. An entry or guide is a
draft (review: draft), which may hold （待填写）; anything else holding one
fails validation at each blank (validate.check_placeholders), so a skeleton
is never published by accident.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .contract import KIND_LABELS, CaseClass, CaseRecord, Settings, TypicalEntry
from .library import FOLDERS, Library
from .schema import vocabulary_values

PLACEHOLDER = "（待填写）"
KIND_FOLDER = {kind: folder for folder, kind in FOLDERS.items()}
_NEEDS_QUOTES = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|: | #|\s$")


def next_record_id(library: Library, year: int) -> str:
    used = used_numbers(library, rf"XF-{year}-(\d{{4}})")
    return f"XF-{year}-{max(used, default=0) + 1:04d}"


def next_class_id(library: Library) -> str:
    used = used_numbers(library, r"LA-(\d{3})")
    return f"LA-{max(used, default=0) + 1:03d}"


def next_typical_id(library: Library, year: int, domain_code: str, kind: int = 1) -> str:
    """The next free 入库编号 of a year, domain and type (1 个案, 2 批量)."""
    used = used_numbers(library, rf"{year}-{domain_code}-{kind}-(\d{{3}})")
    return f"{year}-{domain_code}-{kind}-{max(used, default=0) + 1:03d}"


def used_numbers(library: Library, pattern: str) -> list[int]:
    """Numbers taken by files on disk, valid or not, so a broken file keeps its id."""
    regex = re.compile(pattern)
    numbers = []
    for folder in FOLDERS:
        for path in (library.root / folder).rglob("*.y*ml"):
            match = regex.fullmatch(path.stem)
            if match:
                numbers.append(int(match.group(1)))
    for doc in [*library.records, *library.typical, *library.classes]:
        match = regex.fullmatch(doc.model.id)
        if match:
            numbers.append(int(match.group(1)))
    return numbers


def skeleton(kind: str, library: Library, today: dt.date, sources: Sequence[str] = ()) -> tuple[str, str]:
    """`(relative path, YAML text)` of a new valid file of `kind`.

    A typical entry made `sources` (record ids) takes from them what they already say: the
    year of the first one received, its domain code, individual (one record) or batch (several),
    the region they share, their class, the records themselves, and the first one's stages as the
    dated steps of 化解过程 to be rewritten. Without sources it names the newest record, to be
    replaced (a record id must have its form even in a draft)."""
    if library.settings is None:
        raise ValueError("settings.yaml is needed for vocabularies")
    settings = library.settings.model
    values: dict[str, Any] = {}
    if kind == "record":
        model: type[BaseModel] = CaseRecord
        values["id"] = next_record_id(library, today.year)
    elif kind == "class":
        model = CaseClass
        values["id"] = next_class_id(library)
        # The contract's defaults, written out so the trainer sees where a guide is published from
        # (an untouched skeleton once defaulted to the training edition: issue 16).
        values["visibility"] = "internal"
        values["review"] = {"status": "draft"}
    else:
        model = TypicalEntry
        domain = settings.vocabularies.domains[0]
        if sources:
            records = _records_named(library, sources)
            first = min(records, key=lambda r: (r.received, r.id))
            domain = next(d for d in settings.vocabularies.domains if d.name == first.domain)
            values["records"] = [record.id for record in records]
            values["region"] = _shared_region([record.region for record in records])
            classes = {record.class_ for record in records}
            if len(classes) == 1 and None not in classes:
                values["class"] = classes.pop()
            values["process"] = [
                {"date": stage.date.isoformat(), "action": f"{stage.stage}：{stage.note or PLACEHOLDER}"}
                for stage in first.stages
            ]
            outcomes = {record.resolution.outcome for record in records if record.resolution is not None}
            if len(outcomes) == 1:
                values["outcome"] = outcomes.pop()
            values |= _shared_origin(records)
            today = first.received
            batch = 2 if len(records) > 1 else 1
        else:  # a valid skeleton needs a source record: the newest, to be replaced (better: --from)
            batch = 1
            if library.records:
                source = max(library.records, key=lambda d: d.model.id).model
                domain = next(d for d in settings.vocabularies.domains if d.name == source.domain)
                values["records"] = [source.id]
                values["region"] = source.region
        values["domain"] = domain.name
        values["id"] = next_typical_id(library, today.year, domain.code, batch)
        values["review"] = {"status": "draft"}
    # A record's vocabulary fields are blanks too: the first word of each list passed validation as
    # 来信, 城乡建设, 业主 … in a record the trainer forgot to finish (issue 16). A draft keeps them.
    lines = _emit_model(model, values, Example(settings, today, blank_vocabulary=kind == "record"), indent=0)
    header = (
        f"# 新建{KIND_LABELS[kind]}：必填字段已给出占位值，“{PLACEHOLDER}”处须改写为实际内容；"
        "可选字段以注释给出，去掉 # 即可填写。\n"
    )
    if kind == "record":  # a record is published as written: its blanks are errors until filled
        header += "# 案例记录没有草稿状态：仍有“（待填写）”时校验报错，生成网站前须填完。\n"
    else:
        header += "# 本文件为草稿（review: draft），只在内部版显示；填完后送审（submit）、发布（publish）。\n"
    return f"{KIND_FOLDER[kind]}/{values['id']}.yaml", header + "\n".join(lines) + "\n"


def _records_named(library: Library, ids: Sequence[str]) -> list[CaseRecord]:
    """The library's records of `ids`, in that order; UnknownRecords names those it has not."""
    known = {doc.model.id: doc.model for doc in library.records}
    missing = [record_id for record_id in ids if record_id not in known]
    if missing:
        raise UnknownRecords(missing)
    return [known[record_id] for record_id in dict.fromkeys(ids)]


class UnknownRecords(ValueError):
    def __init__(self, ids: list[str]) -> None:
        super().__init__("、".join(ids))
        self.ids = ids


def _shared_origin(records: list[CaseRecord]) -> dict[str, Any]:
    """What the records say about where they come from, when they all say it: an entry written from
    outside cases is one too (its free-text region is then valid), and keeps their source and the
    precision of their dates (a trainer had to retype all four for every case)."""
    shared: dict[str, Any] = {}
    for name in ("date_precision", "archived", "external"):
        found = {getattr(record, name) for record in records}
        if len(found) == 1 and (value := found.pop()):
            shared[name] = value
    sources = {None if r.source is None else r.source.model_dump_json(exclude_none=True) for r in records}
    if len(sources) == 1 and (source := sources.pop()) is not None:
        shared["source"] = json.loads(source)
    return shared


def _shared_region(regions: list[str]) -> str:
    """The deepest region path all of `regions` lie in (某市/城东区 for two of its streets)."""
    parts = [region.split("/") for region in regions]
    shared = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        shared.append(level[0])
    return "/".join(shared) or regions[0]


@dataclass(frozen=True)
class Example:
    """How a required field without a given value is filled: from the vocabularies and the date."""

    settings: Settings
    today: dt.date
    blank_vocabulary: bool  # a vocabulary field gets （待填写）, not the list's first word

    def value(self, annotation: Any, vocabulary: Any) -> Any:
        if vocabulary:
            return PLACEHOLDER if self.blank_vocabulary else vocabulary_values(self.settings)[vocabulary][0]
        if typing.get_origin(annotation) is Literal:
            return typing.get_args(annotation)[0]
        if annotation is dt.date:
            return self.today.isoformat()
        if annotation is int:
            return 1
        if annotation is float:
            return 0
        return PLACEHOLDER


def _emit_model(model: type[BaseModel], given: dict[str, Any], example: Example, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        comment = f"  # {info.title}：{info.description}"
        if key in given:
            lines += _emit_value(key, given[key], pad, comment)
        elif info.is_required():
            lines += _emit_required(key, info, example, indent, comment)
        else:
            lines.append(f"{pad}# {key}:{comment[1:]}")
    return lines


def _emit_required(key: str, info: FieldInfo, example: Example, indent: int, comment: str) -> list[str]:
    pad = "  " * indent
    annotation = info.annotation
    origin = typing.get_origin(annotation)
    vocabulary = (
        (info.json_schema_extra or {}).get("x-vocabulary") if isinstance(info.json_schema_extra, dict) else None
    )
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f"{pad}{key}:{comment}", *_emit_model(annotation, {}, example, indent + 1)]
    if origin is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            inner = _emit_model(item, {}, example, indent + 2)
            inner[0] = f"{pad}  - " + inner[0].lstrip()
            return [f"{pad}{key}:{comment}", *inner]
        return _emit_value(key, [example.value(item, vocabulary)], pad, comment)
    if origin is dict:
        return [f"{pad}{key}: {{}}{comment}"]
    return _emit_value(key, example.value(annotation, vocabulary), pad, comment)


def _emit_value(key: str, value: Any, pad: str, comment: str) -> list[str]:
    if isinstance(value, dict):
        return [f"{pad}{key}:{comment}", *(f"{pad}  {k}: {_scalar(v)}" for k, v in value.items())]
    if isinstance(value, list):
        lines = [f"{pad}{key}:{comment}"]
        for item in value:
            if isinstance(item, dict):  # a list of objects (化解过程's dated steps)
                pairs = [f"{k}: {_scalar(v)}" for k, v in item.items()]
                lines += [f"{pad}  - {pairs[0]}", *(f"{pad}    {pair}" for pair in pairs[1:])]
            else:
                lines.append(f"{pad}  - {_scalar(item)}")
        return lines
    return [f"{pad}{key}: {_scalar(value)}{comment}"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text or _NEEDS_QUOTES.search(text) or text in ("true", "false", "null", "~"):
        return json.dumps(text, ensure_ascii=False)
    return text


def write_new(kind: str, library: Library, today: dt.date, sources: Sequence[str] = ()) -> Path:
    """Write the skeleton; refuse to overwrite anything."""
    relative, text = skeleton(kind, library, today, sources)
    path = library.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path
