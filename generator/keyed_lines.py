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
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from .dependencies import code_digest
from .workdir import write_atomically

FORMAT = 1
_KEY = re.compile(rb"[0-9a-f]{40}")  # state.key_of: 20 bytes of blake2b, in hex
_OPEN = 2  # len(b'["')
_CLOSE = _OPEN + 40 + 2  # b'["' key b'",'


def _header(kind: str, digest: str) -> bytes:
    fields = {"format": FORMAT, "kind": kind, "code": code_digest(), "digest": digest}
    return json.dumps(fields, sort_keys=True).encode("ascii")


def _digest(body: bytes | memoryview) -> str:
    """Length and CRC-32 of the lines: made for catching accidental damage (a cryptographic digest
    of 40 MB took 0.08 s, this 0.014 s). Someone who may write in the cache folder could forge it, as
    they could write a state: the folder is as trusted as the site beside it (state.py)."""
    return f"{len(body)}-{zlib.crc32(body):08x}"


DELTA_FROM = 2_000  # entries used: a smaller file is always written whole
DELTA_SHARE = 0.25  # at most this share of the entries used may be new (in the delta) or unused


class Lines(MutableMapping[str, bytes]):
    """key → value of a cache file's lines, each value cut from the file's bytes only when asked
    for, with entries set since (`extra`) in front.

    Cutting all of them at once copied the 400 MB of parsed data at 100,000 records and held
    the copies through the build, each record's bytes kept in case its model is wanted
    (facts.LazyRecord): 1.7 s a build. The positions of the lines cost 0.1 s to find."""

    def __init__(
        self, body: bytes = b"", spans: dict[str, tuple[int, int]] | None = None, extra: dict[str, bytes] | None = None
    ) -> None:
        self.body = body
        self.spans = spans if spans is not None else {}
        self.extra = extra if extra is not None else {}

    def __getitem__(self, key: str) -> bytes:
        found = self.extra.get(key)
        if found is not None:
            return found
        start, end = self.spans[key]
        return self.body[start:end]

    def __setitem__(self, key: str, value: bytes) -> None:
        self.extra[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.extra.pop(key, None)
        self.spans.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self.extra or key in self.spans

    def __iter__(self) -> Iterator[str]:
        yield from self.spans
        yield from (key for key in self.extra if key not in self.spans)

    def __len__(self) -> int:
        return len(self.spans) + sum(1 for key in self.extra if key not in self.spans)

    def in_file(self, key: str) -> bool:
        """Whether `key`'s value is the file's own (not set since)."""
        return key in self.spans and key not in self.extra


class AsRead:
    """A value in a build's `used` map standing for the value the store read (not copied out)."""


AS_READ = AsRead()


@dataclass
class Store:
    """What a build read of one cache file and its delta: `entries` holds both."""

    entries: Lines = field(default_factory=Lines)
    base: Lines = field(default_factory=Lines)  # the file's own entries
    base_digest: str | None = None  # its checksum (None: no usable file)
    delta: dict[str, bytes] = field(default_factory=dict)  # the delta's entries, when it was read


def read_lines(path: Path | None, kind: str) -> dict[str, bytes]:
    """key → the JSON text of its value, or {} when the file is missing, damaged or another generator's."""
    return dict(read_store(path, kind).entries)


def read_store(path: Path | None, kind: str) -> Store:
    """The file's entries and those of its delta, if the delta adds to this very file."""
    if path is None:
        return Store()
    base = _read_body(path, lambda digest: _header(kind, digest))
    if base is None:
        return Store()
    raw, start, base_digest = base
    spans = _spans(raw, start)
    if spans is None:
        return Store()
    store = Store(Lines(raw, spans), Lines(raw, spans), base_digest)
    found = _read_body(delta_path(path), lambda digest: _delta_header(kind, digest, base_digest))
    delta_spans = _spans(found[0], found[1]) if found is not None else None
    if found is not None and delta_spans:
        delta = dict(Lines(found[0], delta_spans))
        store.entries = Lines(raw, spans, dict(delta))
        store.delta = delta
    return store


def save_store(path: Path, kind: str, store: Store, used: Mapping[str, bytes | AsRead]) -> None:
    """Keep `used` (key → JSON text, or AS_READ for the value `store` read): as a delta to the
    file read when that is small enough, else by writing the file whole; nothing is written
    when the delta would not change."""
    if store.base_digest is not None and len(used) >= DELTA_FROM:
        base = store.base
        added = {}
        for key, value in used.items():
            if isinstance(value, AsRead):
                if not store.entries.in_file(key):  # read from the delta
                    added[key] = store.entries[key]
            elif key not in base or base[key] != value:
                added[key] = value
        unused = sum(1 for key in base if key not in used)
        if len(added) + unused <= DELTA_SHARE * len(used):
            if added != store.delta:
                body = _body(added)
                header = _delta_header(kind, _digest(body), store.base_digest)
                write_atomically(delta_path(path), header + b"\n" + body)
            return
    write_lines(path, kind, {key: store.entries[key] if isinstance(v, AsRead) else v for key, v in used.items()})
    delta_path(path).unlink(missing_ok=True)


def delta_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.delta")


def _delta_header(kind: str, digest: str, base_digest: str) -> bytes:
    fields = {"format": FORMAT, "kind": kind, "code": code_digest(), "digest": digest, "base": base_digest}
    return json.dumps(fields, sort_keys=True).encode("ascii")


def _read_body(path: Path, header: Callable[[str], bytes]) -> tuple[bytes, int, str] | None:
    """(the file's bytes, where the lines after the first start, their checksum) of a file whose
    first line is `header(checksum of the lines after it)`. The lines are not copied out of it."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    end = raw.find(b"\n")
    start = end + 1 if end >= 0 else len(raw)
    digest = _digest(memoryview(raw)[start:])
    if raw[: end if end >= 0 else len(raw)] != header(digest):
        return None
    return raw, start, digest


def _spans(body: bytes, at: int = 0) -> dict[str, tuple[int, int]] | None:
    """key → where its value is in `body`, for the checked lines from `at` on; None when a line is
    not of this format."""
    spans: dict[str, tuple[int, int]] = {}
    size, find, fullmatch = len(body), body.find, _KEY.fullmatch
    while at < size:
        end = find(b"\n", at)
        if end < 0:
            end = size
        if end > at:
            # the digest matched, so only a writer of another format could have made a line unlike this
            if body[at : at + _OPEN] != b'["' or body[at + _CLOSE - 2 : at + _CLOSE] != b'",' or body[end - 1] != 0x5D:
                return None
            key = body[at + _OPEN : at + _CLOSE - 2]
            if end - at < _CLOSE + 1 or not fullmatch(key):
                return None
            spans[key.decode("ascii")] = (at + _CLOSE, end - 1)
        at = end + 1
    return spans


def write_lines(path: Path, kind: str, entries: Mapping[str, bytes]) -> None:
    """Write `entries` (key → JSON text of one line, no line break) atomically, sorted by key."""
    body = _body(entries)
    write_atomically(path, _header(kind, _digest(body)) + b"\n" + body)


def _body(entries: Mapping[str, bytes]) -> bytes:
    # sorted by key alone: sorting (key, value) pairs costs three times as long
    return b"".join(b'["' + key.encode("ascii") + b'",' + entries[key] + b"]\n" for key in sorted(entries))


def encode(value: object) -> bytes | None:
    """A value as the JSON text of one line, or None when it cannot be one (it is then not kept)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return None


class KeptLines:
    """A cache file of key → JSON line that a build reads from and writes back only the entries it
    used (read_store, save_store): the records' facts (derive/facts.py) and export JSON (export.py).

    `get` marks an entry used; `put` adds one (nothing when the store has no file, or the key
    was used already); `save` keeps exactly the used entries, and writes nothing when they
    are the file's own. Not kept costs only time: the next build makes them again."""

    def __init__(self, path: Path | None, kind: str) -> None:
        self.path = path
        self.kind = kind
        self.store = read_store(path, kind)
        self.used: dict[str, bytes | AsRead] = {}
        self.changed = False

    def get(self, key: str) -> bytes | None:
        data = self.store.entries.get(key)
        if data is not None:
            self.used[key] = AS_READ
        return data

    def put(self, key: str, data: bytes) -> None:
        if self.path is None or key in self.used:
            return
        self.used[key] = data
        self.changed = True

    def save(self) -> None:
        if self.path is None or (not self.changed and self.used.keys() == self.store.entries.keys()):
            return
        try:
            save_store(self.path, self.kind, self.store, self.used)
        except OSError:
            return
