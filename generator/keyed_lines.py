"""One cache file of key → JSON value, read without decoding the values and checked whole.

The parse cache (parse_cache.py) and the validation memo (validate_memo.py)
hold one entry per library file: 10,000 entries, 40 MB of parsed data. As
one JSON document, that took 0.5 s to decode and 0.7 s to encode again after
any edit. Here each entry is a line of its own, a JSON array `["key",value]`
(the file is JSON Lines), under a first line that names the format, the
generator (code digest), what the file holds and a checksum of the lines
after it. So a reader splits the file into lines and keeps each value as bytes,
to be decoded only when asked for (pydantic reads a parsed file's data from
those bytes directly); a writer joins the lines it kept and adds the new
ones. The checksum makes damage (a truncated copy, a changed byte,
a hand edit) read as an empty cache rather than as other data; JSON, never
pickle, so that reading a cache never runs code.

A build that changes a few entries of a large file does not write it again
(400 MB of parsed data at 100,000 records, 2 s per one-record rebuild): the
entries it added go to a second file beside it, `<name>.delta`, whose header
names the checksum of the file it adds to, and the entries it no longer used
stay where they are. Only when those two together pass DELTA_SHARE of the
entries used is the file written whole again and the delta removed. A delta
whose file has since been rewritten (or is damaged) is not read.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .dependencies import code_digest
from .workdir import write_atomically

FORMAT = 1
_KEY = re.compile(rb"[0-9a-f]{40}")  # state.key_of: 20 bytes of blake2b, in hex
_OPEN = 2  # len(b'["')
_CLOSE = _OPEN + 40 + 2  # b'["' key b'",'


def _header(kind: str, body: bytes) -> bytes:
    fields = {"format": FORMAT, "kind": kind, "code": code_digest(), "digest": _digest(body)}
    return json.dumps(fields, sort_keys=True).encode("ascii")


def _digest(body: bytes) -> str:
    """Length and CRC-32 of the lines: made for catching accidental damage (a cryptographic digest
    of 40 MB took 0.08 s, this 0.014 s). Someone who may write in the cache folder could forge it, as
    they could write a state: the folder is as trusted as the site beside it (state.py)."""
    return f"{len(body)}-{zlib.crc32(body):08x}"


DELTA_FROM = 2_000  # entries used: a smaller file is always written whole
DELTA_SHARE = 0.25  # at most this share of the entries used may be new (in the delta) or unused


@dataclass
class Store:
    """What a build read of one cache file and its delta: `entries` holds both."""

    entries: dict[str, bytes] = field(default_factory=dict)
    base: dict[str, bytes] = field(default_factory=dict)  # the file's own entries
    base_digest: str | None = None  # its checksum (None: no usable file)
    delta: dict[str, bytes] = field(default_factory=dict)  # the delta's entries, when it was read


def read_lines(path: Path | None, kind: str) -> dict[str, bytes]:
    """key → the JSON text of its value, or {} when the file is missing, damaged or another generator's."""
    return read_store(path, kind).entries


def read_store(path: Path | None, kind: str) -> Store:
    """The file's entries and those of its delta, if the delta adds to this very file."""
    if path is None:
        return Store()
    base = _read_body(path, lambda body: _header(kind, body))
    if base is None:
        return Store()
    body, base_digest = base
    entries = _entries(body)
    if entries is None:
        return Store()
    store = Store(entries, entries, base_digest)
    found = _read_body(delta_path(path), lambda body: _delta_header(kind, body, base_digest))
    delta = _entries(found[0]) if found is not None else None
    if delta:
        store.entries = {**entries, **delta}
        store.delta = delta
    return store


def save_store(path: Path, kind: str, store: Store, used: dict[str, bytes]) -> None:
    """Keep `used` (key → JSON text): as a delta to the file read (`store`) when that is small
    enough, else by writing the file whole; nothing is written when the delta would not change."""
    if store.base_digest is not None and len(used) >= DELTA_FROM:
        base = store.base
        added = {key: value for key, value in used.items() if (old := base.get(key)) is not value and old != value}
        unused = sum(1 for key in store.base if key not in used)
        if len(added) + unused <= DELTA_SHARE * len(used):
            if added != store.delta:
                body = _body(added)
                write_atomically(delta_path(path), _delta_header(kind, body, store.base_digest) + b"\n" + body)
            return
    write_lines(path, kind, used)
    delta_path(path).unlink(missing_ok=True)


def delta_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.delta")


def _delta_header(kind: str, body: bytes, base_digest: str) -> bytes:
    fields = {"format": FORMAT, "kind": kind, "code": code_digest(), "digest": _digest(body), "base": base_digest}
    return json.dumps(fields, sort_keys=True).encode("ascii")


def _read_body(path: Path, header: Callable[[bytes], bytes]) -> tuple[bytes, str] | None:
    """The lines after the first of a file whose first line is `header(lines)`, and their checksum."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    first, _, body = raw.partition(b"\n")
    if first != header(body):
        return None
    return body, _digest(body)


def _entries(body: bytes) -> dict[str, bytes] | None:
    """The entries of checked lines; None when a line is not of this format."""
    entries: dict[str, bytes] = {}
    for line in body.split(b"\n"):
        if not line:
            continue
        if not (line.startswith(b'["') and line[_CLOSE - 2 : _CLOSE] == b'",' and line.endswith(b"]")):
            return None  # the digest matched, so only a writer of another format could have made it
        key = line[_OPEN : _CLOSE - 2]
        if not _KEY.fullmatch(key):
            return None
        entries[key.decode("ascii")] = line[_CLOSE:-1]
    return entries


def write_lines(path: Path, kind: str, entries: dict[str, bytes]) -> None:
    """Write `entries` (key → JSON text of one line, no line break) atomically, sorted by key."""
    body = _body(entries)
    write_atomically(path, _header(kind, body) + b"\n" + body)


def _body(entries: dict[str, bytes]) -> bytes:
    # sorted by key alone: sorting (key, value) pairs costs three times as long
    return b"".join(b'["' + key.encode("ascii") + b'",' + entries[key] + b"]\n" for key in sorted(entries))


def encode(value: object) -> bytes | None:
    """A value as the JSON text of one line, or None when it cannot be one (it is then not kept)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return None
