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
"""

from __future__ import annotations

import json
import re
import zlib
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


def read_lines(path: Path | None, kind: str) -> dict[str, bytes]:
    """key → the JSON text of its value, or {} when the file is missing, damaged or another generator's."""
    if path is None:
        return {}
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    first, _, body = raw.partition(b"\n")
    if first != _header(kind, body):
        return {}
    entries: dict[str, bytes] = {}
    for line in body.split(b"\n"):
        if not line:
            continue
        if not (line.startswith(b'["') and line[_CLOSE - 2 : _CLOSE] == b'",' and line.endswith(b"]")):
            return {}  # the digest matched, so only a writer of another format could have made it
        key = line[_OPEN : _CLOSE - 2]
        if not _KEY.fullmatch(key):
            return {}
        entries[key.decode("ascii")] = line[_CLOSE:-1]
    return entries


def write_lines(path: Path, kind: str, entries: dict[str, bytes]) -> None:
    """Write `entries` (key → JSON text of one line, no line break) atomically, sorted by key."""
    # sorted by key alone: sorting (key, value) pairs costs three times as long
    body = b"".join(b'["' + key.encode("ascii") + b'",' + entries[key] + b"]\n" for key in sorted(entries))
    write_atomically(path, _header(kind, body) + b"\n" + body)


def encode(value: object) -> bytes | None:
    """A value as the JSON text of one line, or None when it cannot be one (it is then not kept)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return None
