"""Postings as the cache holds them after an edit: the previous arrays, with a few keys' lists replaced.

At 100,000 records the bigram postings are 150 million occurrences (1.2 GB of
doc and position numbers). An edit to one record changes the text of a few
dozen pages and the lists of a few thousand keys; dropping those pages'
occurrences and merging the new ones in (Postings.renumbered, postings.merge)
copied all of the arrays twice, and keeping them for the next build wrote
them all again: 6.8 s of a one-record rebuild. When no page is added or
removed before another (kept pages keep their numbers, index.kept_docs), the
arrays stay as the cache has them (`base`, mapped from disk) and only the
changed keys' lists are made, as a small `patch` kept beside them: the next
build reads both, and patches the patched postings again. Once the patch
outgrows a share of the base (COMPACT_SHARE), the two are written out as one.

Whatever the layout, the occurrences of each key are the same numbers as in
a Postings made from the same pages in full (tests/test_search_patched.py),
so every file made from them is the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .postings import Postings, differing_keys, merge, ranges

# A patch with more occurrences than this share of the base's is written out with it as one.
COMPACT_SHARE = 1 / 8
# At most this many occurrences are taken by index arrays (16 bytes each); more, by slices.
GATHER_OCCURRENCES = 1 << 22
# Occurrences of the base scanned at once for those of the pages that changed (a bool each).
SCAN_OCCURRENCES = 1 << 24


@dataclass
class Patched:
    """`base` with the lists of patch.keys replaced by theirs (an empty list: the key is gone).

    Reads as a Postings does where the build reads these postings a few keys
    at a time (`keys`, `counts`, `take`); `materialized` makes the arrays whole."""

    base: Postings
    patch: Postings  # keys ascending; a key's list may be empty

    def __post_init__(self) -> None:
        base_keys, patch_keys = self.base.keys, self.patch.keys
        at = np.searchsorted(base_keys, patch_keys)
        inside = at < len(base_keys)
        replaced = np.zeros(len(base_keys), dtype=bool)
        hit = np.zeros(len(patch_keys), dtype=bool)
        hit[inside] = base_keys[at[inside]] == patch_keys[inside]
        replaced[at[hit]] = True
        patch_counts = self.patch.counts()
        live = patch_counts > 0
        kept_base = np.flatnonzero(~replaced)
        from_patch = np.flatnonzero(live)
        keys = np.concatenate((base_keys[kept_base], patch_keys[from_patch]))
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        # per key: its index in the base (>= 0), or -1 - its index in the patch
        source = np.concatenate((kept_base, -1 - from_patch))[order]
        self.source = source
        counts = np.concatenate((np.diff(self.base.starts)[kept_base], patch_counts[from_patch]))[order]
        self._counts = counts.astype(np.int64)
        self.replaced = replaced  # base keys whose lists the patch holds
        self.position_kept = self.base.position is not None

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def occurrences(self) -> int:
        return int(self._counts.sum())

    def counts(self) -> np.ndarray:
        return self._counts

    def take(self, indices: np.ndarray) -> Postings:
        """The postings of keys[indices] (ascending indices), as one Postings."""
        indices = np.asarray(indices, dtype=np.int64)
        counts = self._counts[indices]
        starts = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        doc = np.empty(int(starts[-1]), dtype=np.uint32)
        position = np.empty(len(doc), dtype=np.uint32) if self.position_kept else None
        source = self.source[indices]
        if len(doc) <= GATHER_OCCURRENCES:
            self._gather(source, starts, doc, position)
        else:
            self._copy_runs(source, starts, doc, position)
        return Postings(self.keys[indices], starts, doc, position)

    def _gather(self, source: np.ndarray, starts: np.ndarray, doc: np.ndarray, position: np.ndarray | None) -> None:
        """Fill doc and position by index arrays (few occurrences: one numpy call per array)."""
        for mask, held, index in ((source >= 0, self.base, source), (source < 0, self.patch, -1 - source)):
            chosen = np.flatnonzero(mask)
            if not len(chosen):
                continue
            rows = index[chosen]
            read = ranges(held.starts[rows], held.starts[rows + 1])
            write = ranges(starts[chosen], starts[chosen + 1])
            doc[write] = held.doc[read]
            if position is not None:
                assert held.position is not None
                position[write] = held.position[read]

    def _copy_runs(self, source: np.ndarray, starts: np.ndarray, doc: np.ndarray, position: np.ndarray | None) -> None:
        """Fill doc and position a run of keys at a time: keys next to each other in the base (or
        the patch) are one slice there. Index arrays for all of them would be 16 bytes an occurrence."""
        breaks = np.flatnonzero((np.diff(source) != 1) | (source[1:] < 0) | (source[:-1] < 0)) + 1
        firsts = np.concatenate(([0], breaks)).tolist()
        lasts = np.concatenate((breaks, [len(source)])).tolist()
        source_list = source.tolist()
        out_starts = starts.tolist()
        for first, last in zip(firsts, lasts, strict=True):
            row = source_list[first]
            held, row = (self.base, row) if row >= 0 else (self.patch, -1 - row)
            low, high = int(held.starts[row]), int(held.starts[row + last - first])
            out = slice(out_starts[first], out_starts[last])
            doc[out] = held.doc[low:high]
            if position is not None:
                assert held.position is not None
                position[out] = held.position[low:high]

    def materialized(self) -> Postings:
        """The whole arrays (a copy of the base's occurrences with the patch's in place)."""
        return self.take(np.arange(len(self.keys)))

    def occurrences_of(self, gone: np.ndarray) -> Postings:
        """Every occurrence of the docs marked in `gone` (a bool per doc), grouped by key, in order."""
        parts = []
        base = self.base
        for start in range(0, len(base.doc), SCAN_OCCURRENCES):
            chunk = base.doc[start : start + SCAN_OCCURRENCES]
            # A key the patch replaced may still name, in the base, a doc past the last one now.
            hit = np.flatnonzero(_padded(gone, int(chunk.max()) + 1)[chunk])
            if len(hit):
                parts.append(hit + start)
        found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        if len(found):  # not those of keys the patch replaced: their lists are the patch's
            key_of = np.searchsorted(base.starts, found, side="right") - 1
            found = found[~self.replaced[key_of]]
        from_base = base.at(found)
        patch = self.patch
        from_patch = patch.at(np.flatnonzero(gone[patch.doc])) if len(patch.doc) else empty_like(base)
        return _joined(from_base, from_patch)


def patch_update(
    before: Postings | Patched, doc_map: np.ndarray, new: Postings
) -> tuple[Postings | Patched, np.ndarray, Postings]:
    """`before` without the occurrences of the docs that went (doc_map[old doc] < 0) and with those
    of `new`, when every kept doc keeps its number (doc_map[d] is d or -1): (the result, the keys
    whose occurrences differ, the occurrences that went, by key).

    The same occurrences as Postings.renumbered and merge on the whole arrays give, made for the
    changed keys only."""
    current = before if isinstance(before, Patched) else Patched(before, empty_like(before))
    gone_mask = doc_map < 0
    gone = current.occurrences_of(gone_mask)
    changed = differing_keys(gone, new)
    if not len(changed):
        return before, changed, gone  # the same postings: kept as they are (cache.py reuses them)
    # The changed keys' lists: what they had, less the docs that went, with the new docs'.
    at = np.searchsorted(current.keys, changed)
    inside = at < len(current.keys)
    had = np.zeros(len(changed), dtype=bool)
    had[inside] = current.keys[at[inside]] == changed[inside]
    old = current.take(at[had])
    old = _without(old, gone_mask[old.doc])
    in_new = np.searchsorted(new.keys, changed)
    present = in_new < len(new.keys)
    present[present] = new.keys[in_new[present]] == changed[present]
    lists = merge(old, new.take(in_new[present]))
    lists = _with_keys(lists, changed)  # a changed key that lost every occurrence: an empty list
    # The patch: the previous patch's other keys, and these.
    # A key that went and is not the base's needs no entry (it would only say "no list").
    base_keys = current.base.keys
    slot = np.minimum(np.searchsorted(base_keys, lists.keys), max(len(base_keys) - 1, 0))
    in_base = base_keys[slot] == lists.keys if len(base_keys) else np.zeros(len(lists.keys), dtype=bool)
    lists = lists.take(np.flatnonzero((lists.counts() > 0) | in_base))
    # The patch: the previous patch's other keys, and these.
    previous = current.patch
    others = np.flatnonzero(~np.isin(previous.keys, changed))
    patch = _joined(previous.take(others), lists)
    return Patched(current.base, patch), changed, gone


def whole(postings: Postings | Patched) -> Postings:
    """Postings with every occurrence in its arrays (a Patched one is materialized)."""
    return postings.materialized() if isinstance(postings, Patched) else postings


def _padded(mask: np.ndarray, length: int) -> np.ndarray:
    return mask if len(mask) >= length else np.concatenate((mask, np.zeros(length - len(mask), dtype=bool)))


def empty_like(postings: Postings) -> Postings:
    return Postings.empty(positions=postings.position is not None)


def _without(postings: Postings, drop: np.ndarray) -> Postings:
    """These postings less the occurrences marked in `drop` (keys whose list empties are left out)."""
    keep = np.flatnonzero(~drop)
    if len(keep) == len(drop):
        return postings
    return postings.at(keep) if len(keep) else empty_like(postings)


def _with_keys(postings: Postings, keys: np.ndarray) -> Postings:
    """The same occurrences listed under `keys` (a superset of postings.keys, ascending): the others empty."""
    counts = np.zeros(len(keys), dtype=np.int64)
    counts[np.searchsorted(keys, postings.keys)] = postings.counts()
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return Postings(keys.astype(np.uint64), starts, postings.doc, postings.position)


def _union(one: Postings, other: Postings) -> Postings:
    """Two postings with no key in common, as one (keys ascending)."""
    keys = np.concatenate((one.keys, other.keys))
    order = np.argsort(keys, kind="stable")
    counts = np.concatenate((one.counts(), other.counts()))[order]
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    first = len(one.keys)
    doc = np.empty(int(starts[-1]), dtype=np.uint32)
    position = np.empty(len(doc), dtype=np.uint32) if one.position is not None else None
    place = np.empty(len(keys), dtype=np.int64)
    place[order] = np.arange(len(keys))
    for held, rows in ((one, np.arange(first)), (other, np.arange(len(other.keys)))):
        slots = place[rows + (0 if held is one else first)]
        read = ranges(held.starts[rows], held.starts[rows + 1])
        write = ranges(starts[slots], starts[slots + 1])
        doc[write] = held.doc[read]
        if position is not None:
            assert held.position is not None
            position[write] = held.position[read]
    return Postings(keys[order].astype(np.uint64), starts, doc, position)


def _joined(one: Postings, other: Postings) -> Postings:
    """The occurrences of two postings whose keys differ, grouped by key in order."""
    if not len(other.keys):
        return one
    if not len(one.keys):
        return other
    return _union(one, other)
