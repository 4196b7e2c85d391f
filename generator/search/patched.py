"""Postings as the cache holds them after an edit: the previous arrays, with some pages' occurrences replaced.

At 100,000 records the bigram postings are 150 million occurrences (1.2 GB of
doc and position numbers). An edit to one record changes the text of a few
dozen pages; dropping those pages' occurrences and merging the new ones in
(Postings.renumbered, postings.merge) copied all of the arrays twice, and
keeping them for the next build wrote them all again: 6.8 s of a one-record
rebuild. When no page is added or removed before another (kept pages keep
their numbers, index.kept_docs), the arrays stay as the cache has them
(`base`, mapped from disk) and the pages whose text changed since are
*overridden*: their occurrences in the base no longer count, and those they
have now are in a small `patch`. A key's list is its base list less the
overridden pages', merged with its patch list; `removed` counts, per key, the
base occurrences that no longer count, so every key's length is known
without reading its list. The next build reads all of it and patches again.
Once the patch and the removed occurrences outgrow a share of the base
(COMPACT_SHARE), the cache writes the whole arrays out instead.

(Replacing whole lists instead would not do: the pages of one record hold the
commonest bigrams, whose lists are a large part of all occurrences.)

Whatever the layout, the occurrences of each key are the same numbers as in
a Postings made from the same pages in full (tests/test_search_patched.py),
so every file made from them is the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .postings import Postings, differing_keys, merge

# The patch and the removed occurrences together past this share of the base's: written out as one.
COMPACT_SHARE = 1 / 8
# Occurrences of the base scanned at once for those of the pages that changed (a bool each).
SCAN_OCCURRENCES = 1 << 24


@dataclass
class Patched:
    """`base` with the occurrences of the `overridden` docs replaced by those in `patch`.

    `removed_keys` and `removed_counts`: how many of each key's base occurrences belong to
    overridden docs (so every key's length is known without reading its list). Reads as a
    Postings does where the build reads postings a few keys at a time (`keys`, `counts`,
    `take`); `materialized` makes the arrays whole."""

    base: Postings
    patch: Postings  # the overridden docs' occurrences now, grouped by key
    removed_keys: np.ndarray  # uint64 ascending: base keys with occurrences of overridden docs
    removed_counts: np.ndarray  # int64: how many each
    overridden: np.ndarray  # uint32 ascending: the docs whose occurrences are the patch's

    def __post_init__(self) -> None:
        base, patch = self.base, self.patch
        counts = np.diff(base.starts).astype(np.int64)
        counts[np.searchsorted(base.keys, self.removed_keys)] -= self.removed_counts
        keys = np.union1d(base.keys, patch.keys)
        total = np.zeros(len(keys), dtype=np.int64)
        total[np.searchsorted(keys, base.keys)] += counts
        total[np.searchsorted(keys, patch.keys)] += patch.counts()
        live = np.flatnonzero(total > 0)
        self.keys = keys[live]
        self._counts = total[live]
        # where each key is in the base and in the patch (-1: not there)
        self._in_base = _index_in(base.keys, self.keys)
        self._in_patch = _index_in(patch.keys, self.keys)
        self._base_full = np.ones(len(self.keys), dtype=bool)  # no occurrence of the base list is hidden
        present = self._in_base >= 0
        self._base_full[present] = counts[self._in_base[present]] == np.diff(base.starts)[self._in_base[present]]

    def __len__(self) -> int:
        return len(self.keys)

    def counts(self) -> np.ndarray:
        return self._counts

    @property
    def changed_occurrences(self) -> int:
        """What the patch holds and hides: the measure of when to write the arrays out whole."""
        return len(self.patch.doc) + int(self.removed_counts.sum())

    def consistent(self) -> bool:
        """The parts fit together (cache.py: a patch read back is used only then)."""
        base_counts = np.diff(self.base.starts)
        at = _index_in(self.base.keys, self.removed_keys)
        over = self.overridden
        return bool(
            np.all(at >= 0)
            and np.all(self.removed_counts > 0)
            and np.all(self.removed_counts <= base_counts[np.maximum(at, 0)])
            and (len(self.removed_keys) < 2 or np.all(self.removed_keys[1:] > self.removed_keys[:-1]))
            and (len(over) < 2 or np.all(over[1:] > over[:-1]))
            and np.all(marked(self.patch.doc, over))
        )

    def rows(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the row of each of keys[indices] in the base, in the patch), -1 where it has none there."""
        return self._in_base[indices], self._in_patch[indices]

    def take(self, indices: np.ndarray) -> Postings:
        """The postings of keys[indices] (ascending indices), as one Postings."""
        indices = np.asarray(indices, dtype=np.int64)
        from_base = _rows(self.base, self._in_base[indices])
        if len(self.overridden) and not self._base_full[indices].all():
            from_base = _without(from_base, marked(from_base.doc, self.overridden))
        # every key here has occurrences (keys), so the merged keys are keys[indices]
        return merge(from_base, _rows(self.patch, self._in_patch[indices]))

    def materialized(self) -> Postings:
        """The whole arrays: the base's occurrences less the overridden docs', the patch's merged in
        (whole-array copies: index arrays for every occurrence would be 16 bytes each)."""
        kept = _without(self.base, marked(self.base.doc, self.overridden)) if len(self.overridden) else self.base
        return merge(kept, self.patch)

    def occurrences_of(self, docs: np.ndarray) -> Postings:
        """Every occurrence now of `docs` (ascending), grouped by key, in order: of overridden
        docs from the patch, of the others from a scan of the base."""
        from_base = scan(self.base, np.setdiff1d(docs, self.overridden))
        return merge(from_base, self.patch.at(np.flatnonzero(marked(self.patch.doc, docs))))


def scan(postings: Postings, docs: np.ndarray) -> Postings:
    """The occurrences of `docs` (ascending), a part of the doc numbers at a time."""
    parts = []
    if len(docs):
        for start in range(0, len(postings.doc), SCAN_OCCURRENCES):
            hit = np.flatnonzero(marked(postings.doc[start : start + SCAN_OCCURRENCES], docs))
            if len(hit):
                parts.append(hit + start)
    return postings.at(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))


