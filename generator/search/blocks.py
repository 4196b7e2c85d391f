"""A big term's own file remade a block of pages at a time.

A term stored in its own file (shards.py: x<hex>.bin, and a bigram's
d<hex>.bin) is one list: [n docs], then a group per page: [doc delta] and
the rest of the group (positions, or count and first position), which does
not depend on the pages around it. At 100,000 records the commonest
bigrams occur in most pages, and an edit that moves one page's text
changes a group in each of their lists: remaking them from their
occurrences, or splicing them group by group (postings.spliced), walked
every page of every such list (5 s of a one-record rebuild).

So the build remembers, for each such file (by its content key), where
each block of BLOCK_DOCS pages begins in it (`Marks`). When the pages keep
their numbers (no page added or removed before another), a list changes
only in the blocks of the pages whose text changed: those blocks' groups
are encoded from their occurrences now, and the rest is copied as it was,
except the first group after each remade block, whose doc delta is
written again from the page before it. The bytes are those of encoding the
whole list (tests/test_search_blocks.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import postings
from .codec import read_varint, varints
from .patched import Patched, marked

BLOCK_DOCS = 512  # pages per block: a one-page edit remakes this many pages' groups of each list it touches
ENCODERS: dict[str, Callable[[postings.Postings], postings.Encoded]] = {
    "positional": postings.encode_positional,
    "doc_level": postings.encode_doc_level,
    "doc_list": postings.encode_doc_lists,
}


@dataclass
class Marks:
    """Where each block of pages begins in one encoded list, counted from the end of its [n docs].

    Only blocks that hold pages are marked, ascending. `prev`: the page of the group before
    the block's first (0 when there is none: the first delta counts from 0 too)."""

    docs: int  # groups in the list
    last: int  # the page of its last group
    block: list[int]
    offset: list[int]
    prev: list[int]
    groups: list[int]  # groups in each marked block

    def plain(self) -> list[int]:
        """As the cache keeps it: [docs, last, count, block…, offset…, prev…, groups…]."""
        return [self.docs, self.last, len(self.block), *self.block, *self.offset, *self.prev, *self.groups]

    @classmethod
    def of_plain(cls, values: list[int]) -> Marks | None:
        """The marks of `plain`, or None when they cannot be marks of a list."""
        if len(values) < 3 or not all(type(v) is int and v >= 0 for v in values):
            return None
        docs, last, count = values[:3]
        if len(values) != 3 + 4 * count:
            return None
        block, offset, prev, groups = (values[3 + i * count : 3 + (i + 1) * count] for i in range(4))
        marks = cls(docs, last, block, offset, prev, groups)
        rising = all(a < b for a, b in itertools.pairwise(block)) and all(a < b for a, b in itertools.pairwise(offset))
        if not rising or sum(groups) != docs or (count and (offset[0] != 0 or min(groups) < 1)):
            return None
        return marks


