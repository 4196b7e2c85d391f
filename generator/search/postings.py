"""Page texts → encoded postings, with array operations instead of a Python loop per character.

At 10,000 records the pages hold about 15 million characters. Walking them
one bigram at a time in Python took 35 s; here every step is a numpy array
operation over the whole corpus at once: code points of all pages in one
array, normalised through a table of the few thousand distinct characters,
bigram keys as dense ranks, one sort that groups them by key (positions stay
in page order), and LEB128 varints written for all values together. The
byte format is the one codec.py describes and the browser reads;
tests/search_reference.py builds the same bytes the slow, obvious way and
the tests compare the two.

Sorting: an occurrence's key rank and its place in the corpus are packed into
one 64-bit integer (rank << 32 | place), so a plain np.sort, which numpy does
with SIMD, orders them by (key, page, position); numpy's stable argsort on
the keys alone took five times as long. When a rank or a place does not fit
in 32 bits (never at library scale) the stable argsort is used instead.

Postings can also be updated (incremental builds, index.py): the occurrences
of some pages dropped, the remaining pages renumbered in the same order, and
the occurrences of new pages merged in, without sorting everything again.

Encodings (all unsigned LEB128 varints):

    positional   [n docs] then per doc: [doc delta][n positions][position deltas …]
    doc-level    [n docs] then per doc: [doc delta][occurrences][first position]
    doc list     [n docs][doc deltas …]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .text import TERM_RUN, normalise

CODE_BITS = 21  # every Unicode code point fits in 21 bits
CODE_MASK = (1 << CODE_BITS) - 1
LOW32 = np.uint64(0xFFFFFFFF)
PACKED = 2**32  # ranks and places below this are packed into one 64-bit number to sort (tests lower it)


@dataclass
class Corpus:
    """Every page's normalised text as one array of code points, pages separated by "\\0"."""

    codes: np.ndarray  # uint32 code points
    starts: np.ndarray  # int64: page k is codes[starts[k] : starts[k + 1] - 1]
    letter: np.ndarray  # True where the character is a letter or digit (bigrams are made of these)
    letters: np.ndarray  # uint32: the distinct letters present, ascending
    rank: np.ndarray  # uint32 table: code point → its index in `letters` (for letters only)

    @classmethod
    def of(cls, texts: list[str]) -> Corpus:
        """The corpus of texts that are already normalised (text.normalise)."""
        return cls._made(texts, normalised=False)

    @classmethod
    def normalised(cls, texts: list[str]) -> Corpus:
        """The corpus of page texts as they are: the same as `of([normalise(t) for t in texts])`.

        normalise maps every character to one character on its own, so the
        mapping is applied to the code point array through a table of the
        distinct characters (str.translate cost 2 s at 10,000 records)."""
        return cls._made(texts, normalised=True)

    @classmethod
    def _made(cls, texts: list[str], normalised: bool) -> Corpus:
        lengths = np.fromiter((len(text) + 1 for text in texts), dtype=np.int64, count=len(texts))
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        codes = _code_points(texts, starts)
        present = _present(codes)
        if normalised and len(present):
            mapped = np.array([ord(normalise(chr(code))) for code in present.tolist()], dtype=np.uint32)
            if (mapped != present).any():
                table = np.arange(int(present[-1]) + 1, dtype=np.uint32)
                table[present] = mapped
                looked_up(table, codes, out=codes)
                present = np.unique(mapped)
        is_letter = np.array([TERM_RUN.fullmatch(chr(code)) is not None for code in present.tolist()], dtype=bool)
        letters = present[is_letter].astype(np.uint32)  # the same rule as the browser's
        size = int(present[-1]) + 1 if len(present) else 1
        letter_table = np.zeros(size, dtype=bool)
        letter_table[letters] = True
        rank = np.zeros(size, dtype=np.uint32)
        rank[letters] = np.arange(len(letters), dtype=np.uint32)
        return cls(codes, starts, looked_up(letter_table, codes), letters, rank)

    def doc_of_each(self) -> np.ndarray:
        """uint32: the page number of every character (separators count with the page before)."""
        lengths = np.diff(self.starts)
        return np.repeat(np.arange(len(lengths), dtype=np.uint32), lengths)[: len(self.codes)]

    def docs_of(self, places: np.ndarray) -> np.ndarray:
        """uint32: the page of each of these places (ascending or not).

        For many places, a table of every character's page is quicker; for the
        fraction of one part (partitioned), a binary search costs no table of 4
        bytes a character."""
        if len(places) * 4 >= len(self.codes):
            return self.doc_of_each()[places]
        return (np.searchsorted(self.starts, places, side="right") - 1).astype(np.uint32)

    def letter_parts(self, where: np.ndarray) -> tuple[np.ndarray, int]:
        """(part number of each letter at `where` (a mask over codes; the largest number elsewhere), part count).

        Parts are runs of consecutive letters (by rank) holding at most
        PART_OCCURRENCES of the masked places together (a letter with more is a
        part alone), so a part's keys all sort before the next part's and the
        parts' postings, concatenated, are those of the whole corpus."""
        codes = self.codes[: len(where)]
        counts = np.zeros(len(self.letters), dtype=np.int64)
        for start in range(0, len(codes), BLOCK):
            block = slice(start, start + BLOCK)
            chosen = codes[block][where[block]]
            counts += np.bincount(looked_up(self.rank, chosen), minlength=len(self.letters))
        runs = _runs(counts, PART_OCCURRENCES)
        kind = np.uint8 if len(runs) < 0xFF else np.uint16
        part_of_rank = np.repeat(np.arange(len(runs), dtype=kind), [high - low for low, high in runs])
        parts = np.full(len(codes), np.iinfo(kind).max, dtype=kind)
        for start in range(0, len(codes), BLOCK):
            block = slice(start, start + BLOCK)
            inside = where[block]
            parts[block][inside] = looked_up(part_of_rank, looked_up(self.rank, codes[block][inside]))
        return parts, len(runs)


