"""The search data written with a cache is byte for byte the data written without one.

write_docs keeps postings and finished files between builds (generator/search/
cache.py) and recomputes only what changed pages touch. These tests drive it
through random sequences of edits — pages added, removed, moved, retitled,
their text or facets changed — and after every step compare each file with
a cache-less computation of the same input. The cache is also damaged in
every way we could think of (garbage, truncation, another version, a stored
file edited through the published site); the output must not change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.search import blocks, index, shards
from generator.search import cache as search_cache
from generator.search.index import DATA_DIR, SearchDoc, write_docs, write_search_data
from generator.search.postings import (
    Postings,
    encode_doc_level,
    encode_doc_lists,
    encode_positional,
    spliced,
)

# Small alphabets, so that pages share bigrams and trigrams; full-width and upper-case
# letters exercise normalisation, punctuation and spaces split the letter runs.
WIDE = "信访事项办理工资拖欠锦绣花园证明2024abAＢ１。，、 \n-"
NARROW = "信访办a1Ａ。 \n"
KINDS = ["typical", "class", "page", "record"]

# (alphabet, BIG_TERM_BYTES, TARGET_SHARD_BYTES, SPLICE_DOCS):
# - the defaults, where nothing is stored apart at this size;
# - tiny limits over few letters: nearly every bigram has files of its own, trigram
#   entries abound, big postings are spliced from their previous bytes;
# - limits that terms cross back and forth as pages change: the set of big bigrams
#   (hence the trigram entries) and the shard counts change from step to step;
# - the same without splicing.
# (alphabet, BIG_TERM_BYTES, TARGET_SHARD_BYTES, SPLICE_DOCS, PACK_DOCS, SPLICE_OCCURRENCES): with 1 or
# 2 pages a text pack, adding and deleting pages changes the number of packs, and most packs hold
# several pages; with a splice budget of 1 or 5 occurrences, keys are spliced alone or a few at a time.
# The last two: PATCH_SHARE and COMPACT_SHARE (search/patched.py). A share of 1 patches the
# postings whenever no page is renumbered (at these sizes the default hardly ever does) and
# keeps patch upon patch; a compact share of 0 writes every patch out with its arrays at once.
# The last two: pages per block of a big term's file (blocks.py), blocks remade at most.
REGIMES = [
    (WIDE, 16_000, 8_000, 200, 16, 1 << 21, index.PATCH_SHARE, search_cache.COMPACT_SHARE, 512, 16),
    (NARROW, 12, 48, 200, 2, 5, 1.0, 1.0, 2, 16),
    (WIDE, 24, 80, 200, 1, 1, 1.0, 0.0, 3, 1),
    (NARROW, 30, 120, 0, 16, 1 << 21, 1.0, 1.0, 1, 16),
]


def data_files(site: Path) -> dict[str, bytes]:
    root = site / DATA_DIR
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@contextmanager
def limits(
    big: int,
    target: int,
    splice: int,
    pack: int = index.PACK_DOCS,
    batch: int = shards.SPLICE_OCCURRENCES,
    patch_share: float = index.PATCH_SHARE,
    compact_share: float = search_cache.COMPACT_SHARE,
    block_docs: int = blocks.BLOCK_DOCS,
    splice_blocks: int = shards.SPLICE_BLOCKS,
) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "BLOCK_DOCS", block_docs)
        patch.setattr(shards, "SPLICE_BLOCKS", splice_blocks)
        patch.setattr(index, "PATCH_SHARE", patch_share)
        patch.setattr(search_cache, "COMPACT_SHARE", compact_share)
        patch.setattr(index, "PACK_DOCS", pack)
        patch.setattr(shards, "SPLICE_OCCURRENCES", batch)
        patch.setattr(index, "BIG_TERM_BYTES", big)
        patch.setattr(index, "TARGET_SHARD_BYTES", target)
        patch.setattr(index, "SPLICE_DOCS", splice)
        yield


class Runs:
    """Builds into fresh folders with one cache, and without a cache, and compares."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = root / "cache" / "search"
        self.count = 0

    def site(self) -> Path:
        self.count += 1
        return self.root / f"site-{self.count}"

    def check(self, docs: list[SearchDoc]) -> dict[str, object]:
        """Write `docs` with the cache and without; the files must be equal. Returns the figures."""
        cached, plain = self.site(), self.site()
        figures = write_docs(copy_docs(docs), cached, self.cache)
        expected = write_docs(copy_docs(docs), plain)
        assert figures == expected
        got, want = data_files(cached), data_files(plain)
        assert sorted(got) == sorted(want)
        assert [name for name in want if got[name] != want[name]] == []
        shutil.rmtree(plain)
        return figures