def blocks_of(docs: np.ndarray) -> np.ndarray:
    """The blocks (ascending) that hold these pages."""
    return np.unique(np.asarray(docs, dtype=np.int64) // BLOCK_DOCS)


@dataclass
class MarksTable:
    """Marks by the content key of the file they describe: the previous build's and this build's."""

    before: dict[str, Marks]
    after: dict[str, Marks]

    def plain(self) -> dict[str, list[int]]:
        return {key: self.after[key].plain() for key in sorted(self.after)}

    @classmethod
    def of_plain(cls, data: object) -> MarksTable:
        """The table of what the cache kept (entries that cannot be marks are left out)."""
        before: dict[str, Marks] = {}
        if isinstance(data, dict):
            for key, values in data.items():
                marks = Marks.of_plain(values) if isinstance(key, str) and isinstance(values, list) else None
                if marks is not None:
                    before[key] = marks
        return cls(before, {})


def varint_widths(values: np.ndarray) -> np.ndarray:
    """Bytes of each value's LEB128 encoding (int64)."""
    values = values.astype(np.uint64, copy=False)
    widths = np.ones(len(values), dtype=np.int64)
    for bits in (7, 14, 21, 28, 35):
        widths += values >= np.uint64(1 << bits)
    return widths


def marks_of(taken: postings.Postings, layout: str) -> list[Marks]:
    """The marks of each key's list in `taken` as ENCODERS[layout] encodes it (every key has occurrences)."""
    doc = taken.doc
    key_starts = taken.starts[:-1]
    if not len(key_starts):
        return []
    groups = taken.group_starts()
    first_group = np.searchsorted(groups, key_starts)
    group_doc = doc[groups].astype(np.int64)
    width = varint_widths(postings._gaps(doc[groups], first_group))
    if layout != "doc_list":
        assert taken.position is not None
        width += varint_widths(np.diff(np.append(groups, len(doc))))
        if layout == "doc_level":
            width += varint_widths(taken.position[groups])
        else:
            per_occurrence = varint_widths(postings._gaps(taken.position, groups))
            width += np.add.reduceat(per_occurrence, groups) if len(groups) else 0
    ends = np.cumsum(width)
    begins = ends - width
    groups_of_key = np.diff(np.append(first_group, len(groups)))
    key_of_group = np.repeat(np.arange(len(key_starts)), groups_of_key)
    offset = begins - begins[first_group][key_of_group]
    block = group_doc // BLOCK_DOCS
    is_mark = np.ones(len(groups), dtype=bool)
    if len(groups):
        is_mark[1:] = block[1:] != block[:-1]
        is_mark[first_group] = True
    prev = np.zeros(len(groups), dtype=np.int64)
    if len(groups):
        prev[1:] = group_doc[:-1]
        prev[first_group] = 0
    at = np.flatnonzero(is_mark)
    in_block = np.diff(np.append(at, len(groups)))
    mark_bounds = np.searchsorted(at, np.append(first_group, len(groups))).tolist()
    last_group = np.append(first_group[1:], len(groups)) - 1
    lists = [block[at].tolist(), offset[at].tolist(), prev[at].tolist(), in_block.tolist()]
    lasts, counts = group_doc[last_group].tolist(), groups_of_key.tolist()
    found = []
    for key in range(len(key_starts)):
        low, high = mark_bounds[key], mark_bounds[key + 1]
        found.append(Marks(counts[key], lasts[key], *(values[low:high] for values in lists)))
    return found


@dataclass
class Regions:
    """The occurrences now of some keys in some blocks of pages, one region per (key, block)."""

    key: np.ndarray  # int64: the index of the region's key among the keys asked for
    block: np.ndarray  # int64
    occurrences: postings.Postings  # one list per region that has occurrences (keys: region numbers)


def regions_of(grouped: postings.Postings | Patched, indices: np.ndarray, blocks: np.ndarray) -> Regions:
    """The occurrences of grouped.keys[indices] in each of `blocks` (ascending)."""
    key = np.repeat(np.arange(len(indices), dtype=np.int64), len(blocks))
    block = np.tile(blocks.astype(np.int64), len(indices))
    if isinstance(grouped, Patched):
        base_rows, patch_rows = grouped.rows(indices)
        base = _in_blocks(grouped.base, base_rows, key, block)
        if len(grouped.overridden):
            base = _kept(base, ~marked(base[1], grouped.overridden))
        patch = _in_blocks(grouped.patch, patch_rows, key, block)
        region, doc, position = (np.concatenate([a, b]) for a, b in zip(base, patch, strict=False))
        order = np.lexsort((doc, region))  # stable: within a page, one side's positions in order
        region, doc = region[order], doc[order]
        position = position[order] if grouped.base.position is not None else None
    else:
        region, doc, position = _in_blocks(grouped, indices, key, block)
        if grouped.position is None:
            position = None
    present, first = np.unique(region, return_index=True)
    starts = np.append(first, len(region)).astype(np.int64)
    found = postings.Postings(present.astype(np.uint64), starts, doc.astype(np.uint32), position)
    return Regions(key, block, found)


def _in_blocks(
    source: postings.Postings, rows: np.ndarray, key: np.ndarray, block: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(region, doc, position) of the occurrences of source's rows (-1: none) in each region's block."""
    row = rows[key]
    low, high = np.zeros(len(row), dtype=np.int64), np.zeros(len(row), dtype=np.int64)
    has = row >= 0
    low[has], high[has] = source.starts[row[has]], source.starts[row[has] + 1]
    first = _first_at_least(source.doc, low, high, block * BLOCK_DOCS)
    after = _first_at_least(source.doc, first, high, (block + 1) * BLOCK_DOCS)
    chosen = postings.ranges(first, after)
    region = np.repeat(np.arange(len(row), dtype=np.int64), after - first)
    position = source.position[chosen] if source.position is not None else np.zeros(len(chosen), np.uint32)
    return region, np.asarray(source.doc[chosen]), np.asarray(position)


def _kept(parts: tuple[np.ndarray, ...], keep: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(part[keep] for part in parts)


def _first_at_least(doc: np.ndarray, low: np.ndarray, high: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Per query, the first index in [low, high) of the ascending doc[low:high] with a doc >= value
    (high when none): one binary search for all queries at once."""
    low, high = low.astype(np.int64), high.astype(np.int64).copy()
    value = value.astype(np.int64)
    while True:
        open_ = low < high
        if not open_.any():
            return low
        middle = (low + high) // 2
        below = np.zeros(len(low), dtype=bool)
        below[open_] = doc[middle[open_]] < value[open_]
        low = np.where(open_ & below, middle + 1, low)
        high = np.where(open_ & ~below, middle, high)


@dataclass
class Remade:
    """One region encoded: its groups, first and last page, and its bytes after the first doc delta."""

    groups: int
    first: int
    last: int
    rest: bytes


def remade_regions(regions: Regions, layout: str) -> dict[tuple[int, int], Remade]:
    """(key, block) → the region encoded, for the regions with occurrences."""
    found = regions.occurrences
    if not len(found.keys):
        return {}
    encoded = ENCODERS[layout](found)
    groups = found.group_starts()
    first_group = np.searchsorted(groups, found.starts[:-1])
    counts = np.diff(np.append(first_group, len(groups))).tolist()
    firsts = found.doc[found.starts[:-1]].astype(np.int64).tolist()
    lasts = found.doc[found.starts[1:] - 1].astype(np.int64).tolist()
    heads = (varint_widths(np.array(counts)) + varint_widths(np.array(firsts))).tolist()
    made = {}
    for number, (region, part) in enumerate(zip(found.keys.tolist(), encoded.parts(), strict=True)):
        key, block = int(regions.key[region]), int(regions.block[region])
        made[key, block] = Remade(counts[number], firsts[number], lasts[number], part[heads[number] :])
    return made


def spliced(old: bytes, marks: Marks, blocks: list[int], made: dict[int, Remade]) -> tuple[bytes, Marks] | None:
    """The list `old` (whose marks are `marks`) with the groups of `blocks` replaced by `made`
    (block → its region now; a block missing there has no groups now); None when `old` does not
    have the shape its marks say."""
    count, start = read_varint(old, 0) if old else (-1, 0)
    if count != marks.docs:
        return None
    body = memoryview(old)[start:]
    ends = [*marks.offset[1:], len(body)]
    if marks.offset and marks.offset[-1] >= len(body):
        return None
    out: list[bytes | memoryview] = []
    written = docs = last = 0
    new = Marks(0, 0, [], [], [], [])

    def mark(block: int, prev: int, groups: int) -> None:
        new.block.append(block)
        new.offset.append(written)
        new.prev.append(prev)
        new.groups.append(groups)

    old_marks = list(zip(marks.block, marks.offset, ends, marks.prev, marks.groups, strict=True))
    lasts = [*marks.prev[1:], marks.last]
    chosen = sorted(set(blocks))
    i = j = 0
    while i < len(old_marks) or j < len(chosen):
        if j == len(chosen) or (i < len(old_marks) and old_marks[i][0] < chosen[j]):
            block, offset, end, prev, groups = old_marks[i]
            mark(block, last, groups)
            if prev == last:
                piece: bytes | memoryview = body[offset:end]
            else:  # the page before it changed: its doc delta counts from the new one
                delta, after = read_varint(body, offset)
                piece = varints([prev + delta - last]) + body[after:end]
            out.append(piece)
            written += len(piece)
            docs += groups
            last = lasts[i]
            i += 1
            continue
        block = chosen[j]
        if i < len(old_marks) and old_marks[i][0] == block:
            i += 1  # its groups are remade
        region = made.get(block)
        if region is not None:
            if region.first < last or (written and region.first == last):
                return None
            mark(block, last, region.groups)
            piece = varints([region.first - last]) + region.rest
            out.append(piece)
            written += len(piece)
            docs += region.groups
            last = region.last
        j += 1
    new.docs, new.last = docs, last
    return varints([docs]) + b"".join(out), new
