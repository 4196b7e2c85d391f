"""Work kept between builds, by content: what was computed once from the same input is not computed again.

Two memos live in the build's cache folder (state.py), beside the parsed files
(parse_cache.py):

- `SegmentMemo`: jieba's cut of every sentence (derive/similar.py Segmenter.cache),
  under the segmenter's fingerprint (jieba's version, the library's domain words,
  protected names). Cutting is the cold part of the similar-case index.
- `BlobMemo`: finished files made by another program (a guide's .docx from pandoc,
  0.2-0.4 s each), under a key of everything that goes in.
- `HashMemo`: the change log's hash of each record, by the key of the file it was read from.

Each keeps only what the build that saved it used, so it never grows past one
library's worth. All are JSON or plain files: reading a cache never runs code.
A memo without a folder (no cache: `casebook doc`, tests) remembers nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import cache_json
from .dependencies import code_digest
from .state import key_of
from .workdir import write_atomically

SEGMENTS_FILE = "segments.json"
BLOB_FOLDER = "blobs"
HASHES_FILE = "snapshot-hashes.json"
TEXT_DIGESTS_FILE = "similar-text-digests.json"  # a HashMemo of similar_update.text_digest


class SegmentMemo:
    """sentence → terms for one segmenter fingerprint."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / SEGMENTS_FILE if folder is not None else None
        self.loaded_fingerprint = ""
        self.sentences: dict[str, list[str]] = {}
        if self.path is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and isinstance(data.get("sentences"), dict):
                    # One string a word, as a fresh cut shares them (Segmenter.expand): each
                    # read from JSON is its own, and every record's word counts hold them.
                    self.sentences = {sentence: _interned(terms) for sentence, terms in data["sentences"].items()}
                    self.loaded_fingerprint = str(data.get("fingerprint", ""))
            except (OSError, UnicodeDecodeError, ValueError, TypeError):  # TypeError: not a list of texts
                self.sentences = {}

    def for_fingerprint(self, fingerprint: str) -> dict[str, list[str]]:
        """The cut sentences of a segmenter with this fingerprint (another one's are of no use)."""
        return dict(self.sentences) if fingerprint == self.loaded_fingerprint else {}

    def save(self, fingerprint: str, used: dict[str, list[str]]) -> None:
        if self.path is None or (fingerprint == self.loaded_fingerprint and used.keys() == self.sentences.keys()):
            return
        payload = {"fingerprint": fingerprint, "sentences": dict(sorted(used.items()))}
        write_atomically(self.path, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _interned(terms: object) -> list[str]:
    if not isinstance(terms, list):
        raise TypeError("the terms of a sentence are a list")
    return [sys.intern(term) for term in terms]  # TypeError for anything but a text


class BlobMemo:
    """Finished files by key; those not asked for by the build that saves are removed."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder / BLOB_FOLDER if folder is not None else None
        self.used: set[str] = set()

    @staticmethod
    def key(*parts: str | bytes) -> str:
        return key_of(code_digest(), *parts)

    def get(self, key: str) -> bytes | None:
        if self.folder is None:
            return None
        self.used.add(key)
        try:
            return (self.folder / key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        if self.folder is not None:
            self.used.add(key)
            write_atomically(self.folder / key, data)

    def prune(self) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.is_file() and path.name not in self.used:
                path.unlink(missing_ok=True)


def remembered(memo: BlobMemo | None, key_parts: tuple[str | bytes, ...], make: Any) -> bytes:
    """`make()`'s bytes, or the bytes it gave before for the same key parts."""
    if memo is None:
        return make()
    key = memo.key(*key_parts)
    found = memo.get(key)
    if found is None:
        found = make()
        memo.put(key, found)
    return found


class HashMemo:
    """A document's snapshot hash by the key of the file it was read from (derive/changes.py).

    Hashing a document means writing all of it as JSON: 4.7 s for 100,000 records, every build,
    for records that did not change. A record the edition shows as it was read (site.source_keys)
    has the hash of its file's last reading. The generator's code is part of the memo: another
    version may write a model's JSON differently. Saved with only the keys this build asked for.

    `name`: the file, for another hash of a document read from its file alone (TEXT_DIGESTS_FILE:
    the digest of what the similar pass reads of a record, 2 s for 100,000 records)."""

    def __init__(self, folder: Path | None, name: str = HASHES_FILE) -> None:
        self.path = folder / name if folder is not None else None
        self.hashes: dict[str, str] = {}
        self.asked: dict[str, str] = {}
        if self.path is not None:
            try:
                data = cache_json.loads(self.path.read_bytes())
                if isinstance(data, dict) and data.get("code") == code_digest():
                    hashes = data.get("hashes")
                    if isinstance(hashes, dict) and all(isinstance(v, str) for v in hashes.values()):
                        self.hashes = hashes
            except (OSError, UnicodeDecodeError, ValueError):
                self.hashes = {}

    def get(self, key: str, make: Callable[[], str]) -> str:
        """The hash remembered for `key`, or `make()`'s (remembered from now on)."""
        found = self.hashes.get(key)
        if found is None:
            found = make()
        self.asked[key] = found
        return found

    def save(self) -> None:
        if self.path is None or self.asked == self.hashes:
            return
        payload = {"code": code_digest(), "hashes": {key: self.asked[key] for key in sorted(self.asked)}}
        try:
            write_atomically(self.path, cache_json.dumps(payload))
        except OSError:
            # Not kept costs only time (the next build hashes again). A full disk is reported
            # where the site is written, with that path; the memo, saved mid-build, is not it.
            return
