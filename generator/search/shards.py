"""One kind of term's files (bi/, tri/, uni/): made in full, or updated from the previous build's.

Layout (assets/casebook.js reads it): terms are hashed (FNV-1a of their
UTF-8) into a power of two of shards of about `shard_bytes` each. Shard
entry: [key length][key utf-8][length * 2 + external][data]; an external
entry has no data there: a term whose postings exceed `big_bytes` is in
x<hex of key>.bin, and for bigrams its document-level form in d<hex>.bin.
The length of an external entry lets the browser pick the cheapest
covering bigrams.

An update (the previous build's postings and files, and the keys whose
occurrences changed) writes only what changed: a shard without a changed
key, and the own files of an unchanged key, are linked from the store; a
changed key stored apart before is spliced from its previous bytes
(postings.spliced); an unchanged key in a shard that must be put together
again is copied from its previous entry. The other changed keys, small
lists, are encoded from their occurrences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import postings
from .blocks import ENCODERS as LAYOUT_ENCODERS
from .blocks import Marks, MarksTable, Remade, blocks_of, marks_of, regions_of, remade_regions, spliced
from .cache import DataWriter, KindMemory
from .codec import read_varint, varints
from .postings import key_text

LAYOUTS = {"bi": "positional", "tri": "doc_level", "uni": "doc_list"}
ENCODERS = {folder: LAYOUT_ENCODERS[layout] for folder, layout in LAYOUTS.items()}
# Occurrences encoded at once. The encoders' working arrays take about 70 bytes an occurrence:
# all ten million bigram occurrences of 10,000 records at once were 740 MB, the search stage's peak.
ENCODE_OCCURRENCES = 1 << 20
# Occurrences spliced at once (postings.spliced keeps some fifteen numbers for every group of
# its keys). An edit that moves a page's later text changes the position lists of all its
# bigrams, "信访" and "办理" among them: at 100,000 records their groups at once took 1.8 GB.
SPLICE_OCCURRENCES = 1 << 21
# Blocks of pages remade at most (blocks.py); past this many, lists are spliced group by group.
SPLICE_BLOCKS = 16


@dataclass
class Update:
    """How one kind of term's postings relate to the previous build's."""

    before: KindMemory
    changed: np.ndarray  # every key whose occurrences differ, gone keys included
    gone: postings.Postings  # the previous occurrences of the docs that are gone, by their old numbers
    old_number: np.ndarray  # int64, per doc: its number in the previous build, -1 if its occurrences are new
    splice: bool  # few new pages: changed postings are made from their previous bytes
    # The pages whose occurrences may differ, when every other page kept its number (else None):
    # then a big key's file is remade in their blocks only (blocks.py).
    touched: np.ndarray | None = None


@dataclass
class TermFiles:
    """What one kind of term came to: each key's encoded size, the shard count, figures."""

    sizes: np.ndarray  # int64, one per key
    shards: int
    big: int  # keys stored in files of their own
    largest: int  # bytes of the largest file

    def memory(self, grouped: postings.Postings) -> KindMemory:
        return KindMemory(grouped, self.sizes, self.shards)


