"""Page texts → encoded postings, with array operations instead of a Python loop per character.

At 10,000 records the pages hold about 17 million characters. Walking them
one bigram at a time in Python took 35 s; here every step is a numpy array
operation over the whole corpus at once: code points of all pages in one
array, bigram keys as 64-bit integers, one stable sort that groups them by
key (positions stay in page order), and LEB128 varints written for all
values together. The byte format is the one codec.py describes and the
browser reads; tests/search_reference.py builds the same bytes the slow,
obvious way and the tests compare the two.

Encodings (all unsigned LEB128 varints):

    positional   [n docs] then per doc: [doc delta][n positions][position deltas …]
    doc-level    [n docs] then per doc: [doc delta][occurrences][first position]
    doc list     [n docs][doc deltas …]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .text import TERM_RUN

CODE_BITS = 21  # every Unicode code point fits in 21 bits
CODE_MASK = (1 << CODE_BITS) - 1


@dataclass
class Corpus:
    """Every page's normalised text as one array of code points, pages separated by a non-letter."""

    codes: np.ndarray  # uint32 code points, "\0" between pages
    doc: np.ndarray  # page number of every character
    position: np.ndarray  # position of every character within its page
    letter: np.ndarray  # True where the character is a letter or digit (bigrams are made of these)

    @classmethod
    def of(cls, texts: list[str]) -> Corpus:
        joined = "\0".join(texts)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4").astype(np.uint32)
        lengths = np.array([len(text) + 1 for text in texts], dtype=np.int32)
        doc = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)[: len(codes)]
        starts = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)[:-1])).astype(np.int32)
        position = np.arange(len(codes), dtype=np.int32) - starts[doc]
        present = np.flatnonzero(np.bincount(codes)) if len(codes) else np.array([], dtype=np.int64)
        table = np.zeros(int(present.max()) + 1 if len(present) else 1, dtype=bool)
        for code in present:
            table[code] = TERM_RUN.fullmatch(chr(code)) is not None  # the same rule as the browser's
        return cls(codes, doc, position, table[codes])


@dataclass
class Grouped:
    """Occurrences sorted by (key, doc, position), with where each key's and each (key, doc)'s run starts."""

    keys: np.ndarray  # uint64, one per occurrence
    doc: np.ndarray
    position: np.ndarray
    key_starts: np.ndarray  # index of the first occurrence of each distinct key
    group_starts: np.ndarray  # index of the first occurrence of each (key, doc)

    @classmethod
    def of(cls, keys: np.ndarray, doc: np.ndarray, position: np.ndarray) -> Grouped:
        order = np.argsort(keys, kind="stable")  # occurrences arrive in (doc, position) order
        keys, doc, position = keys[order], doc[order], position[order]
        new_key = np.empty(len(keys), dtype=bool)
        new_doc = np.empty(len(keys), dtype=bool)
        if len(keys):
            new_key[0] = new_doc[0] = True
            np.not_equal(keys[1:], keys[:-1], out=new_key[1:])
            np.not_equal(doc[1:], doc[:-1], out=new_doc[1:])
            new_doc |= new_key
        return cls(keys, doc, position, np.flatnonzero(new_key), np.flatnonzero(new_doc))

    def distinct_keys(self) -> np.ndarray:
        return self.keys[self.key_starts]


def bigrams(corpus: Corpus) -> Grouped:
    at = np.flatnonzero(corpus.letter[:-1] & corpus.letter[1:])
    keys = (corpus.codes[at].astype(np.uint64) << np.uint64(CODE_BITS)) | corpus.codes[at + 1].astype(np.uint64)
    return Grouped.of(keys, corpus.doc[at], corpus.position[at])


def trigrams_of(corpus: Corpus, bigram_keys: np.ndarray) -> Grouped:
    """Occurrences of trigrams whose first and second bigram are both in `bigram_keys`."""
    at = np.flatnonzero(corpus.letter[:-2] & corpus.letter[1:-1] & corpus.letter[2:])
    first = (corpus.codes[at].astype(np.uint64) << np.uint64(CODE_BITS)) | corpus.codes[at + 1].astype(np.uint64)
    second = (corpus.codes[at + 1].astype(np.uint64) << np.uint64(CODE_BITS)) | corpus.codes[at + 2].astype(np.uint64)
    chosen = np.isin(first, bigram_keys) & np.isin(second, bigram_keys)
    at = at[chosen]
    keys = (first[chosen] << np.uint64(CODE_BITS)) | corpus.codes[at + 2].astype(np.uint64)
    return Grouped.of(keys, corpus.doc[at], corpus.position[at])


def characters(corpus: Corpus) -> Grouped:
    """One occurrence per (letter, page): the first, so positions are first positions."""
    at = np.flatnonzero(corpus.letter)
    keys = corpus.codes[at].astype(np.uint64)
    grouped = Grouped.of(keys, corpus.doc[at], corpus.position[at])
    first = grouped.group_starts
    return Grouped.of(grouped.keys[first], grouped.doc[first], grouped.position[first])


