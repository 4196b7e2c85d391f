"""The problems of each document's own checks, kept between builds by content.

Checking a document on its own (validate.check_document: personal data,
links, file name, vocabularies, dates, the 条例's rules …) walks every text
value of it; at 10,000 records that is most of the load+validate stage,
although one edit changes one document's result at most. What such a check
reads is the document (its path, kind and text, and the generator's code:
library.Document.key) and a few library-wide inputs (validate.Inputs: the
reference date, settings.yaml's vocabularies and time limits, the protected
names); so its problems are kept under a key of exactly those two digests
(`memo_key`) and a later build with the same key takes them from here.

Problems are stored as data, `[line, column, field, message, severity]`
(the path is the document's own), one JSON line per document in the build's
cache folder (state.py), beside the parsed files (parse_cache.py; the format
is keyed_lines.py's): reading the cache never runs code. Whatever is wrong
with that file — missing, damaged, written by another generator (code
digest), an entry of the wrong shape — a document without a usable entry is
simply checked again. The file keeps only the entries the latest build used,
and is rewritten only when that set changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import Problem
from .keyed_lines import AS_READ, AsRead, encode, read_store, save_store
from .state import key_of

MEMO_FILE = "validated.jsonl"
KIND = "validated"
SEVERITIES = ("error", "warning")


def memo_key(document_key: str, inputs_digest: str) -> str:
    """The key of one document's own problems: the document (library.Document.key) and what else its checks read."""
    return key_of(document_key, inputs_digest)


class ValidateMemo:
    """memo key → problems of one document; what this build used is what the next one keeps."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.store = read_store(path, KIND)
        self.entries = self.store.entries
        self.used: dict[str, bytes | AsRead] = {}
        self.changed = False

    def get(self, key: str, path: str) -> list[Problem] | None:
        """The problems remembered under `key` for the document at `path`, or None (check it)."""
        stored = self.entries.get(key)
        if stored is None:
            return None
        try:
            rows = json.loads(stored)
        except ValueError:
            return None
        if not _well_formed(rows):
            return None
        self.used[key] = AS_READ
        return [Problem(path, *row) for row in rows]

    def put(self, key: str, path: str, problems: Iterable[Problem]) -> None:
        """Remember a document's problems (all of them at `path`; anything else is not kept)."""
        problems = list(problems)
        if self.path is None or any(p.path != path for p in problems):
            return
        encoded = encode([[p.line, p.column, p.field, p.message, p.severity] for p in problems])
        if encoded is not None:
            self.used[key] = encoded
            self.changed = True

    def offer(self, key: str, path: str, rows: list[list[Any]]) -> None:
        """Take a document's problems checked elsewhere in this build (library.read_share) as
        if an earlier build had kept them: `get` gives them back as it gives back those.
        Works without a file too, so a build without a cache folder uses them as well."""
        encoded = encode(rows)
        if encoded is not None and _well_formed(json.loads(encoded)):
            self.entries[key] = encoded

    def save(self) -> None:
        """Keep what this build used (and nothing else), atomically; untouched when nothing changed."""
        if self.path is None or (not self.changed and self.used.keys() == self.entries.keys()):
            return
        save_store(self.path, KIND, self.store, self.used)


def _well_formed(rows: Any) -> bool:
    """Rows as `put` writes them; anything else (a hand-edited or damaged file) is a miss."""
    if not isinstance(rows, list):
        return False
    for row in rows:
        if not (isinstance(row, list) and len(row) == 5):
            return False
        line, column, field, message, severity = row
        if not (_is_int(line) and _is_int(column) and isinstance(field, str) and isinstance(message, str)):
            return False
        if severity not in SEVERITIES:
            return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