def term_files(
    writer: DataWriter,
    folder: str,
    length: int,
    grouped: postings.Postings,
    update: Update | None,
    old_files: dict[str, str],
    big_bytes: int,
    shard_bytes: int,
    marks: MarksTable | None = None,
) -> TermFiles:
    """Write the shards and own files of one kind of term; with an update, only what changed.

    `marks`: where the blocks of pages begin in the own files (blocks.py), by content key: those
    of the previous build's files are read, those of this build's recorded."""
    encode = ENCODERS[folder]
    keys = grouped.keys
    sizes = np.zeros(len(keys), dtype=np.int64)
    data: dict[int, bytes] = {}  # postings of the keys whose entry or own file is written
    doc_level: dict[int, bytes] = {}  # bigrams' d files
    new_marks: dict[tuple[str, int], Marks] = {}  # (variant, key index) → marks of its own file's bytes
    previous = _Previous(writer, folder, length, update, old_files, big_bytes) if update is not None else None
    if previous is None or update is None:
        fresh = np.ones(len(keys), dtype=bool)
    else:
        fresh = np.isin(keys, update.changed)
        old_index, existed = previous.index_of(keys)
        same = np.flatnonzero(~fresh)
        sizes[same] = previous.sizes[old_index[same]]
        if update.splice:
            candidates = np.flatnonzero(fresh & existed)
            blocks = blocks_of(update.touched) if update.touched is not None else None
            if blocks is not None and marks is not None and len(blocks) <= SPLICE_BLOCKS:
                remade = previous.block_spliced(grouped, candidates, old_index, blocks, marks.before)
                for index, variants in remade.items():
                    for variant, (made_data, made_marks) in variants.items():
                        (data if variant == "x" else doc_level)[index] = made_data
                        new_marks[variant, index] = made_marks
                    sizes[index] = len(data[index])
            else:
                made = previous.spliced(grouped, candidates, old_index)
                for index, (made_data, level) in made.items():
                    data[index], sizes[index] = made_data, len(made_data)
                    if level is not None:
                        doc_level[index] = level
    redo_keys = np.flatnonzero(fresh)
    if data:
        redo_keys = redo_keys[[index not in data for index in redo_keys.tolist()]]
    if len(redo_keys):
        made = encoded_parts(encode, grouped, redo_keys)
        sizes[redo_keys] = [len(part) for part in made]
        data.update(zip(redo_keys.tolist(), made, strict=True))
        del made
        if marks is not None:
            marked = redo_keys[sizes[redo_keys] > big_bytes]
            found_marks = marked_parts(grouped, marked, LAYOUTS[folder])
            new_marks.update((("x", index), found) for index, found in zip(marked.tolist(), found_marks, strict=True))

    big = sizes > big_bytes
    total = int(sizes[~big].sum())
    shards = 1
    while shards * shard_bytes < total:
        shards *= 2
    shard_of = postings.key_hashes(keys, length) % np.uint32(shards)
    redo = np.ones(shards, dtype=bool)
    if update is not None and update.before.shards == shards:
        redo[:] = False
        redo[postings.key_hashes(update.changed, length) % np.uint32(shards)] = True
    in_redo = redo[shard_of]
    missing = np.flatnonzero(in_redo & ~fresh & ~big)  # unchanged keys in shards put together again
    if previous is not None and len(missing):
        for index, entry in zip(missing.tolist(), previous.entries(old_index[missing]), strict=True):
            if entry is not None and len(entry) == sizes[index]:
                data[index] = entry
        missing = missing[[index not in data for index in missing.tolist()]]
    if len(missing):
        data.update(zip(missing.tolist(), encoded_parts(encode, grouped, missing), strict=True))

    names = {int(i): key_text(int(keys[i]), length).encode("utf-8") for i in np.flatnonzero(in_redo | big).tolist()}
    largest = int(sizes[big].max()) if big.any() else 0
    big_keys = np.flatnonzero(big)
    if folder == "bi":
        wanted = np.array([i for i in big_keys[fresh[big_keys]].tolist() if i not in doc_level], dtype=np.int64)
        made_levels = encoded_parts(postings.encode_doc_level, grouped, wanted)
        doc_level.update(zip(wanted.tolist(), made_levels, strict=True))
        if marks is not None:
            levels_marked = marked_parts(grouped, wanted, "doc_level")
            new_marks.update((("d", index), found) for index, found in zip(wanted.tolist(), levels_marked, strict=True))
    for index in big_keys.tolist():
        hex_name = names[index].hex()
        variants = [("x", data)] + ([("d", doc_level)] if folder == "bi" else [])
        for variant, made_files in variants:
            name = f"{folder}/{variant}{hex_name}.bin"
            if fresh[index]:
                stored = writer.put(name, made_files[index])
                found = new_marks.get((variant, index))
            else:
                stored = old_files[name]
                writer.link(name, stored)
                found = marks.before.get(stored) if marks is not None else None
            if marks is not None and found is not None and stored:
                marks.after[stored] = found

    order = np.flatnonzero(in_redo)
    order = order[np.argsort(shard_of[order], kind="stable")]
    bounds = np.searchsorted(shard_of[order], np.arange(shards + 1)).tolist()
    order_list = order.tolist()
    for shard in range(shards):
        name = f"{folder}/{shard}.bin"
        if not redo[shard]:
            key = old_files[name]
            writer.link(name, key)
            largest = max(largest, writer.size(key))
            continue
        parts = []
        for index in order_list[bounds[shard] : bounds[shard + 1]]:
            encoded_key = names[index]
            size = int(sizes[index])
            head = varints([len(encoded_key)]) + encoded_key
            if big[index]:
                parts.append(head + varints([size * 2 + 1]))
            else:
                parts.append(head + varints([size * 2]) + data[index])
        content = b"".join(parts)
        writer.put(name, content)
        largest = max(largest, len(content))
    return TermFiles(sizes, shards, int(big.sum()), largest)


