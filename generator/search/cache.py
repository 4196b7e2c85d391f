"""What the search stage keeps between builds, in a folder of its own (the build passes `<cache>/search`).

Two things are kept, so the next build recomputes only what its edits touch
(index.py decides what that is):

- The postings of the previous build: for bigrams, characters and trigrams,
  every occurrence sorted by (key, doc, position), as .npy arrays (with a
  CRC-32 each), plus the encoded size of each key's postings. A build drops
  the occurrences of the pages whose text changed, renumbers the rest and
  merges in the new ones, instead of cutting and sorting 15 million
  characters again.
- Every data file it wrote, in a store named by content digest (`files/`).
  An unchanged file is hard-linked from there into the new site rather than
  written: creating 20,000 files on this machine's ext4 cost 3-6 s right after
  an old site was deleted (the kernel skips recently freed inodes), linking
  them 0.25 s. The published file and the stored one are then one inode, so
  a stored file is used only while its size and mtime are those recorded when
  it was written, as state.py trusts a published file: edited in place, it
  no longer counts and is written anew.

`manifest.json` names all of it, with the generator's code digest and the
parameters the bytes depend on; it is written last, atomically, and lists
only what the build that wrote it used (everything else is removed then), so
the folder never grows past one site's worth. Anything unexpected, whether a
missing, truncated or foreign file, another version, or a stored file that
changed, means "compute in full": never an exception, never a wrong file.
Reading runs no code: JSON, and .npy with allow_pickle=False.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import secrets
import shutil
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import cache_json
from ..workdir import new_owned_folder, remove_abandoned, write_atomically
from .blocks import MarksTable
from .patched import COMPACT_SHARE, Patched, patched, whole
from .postings import Postings

FORMAT = 4
MANIFEST = "manifest.json"
MARKS_FILE = "marks.json"  # blocks.py: where the blocks of pages begin in the big terms' own files
STORE = "files"
ARRAYS_PREFIX = "arrays-"
PATCH_PREFIX = "patch-"
KINDS = {"bi": True, "uni": False, "tri": True}  # kinds of term kept, and whether their occurrences have positions
_ARRAY_TYPES = {
    "keys": np.uint64,
    "starts": np.int64,
    "doc": np.uint32,
    "position": np.uint32,
    "sizes": np.int64,
    # a patch's (patched.py)
    "removed_keys": np.uint64,
    "removed_counts": np.int64,
    "overridden": np.uint32,
}
PATCH_PARTS = ("removed_keys", "removed_counts", "overridden")


def content_key(data: bytes | str) -> str:
    """A file's or a page text's digest: SHA-256 (the CPU has instructions for it: 3 times blake2b's speed)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:40]


@dataclass
class KindMemory:
    """One kind of term as a build left it: its postings, each key's encoded size, and the shard count."""

    postings: Postings | Patched
    sizes: np.ndarray  # int64, one per key
    shards: int


@dataclass
class Previous:
    """What the previous build used, all of it checked: docs, files, postings."""

    hrefs: list[str]  # the docs in order
    texts: list[str]  # content_key of each doc's text
    slice_bytes: list[int]  # the byte length of each text slice, doc after doc (index.TextPacks)
    slice_starts: list[int]  # doc i's slices are slice_bytes[slice_starts[i] : slice_starts[i + 1]]
    packs: int  # how many text packs (index.pack_count)
    files: dict[str, str]  # data file (relative to the data folder) → digest
    kinds: dict[str, KindMemory]
    arrays: str  # the folder of arrays, reused as it is when the postings did not change
    patch: str | None  # the folder of the patch on them (patched.py), if any
    records: dict[str, Any]  # the manifest's account of those arrays
    marks: list[int] | None = None  # size and CRC-32 of the marks file kept with these files


class SearchCache:
    """The search stage's folder; with `folder` None (tests, `casebook doc`) it remembers nothing.

    The manifest holds parallel lists rather than a list or dict per doc or
    file: a build's heap is large, and tens of thousands of new containers
    set off a full garbage collection that cost 0.5 s at 10,000 records."""

    def __init__(self, folder: Path | None, version: str) -> None:
        self.folder = folder
        self.version = version
        self.sizes: dict[str, int] = {}  # stored file digest → size, for the files that are as recorded
        self.mtimes: dict[str, int] = {}  # … and its mtime_ns
        self.previous: Previous | None = None
        # Where the blocks of pages begin in the big terms' own files (blocks.py); None: not kept.
        self.marks: MarksTable | None = None
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / STORE).mkdir(exist_ok=True)
            except OSError:
                self.folder = None  # not a folder we can use: no memory, like the tests
                return
            self.previous = self._load()
            self.marks = self._marks() if self.previous is not None else MarksTable({}, {})

    def writer(self, root: Path) -> DataWriter:
        return DataWriter(root, self.folder / STORE if self.folder is not None else None, self.sizes, self.mtimes)

    # --- reading -------------------------------------------------------------------------------

    def _load(self) -> Previous | None:
        assert self.folder is not None
        try:
            manifest = cache_json.loads((self.folder / MANIFEST).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            return None
        if manifest.get("version") != self.version:
            return None
        try:
            self._check_store(manifest["store"])
            return self._previous(manifest)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OSError):
            return None

    def _marks(self) -> MarksTable:
        """The marks kept with the previous build's files, if their file is as the manifest recorded it
        (size and CRC-32: wrong marks would make wrong lists); else none (the lists are made whole)."""
        assert self.folder is not None and self.previous is not None
        recorded = self.previous.marks
        try:
            data = (self.folder / MARKS_FILE).read_bytes()
            if recorded is None or [len(data), zlib.crc32(data)] != recorded:
                return MarksTable({}, {})
            return MarksTable.of_plain(cache_json.loads(data))
        except (OSError, ValueError):
            return MarksTable({}, {})

    def _check_store(self, records: dict[str, Any]) -> None:
        """Note the stored files that are still what was recorded (size and mtime, as state.py judges a file)."""
        assert self.folder is not None
        store = os.fspath(self.folder / STORE)
        keys, sizes, mtimes = _strings(records["key"]), _ints(records["size"]), _ints(records["mtime"])
        if not len(keys) == len(sizes) == len(mtimes):
            raise ValueError("store records of unequal length")
        for key, size, mtime in zip(keys, sizes, mtimes, strict=True):
            if "/" in key or key.startswith("."):
                continue
            try:
                stat = os.stat(f"{store}/{key}")
            except (OSError, ValueError):
                continue
            if stat.st_size == size and stat.st_mtime_ns == mtime:
                self.sizes[key], self.mtimes[key] = size, mtime

    def _previous(self, manifest: dict[str, Any]) -> Previous | None:
        docs, listed = manifest["docs"], manifest["files"]
        hrefs, texts, slice_bytes = _strings(docs["href"]), _strings(docs["text"]), _ints(docs["slice_bytes"])
        counts, packs = _ints(docs["slice_counts"]), docs["packs"]
        names, keys = _strings(listed["name"]), _strings(listed["key"])
        if not (len(hrefs) == len(texts) == len(counts) and len(names) == len(keys)):
            return None
        if sum(counts) != len(slice_bytes):
            return None
        if type(packs) is not int or packs < 1 or min(counts, default=1) < 1 or min(slice_bytes, default=1) < 1:
            return None
        if not set(keys) <= self.sizes.keys():
            return None  # a file it would link has changed or gone
        slice_starts = [0, *itertools.accumulate(counts)]
        arrays = manifest["arrays"]
        if not isinstance(arrays, str) or not arrays.startswith(ARRAYS_PREFIX) or "/" in arrays:
            return None
        patch = manifest["patch"]
        if patch is not None and (not isinstance(patch, str) or not patch.startswith(PATCH_PREFIX) or "/" in patch):
            return None
        records = {kind: dict(manifest["kinds"][kind]) for kind in KINDS}
        kinds = {}
        for kind, positions in KINDS.items():
            memory = self._kind(arrays, patch, kind, positions, records[kind], len(hrefs))
            if memory is None:
                return None
            kinds[kind] = memory
        files = dict(zip(names, keys, strict=True))
        marks = manifest.get("marks")
        marks = _ints(marks) if marks is not None else None
        return Previous(hrefs, texts, slice_bytes, slice_starts, packs, files, kinds, arrays, patch, records, marks)

    def _kind(
        self, arrays: str, patch: str | None, kind: str, positions: bool, record: dict, doc_count: int
    ) -> KindMemory | None:
        """One kind's postings as kept: the arrays, and the patch on them if there is one (patched.py).

        In the arrays under a patch, a key the patch replaced may name a doc that is gone since."""
        assert self.folder is not None
        shards = record["shards"]
        if not isinstance(shards, int) or shards < 1:
            return None
        names = ("keys", "starts", "doc", *(("position",) if positions else ()))
        loaded = self._arrays(arrays, kind, names if patch is not None else (*names, "sizes"), record["files"])
        if loaded is None:
            return None
        base = _postings(loaded, doc_count if patch is None else None)
        if base is None:
            return None
        if patch is None:
            sizes: np.ndarray = loaded["sizes"]
            postings: Postings | Patched = base
        else:
            patch_arrays = self._arrays(patch, kind, (*names, "sizes", *PATCH_PARTS), record["patch"])
            if patch_arrays is None:
                return None
            replaced = _postings(patch_arrays, doc_count)
            if replaced is None:
                return None
            parts = [patch_arrays[name] for name in PATCH_PARTS]
            if len(parts[0]) != len(parts[1]):
                return None
            postings = Patched(base, replaced, *parts)
            if not postings.consistent():
                return None
            sizes = patch_arrays["sizes"]
        if len(sizes) != len(postings.keys) or (len(sizes) and np.any(sizes <= 0)):
            return None
        return KindMemory(postings, sizes, shards)

    def _arrays(self, folder: str, kind: str, names: tuple[str, ...], files: dict) -> dict[str, np.ndarray] | None:
        """The named arrays of one kind in one folder, each as recorded (size, mtime, CRC-32), or None."""
        assert self.folder is not None
        loaded: dict[str, np.ndarray] = {}
        for name in names:
            path = self.folder / folder / f"{kind}-{name}.npy"
            size, mtime, checksum = _ints(files[name])
            stat = path.stat()
            if stat.st_size != size or stat.st_mtime_ns != mtime:
                return None
            try:
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            except Exception:  # a damaged header fails in numpy's parser, in more ways than ValueError
                return None
            if array.dtype != _ARRAY_TYPES[name] or array.ndim != 1 or _checksum(array) != checksum:
                return None
            loaded[name] = array
        return loaded

    # --- writing -------------------------------------------------------------------------------

    def save(
        self,
        hrefs: list[str],
        texts: list[str],
        slice_bytes: list[int],
        slice_counts: list[int],
        packs: int,
        kinds: dict[str, KindMemory],
        writer: DataWriter,
    ) -> None:
        """Keep what this build used, for the next one.

        Best effort: a cache that cannot be written only makes the next build slower."""
        if self.folder is None:
            return
        previous = self.previous
        try:
            if previous is not None and all(kinds[k].postings is previous.kinds[k].postings for k in KINDS):
                # nothing changed: the same arrays
                arrays, patch, records = previous.arrays, previous.patch, previous.records
            elif previous is not None and all(_patches(kinds[k].postings, previous.kinds[k].postings) for k in KINDS):
                arrays = previous.arrays  # the same arrays under a new patch
                patch, patch_records = self._write_patch(kinds)
                records = {
                    kind: {"shards": kinds[kind].shards, "files": previous.records[kind]["files"], "patch": part}
                    for kind, part in patch_records.items()
                }
            else:
                arrays, records = self._write_arrays(kinds)
                patch = None
            files = sorted(writer.digests.items())
            used = sorted(writer.used)
            marks = self._save_marks()
            manifest = {
                "format": FORMAT,
                "version": self.version,
                "arrays": arrays,
                "patch": patch,
                "kinds": records,
                "docs": {
                    "href": hrefs,
                    "text": texts,
                    "slice_bytes": slice_bytes,
                    "slice_counts": slice_counts,
                    "packs": packs,
                },
                "files": {"name": [name for name, _ in files], "key": [key for _, key in files]},
                "store": {"key": used, "size": [self.sizes[k] for k in used], "mtime": [self.mtimes[k] for k in used]},
                "marks": marks,
            }
            write_atomically(self.folder / MANIFEST, cache_json.dumps(manifest))
        except OSError:
            return
        self._prune({arrays, patch}, writer.used)

    def _save_marks(self) -> list[int] | None:
        """Write this build's marks (the previous file stays when they are the same): its size and CRC-32."""
        assert self.folder is not None
        table, previous = self.marks, self.previous
        if table is None:
            return None
        same = table.after.keys() == table.before.keys() and all(table.after[k] is table.before[k] for k in table.after)
        if same and previous is not None and previous.marks is not None:
            return previous.marks
        data = cache_json.dumps(table.plain())
        write_atomically(self.folder / MARKS_FILE, data)
        return [len(data), zlib.crc32(data)]

    def _write_arrays(self, kinds: dict[str, KindMemory]) -> tuple[str, dict[str, Any]]:
        """Every kind's postings whole (a patched one materialized: written out as one)."""
        name, files = self._write_folder(
            ARRAYS_PREFIX, {kind: _parts(whole(memory.postings), memory.sizes) for kind, memory in kinds.items()}
        )
        return name, {kind: {"shards": kinds[kind].shards, "files": files[kind]} for kind in kinds}

    def _write_patch(self, kinds: dict[str, KindMemory]) -> tuple[str, dict[str, Any]]:
        """Every kind's patch (patched.py) and encoded sizes: the arrays under it stay as they are."""
        parts = {}
        for kind, memory in kinds.items():  # a kind that did not change is its arrays as they were
            held = memory.postings if isinstance(memory.postings, Patched) else patched(memory.postings)
            parts[kind] = {
                **_parts(held.patch, memory.sizes),
                "removed_keys": held.removed_keys,
                "removed_counts": held.removed_counts,
                "overridden": held.overridden,
            }
        return self._write_folder(PATCH_PREFIX, parts)

    def _write_folder(
        self, prefix: str, parts_of: dict[str, dict[str, np.ndarray]]
    ) -> tuple[str, dict[str, dict[str, list[int]]]]:
        """A new folder of .npy files, `<kind>-<part>.npy`, renamed into place whole; with what
        reading them back checks of each (size, mtime, CRC-32)."""
        assert self.folder is not None
        name = f"{prefix}{secrets.token_hex(8)}"
        scratch = new_owned_folder(self.folder, ".writing-")
        records: dict[str, dict[str, list[int]]] = {}
        try:
            for kind, parts in parts_of.items():
                files = {}
                for part, array in parts.items():
                    path = scratch / f"{kind}-{part}.npy"
                    contiguous = np.ascontiguousarray(array, dtype=_ARRAY_TYPES[part])
                    np.save(path, contiguous)
                    stat = path.stat()  # a rename keeps size and mtime
                    files[part] = [stat.st_size, stat.st_mtime_ns, _checksum(contiguous)]
                records[kind] = files
            os.replace(scratch, self.folder / name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return name, records

    def _prune(self, folders: set[str | None], used: set[str]) -> None:
        """Remove what this build did not use: other arrays and patches, unused stored files, leftovers."""
        assert self.folder is not None
        remove_abandoned(self.folder, ".writing-*")  # of a process killed while it wrote here
        with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith((ARRAYS_PREFIX, PATCH_PREFIX)) and entry.name not in folders:
                    shutil.rmtree(entry.path, ignore_errors=True)
        with contextlib.suppress(OSError), os.scandir(self.folder / STORE) as entries:
            for entry in entries:
                if entry.name not in used:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


class DataWriter:
    """Writes the data files of one build; with a store, each file is linked from it or kept in it."""

    def __init__(self, root: Path, store: Path | None, sizes: dict[str, int], mtimes: dict[str, int]) -> None:
        self.root = os.fspath(root)
        self.store = os.fspath(store) if store is not None else None
        self.known = sizes  # stored files that may be linked: digest → size
        self.mtimes = mtimes
        self.used: set[str] = set()
        self.digests: dict[str, str] = {}  # file written → its digest (with a store)
        self.stats: dict[str, tuple[int, int]] = {}  # file written → its size and mtime (with a store)
        self._lock = threading.Lock()  # two threads write: a new file is kept in the store once
        self._claimed: set[str] = set()

    def folder(self, relative: str) -> None:
        os.makedirs(f"{self.root}/{relative}", exist_ok=True)

    def put(self, relative: str, data: bytes) -> str:
        """Write `data` as the file `relative`; return its digest ("" without a store)."""
        target = f"{self.root}/{relative}"
        if self.store is None:
            _write(target, data)
            return ""
        key = content_key(data)
        with self._lock:
            stored = key in self.known
            mine = not stored and key not in self._claimed  # the other thread may be writing the same bytes
            self._claimed.add(key)
        if stored:
            self.link(relative, key)
            return key
        size_mtime = _write(target, data)
        if mine:
            self._keep(target, key, size_mtime)
        self.digests[relative] = key
        self.stats[relative] = size_mtime
        return key

    def _keep(self, target: str, key: str, size_mtime: tuple[int, int]) -> None:
        """Give the file just written a second name in the store."""
        kept = f"{self.store}/{key}"
        try:
            try:
                os.link(target, kept)
            except FileExistsError:  # a leftover nobody recorded: replace it
                spare = f"{self.store}/.{key}-{os.getpid()}"
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(spare)
                os.link(target, spare)
                os.replace(spare, kept)
        except OSError:
            return  # not kept (another file system, no room): the next build writes it again
        with self._lock:
            self.known[key], self.mtimes[key] = size_mtime
            self.used.add(key)

    def link(self, relative: str, key: str) -> None:
        """The file `relative` is the stored file `key` (one the store is known to hold)."""
        assert self.store is not None
        target = f"{self.root}/{relative}"
        try:
            try:
                os.link(f"{self.store}/{key}", target)
            except FileExistsError:
                os.unlink(target)
                os.link(f"{self.store}/{key}", target)
            size_mtime = self.known[key], self.mtimes[key]  # the stored file itself: its size and mtime
        except OSError:  # links not possible here (another file system, too many links): copy
            with open(f"{self.store}/{key}", "rb") as stream:
                size_mtime = _write(target, stream.read())
        self.used.add(key)
        self.digests[relative] = key
        self.stats[relative] = size_mtime

    def written(self) -> dict[str, tuple[int, int, str]] | None:
        """Every file written, relative to the data folder: (size, mtime, content_key), as a stat and
        a read would find them (a linked file is the stored one); None without a store (not known)."""
        if self.store is None:
            return None
        return {relative: (*self.stats[relative], key) for relative, key in self.digests.items()}

    def size(self, key: str) -> int:
        return self.known[key]

    def stored(self, key: str) -> bytes:
        """The bytes of a stored file (one the store is known to hold)."""
        assert self.store is not None
        with open(f"{self.store}/{key}", "rb") as stream:
            return stream.read()


def _write(path: str, data: bytes) -> tuple[int, int]:
    """Create `path` (never through an existing name: it might be a stored file's second name)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        os.unlink(path)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        stat = os.fstat(descriptor)
    finally:
        os.close(descriptor)
    return stat.st_size, stat.st_mtime_ns


def _postings(loaded: dict[str, np.ndarray], doc_count: int | None) -> Postings | None:
    """The postings of checked arrays if they have the shape of postings (docs below `doc_count`
    unless None), else None."""
    keys, starts, doc, position = loaded["keys"], loaded["starts"], loaded["doc"], loaded.get("position")
    if len(starts) != len(keys) + 1 or int(starts[0]) != 0 or int(starts[-1]) != len(doc):
        return None
    if position is not None and len(position) != len(doc):
        return None
    if len(keys):
        steps = np.diff(starts)
        if np.any(steps <= 0) or np.any(keys[1:] <= keys[:-1]):
            return None
    if doc_count is not None and len(doc) and int(doc.max()) >= doc_count:
        return None
    return Postings(keys, starts, doc, position)


def _patches(postings: Postings | Patched, before: Postings | Patched) -> bool:
    """`postings` are the arrays `before` came from with a patch small enough to keep apart."""
    base = before.base if isinstance(before, Patched) else before
    return postings is before or (
        isinstance(postings, Patched)
        and postings.base is base
        and postings.changed_occurrences <= COMPACT_SHARE * len(base.doc)
    )


def _parts(postings: Postings, sizes: np.ndarray) -> dict[str, np.ndarray]:
    parts = {"keys": postings.keys, "starts": postings.starts, "doc": postings.doc, "sizes": sizes}
    if postings.position is not None:
        parts["position"] = postings.position
    return parts


def _checksum(array: np.ndarray) -> int:
    """CRC-32 of an array's bytes. The postings are carried from build to build, so a flipped
    bit would live on in every later index: unlike a stored file, they are checked byte by byte
    (0.05 s for 100 MB), not by size and mtime only."""
    return zlib.crc32(memoryview(np.ascontiguousarray(array)).cast("B"))


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("expected a list of strings")
    return value


def _ints(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(type(item) is int for item in value):
        raise TypeError("expected a list of integers")
    return value
