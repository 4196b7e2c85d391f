"""Parsed library files kept between builds: a file read before is not parsed again.

Parsing is most of reading a library (PyYAML's composer, our position-keeping
builder, the conformance scan: about 2 ms a file, 20 s at 10,000 records on
two busy cores). A file whose text is unchanged parses to the same data, so
the data of every clean file (one that parsed and met its contract) is kept
under a key of its path, kind and text and of the generator's own code. A
file found there is only validated against its contract model again, by
pydantic straight from the stored JSON text (library.cached_document: 0.1 ms
a record). Its value positions are not kept: they are needed only for a
message, and then the file is parsed again (LazyPositions). The key holds
the digest of the file's bytes, which the build's fingerprint already knows
for every file unchanged since the last build (file_digests.py): such a file
is not even read (library.FileReader.known).

One JSON Lines file in the build's cache folder (state.py; keyed_lines.py
says why lines, and how a few new entries go to a delta file beside it): JSON,
so that reading the cache never runs code; plain data only (strings,
booleans, None, lists, string-keyed maps), which is all the position-keeping
loader makes.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .dependencies import code_digest
from .keyed_lines import AS_READ, AsRead, encode, read_store, save_store
from .load import LoadedYaml, Span, parse_yaml
from .state import digest, key_of

CACHE_FILE = "parsed.jsonl"
FORMER_FILES = ("parsed.json",)  # what earlier versions kept here: removed by the first save
KIND = "parsed"


class ParseCache:
    """Key → the JSON text of a clean file's parsed data; what this build used is what the next one keeps."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        with collector_paused():
            self.store = read_store(path, KIND)
            self.entries = self.store.entries
        self.used: dict[str, bytes | AsRead] = {}
        self.changed = False

    @staticmethod
    def key(relative: str, kind: str, text: str) -> str:
        """The key of a file read as `text`: that of its bytes (a file without a byte order mark
        is its text's UTF-8, byte for byte), so a file known by its digest is found unread."""
        return ParseCache.file_key(relative, kind, digest(text.encode("utf-8", "surrogatepass")))

    @staticmethod
    def file_key(relative: str, kind: str, file_digest: str) -> str:
        """The key of a file whose bytes have `file_digest` (state.digest): path, kind, bytes, generator."""
        return key_of(code_digest(), relative, kind, file_digest)

    def get(self, key: str) -> bytes | None:
        """The JSON text of the data parsed from the file of this key, if it was kept."""
        data = self.entries.get(key)
        if data is not None:
            self.used[key] = AS_READ
        return data

    def loader(self, key: str) -> Callable[[], bytes] | None:
        """What gives the JSON text of this key's data when called (its bytes are cut from the
        cache file only then: a record read without a model may never need them), or None."""
        if key not in self.entries:
            return None
        self.used[key] = AS_READ
        return functools.partial(self.entries.__getitem__, key)

    def put(self, key: str, data: Any) -> None:
        self.keep(key, self.encoded(data))

    def encoded(self, data: Any) -> bytes | None:
        """The JSON text this cache would keep of `data` (None: it keeps nothing of it).

        Apart from `keep`, so a reader can hold the few bytes of a file's data, not the
        data itself, until it knows whether the file is clean."""
        if self.path is None or not is_plain(data):
            return None
        return encode(data)

    def keep(self, key: str, encoded: bytes | None) -> None:
        if encoded is not None:
            self.used[key] = encoded
            self.changed = True

    def save(self) -> None:
        """Keep what this build used (and nothing else), atomically; untouched when nothing changed."""
        if self.path is None:
            return
        for name in FORMER_FILES:
            (self.path.parent / name).unlink(missing_ok=True)
        if not self.changed and self.used.keys() == self.entries.keys():
            return
        save_store(self.path, KIND, self.store, self.used)


def is_plain(value: Any, depth: int = 0) -> bool:
    """Data that JSON gives back unchanged."""
    if depth > 64:
        return False
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, list):
        return all(is_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v, depth + 1) for k, v in value.items())
    return False


class LazyPositions:
    """The positions of a file that came from the cache: it is parsed again when a message needs one.

    `text`: the file's text, or what reads it then (a file found by its digest was not read)."""

    def __init__(self, text: str | Callable[[], str]) -> None:
        self._text = text
        self._loaded: LoadedYaml | None = None

    def _parsed(self) -> LoadedYaml:
        if self._loaded is None:
            loaded, _ = parse_yaml(self._text if isinstance(self._text, str) else self._text())
            self._loaded = loaded if loaded is not None else LoadedYaml(None)
        return self._loaded

    def span(self, path: tuple[str | int, ...], *, key: bool = False) -> Span:
        return self._parsed().span(path, key=key)

    def text_position(self, path: tuple[str | int, ...], offset: int) -> tuple[int, int]:
        return self._parsed().text_position(path, offset)

    def __getattr__(self, name: str) -> Any:  # data, values, keys, lines: as a parsed file has them
        return getattr(self._parsed(), name)


@contextmanager
def collector_paused(keep: bool = False, sweep: bool = False) -> Iterator[None]:
    """Python's cycle collector off while a library is read into objects, back on after.

    Reading 10,000 files makes millions of objects that all live on, and none in a
    cycle; each full collection meanwhile walks every one made so far, which tripled
    the time to build the models (2.5 s instead of 0.7 s). Nested, or from several
    threads at once, the collector is on again once the first block that found it on
    is left.

    The first collection after the block still walks everything made in it once (0.5 s
    at 10,000 records), and later full ones again. With `keep`, what exists when the
    block ends is moved out of the collector's sight for good instead (gc.freeze): for
    a process whose library lives until it exits, a build. Such objects are still freed
    when no longer used; only a cycle among them would never be (reading 2,000 records
    left 7 to 150 small objects in cycles). `keep` acts in the block that found the
    collector on.

    `sweep` (with `keep`): first collect what the block made and left in cycles, by
    collecting the youngest generation, where all of it still is. Rendering the pages at
    10,000 records leaves 56,000 such objects (jinja's macros hold each page's context, the
    ledgers' rows and the site model among it), found in 0.08 s; reading the library leaves 7,
    deriving the site about 200 (build.py imports jieba first), and the same walk over their
    millions of objects would cost more than it frees (1.75 s at 100,000 records), so they are
    not swept."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            if keep:
                if sweep:
                    gc.collect(0)
                gc.freeze()
            gc.enable()


def freeze_while_paused() -> None:
    """Inside a collector_paused(keep=True, sweep=True) block: move what exists so far out of the
    sweep's way (gc.freeze), so that the sweep walks only what is made after this.

    The render stage's sweep looks for the cycles jinja's macros leave (render_pages); it walked
    everything the stage had made, the ledgers' rows and the search rows among them, 2.3 s of a
    one-record rebuild at 100,000 records. What is frozen here must hold no cycle (it would
    never be collected): call it before anything that may. Outside a paused block it does nothing."""
    if not gc.isenabled():
        gc.freeze()