def encoded_parts(
    encode: Callable[[postings.Postings], postings.Encoded], grouped: postings.Postings, indices: np.ndarray
) -> list[bytes]:
    """encode(grouped.take(indices)).parts(), made about ENCODE_OCCURRENCES occurrences at a time.

    Each key's bytes depend on its own occurrences only (gaps start again at every key),
    so the parts are the same however the keys are cut; a key with more occurrences
    than the budget is encoded on its own."""
    parts: list[bytes] = []
    for start, end in _batches(grouped.counts()[indices], ENCODE_OCCURRENCES):
        parts += encode(grouped.take(indices[start:end])).parts()
    return parts


def marked_parts(grouped: postings.Postings, indices: np.ndarray, layout: str) -> list[Marks]:
    """marks_of(grouped.take(indices)), about ENCODE_OCCURRENCES occurrences at a time."""
    found: list[Marks] = []
    for start, end in _batches(grouped.counts()[indices], ENCODE_OCCURRENCES):
        found += marks_of(grouped.take(indices[start:end]), layout)
    return found


def _batches(counts: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """[start, end) runs of keys with about `budget` occurrences together (a larger key alone)."""
    reached = np.cumsum(counts)
    runs, start = [], 0
    while start < len(counts):
        limit = (int(reached[start - 1]) if start else 0) + budget
        end = max(start + 1, int(np.searchsorted(reached, limit, side="right")))
        runs.append((start, end))
        start = end
    return runs


class _Previous:
    """The previous build's bytes of one kind of term: own files and shard entries, read when asked."""

    def __init__(
        self, writer: DataWriter, folder: str, length: int, update: Update, old_files: dict[str, str], big_bytes: int
    ) -> None:
        self.writer, self.folder, self.length, self.update = writer, folder, length, update
        self.old_files, self.big_bytes = old_files, big_bytes
        self.keys = update.before.postings.keys
        self.sizes = update.before.sizes
        self.shards: dict[int, dict[bytes, bytes | None]] = {}

    def index_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index of each key among the previous keys, whether it was there)."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
        index = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return index, self.keys[index] == keys

    def entries(self, old: np.ndarray) -> list[bytes | None]:
        """The previous postings of keys[old]: from their own files or their shard entries (None: not found)."""
        hashes = postings.key_hashes(self.keys[old], self.length) % np.uint32(self.update.before.shards)
        found: list[bytes | None] = []
        for index, shard in zip(old.tolist(), hashes.tolist(), strict=True):
            name = key_text(int(self.keys[index]), self.length).encode("utf-8")
            if self.sizes[index] > self.big_bytes:
                stored = self.old_files.get(f"{self.folder}/x{name.hex()}.bin")
                found.append(self.writer.stored(stored) if stored is not None else None)
            else:
                found.append(self._shard(int(shard)).get(name))
        return found

    def levels(self, old: np.ndarray) -> list[bytes | None]:
        """The previous document-level lists of big bigrams keys[old] (their d files)."""
        found: list[bytes | None] = []
        for index in old.tolist():
            name = key_text(int(self.keys[index]), self.length).encode("utf-8")
            stored = self.old_files.get(f"{self.folder}/d{name.hex()}.bin")
            found.append(self.writer.stored(stored) if stored is not None else None)
        return found

    def spliced(
        self, grouped: postings.Postings, indices: np.ndarray, old_index: np.ndarray
    ) -> dict[int, tuple[bytes, bytes | None]]:
        """key index → (postings, bigrams' document-level list), spliced, for the keys stored apart before.

        Only those: splicing scans the previous bytes, which for the many
        small lists costs more than encoding them (measured: a page added in
        the middle, 6.5 s against 4.6 s at 10,000 records). A key whose
        previous bytes are not found or do not fit is left out: the caller
        encodes it."""
        update = self.update
        chosen = indices[self.sizes[old_index[indices]] > self.big_bytes]
        if not len(chosen):
            return {}
        layout = LAYOUTS[self.folder]
        found = {layout: self.entries(old_index[chosen])}
        if self.folder == "bi":
            found["doc_level"] = self.levels(old_index[chosen])
        usable = [all(lists[k] is not None for lists in found.values()) for k in range(len(chosen))]
        chosen = chosen[usable]
        if not len(chosen):
            return {}
        olds = {name: [data for data in lists if data is not None] for name, lists in found.items()}
        result: dict[str, list[bytes | None]] = {name: [] for name in olds}
        for start, end in _batches(grouped.counts()[chosen], SPLICE_OCCURRENCES):
            taken = grouped.take(chosen[start:end])  # these keys' occurrences alone
            made = postings.spliced(
                {name: lists[start:end] for name, lists in olds.items()},
                taken,
                np.arange(end - start),
                taken.group_starts(),
                update.gone,
                update.old_number,
            )
            for name, lists in made.items():
                result[name] += lists
        levels = result.get("doc_level", [None] * len(chosen))
        return {
            index: (data, level)
            for index, data, level in zip(chosen.tolist(), result[layout], levels, strict=True)
            if data is not None and (level is not None or "doc_level" not in result)
        }

    def block_spliced(
        self,
        grouped: postings.Postings,
        indices: np.ndarray,
        old_index: np.ndarray,
        blocks: np.ndarray,
        marks: dict[str, Marks],
    ) -> dict[int, dict[str, tuple[bytes, Marks]]]:
        """key index → variant ("x", and "d" for bigrams) → (its own file's bytes, their marks),
        remade in `blocks` only, for the keys stored apart before whose files' marks are known.
        Every page outside `blocks` must have kept its number and its occurrences."""
        chosen = indices[self.sizes[old_index[indices]] > self.big_bytes]
        variants = {"x": LAYOUTS[self.folder], **({"d": "doc_level"} if self.folder == "bi" else {})}
        usable: list[int] = []
        stored: list[dict[str, tuple[str, Marks]]] = []
        for index in chosen.tolist():
            name = key_text(int(self.keys[old_index[index]]), self.length).encode("utf-8").hex()
            found = {}
            for variant in variants:
                key = self.old_files.get(f"{self.folder}/{variant}{name}.bin")
                if key is not None and key in marks:
                    found[variant] = (key, marks[key])
            if len(found) == len(variants):
                usable.append(index)
                stored.append(found)
        if not usable:
            return {}
        block_list = blocks.tolist()
        result: dict[int, dict[str, tuple[bytes, Marks]]] = {}
        for start, end in _batches(grouped.counts()[usable], SPLICE_OCCURRENCES):
            regions = regions_of(grouped, np.array(usable[start:end], dtype=np.int64), blocks)
            for variant, layout in variants.items():
                by_key: dict[int, dict[int, Remade]] = {}
                for (key, block), region in remade_regions(regions, layout).items():
                    by_key.setdefault(key, {})[block] = region
                for key in range(end - start):
                    if variant != "x" and usable[start + key] not in result:
                        continue  # its list did not fit its marks: encoded whole
                    digest, old_marks = stored[start + key][variant]
                    made = spliced(self.writer.stored(digest), old_marks, block_list, by_key.get(key, {}))
                    if made is None:
                        result.pop(usable[start + key], None)
                        continue
                    result.setdefault(usable[start + key], {})[variant] = made
        return {index: found for index, found in result.items() if len(found) == len(variants)}

    def _shard(self, number: int) -> dict[bytes, bytes | None]:
        if number not in self.shards:
            stored = self.old_files.get(f"{self.folder}/{number}.bin")
            self.shards[number] = _entries(self.writer.stored(stored)) if stored is not None else {}
        return self.shards[number]


def _entries(data: bytes) -> dict[bytes, bytes | None]:
    """key → its inline postings (None for an external entry) of one shard; {} if the bytes do not parse."""
    found: dict[bytes, bytes | None] = {}
    offset = 0
    try:
        while offset < len(data):
            length, offset = read_varint(data, offset)
            key = data[offset : offset + length]
            offset += length
            flag, offset = read_varint(data, offset)
            size = flag >> 1
            found[key] = None if flag & 1 else data[offset : offset + size]
            offset += 0 if flag & 1 else size
    except IndexError:
        return {}
    return found
