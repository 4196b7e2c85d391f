"""What earlier imports wrote: per record, the case number it came from, the file, sheet and
row, and a hash of each value the import wrote. A re-import updates a field only while the
record file still holds the value the import last wrote there; a value a person has changed
since is theirs, and stays.

Kept in the library as `.casebook-imports.json` (a hidden file: the library reader and the
build pass it by; it holds no text of any record, only hashes, so nothing in it can leak).
Written after the records, atomically, sorted: the same imports give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..workdir import write_atomically

PROVENANCE_FILE = ".casebook-imports.json"
FORMAT = 1


def canonical(value: Any) -> Any:
    """A value as the library's YAML reader gives it back: every scalar as its text (load.py
    keeps 5 as "5" and dates as "2024-05-06"), lists and mappings alike."""
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return None
    return str(value)


def value_hash(value: Any) -> str:
    """A short, stable hash of one value's canonical form (its compact JSON, keys sorted: orjson
    writes the same bytes as the standard library's json here, five times as fast)."""
    text = orjson.dumps(canonical(value), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(text, digest_size=8).hexdigest()


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings → dotted leaf paths (lists and scalars are leaves)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """flatten backwards."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        here = out
        for parent in parents:
            here = here.setdefault(parent, {})
        here[last] = value
    return out


@dataclass
class Origin:
    """Where one record came from and what the import wrote in it."""

    case_number: str
    source: str  # the file's name
    sheet: str
    row: int
    fields: dict[str, str] = field(default_factory=dict)  # dotted path → value_hash as written


@dataclass
class Provenance:
    records: dict[str, Origin] = field(default_factory=dict)  # record id → origin

    def by_case_number(self) -> dict[str, str]:
        return {origin.case_number: record_id for record_id, origin in self.records.items()}


class ProvenanceUnreadable(Exception):
    pass


def read_provenance(library: Path) -> Provenance:
    """The provenance kept in `library`; empty when there is none. Raises ProvenanceUnreadable
    for a damaged file: then it cannot be told which fields are the import's, and nothing is written."""
    path = library / PROVENANCE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Provenance()
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ProvenanceUnreadable(f"{path}：导入记录文件无法读取（{type(error).__name__}）") from None
    try:
        if data.get("format") != FORMAT:
            raise ValueError("format")
        records = {
            str(record_id): Origin(
                str(entry["case_number"]), str(entry["source"]), str(entry["sheet"]), int(entry["row"]),
                {str(k): str(v) for k, v in entry["fields"].items()},
            )
            for record_id, entry in data["records"].items()
        }  # fmt: skip
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ProvenanceUnreadable(f"{path}：导入记录文件格式不对，可能被手工改坏") from None
    return Provenance(records)


def provenance_bytes(provenance: Provenance) -> bytes:
    records = {
        record_id: {
            "case_number": origin.case_number,
            "source": origin.source,
            "sheet": origin.sheet,
            "row": origin.row,
            "fields": dict(sorted(origin.fields.items())),
        }
        for record_id, origin in sorted(provenance.records.items())
    }
    text = json.dumps({"format": FORMAT, "records": records}, ensure_ascii=False, indent=1, sort_keys=False)
    return (text + "\n").encode("utf-8")


def write_provenance(library: Path, provenance: Provenance) -> None:
    write_atomically(library / PROVENANCE_FILE, provenance_bytes(provenance))