BLOCK = 1 << 23  # characters a whole-corpus pass takes at once: its temporaries stay near 100 MB
# Occurrences of one part (letter_parts): the sort of a part's keys takes about 16 bytes each,
# so the stage's working memory is that of a part, not of the corpus (1.5 GB at 100,000 records).
PART_OCCURRENCES = 1 << 24


def looked_up(table: np.ndarray, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """table[index], a block at a time: numpy turns a whole index array into 8-byte integers
    first (1.3 GB for the 165 million characters of 100,000 records)."""
    if out is None:
        out = np.empty(len(index), dtype=table.dtype)
    for start in range(0, len(index), BLOCK):
        out[start : start + BLOCK] = table[index[start : start + BLOCK]]
    return out


def _code_points(texts: list[str], starts: np.ndarray) -> np.ndarray:
    """uint32 code points of the texts joined by "\\0", encoded a group of texts at a time
    (the whole join, its UTF-32 bytes and their copy were three corpora at once)."""
    codes = np.empty(max(int(starts[-1]) - 1, 0), dtype=np.uint32)
    first = 0
    while first < len(texts):
        last = int(np.searchsorted(starts, starts[first] + BLOCK, side="right"))
        last = min(max(last - 1, first + 1), len(texts))
        piece = "\0".join(texts[first:last]) + ("\0" if last < len(texts) else "")
        codes[starts[first] : starts[first] + len(piece)] = np.frombuffer(piece.encode("utf-32-le"), dtype="<u4")
        first = last
    return codes


def _present(codes: np.ndarray) -> np.ndarray:
    """The distinct code points, ascending (np.bincount over all codes at once copies them to intp)."""
    counts = np.zeros(1, dtype=np.int64)
    for start in range(0, len(codes), BLOCK):
        block = np.bincount(codes[start : start + BLOCK])
        if len(block) > len(counts):
            block[: len(counts)] += counts
            counts = block
        else:
            counts[: len(block)] += block
    return np.flatnonzero(counts) if len(codes) else np.zeros(0, dtype=np.int64)


@dataclass
class Postings:
    """Occurrences grouped by key: each distinct key (ascending) with its occurrences in (doc, position) order."""

    keys: np.ndarray  # uint64 distinct keys, ascending
    starts: np.ndarray  # int64, len(keys) + 1: the occurrences of keys[i] are [starts[i], starts[i + 1])
    doc: np.ndarray  # uint32 per occurrence
    position: np.ndarray | None  # uint32 per occurrence; None where only documents count (characters)

    @classmethod
    def empty(cls, positions: bool = True) -> Postings:
        none = np.zeros(0, dtype=np.uint32)
        return cls(np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64), none, none.copy() if positions else None)

    def __len__(self) -> int:
        return len(self.keys)

    def keys_only(self) -> Postings:
        """These keys, with no occurrences (each key's list empty): for what reads only the keys."""
        none = np.zeros(0, dtype=np.uint32)
        return Postings(self.keys, np.zeros(len(self.keys) + 1, dtype=np.int64), none, None)

    def counts(self) -> np.ndarray:
        return np.diff(self.starts)

    def group_starts(self) -> np.ndarray:
        """Index of the first occurrence of each (key, doc)."""
        new = np.empty(len(self.doc), dtype=bool)
        if len(new):
            new[0] = True
            np.not_equal(self.doc[1:], self.doc[:-1], out=new[1:])
            new[self.starts[:-1]] = True
        return np.flatnonzero(new)

    def take(self, indices: np.ndarray) -> Postings:
        """The postings of keys[indices] (ascending indices)."""
        indices = np.asarray(indices, dtype=np.int64)
        low, high = self.starts[indices], self.starts[indices + 1]
        chosen = ranges(low, high)
        starts = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(high - low, out=starts[1:])
        position = self.position[chosen] if self.position is not None else None
        return Postings(self.keys[indices], starts, self.doc[chosen], position)

    def renumbered(self, doc_map: np.ndarray) -> tuple[Postings, np.ndarray, Postings]:
        """(the occurrences of kept docs under their new numbers, which keys lost or renumbered any,
        the occurrences of the docs that are gone, under their old numbers).

        doc_map[old doc] is the new number, or -1 for a doc that is gone; the
        kept docs must keep their order, so the occurrences stay sorted."""
        touched_doc = doc_map != np.arange(len(doc_map), dtype=doc_map.dtype)
        hit = touched_doc[self.doc]
        touched = np.logical_or.reduceat(hit, self.starts[:-1]) if len(self.keys) else np.zeros(0, dtype=bool)
        if not touched.any():
            return self, touched, self.at(np.zeros(0, dtype=np.int64))
        gone = doc_map < 0
        doc = self.doc
        if (touched_doc & ~gone).any():  # kept docs with a new number (a doc added or removed before them)
            doc = doc_map.astype(np.uint32)[doc]  # gone docs wrap round; they are deleted next
            drop = np.flatnonzero(gone[self.doc])
        else:
            drop = np.flatnonzero(hit)
        del hit
        gone_occurrences = self.at(drop)
        doc = np.delete(doc, drop)
        position = np.delete(self.position, drop) if self.position is not None else None
        starts = self.starts - np.searchsorted(drop, self.starts)
        present = np.flatnonzero(np.diff(starts) > 0)
        kept = Postings(self.keys[present], np.append(starts[present], starts[-1]), doc, position)
        return kept, touched, gone_occurrences

    def at(self, occurrences: np.ndarray) -> Postings:
        """The postings of the occurrences at these (ascending) indices."""
        key_of = np.searchsorted(self.starts, occurrences, side="right") - 1
        present, first = np.unique(key_of, return_index=True)
        starts = np.append(first, len(occurrences)).astype(np.int64)
        position = self.position[occurrences] if self.position is not None else None
        return Postings(self.keys[present], starts, self.doc[occurrences], position)

    def numbered(self, numbers: np.ndarray) -> Postings:
        """The same occurrences with doc k renamed numbers[k] (ascending, so the order holds)."""
        return Postings(self.keys, self.starts, numbers[self.doc], self.position)


