"""Run a query against a built site's search files, as the browser script does.

Used by the tests (to prove the index exact against a brute-force scan) and
by `casebook bench` (to measure how many bytes one query downloads). It reads
the same files with the same algorithm as assets/casebook.js.
"""

from __future__ import annotations

import itertools
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
    first: dict[int, int] = field(default_factory=dict)  # doc → position of the first match, when known
    ranges: set[tuple[str, int, int]] = field(default_factory=set)  # (file, start, end): byte ranges fetched

    def payload_bytes(self, data: Path) -> int:
        whole = sum((data / name).stat().st_size for name in self.files)
        return whole + sum(end - start for name, start, end in self.ranges if name not in self.files)


class SiteIndex:
    def __init__(self, site: Path) -> None:
        self.data = site / DATA_DIR
        self.header = json.loads((self.data / "docs.json").read_text(encoding="utf-8"))
        self._files: dict[str, bytes] = {}  # like the browser's cache: each file is read once

    def read(self, name: str) -> bytes:
        if name not in self._files:
            self._files[name] = (self.data / name).read_bytes()
        return self._files[name]

    def entry(self, kind: str, key: str, files: set[str]) -> tuple[bytes | None, int, bool]:
        """(inline data, size, external) of a term from its shard; (None, 0, False) when absent."""
        encoded = key.encode("utf-8")
        shard = f"{kind}/{fnv1a(encoded) % self.header[kind]}.bin"
        files.add(shard)
        data = self.read(shard)
        offset = 0
        while offset < len(data):
            length, offset = read_varint(data, offset)
            found = data[offset : offset + length]
            offset += length
            flag, offset = read_varint(data, offset)
            size, external = flag // 2, bool(flag % 2)
            if found == encoded:
                return (None if external else data[offset : offset + size]), size, external
            if not external:
                offset += size
        return None, 0, False

    def fetch(self, kind: str, key: str, variant: str, files: set[str]) -> bytes:
        name = f"{kind}/{variant}{key.encode('utf-8').hex()}.bin"
        files.add(name)
        return self.read(name)

    def search(self, query: str) -> QueryResult:
        """Docs containing every whitespace-separated term of `query`."""
        result: QueryResult | None = None
        files: set[str] = set()
        for term in query.split():
            first: dict[int, int] = {}
            matches = self.match_term(term, files, first)
            if result is None:
                result = QueryResult(matches, files, first)
            else:
                result.docs = {d: n + matches[d] for d, n in result.docs.items() if d in matches}
        return result or QueryResult({}, files)

    def meta_file(self, doc: int) -> str:
        return f"meta/{doc // self.header['chunk']}.json"

    def meta_row(self, doc: int) -> list:
        """[href, title, line, pack, slice offsets] of a doc (index._write_pages)."""
        return json.loads(self.read(self.meta_file(doc)))[doc % self.header["chunk"]]

    def snippet_range(self, doc: int, first: int | None) -> tuple[str, int, int]:
        """(pack file, start, end): the bytes of the text slice a result row downloads for its
        snippet (see index.text_chunks), from the doc's meta row, which the row loads anyway."""
        step = self.header["text"][0]
        _, _, _, pack, offsets = self.meta_row(doc)
        k = min(max(0, (first or 0) - 30) // step, len(offsets) - 2)
        return f"text/{pack}.txt", offsets[k], offsets[k + 1]

    def text_slices(self, doc: int) -> list[str]:
        """Every text slice of a doc, as the browser would fetch them one by one."""
        _, _, _, pack, offsets = self.meta_row(doc)
        data = self.read(f"text/{pack}.txt")
        return [data[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets)]

    def page_text(self, doc: int) -> str:
        """A doc's whole indexed text, put back together from its overlapping slices."""
        slices = self.text_slices(doc)
        step = self.header["text"][0]
        return "".join(piece[:step] for piece in slices[:-1]) + slices[-1]

    def match_term(self, term: str, files: set[str], first: dict[int, int] | None = None) -> dict[int, int]:
        """Doc → occurrences of one whitespace-free term; `first` receives first match positions."""
        first = {} if first is None else first
        normal = normalise(term)
        runs = [(run.group(), run.start()) for run in TERM_RUN.finditer(normal)]
        singles = [word for word, _ in runs if len(word) == 1]
        words = [(word, start) for word, start in runs if len(word) > 1]
        if not runs:
            return {}
        doc_sets = [set(_docs(self._uni(char, files))) for char in singles]
        if not words:
            return dict.fromkeys(sorted(set.intersection(*doc_sets)), 1)
        if len(words) == 1 and len(words[0][0]) == 2 and not singles:
            word, start = words[0]
            inline, _, external = self.entry("bi", word, files)
            if external:
                return _doc_level(self.fetch("bi", word, "d", files), first, start)
            found = _positional(inline)
            first.update({doc: positions[0] - start for doc, positions in found.items()})
            return {doc: len(positions) for doc, positions in found.items()}
        if len(words) == 1 and len(words[0][0]) == 3 and not singles:
            word, start = words[0]
            pairs = [self.entry("bi", word[o : o + 2], files) for o in (0, 1)]
            if all(external for _, _, external in pairs):  # then the trigram has a document-level entry
                inline, _, external = self.entry("tri", word, files)
                data = self.fetch("tri", word, "x", files) if external else inline
                return _doc_level(data, first, start)
        needs: list[tuple[dict[int, list[int]], int]] = []
        for word, start in words:
            entries = [self.entry("bi", word[o : o + 2], files) for o in range(len(word) - 1)]
            for offset in cheapest_cover(
                [0 if inline is not None or not external else size for inline, size, external in entries]
            ):
                inline, _, external = entries[offset]
                data = self.fetch("bi", word[offset : offset + 2], "x", files) if external else inline
                needs.append((_positional(data), start + offset))
        out: dict[int, int] = {}
        base, base_offset = needs[0]
        for doc, positions in base.items():
            if not all(doc in p for p, _ in needs[1:]) or not all(doc in s for s in doc_sets):
                continue
            others = [(set(p[doc]), offset) for p, offset in needs[1:]]
            hits = [p - base_offset for p in positions if all(p - base_offset + o in found for found, o in others)]
            if hits:
                out[doc] = len(hits)
                first[doc] = hits[0]
        return out

    def _uni(self, char: str, files: set[str]) -> bytes | None:
        inline, _, external = self.entry("uni", char, files)
        return self.fetch("uni", char, "x", files) if external else inline


def cheapest_cover(costs: list[int]) -> list[int]:
    """Offsets of bigrams covering every character of a word at least once, at least total cost.

    costs[o] is the download cost of the bigram at offset o (0 when its data
    came inline with its shard). Offsets 0 and the last are required; chosen
    offsets may be at most 2 apart. Ties go to fewer, earlier bigrams.
    """
    best: list[tuple[int, int, list[int]]] = []
    for offset, cost in enumerate(costs):
        if offset == 0:
            best.append((cost, 1, [0]))
            continue
        candidates = [best[offset - 1]] + ([best[offset - 2]] if offset >= 2 else [])
        total, count, chosen = min(candidates, key=lambda c: (c[0], c[1]))
        best.append((total + cost, count + 1, [*chosen, offset]))
    return best[-1][2]


def _doc_level(data: bytes | None, first: dict[int, int], start: int) -> dict[int, int]:
    """[n][doc delta, occurrences, first position]… → doc → occurrences; first positions into `first`."""
    out: dict[int, int] = {}
    if not data:
        return out
    count, offset = read_varint(data, 0)
    doc = 0
    for _ in range(count):
        delta, offset = read_varint(data, offset)
        occurrences, offset = read_varint(data, offset)
        position, offset = read_varint(data, offset)
        doc += delta
        out[doc] = occurrences
        first[doc] = position - start
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