def patch_update(
    before: Postings | Patched, doc_map: np.ndarray, new: Postings
) -> tuple[Postings | Patched, np.ndarray, Postings]:
    """`before` without the occurrences of the docs that went (doc_map[old doc] < 0) and with those
    of `new`, when every kept doc keeps its number (doc_map[d] is d or -1): (the result, the keys
    whose occurrences differ, the occurrences that went, by key).

    The same occurrences as Postings.renumbered and merge on the whole arrays give; made from
    the occurrences of the pages that changed only (and one scan of the base's doc numbers)."""
    current = before if isinstance(before, Patched) else patched(before)
    went = np.flatnonzero(doc_map < 0).astype(np.uint32)
    gone = current.occurrences_of(went)
    changed = differing_keys(gone, new)
    if not len(changed):
        return before, changed, gone  # the same postings: kept as they are (cache.py reuses them)
    docs_of_new = np.unique(new.doc).astype(np.uint32)
    overridden = np.union1d(current.overridden, np.union1d(went, docs_of_new)).astype(np.uint32)
    # Newly overridden docs: their base occurrences stop counting (a doc added at the end has
    # none; one overridden before has them counted already).
    newly = np.setdiff1d(overridden, current.overridden)
    hidden = gone.at(np.flatnonzero(marked(gone.doc, newly)))
    hidden_keys = hidden.keys
    removed_keys = np.union1d(current.removed_keys, hidden_keys)
    removed_counts = np.zeros(len(removed_keys), dtype=np.int64)
    removed_counts[np.searchsorted(removed_keys, current.removed_keys)] += current.removed_counts
    removed_counts[np.searchsorted(removed_keys, hidden_keys)] += hidden.counts()
    # The patch: less the occurrences of the docs that went, with the new ones.
    patch = merge(_without(current.patch, marked(current.patch.doc, went)), new)
    return Patched(current.base, patch, removed_keys, removed_counts, overridden), changed, gone


def patched(base: Postings) -> Patched:
    """`base` as a Patched with nothing overridden."""
    nothing = np.zeros(0, dtype=np.uint64)
    return Patched(base, empty_like(base), nothing, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32))


def whole(postings: Postings | Patched) -> Postings:
    """Postings with every occurrence in its arrays (a Patched one is materialized)."""
    return postings.materialized() if isinstance(postings, Patched) else postings


def _index_in(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The index of each of `wanted` in `keys` (both ascending), -1 where it is not there."""
    at = np.searchsorted(keys, wanted)
    found = np.full(len(wanted), -1, dtype=np.int64)
    inside = at < len(keys)
    hit = np.zeros(len(wanted), dtype=bool)
    hit[inside] = keys[at[inside]] == wanted[inside]
    found[hit] = at[hit]
    return found


def _rows(postings: Postings, index: np.ndarray) -> Postings:
    """postings.take of the rows >= 0 in `index` (ascending where >= 0)."""
    return postings.take(index[index >= 0])


def marked(doc: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """A bool per entry of `doc`: it is one of `docs` (ascending)."""
    if not len(doc) or not len(docs):
        return np.zeros(len(doc), dtype=bool)
    mask = np.zeros(max(int(doc.max()), int(docs[-1])) + 1, dtype=bool)
    mask[docs] = True
    return mask[doc]


def empty_like(postings: Postings) -> Postings:
    return Postings.empty(positions=postings.position is not None)


def _without(postings: Postings, drop: np.ndarray) -> Postings:
    """These postings less the occurrences marked in `drop`; keys whose list empties are left out.

    Counted per key with one reduction (Postings.at searches and sorts every occurrence)."""
    if not drop.any():
        return postings
    keep = ~drop
    counts = np.add.reduceat(keep, postings.starts[:-1]) if len(postings.keys) else np.zeros(0, np.int64)
    counts[np.diff(postings.starts) == 0] = 0  # reduceat reads one element for an empty group
    present = np.flatnonzero(counts > 0)
    starts = np.zeros(len(present) + 1, dtype=np.int64)
    np.cumsum(counts[present], out=starts[1:])
    position = postings.position[keep] if postings.position is not None else None
    return Postings(postings.keys[present], starts, postings.doc[keep], position)