def copy_docs(docs: list[SearchDoc]) -> list[SearchDoc]:
    return [dataclasses.replace(doc, facets={k: list(v) for k, v in doc.facets.items()}) for doc in docs]


facet_values = st.lists(st.sampled_from(["甲", "乙", "丙", "丁"]), max_size=3, unique=True)


@st.composite
def new_doc(draw: st.DrawFn, alphabet: str, number: int) -> SearchDoc:
    title = draw(st.text(alphabet=alphabet, max_size=12))
    return SearchDoc(
        href=f"{draw(st.sampled_from(KINDS))}/{number}/",
        kind=draw(st.sampled_from(KINDS)),
        title=title,
        line=draw(st.text(alphabet=alphabet, max_size=8)),
        facets={"domain": draw(facet_values), "tag": draw(facet_values)},
        text=f"{title}\n{draw(st.text(alphabet=alphabet, max_size=160))}",
    )


EDITS = ["text", "splice text", "add", "remove", "move", "retitle", "facets", "duplicate", "nothing", "damage"]
DAMAGE = [
    "manifest garbage",
    "manifest gone",
    "array truncated",
    "array garbage",
    "array bit flipped, mtime kept",
    "array header garbled, mtime kept",
    "stored file edited",
    "store gone",
    "marks number changed",
]


@st.composite
def edit_sequences(draw: st.DrawFn, alphabet: str) -> tuple[list[SearchDoc], list[list[tuple[str, int, object]]]]:
    texts = st.text(alphabet=alphabet, max_size=160)
    start = [draw(new_doc(alphabet, number)) for number in range(draw(st.integers(0, 8)))]
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        edits = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(EDITS))
            where = draw(st.integers(0, 1_000))
            if kind in ("text", "retitle"):
                payload: object = draw(texts)
            elif kind == "splice text":
                payload = (draw(st.integers(0, 200)), draw(st.integers(0, 20)), draw(texts.map(lambda t: t[:15])))
            elif kind == "add":
                payload = draw(new_doc(alphabet, 1_000 + len(steps) * 10 + len(edits)))
            elif kind == "facets":
                payload = draw(facet_values)
            elif kind == "damage":
                payload = draw(st.sampled_from(DAMAGE))
            else:
                payload = draw(st.integers(0, 1_000))
            edits.append((kind, where, payload))
        steps.append(edits)
    return start, steps


def apply(docs: list[SearchDoc], edit: tuple[str, int, object], cache: Path) -> list[SearchDoc]:
    kind, where, payload = edit
    docs = copy_docs(docs)
    if kind == "damage":
        damage(cache, str(payload))
        return docs
    if kind == "add":
        assert isinstance(payload, SearchDoc)
        docs.insert(where % (len(docs) + 1), payload)
        return docs
    if not docs:
        return docs
    at = where % len(docs)
    doc = docs[at]
    if kind == "text":
        doc.text = f"{doc.title}\n{payload}"
    elif kind == "splice text":
        offset, cut, inserted = payload  # type: ignore[misc]
        offset %= len(doc.text) + 1
        doc.text = doc.text[:offset] + inserted + doc.text[offset + cut :]
    elif kind == "remove":
        del docs[at]
    elif kind == "move":
        docs.insert(int(payload) % len(docs), docs.pop(at))  # type: ignore[call-overload]
    elif kind == "retitle":
        body = doc.text.split("\n", 1)[1] if "\n" in doc.text else ""
        doc.title = str(payload)[:10]
        doc.text = f"{doc.title}\n{body}"
    elif kind == "facets":
        doc.facets["tag"] = list(payload)  # type: ignore[call-overload]
    elif kind == "duplicate":
        docs.insert(int(payload) % (len(docs) + 1), dataclasses.replace(doc))  # type: ignore[call-overload]
    return docs


