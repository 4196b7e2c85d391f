"""Parsed library files kept between builds: a file read before is not parsed again.

Parsing is most of reading a library (PyYAML's composer, our position-keeping
builder, the conformance scan: about 2 ms a file, 20 s at 10,000 records on
two busy cores). A file whose text is unchanged parses to the same data, so
the data of every clean file (one that parsed and met its contract) is kept
under a key of its path, kind and text and of the generator's own code. A
file found there is only validated against its contract model again (from
plain data, 0.2 ms). Its value positions are not kept: they are needed only
for a message, and then the file is parsed again (LazyPositions).

One JSON file in the build's cache folder (state.py), rewritten only when
something was added or dropped: JSON, so that reading the cache never runs
code; plain data only (strings, booleans, None, lists, string-keyed maps),
which is all the position-keeping loader makes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .dependencies import code_digest
from .load import LoadedYaml, Span, parse_yaml
from .state import key_of
from .workdir import write_atomically

CACHE_FILE = "parsed.json"


class ParseCache:
    """Key → parsed data of clean files; what this build used is what the next one keeps."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.changed = False
        if path is not None:
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                loaded = {}
            if isinstance(loaded, dict) and loaded.get("code") == code_digest():
                entries = loaded.get("files")
                self.entries = entries if isinstance(entries, dict) else {}

    @staticmethod
    def key(relative: str, kind: str, text: str) -> str:
        return key_of(code_digest(), relative, kind, text)

    def get(self, key: str) -> Any | None:
        data = self.entries.get(key)
        if data is not None:
            self.used[key] = data
        return data

    def put(self, key: str, data: Any) -> None:
        if self.path is not None and is_plain(data):
            self.used[key] = data
            self.changed = True

    def save(self) -> None:
        """Keep what this build used (and nothing else), atomically; untouched when nothing changed."""
        if self.path is None or (not self.changed and self.used.keys() == self.entries.keys()):
            return
        payload = {"code": code_digest(), "files": dict(sorted(self.used.items()))}
        write_atomically(self.path, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


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
    """The positions of a file that came from the cache: it is parsed again when a message needs one."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._loaded: LoadedYaml | None = None

    def _parsed(self) -> LoadedYaml:
        if self._loaded is None:
            loaded, _ = parse_yaml(self._text)
            self._loaded = loaded if loaded is not None else LoadedYaml(None)
        return self._loaded

    def span(self, path: tuple[str | int, ...], *, key: bool = False) -> Span:
        return self._parsed().span(path, key=key)

    def text_position(self, path: tuple[str | int, ...], offset: int) -> tuple[int, int]:
        return self._parsed().text_position(path, offset)

    def __getattr__(self, name: str) -> Any:  # data, values, keys, lines: as a parsed file has them
        return getattr(self._parsed(), name)