def key_text(key: int, length: int) -> str:
    return "".join(chr((key >> (CODE_BITS * (length - 1 - i))) & CODE_MASK) for i in range(length))


def encode_positional(grouped: Grouped) -> list[bytes]:
    """One positional posting list per distinct key, in key order."""
    n = len(grouped.keys)
    groups = grouped.group_starts
    key_of_group = np.searchsorted(grouped.key_starts, groups, side="right") - 1
    first_group_of_key = np.searchsorted(groups, grouped.key_starts)

    position_deltas = grouped.position.copy()
    same_group = np.ones(n, dtype=bool)
    same_group[groups] = False
    position_deltas[1:][same_group[1:]] -= grouped.position[:-1][same_group[1:]]

    group_docs = grouped.doc[groups]
    doc_deltas = group_docs.copy()
    continuing = np.ones(len(groups), dtype=bool)
    continuing[first_group_of_key] = False
    doc_deltas[1:][continuing[1:]] -= group_docs[:-1][continuing[1:]]
    group_sizes = np.diff(np.append(groups, n))
    key_doc_counts = np.diff(np.append(first_group_of_key, len(groups)))

    # Slot of every value in the stream: each key adds 1 header, each (key, doc) 2.
    values = np.empty(n + 2 * len(groups) + len(grouped.key_starts), dtype=np.uint32)
    key_slots = grouped.key_starts + 2 * first_group_of_key + np.arange(len(grouped.key_starts))
    group_slots = groups + 2 * np.arange(len(groups)) + key_of_group + 1
    element_slots = np.repeat(2 * np.arange(1, len(groups) + 1) + key_of_group + 1, group_sizes)
    element_slots += np.arange(n)
    values[key_slots] = key_doc_counts
    values[group_slots] = doc_deltas
    values[group_slots + 1] = group_sizes
    values[element_slots] = position_deltas
    return _split(values, key_slots)


def encode_doc_level(grouped: Grouped) -> list[bytes]:
    """Per key: the pages it occurs in, how often, and where first."""
    groups = grouped.group_starts
    n = len(grouped.keys)
    first_group_of_key = np.searchsorted(groups, grouped.key_starts)
    group_docs = grouped.doc[groups]
    doc_deltas = group_docs.copy()
    continuing = np.ones(len(groups), dtype=bool)
    continuing[first_group_of_key] = False
    doc_deltas[1:][continuing[1:]] -= group_docs[:-1][continuing[1:]]
    key_doc_counts = np.diff(np.append(first_group_of_key, len(groups)))

    values = np.empty(3 * len(groups) + len(grouped.key_starts), dtype=np.uint32)
    key_slots = 3 * first_group_of_key + np.arange(len(grouped.key_starts))
    key_of_group = np.searchsorted(first_group_of_key, np.arange(len(groups)), side="right")
    group_slots = 3 * np.arange(len(groups)) + key_of_group
    values[key_slots] = key_doc_counts
    values[group_slots] = doc_deltas
    values[group_slots + 1] = np.diff(np.append(groups, n))
    values[group_slots + 2] = grouped.position[groups]
    return _split(values, key_slots)


def encode_doc_lists(grouped: Grouped) -> list[bytes]:
    """Per key: [n docs][doc deltas …] (`grouped` has one occurrence per key and page)."""
    starts = grouped.key_starts
    n = len(grouped.keys)
    doc_deltas = grouped.doc.copy()
    continuing = np.ones(n, dtype=bool)
    continuing[starts] = False
    doc_deltas[1:][continuing[1:]] -= grouped.doc[:-1][continuing[1:]]
    values = np.empty(n + len(starts), dtype=np.uint32)
    key_slots = starts + np.arange(len(starts))
    element_slots = np.arange(n) + np.searchsorted(starts, np.arange(n), side="right")
    values[key_slots] = np.diff(np.append(starts, n))
    values[element_slots] = doc_deltas
    return _split(values, key_slots)


def varint_bytes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, start of each value's encoding): unsigned LEB128 of 32-bit values (at most 5 bytes each)."""
    values = values.astype(np.uint32, copy=False)
    widths = np.ones(len(values), dtype=np.uint8)
    for bits in (7, 14, 21, 28):
        widths += values >= np.uint32(1 << bits)
    ends = np.cumsum(widths, dtype=np.int64)
    if len(ends) and ends[-1] < 2**31:
        ends = ends.astype(np.int32)  # half the memory of the largest temporary arrays
    starts = ends - widths
    out = np.empty(int(ends[-1]) if len(values) else 0, dtype=np.uint8)
    for byte in range(5):
        chosen = widths > byte
        if not chosen.any():
            break
        payload = (values[chosen] >> np.uint32(7 * byte)) & np.uint32(0x7F)
        more = (widths[chosen] > byte + 1).astype(np.uint32) << np.uint32(7)
        out[starts[chosen] + byte] = (payload | more).astype(np.uint8)
    return out, starts


def _split(values: np.ndarray, key_slots: np.ndarray) -> list[bytes]:
    encoded, starts = varint_bytes(values)
    data = encoded.tobytes()
    bounds = [*starts[key_slots].tolist(), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]
