"""A record's values → the YAML text of its file, in the form `casebook new` writes: the
contract's key order, block style, dates as YYYY-MM-DD, text plain unless YAML would read it
as something else, several lines as a literal block.

The same values always give the same bytes, so importing the same export twice writes nothing
the second time, and a file that a person has not touched compares equal."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import typing
from typing import Any

from pydantic import BaseModel

from ..contract import CaseRecord

_NEEDS_QUOTES = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|: | #|\s$|^[\d.+\-:_eE]+$|^0[xob]|^\.\w+$|:$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # never plain: written as an escape in double quotes
_RESERVED = {"true", "false", "null", "~", "yes", "no", "on", "off", "y", "n"}


def record_yaml(values: dict[str, Any], header: str) -> str:
    """`values` (nested dicts keyed as the YAML is, `class` not `class_`) as a record file."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += _mapping_lines(CaseRecord, values, "")
    return "\n".join(lines) + "\n"


@functools.cache
def _keys_of(model: type[BaseModel]) -> list[tuple[str, Any]]:
    return [(info.alias or name, info.annotation) for name, info in model.model_fields.items()]


@functools.cache
def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _mapping_lines(model: type[BaseModel] | None, values: dict[str, Any], pad: str) -> list[str]:
    known = _keys_of(model) if model is not None else []
    order = [key for key, _ in known if key in values] + sorted(k for k in values if k not in dict(known))
    annotations = dict(known)
    lines: list[str] = []
    for key in order:
        value = values[key]
        if value is None or value == [] or value == {}:
            continue
        lines += _value_lines(key, value, _model_in(annotations.get(key)), pad)
    return lines


def _value_lines(key: str, value: Any, model: type[BaseModel] | None, pad: str) -> list[str]:
    if isinstance(value, dict):
        return [f"{pad}{key}:", *_mapping_lines(model, value, pad + "  ")]
    if isinstance(value, list):
        lines = [f"{pad}{key}:"]
        for item in value:
            if isinstance(item, dict):
                inner = _mapping_lines(model, item, pad + "    ")
                inner[0] = f"{pad}  - " + inner[0].lstrip()
                lines += inner
            else:
                lines += _item_lines(item, pad + "  ")
        return lines
    if _as_block(value):
        return [f"{pad}{key}: |-", *_block(value, pad + "  ")]
    return [f"{pad}{key}: {scalar(value)}"]


def _item_lines(item: Any, pad: str) -> list[str]:
    if _as_block(item):
        return [f"{pad}- |-", *_block(item, pad + "  ")]
    return [f"{pad}- {scalar(item)}"]


def _as_block(value: Any) -> bool:
    """Several lines, each of which a literal block keeps exactly (else the value is quoted)."""
    if not isinstance(value, str) or "\n" not in value:
        return False
    lines = value.split("\n")
    return all(line == line.strip() and line.isprintable() for line in lines) and lines[0] != "" and lines[-1] != ""


def _block(text: str, pad: str) -> list[str]:
    return [f"{pad}{line}" if line else "" for line in text.split("\n")]


def scalar(value: Any) -> str:
    """One value as a plain or double-quoted YAML scalar that reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if not text or _NEEDS_QUOTES.search(text) or text.lower() in _RESERVED or _CONTROL.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text
