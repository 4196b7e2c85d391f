"""Run a query against a built site's search files, as the browser script does.

Used by the tests (to prove the index exact against a brute-force scan) and
by `casebook bench` (to measure how many bytes one query downloads). It reads
the same files with the same algorithm as assets/casebook.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .codec import fnv1a, read_varint
from .index import DATA_DIR
from .text import TERM_RUN, normalise


@dataclass
class QueryResult:
    docs: dict[int, int]  # doc number → number of phrase matches (1 for character queries)
    files: set[str] = field(default_factory=set)  # data files fetched, relative to the data folder

    def payload_bytes(self, data: Path) -> int:
        return sum((data / name).stat().st_size for name in self.files)


class SiteIndex:
    def __init__(self, site: Path) -> None:
        self.data = site / DATA_DIR
        self.header = json.loads((self.data / "docs.json").read_text(encoding="utf-8"))

    def term(self, kind: str, key: str, files: set[str]) -> bytes | None:
        encoded = key.encode("utf-8")
        shard = f"{kind}/{fnv1a(encoded) % self.header[kind]}.bin"
        files.add(shard)
        data = (self.data / shard).read_bytes()
        offset = 0
        while offset < len(data):
            length, offset = read_varint(data, offset)
            found = data[offset : offset + length]
            offset += length
            flag, offset = read_varint(data, offset)
            size = flag // 2
            if found == encoded:
                if flag % 2:
                    external = f"{kind}/x{encoded.hex()}.bin"
                    files.add(external)
                    return (self.data / external).read_bytes()
                return data[offset : offset + size]
            if not flag % 2:
                offset += size
        return None

    def search(self, query: str) -> QueryResult:
        """Docs containing every whitespace-separated term of `query`."""
        result: QueryResult | None = None
        files: set[str] = set()
        for term in query.split():
            matches = self.match_term(term, files)
            if result is None:
                result = QueryResult(matches, files)
            else:
                result.docs = {d: n + matches[d] for d, n in result.docs.items() if d in matches}
        return result or QueryResult({}, files)

    def match_term(self, term: str, files: set[str]) -> dict[int, int]:
        normal = normalise(term)
        needs: list[tuple[str, int]] = []
        singles: list[str] = []
        for run in TERM_RUN.finditer(normal):
            word, start = run.group(), run.start()
            if len(word) == 1:
                singles.append(word)
                continue
            offsets = list(range(0, len(word) - 1, 2))
            if offsets[-1] != len(word) - 2:
                offsets.append(len(word) - 2)
            needs += [(word[o : o + 2], start + o) for o in offsets]
        if not needs and not singles:
            return {}
        doc_sets = [set(_docs(self.term("uni", char, files))) for char in singles]
        if not needs:
            common = set.intersection(*doc_sets)
            return dict.fromkeys(sorted(common), 1)
        postings = [_positional(self.term("bi", key, files)) for key, _ in needs]
        out: dict[int, int] = {}
        base_offset = needs[0][1]
        for doc, positions in postings[0].items():
            if not all(doc in p for p in postings[1:]) or not all(doc in s for s in doc_sets):
                continue
            others = [set(p[doc]) for p in postings[1:]]
            count = sum(
                1
                for position in positions
                if all(position - base_offset + offset in other for other, (_, offset) in zip(others, needs[1:], strict=True))
            )
            if count:
                out[doc] = count
        return out


def _positional(data: bytes | None) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if not data:
        return out
    count, offset = read_varint(data, 0)
    doc = 0
    for _ in range(count):
        delta, offset = read_varint(data, offset)
        doc += delta
        n, offset = read_varint(data, offset)
        position, positions = 0, []
        for _ in range(n):
            step, offset = read_varint(data, offset)
            position += step
            positions.append(position)
        out[doc] = positions
    return out


def _docs(data: bytes | None) -> list[int]:
    if not data:
        return []
    count, offset = read_varint(data, 0)
    doc, out = 0, []
    for _ in range(count):
        delta, offset = read_varint(data, offset)
        doc += delta
        out.append(doc)
    return out