def damage(cache: Path, how: str) -> None:
    """Spoil the cache folder in one of the ways a disk, a crash or a person could.

    A file changed in place is given an mtime a second later, as an edit made
    later than the build would have: a stored file is trusted while its size
    and mtime are as recorded (the rule state.py applies to published files),
    and an edit within the same clock tick as the build cannot be told apart."""
    manifest = cache / search_cache.MANIFEST
    arrays = sorted(
        p
        for prefix in (search_cache.ARRAYS_PREFIX, search_cache.PATCH_PREFIX)
        for folder in cache.glob(f"{prefix}*")
        for p in folder.glob("*.npy")
    )
    stored = sorted((cache / search_cache.STORE).glob("*")) if (cache / search_cache.STORE).is_dir() else []
    if how == "manifest garbage" and manifest.exists():
        manifest.write_bytes(b'{"format": 1, "docs": [1, 2')
    elif how == "manifest gone":
        manifest.unlink(missing_ok=True)
    elif how == "array truncated" and arrays:
        data = arrays[0].read_bytes()
        arrays[0].write_bytes(data[: len(data) // 2])
    elif how == "array garbage" and arrays:
        target = max(arrays, key=lambda p: p.stat().st_size)
        data = bytearray(target.read_bytes())
        data[-1:] = b"\xff"
        target.write_bytes(bytes(data))
        later(target)
    elif how.startswith("array") and how.endswith("mtime kept") and arrays:
        target = next(p for p in arrays if p.name == "bi-position.npy")  # what a disk could do, or a person
        stat = target.stat()
        data = bytearray(target.read_bytes())
        if "header" in how:
            data[20] ^= 0x10
        else:
            data[-4] ^= 0x01  # the last position, one off: nothing but the checksum can tell
        target.write_bytes(bytes(data))
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif how == "stored file edited" and stored:
        target = stored[len(stored) // 2]
        with open(target, "r+b") as stream:  # in place, as through the published site's hard link
            first = stream.read(1)
            stream.seek(0)
            stream.write(bytes([(first[0] + 1) % 256]) if first else b"x")
        later(target)
    elif how == "store gone":
        shutil.rmtree(cache / search_cache.STORE, ignore_errors=True)
    elif how == "marks number changed" and (cache / search_cache.MARKS_FILE).exists():
        # one offset or page number off by one, the file's size as it was: wrong lists, unless not used
        target = cache / search_cache.MARKS_FILE
        data = bytearray(target.read_bytes())
        digits = [at for at, byte in enumerate(data) if chr(byte) in "12345678"]
        if digits:
            data[digits[len(digits) // 2]] += 1
            target.write_bytes(bytes(data))


def later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize(
    "alphabet, big, target, splice, pack, batch, patch_share, compact_share, block_docs, splice_blocks", REGIMES
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edit_sequences_give_the_bytes_of_a_full_computation(
    tmp_path_factory: pytest.TempPathFactory,
    alphabet: str,
    big: int,
    target: int,
    splice: int,
    pack: int,
    batch: int,
    patch_share: float,
    compact_share: float,
    block_docs: int,
    splice_blocks: int,
    data: st.DataObject,
) -> None:
    start, steps = data.draw(edit_sequences(alphabet))
    runs = Runs(tmp_path_factory.mktemp("runs"))
    with limits(big, target, splice, pack, batch, patch_share, compact_share, block_docs, splice_blocks):
        docs = start
        runs.check(docs)
        for edits in steps:
            for edit in edits:
                docs = apply(docs, edit, runs.cache)
            runs.check(docs)


@st.composite
def keys_before_and_after(draw: st.DrawFn, layout: str) -> tuple[Postings, Postings, Postings, np.ndarray]:
    """Keys' postings over old docs, a monotone renumbering with docs dropped and added, the new postings."""
    old_count = draw(st.integers(1, 40))
    most = 1 if layout == "doc_list" else 6  # a doc list has one occurrence per doc
    positions = st.lists(st.integers(0, 400), min_size=1, max_size=most, unique=True).map(sorted)
    kept = [doc for doc in range(old_count) if draw(st.booleans()) or draw(st.booleans())]
    new_count = len(kept) + draw(st.integers(1, 10))
    slots = sorted(draw(st.permutations(range(new_count)))[: len(kept)])  # where the kept docs go, in order
    old_number = np.full(new_count, -1, dtype=np.int64)
    old_number[slots] = kept
    befores, afters = [], []
    for _ in range(draw(st.integers(1, 4))):
        old = {doc: draw(positions) for doc in draw(st.sets(st.integers(0, old_count - 1), min_size=1))}
        new = {slot: old[doc] for slot, doc in zip(slots, kept, strict=True) if doc in old}
        for doc in range(new_count):
            if old_number[doc] < 0 and draw(st.booleans()):
                new[doc] = draw(positions)
        if not new:
            new[int(np.flatnonzero(old_number < 0)[0])] = draw(positions)
        befores.append(old)
        afters.append(new)
    gone = [{doc: found for doc, found in old.items() if doc not in kept} for old in befores]
    return keyed(befores), keyed(afters), keyed(gone), old_number


def keyed(lists: list[dict[int, list[int]]]) -> Postings:
    """Postings of keys 0, 1, … from doc → positions for each (keys without any left out)."""
    present = [key for key, postings in enumerate(lists) if postings]
    doc = [d for key in present for d in sorted(lists[key]) for _ in lists[key][d]]
    position = [p for key in present for d in sorted(lists[key]) for p in lists[key][d]]
    starts = np.cumsum([0] + [sum(len(v) for v in lists[key].values()) for key in present])
    return Postings(
        np.array(present, dtype=np.uint64),
        starts.astype(np.int64),
        np.array(doc, dtype=np.uint32),
        np.array(position, dtype=np.uint32),
    )


@pytest.mark.parametrize("layout", ["positional", "doc_level", "doc_list"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_spliced_postings_are_the_encoded_postings(layout: str, data: st.DataObject) -> None:
    before, after, gone, old_number = data.draw(keys_before_and_after(layout))
    encode = {"positional": encode_positional, "doc_level": encode_doc_level, "doc_list": encode_doc_lists}[layout]
    old = encode(before).parts()
    every = np.arange(len(after.keys))
    assert after.keys.tolist() == before.keys.tolist()
    made = spliced({layout: old}, after, every, after.group_starts(), gone, old_number)
    assert made == {layout: encode(after).parts()}
    damaged = [*old[:-1], old[-1][:-1]]  # the last key's bytes cut short: that key alone is encoded anew
    made = spliced({layout: damaged}, after, every, after.group_starts(), gone, old_number)
    assert made == {layout: [*encode(after).parts()[:-1], None]}
    if layout == "positional":  # a bigram's two lists from one pass over its groups
        level = encode_doc_level(before).parts()
        made = spliced({layout: old, "doc_level": level}, after, every, after.group_starts(), gone, old_number)
        assert made == {layout: encode(after).parts(), "doc_level": encode_doc_level(after).parts()}


@pytest.mark.parametrize("layout", ["positional", "doc_level", "doc_list"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_some_keys_spliced_from_their_own_occurrences_are_their_encoded_postings(
    layout: str, data: st.DataObject
) -> None:
    """shards splices the changed keys a few at a time, each batch from a Postings of its own
    keys' occurrences (grouped.take) rather than the arrays of all: the same bytes as encoding them."""
    before, after, gone, old_number = data.draw(keys_before_and_after(layout))
    encode = {"positional": encode_positional, "doc_level": encode_doc_level, "doc_list": encode_doc_lists}[layout]
    old, want = encode(before).parts(), encode(after).parts()
    every = range(len(after.keys))
    some = np.array(sorted(data.draw(st.sets(st.sampled_from(every), min_size=1))), dtype=np.int64)
    taken = after.take(some)
    made = spliced(
        {layout: [old[k] for k in some]}, taken, np.arange(len(some)), taken.group_starts(), gone, old_number
    )
    assert made == {layout: [want[k] for k in some]}


def sample_docs(count: int, seed: int = 3) -> list[SearchDoc]:
    """Pages long enough for several text slices, shared words, and facets."""
    rng = np.random.default_rng(seed)
    words = ["信访事项", "办理", "拖欠工资", "锦绣花园", "不动产权证", "2024年", "复核", "听证", "XF-2024"]
    docs = []
    for number in range(count):
        body = "，".join(words[i] for i in rng.integers(0, len(words), int(rng.integers(5, 900))))
        docs.append(SearchDoc(f"records/{number}/", "record", f"记录{number}", "线", {"tag": [words[number % 3]]}, ""))
        docs[-1].text = f"{docs[-1].title}\n{body}"
    return docs


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_cache_gives_the_same_files(tmp_path: Path, how: str) -> None:
    """After the damage a page is added in front: every posting list is made again from the arrays."""
    runs = Runs(tmp_path)
    docs = sample_docs(60)
    with limits(400, 2_000, 0):
        runs.check(docs)
        damage(runs.cache, how)
        docs.insert(0, dataclasses.replace(docs[7], href="records/front/", text=docs[7].text + "信访事项已办结。"))
        runs.check(docs)
        runs.check(docs)  # and the cache written after the damage is sound


def test_a_cache_of_another_generator_version_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = Runs(tmp_path)
    docs = sample_docs(30)
    runs.check(docs)
    manifest = json.loads((runs.cache / search_cache.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["version"] == index.cache_version()
    monkeypatch.setattr(index, "code_digest", lambda: "another generator")
    loaded = search_cache.SearchCache(runs.cache, index.cache_version())
    assert loaded.previous is None
    docs[3].text += "修订"
    runs.check(docs)
    monkeypatch.undo()
    assert search_cache.SearchCache(runs.cache, index.cache_version()).previous is None  # the other one's now


def test_a_cache_of_the_same_version_is_used(tmp_path: Path) -> None:
    """The other tests would pass if the cache were never read; this one fails then."""
    runs = Runs(tmp_path)
    docs = sample_docs(30)
    runs.check(docs)
    loaded = search_cache.SearchCache(runs.cache, index.cache_version())
    assert loaded.previous is not None
    assert loaded.previous.hrefs == [doc.href for doc in docs]
    # An unchanged rebuild links every file from the store: same inodes as the stored files.
    site = runs.site()
    write_docs(copy_docs(docs), site, runs.cache)
    stored = {p.stat().st_ino for p in (runs.cache / search_cache.STORE).iterdir()}
    assert {p.stat().st_ino for p in (site / DATA_DIR).rglob("*") if p.is_file()} <= stored


def test_the_cache_keeps_only_what_the_last_build_used(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    docs = sample_docs(40)
    with limits(400, 2_000, 200):
        for step in range(4):
            if step == 3:  # what a build killed while it wrote the cache leaves (no process has that pid)
                (runs.cache / ".writing-999999999-x").mkdir()
            docs[step].text += f"第{step}次修订：锦绣花园"
            docs.insert(10, dataclasses.replace(docs[20], href=f"records/new-{step}/"))
            figures = runs.check(docs)
            assert figures["docs"] == len(docs)
        for step in range(2):  # pages keep their numbers: the arrays are patched, one patch kept
            docs[5].text += f"第{step}次补正"
            runs.check(docs)
    stored = sorted(p.name for p in (runs.cache / search_cache.STORE).iterdir())
    manifest = json.loads((runs.cache / search_cache.MANIFEST).read_text(encoding="utf-8"))
    assert stored == manifest["store"]["key"]
    site = tmp_path / f"site-{runs.count - 1}"  # the last build with the cache
    assert set(stored) == {search_cache.content_key(data) for data in data_files(site).values()}
    assert len(list(runs.cache.glob(f"{search_cache.ARRAYS_PREFIX}*"))) == 1
    assert manifest["patch"] is not None
    assert sorted(p.name for p in runs.cache.iterdir()) == sorted(
        [search_cache.MANIFEST, search_cache.MARKS_FILE, search_cache.STORE, manifest["arrays"], manifest["patch"]]
    )


def test_an_unusable_cache_folder_means_no_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder", encoding="utf-8")
    docs = sample_docs(10)
    figures = write_docs(copy_docs(docs), tmp_path / "a", blocker / "search")
    assert figures == write_docs(copy_docs(docs), tmp_path / "b")
    assert data_files(tmp_path / "a") == data_files(tmp_path / "b")


def test_the_site_of_the_sample_library_with_a_cache(sample_site: Path, tmp_path: Path) -> None:
    """write_search_data (the build's model_docs, with_texts, write_search_docs): the build's own files,
    then an edited page, with a cache."""
    from generator.derive.site import derive_site
    from generator.search.text import page_text
    from generator.validate import check_library
    from tests.conftest import AS_OF, SAMPLE

    library, _ = check_library(SAMPLE)
    model = derive_site(library, "internal", dt.date.fromisoformat(AS_OF))
    pages = {}
    for path in sample_site.rglob("index.html"):
        found = page_text(path.read_text(encoding="utf-8"))
        if found is not None:
            url = path.parent.relative_to(sample_site).as_posix()
            pages["" if url == "." else f"{url}/"] = found
    cache = tmp_path / "cache"
    first = tmp_path / "first"
    write_search_data(model, first, pages, cache)
    assert data_files(first) == data_files(sample_site)

    record = next(url for url in sorted(pages) if url.startswith("records/"))
    title, body = pages[record]
    pages[record] = (title, body + "\n补充：当事人再次来访，已答复。")
    second, plain = tmp_path / "second", tmp_path / "plain"
    write_search_data(model, second, pages, cache)
    write_search_data(model, plain, pages)
    assert data_files(second) == data_files(plain)
    assert os.path.samefile(second / DATA_DIR / "docs.bin", cache / search_cache.STORE / _key(second / DATA_DIR))


def _key(data: Path) -> str:
    return search_cache.content_key((data / "docs.bin").read_bytes())


def facet_columns_by_loop(docs: list[SearchDoc]) -> bytes:
    """docs.bin the obvious way, a loop per doc and value (what index.facet_columns must equal)."""
    body = bytearray()
    for doc in docs:
        body += min(len(doc.title), 0xFFFF).to_bytes(2, "little")
    for name in ["kind", "domain", "district", "year", "route", "outcome", "deadline", "mechanism", "tag"]:
        values = sorted({v for d in docs for v in d.facets.get(name, [])}, key=index._facet_order(name))
        if not values:
            continue
        number = {v: i for i, v in enumerate(values)}
        width = 1 if len(values) < 256 else 2
        for doc in docs:
            own = doc.facets.get(name, [])
            body.append(len(own))
            for value in own:
                body += number[value].to_bytes(width, "little")
    return bytes(body)


@pytest.mark.parametrize("tags", [3, 300])
def test_facet_columns_are_the_obvious_bytes(tags: int) -> None:
    """Value numbers of one byte, and of two when a facet has 256 values or more."""
    rng = np.random.default_rng(tags)
    docs = sample_docs(400)
    for doc in docs:
        doc.facets["tag"] = sorted({f"标签{int(i)}" for i in rng.integers(0, tags, int(rng.integers(0, 5)))})
        doc.facets["year"] = [str(2020 + int(rng.integers(0, 5)))]
    columns, header = index.facet_columns(docs)
    assert columns == facet_columns_by_loop(docs)
    assert [facet["width"] for facet in header["facets"] if facet["key"] == "tag"] == [1 if tags < 256 else 2]


def test_big_terms_are_remade_in_the_blocks_of_the_pages_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit to a page in the middle remakes the big terms' files from their marks (blocks.py),
    the bytes those of a full computation; a damaged marks file is not used (the lists are made whole)."""
    remade: list[int] = []
    block_spliced = shards._Previous.block_spliced

    def counted(self, *args):  # the real method, counted
        found = block_spliced(self, *args)
        remade.append(len(found))
        return found

    monkeypatch.setattr(shards._Previous, "block_spliced", counted)
    runs = Runs(tmp_path)
    docs = sample_docs(60)
    with limits(300, 2_000, 200, block_docs=4):
        runs.check(docs)
        for step in range(3):
            docs[17 + step].text += f"第{step}次修订：锦绣花园 2024年"
            runs.check(docs)
        # one call per kind of term and build: each edit remade some bigrams' files
        assert len(remade) == 9 and all(sum(remade[k : k + 3]) > 0 for k in range(0, 9, 3)), remade
        damage(runs.cache, "marks number changed")
        remade.clear()
        docs[40].text += "补正"
        runs.check(docs)
        assert remade and sum(remade) == 0, remade