def ranges(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The concatenation of arange(low[i], high[i]) for every i, as one int64 array."""
    sizes = (high - low).astype(np.int64)
    total = int(sizes.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    nonempty = sizes > 0
    low, sizes = low[nonempty].astype(np.int64), sizes[nonempty]
    out = np.ones(total, dtype=np.int64)
    out[0] = low[0]
    block_starts = np.cumsum(sizes)[:-1]
    out[block_starts] = low[1:] - (low[:-1] + sizes[:-1] - 1)
    return np.cumsum(out)


def differing_keys(one: Postings, other: Postings) -> np.ndarray:
    """The keys whose occurrences in `one` and `other` are not the same (present in either)."""
    keys = np.union1d(one.keys, other.keys)
    in_one, in_other = np.searchsorted(one.keys, keys), np.searchsorted(other.keys, keys)
    count_one, count_other = np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=np.int64)
    count_one[np.searchsorted(keys, one.keys)] = one.counts()
    count_other[np.searchsorted(keys, other.keys)] = other.counts()
    differ = np.ones(len(keys), dtype=bool)
    alike = np.flatnonzero((count_one == count_other) & (count_one > 0))
    if len(alike):
        sizes = count_one[alike]
        first_one, first_other = one.starts[in_one[alike]], other.starts[in_other[alike]]
        rows_one, rows_other = ranges(first_one, first_one + sizes), ranges(first_other, first_other + sizes)
        equal = one.doc[rows_one] == other.doc[rows_other]
        if one.position is not None and other.position is not None:
            equal &= one.position[rows_one] == other.position[rows_other]
        bounds = np.zeros(len(sizes), dtype=np.int64)
        np.cumsum(sizes[:-1], out=bounds[1:])
        differ[alike[np.logical_and.reduceat(equal, bounds)]] = False
    return keys[differ]


def merge(old: Postings, new: Postings) -> Postings:
    """All occurrences of two postings whose docs are disjoint, in (key, doc, position) order.

    Each (key, doc) group of `new` goes where its doc sorts among the old
    occurrences of its key: a binary search inside each key's run for all
    groups at once, so the cost is the copy of the arrays, not a sort."""
    if not len(new.doc):
        return old
    if not len(old.doc):
        return new
    keys = np.union1d(old.keys, new.keys)
    old_rank, new_rank = np.searchsorted(keys, old.keys), np.searchsorted(keys, new.keys)
    groups = new.group_starts()
    group_key = np.searchsorted(new.starts, groups, side="right") - 1
    group_doc = new.doc[groups]
    # The old run of each group's key: [low, high), empty (at the next key's run) for a key old lacks.
    slot = np.searchsorted(old.keys, new.keys)
    present = np.zeros(len(new.keys), dtype=bool)
    inside = slot < len(old.keys)
    present[inside] = old.keys[slot[inside]] == new.keys[inside]
    low = old.starts[slot][group_key]
    high = np.where(present, old.starts[np.minimum(slot + 1, len(old.keys))], old.starts[slot])[group_key]
    while True:  # lower bound of the group's doc within [low, high)
        open_ = low < high
        if not open_.any():
            break
        middle = (low + high) // 2
        smaller = open_ & (old.doc[np.minimum(middle, len(old.doc) - 1)] < group_doc)
        low = np.where(smaller, middle + 1, low)
        high = np.where(open_ & ~smaller, middle, high)
    at = np.repeat(low, np.diff(np.append(groups, len(new.doc))))
    counts = np.zeros(len(keys), dtype=np.int64)
    counts[old_rank] += old.counts()
    counts[new_rank] += new.counts()
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    position = None
    if old.position is not None and new.position is not None:
        position = np.insert(old.position, at, new.position)
    return Postings(keys, starts, np.insert(old.doc, at, new.doc), position)


def _sort_by_rank(ranks: np.ndarray, places: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, places) ordered by rank, places ascending within a rank (`places` arrive ascending).

    The caller gives both arrays up: on the usual path they are sorted in their own
    memory (rank and place packed into the 64-bit words of `ranks`, the places unpacked
    into the buffer of `places` when it is int64), so ten million bigram occurrences
    cost these two arrays and no third or fourth (the stage's peak at 10,000 records)."""
    if not len(ranks):
        return ranks.astype(np.uint64), places.astype(np.int64)
    if int(ranks.max()) < PACKED and int(places[-1]) < PACKED:
        packed = ranks if ranks.dtype == np.uint64 else ranks.astype(np.uint64)
        packed <<= np.uint64(32)
        packed |= places.view(np.uint64) if places.dtype == np.int64 else places.astype(np.uint64)
        packed.sort()
        unpacked = places.view(np.uint64) if places.dtype == np.int64 else np.empty(len(packed), dtype=np.uint64)
        np.bitwise_and(packed, LOW32, out=unpacked)
        packed >>= np.uint64(32)
        return packed, unpacked.view(np.int64)
    order = np.argsort(ranks, kind="stable")
    return ranks[order].astype(np.uint64), places[order].astype(np.int64)


def _grouped(ranks: np.ndarray, places: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct ranks, starts, places in order) of occurrences sorted by rank."""
    ranks, places = _sort_by_rank(ranks, places)
    boundary = np.flatnonzero(ranks[1:] != ranks[:-1]) + 1 if len(ranks) else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], boundary, [len(ranks)])).astype(np.int64) if len(ranks) else np.zeros(1, np.int64)
    return ranks[starts[:-1]], starts, places


def bigrams(corpus: Corpus) -> Postings:
    """Every pair of adjacent letters or digits, by key (first code << 21 | second code).

    A part at a time (Corpus.letter_parts, by the first letter): the sort and
    its keys take memory for one part's occurrences, the result for all."""
    pair = corpus.letter[:-1] & corpus.letter[1:]
    total = int(np.count_nonzero(pair))
    parts, count = corpus.letter_parts(pair) if total > PART_OCCURRENCES else (None, 1)
    whole = np.flatnonzero(pair) if parts is None else None
    del pair
    joined = _Joined(total)
    for part in range(count):
        at = whole if whole is not None else np.flatnonzero(parts == part)
        whole = None
        joined.add(*_bigrams_at(corpus, at))
        del at
    return joined.postings()


def _bigrams_at(corpus: Corpus, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(keys, starts, doc, position) of the bigrams starting at these places (all of some first letters)."""
    count = np.uint64(len(corpus.letters))
    ranks = looked_up(corpus.rank, corpus.codes[at]).astype(np.uint64)
    ranks *= count
    ranks += looked_up(corpus.rank, corpus.codes[at + 1])
    distinct, starts, places = _grouped(ranks, at)  # sorts in the memory of ranks and at
    del ranks, at
    keys = (corpus.letters[distinct // count].astype(np.uint64) << np.uint64(CODE_BITS)) | corpus.letters[
        distinct % count
    ].astype(np.uint64)
    doc = corpus.docs_of(places)
    places -= corpus.starts[doc]  # page-relative
    return keys, starts, doc, places.astype(np.uint32)


def characters(corpus: Corpus) -> Postings:
    """Each letter with the pages it occurs in (once per page; no positions); a part at a time, as bigrams."""
    total = int(np.count_nonzero(corpus.letter))
    parts, count = corpus.letter_parts(corpus.letter) if total > PART_OCCURRENCES else (None, 1)
    joined = _Joined(positions=False)
    for part in range(count):
        at = np.flatnonzero(corpus.letter) if parts is None else np.flatnonzero(parts == part)
        joined.add(*_characters_at(corpus, at))
        del at
    return joined.postings()


def _characters_at(corpus: Corpus, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, starts, doc) of the letters at these places (all places of some letters)."""
    pages = max(len(corpus.starts) - 1, 1)
    wide = len(corpus.letters) * pages >= PACKED
    kind = np.uint64 if wide else np.uint32
    pairs = looked_up(corpus.rank, corpus.codes[at]).astype(kind)
    pairs *= kind(pages)
    pairs += corpus.docs_of(at)
    pairs.sort()  # (letter, page) in order; np.unique would hash, 20 times slower here
    if len(pairs):
        distinct = np.empty(len(pairs), dtype=bool)
        distinct[0] = True
        np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
        pairs = pairs[distinct]
    letter_rank, doc = pairs // kind(pages), (pairs % kind(pages)).astype(np.uint32)
    del pairs
    boundary = np.flatnonzero(letter_rank[1:] != letter_rank[:-1]) + 1
    starts = np.concatenate(([0], boundary, [len(doc)])).astype(np.int64) if len(doc) else np.zeros(1, np.int64)
    keys = corpus.letters[letter_rank[starts[:-1]]].astype(np.uint64)
    return keys, starts, doc


def trigrams(pairs: Postings, chosen: np.ndarray, text_lengths: np.ndarray) -> Postings:
    """Occurrences of the trigrams whose first and second bigram are both chosen (a mask over pairs.keys).

    Found by joining the chosen bigrams' own occurrences: a trigram starts at
    (doc, p) when one chosen bigram occurs there and another at (doc, p + 1);
    the pages' texts are not needed, only their lengths. The chosen bigrams
    are taken a run at a time (about PART_OCCURRENCES occurrences, in key
    order), so only a table of one number a character is held for all."""
    picked = np.flatnonzero(chosen)
    if not len(picked) or pairs.position is None:
        return Postings.empty()
    page_starts = np.zeros(len(text_lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(text_lengths, dtype=np.int64) + 1, out=page_starts[1:])
    sizes = pairs.counts()[picked]
    runs = _runs(sizes, PART_OCCURRENCES)
    at_place = np.full(int(page_starts[-1]) + 1, -1, dtype=np.int16 if len(picked) < 2**15 else np.int32)
    for low, high in runs:  # which chosen bigram starts at each place of the corpus
        sub = pairs.take(picked[low:high])
        at_place[page_starts[sub.doc] + sub.position] = np.repeat(
            np.arange(low, high, dtype=at_place.dtype), sub.counts()
        )
    picked_keys = pairs.keys[picked]
    joined = _Joined()
    for low, high in runs:
        sub = pairs.take(picked[low:high])
        assert sub.position is not None
        which = np.repeat(np.arange(low, high, dtype=np.int64), sub.counts())
        place = page_starts[sub.doc]
        place += sub.position
        place += 1
        following = at_place[place]
        del place
        found = np.flatnonzero(following >= 0)
        ranks = which[found].astype(np.uint64) << np.uint64(CODE_BITS)
        ranks |= picked_keys[following[found]] & np.uint64(CODE_MASK)
        del which, following
        distinct, part_starts, order = _grouped(ranks, np.arange(len(found), dtype=np.int64))
        first = picked_keys[distinct >> np.uint64(CODE_BITS)] << np.uint64(CODE_BITS)
        keys = first | (distinct & np.uint64(CODE_MASK))
        occurrences = found[order]
        joined.add(keys, part_starts, sub.doc[occurrences], sub.position[occurrences])
    return joined.postings()


class _Joined:
    """Postings made a part at a time, each part's keys after the previous part's: joined.

    With `total` (the occurrences, known beforehand) the doc and position arrays
    are filled in place, so the parts and the whole are never held at once."""

    def __init__(self, total: int | None = None, positions: bool = True) -> None:
        self.positions = positions
        self.keys: list[np.ndarray] = []
        self.starts: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.docs: list[np.ndarray] = []
        self.places: list[np.ndarray] = []
        self.filled = 0
        self.doc = np.empty(total, dtype=np.uint32) if total is not None else None
        self.position = np.empty(total, dtype=np.uint32) if total is not None and positions else None

    def add(self, keys: np.ndarray, starts: np.ndarray, doc: np.ndarray, position: np.ndarray | None = None) -> None:
        self.keys.append(keys)
        self.starts.append(starts[1:] + self.filled)
        end = self.filled + len(doc)
        if self.doc is not None:
            self.doc[self.filled : end] = doc
            if self.position is not None:
                self.position[self.filled : end] = position
        else:
            self.docs.append(doc)
            if position is not None:
                self.places.append(position)
        self.filled = end

    def postings(self) -> Postings:
        doc = self.doc if self.doc is not None else np.concatenate(self.docs).astype(np.uint32)
        position = self.position
        if position is None and self.positions:
            position = np.concatenate(self.places).astype(np.uint32)
        return Postings(np.concatenate(self.keys).astype(np.uint64), np.concatenate(self.starts), doc, position)


def _runs(sizes: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive index ranges [low, high) of `sizes` summing to at most `budget` (or one index alone)."""
    runs: list[tuple[int, int]] = []
    low, filled = 0, 0
    for index, size in enumerate(sizes.tolist()):
        if filled and filled + size > budget:
            runs.append((low, index))
            low, filled = index, 0
        filled += size
    if low < len(sizes):
        runs.append((low, len(sizes)))
    return runs


def key_text(key: int, length: int) -> str:
    return "".join(chr((key >> (CODE_BITS * (length - 1 - i))) & CODE_MASK) for i in range(length))


def key_hashes(keys: np.ndarray, length: int) -> np.ndarray:
    """uint32 FNV-1a (codec.fnv1a) of the UTF-8 of every key's text, for all keys at once."""
    value = np.full(len(keys), 0x811C9DC5, dtype=np.uint64)
    for index in range(length):
        code = (keys >> np.uint64(CODE_BITS * (length - 1 - index))) & np.uint64(CODE_MASK)
        for byte, present in _utf8_bytes(code):
            mixed = ((value ^ byte) * np.uint64(0x01000193)) & LOW32
            value = np.where(present, mixed, value)
    return value.astype(np.uint32)


def _utf8_bytes(code: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The 1–4 UTF-8 bytes of each code point, as (byte values, which code points have that byte)."""
    width = 1 + (code >= 0x80).astype(np.int64) + (code >= 0x800) + (code >= 0x10000)
    lead = np.choose(
        width - 1, [code, 0xC0 | (code >> np.uint64(6)), 0xE0 | (code >> np.uint64(12)), 0xF0 | (code >> np.uint64(18))]
    )
    out = [(lead.astype(np.uint64), np.ones(len(code), dtype=bool))]
    for index in range(1, 4):
        shift = (width - 1 - index).clip(0) * 6
        out.append((0x80 | ((code >> shift.astype(np.uint64)) & np.uint64(0x3F)), width > index))
    return out


def spliced(
    olds: dict[str, list[bytes]],
    after: Postings,
    chosen: np.ndarray,
    groups: np.ndarray,
    gone: Postings,
    old_number: np.ndarray,
) -> dict[str, list[bytes | None]]:
    """The encodings of after.keys[chosen] made from their previous encodings, olds[layout].

    A run of groups that carries over (docs kept, in the same order, shifted
    by the same amount, none dropped between them) is the same bytes but for
    its first doc delta: it is copied. Only that delta and the groups of new
    docs are encoded, so the postings of a common bigram over 10,000 pages
    cost a few copies when one page changed. Nothing here is proportional to
    the occurrences: the previous groups of a key are its kept groups (their
    occurrences are the previous build's, renumbered) and those of the docs
    that are gone (`gone`, by old number). `groups` is after.group_starts();
    old_number[new doc] is the doc's previous number, -1 when its occurrences
    are new. Several layouts (a bigram's positional and document-level
    lists) share the work on the groups. None for a key whose old bytes do
    not have the shape its old groups imply (the caller encodes it in full)."""
    count = len(chosen)
    if not count:
        return {layout: [] for layout in olds}
    # The new groups of the chosen keys.
    low, high = np.searchsorted(groups, after.starts[chosen]), np.searchsorted(groups, after.starts[chosen + 1])
    index = ranges(low, high)
    a_key = np.repeat(np.arange(count), high - low)
    a_first = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(high - low, out=a_first[1:])
    a_start = groups[index]
    a_end = groups.take(index + 1, mode="clip")
    a_end[index + 1 == len(groups)] = len(after.doc)
    a_docs, a_counts = after.doc[a_start].astype(np.int64), a_end - a_start
    del a_end, index
    source = old_number[a_docs]
    kept = source >= 0
    kept_count = int(kept.sum())

    # The old groups: the kept ones, with those of the gone docs put in their places.
    where = np.minimum(np.searchsorted(gone.keys, after.keys[chosen]), max(len(gone.keys) - 1, 0))
    lost = (gone.keys[where] == after.keys[chosen]) if len(gone.keys) else np.zeros(count, dtype=bool)
    g_groups = gone.group_starts()
    g_low = np.where(lost, np.searchsorted(g_groups, gone.starts[where]), 0)
    g_high = np.where(lost, np.searchsorted(g_groups, gone.starts[np.minimum(where + 1, len(gone.keys))]), 0)
    g_index = ranges(g_low, g_high)
    g_start = g_groups[g_index]
    g_counts = np.append(g_groups, len(gone.doc))[g_index + 1] - g_start
    old_group = np.full(len(a_docs), -1, dtype=np.int64)
    if len(g_index):
        k_order = (a_key[kept].astype(np.uint64) << np.uint64(32)) | source[kept].astype(np.uint64)
        g_key = np.repeat(np.arange(count), g_high - g_low).astype(np.uint64)
        at = np.searchsorted(k_order, (g_key << np.uint64(32)) | gone.doc[g_start].astype(np.uint64))
        del k_order
        b_counts = np.insert(a_counts[kept], at, g_counts)
        old_group[kept] = np.arange(kept_count) + np.cumsum(np.bincount(at, minlength=kept_count + 1))[:kept_count]
    else:
        b_counts = a_counts[kept]
        old_group[kept] = np.arange(kept_count)
    b_first = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(a_key[kept], minlength=count) + (g_high - g_low), out=b_first[1:])

    # Runs of groups copied as they are.
    starts_key = np.zeros(len(a_docs), dtype=bool)
    starts_key[a_first[:-1]] = True
    shift = a_docs - source
    joins = ~starts_key[1:] & kept[1:] & kept[:-1] & (old_group[1:] == old_group[:-1] + 1) & (shift[1:] == shift[:-1])
    del shift
    run_starts = np.flatnonzero(np.concatenate(([True], ~joins)))
    run_ends = np.append(run_starts[1:], len(a_docs)) - 1
    run_key = a_key[run_starts]
    first_old, after_last_old = np.maximum(old_group[run_starts], 0), np.maximum(old_group[run_ends], 0) + 1
    key_last = after_last_old == b_first[run_key + 1]
    opens = starts_key[run_starts]
    previous = np.where(opens, 0, a_docs[np.maximum(run_starts - 1, 0)])
    fresh = ~kept[run_starts]
    found = a_counts[run_starts]
    new_runs = np.flatnonzero(fresh)
    new_first = a_start[run_starts[new_runs]]
    run_bounds = np.searchsorted(run_key, np.arange(count + 1)).tolist()
    shared = _Runs(count, run_key, opens, a_docs[run_starts] - previous, np.diff(a_first), fresh, found, new_runs)

    made: dict[str, list[bytes | None]] = {}
    for layout, old in olds.items():
        # Where the old groups' entries start: from the last byte of every varint and the number
        # of values before each group (needed only at the ends of the runs).
        buffer = b"".join(old)
        base = np.zeros(count + 1, dtype=np.int64)
        np.cumsum([len(data) for data in old], out=base[1:])
        ends = np.flatnonzero(np.frombuffer(buffer, dtype=np.uint8) < 0x80)
        first_end, last_end = np.searchsorted(ends, base[:-1]), np.searchsorted(ends, base[1:])
        if layout == "positional":
            before_value = np.zeros(len(b_counts) + 1, dtype=np.int64)
            np.cumsum(b_counts + 2, out=before_value[1:])
        else:
            before_value = np.arange(len(b_counts) + 1, dtype=np.int64) * (3 if layout == "doc_level" else 1)
        expected = 1 + before_value[b_first[1:]] - before_value[b_first[:-1]]
        sound = (last_end - first_end == expected) & (base[1:] > base[:-1]) & (b_first[1:] > b_first[:-1])
        sound[sound] &= ends[np.minimum(last_end[sound] - 1, len(ends) - 1)] == base[1:][sound] - 1
        if not len(ends) or not sound.any():
            made[layout] = [None] * count
            continue
        top = len(ends) - 1  # positions below are only used for sound keys, where they are in range
        key_value = first_end + 1 - before_value[b_first[:-1]]  # + before_value[group]: a group's doc delta
        rest_start = ends[np.minimum(key_value[run_key] + before_value[first_old], top)] + 1
        next_start = ends[np.minimum(key_value[run_key] + before_value[after_last_old] - 1, top)] + 1
        group_end = np.where(key_last, base[run_key + 1], next_start)
        heads, head_bounds = shared.heads(layout, after.position, new_first)
        copy_from = np.where(fresh, 0, rest_start).tolist()
        copy_to = np.where(fresh, 0, group_end).tolist()
        out: list[bytes | None] = [None] * count
        for key in np.flatnonzero(sound).tolist():
            parts = []
            for run in range(run_bounds[key], run_bounds[key + 1]):
                parts.append(heads[head_bounds[run] : head_bounds[run + 1]])
                if copy_to[run]:
                    parts.append(buffer[copy_from[run] : copy_to[run]])
            out[key] = b"".join(parts)
        made[layout] = out
    return made


@dataclass
class _Runs:
    """The runs of spliced(): what each starts with, before it is encoded in one layout or another."""

    count: int
    key: np.ndarray  # the key of each run
    opens: np.ndarray  # the run is its key's first: the key's doc count comes first
    delta: np.ndarray  # the run's first doc delta
    doc_counts: np.ndarray  # per key
    fresh: np.ndarray  # a run of one group of a new doc: the rest of its entry follows
    found: np.ndarray  # occurrences of the run's first group
    new_runs: np.ndarray  # indices of the fresh runs

    def heads(self, layout: str, position: np.ndarray | None, new_first: np.ndarray) -> tuple[bytes, list[int]]:
        """(encoded heads of all runs, where each run's head starts and the last ends)."""
        found, fresh, new_runs = self.found, self.fresh, self.new_runs
        extra = {"positional": found + 1, "doc_level": np.full(len(found), 2), "doc_list": np.zeros(len(found))}[layout]
        widths = self.opens.astype(np.int64) + 1 + np.where(fresh, extra, 0).astype(np.int64)
        slots = np.zeros(len(widths) + 1, dtype=np.int64)
        np.cumsum(widths, out=slots[1:])
        values = np.empty(int(slots[-1]), dtype=np.int64)
        values[slots[:-1][self.opens]] = self.doc_counts[self.key[self.opens]]
        delta_slots = slots[:-1] + self.opens
        values[delta_slots] = self.delta
        if layout != "doc_list" and len(new_runs):
            assert position is not None
            first, last = new_first, new_first + found[new_runs]
            values[delta_slots[new_runs] + 1] = found[new_runs]
            if layout == "doc_level":
                values[delta_slots[new_runs] + 2] = position[first]
            else:
                chosen = ranges(first, last)
                at = position[chosen].astype(np.int64)
                gaps = np.diff(at, prepend=0)
                first_of_group = np.zeros(len(chosen), dtype=bool)
                first_of_group[np.cumsum(last - first)[:-1]] = True
                first_of_group[0] = True
                gaps[first_of_group] = at[first_of_group]
                values[np.repeat(delta_slots[new_runs] + 2 - first, last - first) + chosen] = gaps
        encoded, run_starts = varint_bytes(values.astype(np.uint32), slots[:-1])
        data = encoded.tobytes()
        return data, np.append(run_starts, len(data)).tolist()


# --- encodings ------------------------------------------------------------------------------


@dataclass
class Encoded:
    """Encoded postings of several keys: key i's bytes are data[offsets[i] : offsets[i + 1]]."""

    data: bytes
    offsets: np.ndarray  # int64, len(keys) + 1

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def parts(self) -> list[bytes]:
        data = self.data
        return [data[a:b] for a, b in itertools.pairwise(self.offsets.tolist())]


def _gaps(values: np.ndarray, run_starts: np.ndarray) -> np.ndarray:
    """Each value minus the one before it, except at the start of a run, where it stays as it is."""
    gaps = np.empty(len(values), dtype=np.uint32)
    if len(values):
        np.subtract(values[1:], values[:-1], out=gaps[1:], dtype=np.uint32, casting="unsafe")
        gaps[run_starts] = values[run_starts]
    return gaps


def _interleaved(heads: np.ndarray, head_slots: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """One stream of `heads` at `head_slots` (ascending) and `rest` in the remaining slots, in order.

    A mask assignment instead of a slot per value: the values far outnumber the heads."""
    values = np.empty(len(heads) + len(rest), dtype=np.uint32)
    is_head = np.zeros(len(values), dtype=bool)
    is_head[head_slots] = True
    values[is_head] = heads
    values[~is_head] = rest
    return values


def encode_positional(postings: Postings) -> Encoded:
    """One positional posting list per key, in key order."""
    assert postings.position is not None
    n = len(postings.doc)
    key_starts = postings.starts[:-1]
    groups = postings.group_starts()
    first_group_of_key = np.searchsorted(groups, key_starts)
    key_of_group = np.repeat(np.arange(len(key_starts)), np.diff(np.append(first_group_of_key, len(groups))))
    doc_deltas = _gaps(postings.doc[groups], first_group_of_key)
    group_sizes = np.diff(np.append(groups, n))
    # Heads in stream order: per key [doc count], per (key, doc) [doc delta][occurrences].
    heads = np.empty(2 * len(groups) + len(key_starts), dtype=np.uint32)
    delta_at = 2 * np.arange(len(groups)) + key_of_group + 1
    heads[delta_at] = doc_deltas
    heads[delta_at + 1] = group_sizes
    heads[2 * first_group_of_key + np.arange(len(key_starts))] = np.diff(np.append(first_group_of_key, len(groups)))
    key_slots = key_starts + 2 * first_group_of_key + np.arange(len(key_starts))
    group_slots = groups + delta_at
    head_slots = np.empty(len(heads), dtype=np.int64)
    head_slots[delta_at] = group_slots
    head_slots[delta_at + 1] = group_slots + 1
    head_slots[2 * first_group_of_key + np.arange(len(key_starts))] = key_slots
    values = _interleaved(heads, head_slots, _gaps(postings.position, groups))
    return _encoded(values, key_slots)


def encode_doc_level(postings: Postings) -> Encoded:
    """Per key: the pages it occurs in, how often, and where first."""
    assert postings.position is not None
    groups = postings.group_starts()
    n = len(postings.doc)
    key_starts = postings.starts[:-1]
    first_group_of_key = np.searchsorted(groups, key_starts)
    doc_deltas = _gaps(postings.doc[groups], first_group_of_key)
    key_doc_counts = np.diff(np.append(first_group_of_key, len(groups)))

    values = np.empty(3 * len(groups) + len(key_starts), dtype=np.uint32)
    key_slots = 3 * first_group_of_key + np.arange(len(key_starts))
    key_of_group = np.repeat(np.arange(len(key_starts)), key_doc_counts)
    group_slots = 3 * np.arange(len(groups)) + key_of_group + 1
    values[key_slots] = key_doc_counts
    values[group_slots] = doc_deltas
    values[group_slots + 1] = np.diff(np.append(groups, n))
    values[group_slots + 2] = postings.position[groups]
    return _encoded(values, key_slots)


def encode_doc_lists(postings: Postings) -> Encoded:
    """Per key: [n docs][doc deltas …] (one occurrence per key and page)."""
    starts = postings.starts[:-1]
    key_slots = starts + np.arange(len(starts))
    values = _interleaved(np.diff(postings.starts).astype(np.uint32), key_slots, _gaps(postings.doc, starts))
    return _encoded(values, key_slots)


def varint_bytes(values: np.ndarray, wanted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, where the encodings of values[wanted] start; all values' when None):
    unsigned LEB128 of 32-bit values (at most 5 bytes each).

    Every value's first byte is written in one pass, the further bytes of
    the longer values (a third of the positional values, nearly all of two
    bytes) after it. No running sum over all values: at 10,000 records
    numpy's cumsum of 20 million widths cost more than the rest. Indices
    are 32-bit where they fit: these are the largest temporary arrays."""
    values = values.astype(np.uint32, copy=False)
    wanted = np.arange(len(values)) if wanted is None else np.asarray(wanted, dtype=np.int64)
    index = np.int32 if 5 * len(values) < 2**31 else np.int64
    longer = np.flatnonzero(values >= np.uint32(0x80)).astype(index)
    out = values.astype(np.uint8)
    out &= np.uint8(0x7F)
    if not len(longer):
        return out, wanted
    out[longer] |= np.uint8(0x80)
    rest = values[longer]
    more = np.ones(len(rest), dtype=np.uint8)  # bytes after the first
    for bits in (14, 21, 28):
        more += rest >= np.uint32(1 << bits)
    most = int(more.max())
    if most == 1:
        before = np.arange(len(rest) + 1, dtype=index)  # further bytes of the longer values before
    else:
        before = np.zeros(len(rest) + 1, dtype=index)
        np.cumsum(more, out=before[1:])
    first_byte = longer + before[:-1]
    is_further = np.zeros(len(values) + int(before[-1]), dtype=bool)
    further = []
    for byte in range(1, most + 1):
        chosen = np.flatnonzero(more >= byte) if byte > 1 else slice(None)
        at = first_byte[chosen] + index(byte)
        data = ((rest[chosen] >> np.uint32(7 * byte)) & np.uint32(0x7F)).astype(np.uint8)
        data |= (more[chosen] > byte).view(np.uint8) << np.uint8(7)
        further.append((at, data))
        is_further[at] = True
    del rest, more, first_byte
    encoded = np.empty(len(is_further), dtype=np.uint8)
    encoded[~is_further] = out
    for at, data in further:
        encoded[at] = data
    return encoded, wanted + before[np.searchsorted(longer, wanted)]


def _encoded(values: np.ndarray, key_slots: np.ndarray) -> Encoded:
    encoded, starts = varint_bytes(values, key_slots)
    return Encoded(encoded.tobytes(), np.append(starts, len(encoded)).astype(np.int64))
