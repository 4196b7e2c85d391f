"""Built site → static search and facet data under assets/casebook/data/.

Design (measured in docs/about/search.md): a positional character-bigram
index, sharded by hash so that one query fetches only the shards of its own
bigrams. A phrase of n ≥ 2 characters matches at position p exactly when
its covering bigrams (at offsets 0, 2, 4 … and n-2) occur at p + offset, so
the browser verifies every hit from positions alone: recall and precision
are 100 % by construction, no text download needed. Two-character queries
need no positions: very common bigrams have a document-level file. Three
characters made of two very common bigrams (dates: "202") have a
document-level trigram entry, so they download neither positional list.
Single characters use a document-level unigram index. Files written:

    data/docs.json        doc count, facet names and values, shard counts
    data/docs.bin         per-doc columns: kind, title length, facet values
    data/meta/<k>.json    [href, title, line, pack, byte offsets of its text slices] of docs k*16 … k*16+15
    data/text/<p>.txt     the text slices of the pages in pack p (about 16 pages), for snippets
    data/bi/<s>.bin       bigram → [(doc, [positions])]
    data/bi/x<hex>.bin    one very common bigram on its own
    data/bi/d<hex>.bin    … and its document-level form [(doc, count, first position)]
    data/tri/<s>.bin      trigram of two very common bigrams → [(doc, count, first position)]
    data/uni/<s>.bin      character → [doc]

The arrays are built by postings.py; the encodings are described there,
the shard layout in shards.py.

Incremental (`cache`, cache.py): the previous build's postings and files are
kept beside the site. Pages whose text (and href) is unchanged keep their
occurrences; only new texts are cut and merged in, changed posting lists
are spliced from their previous bytes, and every file whose bytes are
unchanged is hard-linked from the store instead of written. The files are
byte for byte those of a computation without cache
(tests/test_search_incremental.py).
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np

from .. import site_json
from ..contract import Outcome, Route
from ..dependencies import code_digest
from ..derive.site import SiteModel
from ..state import key_of
from . import postings
from .blocks import MarksTable
from .cache import DataWriter, Previous, SearchCache, content_key
from .patched import patch_update, whole
from .shards import TermFiles, Update, term_files
from .text import PageTexts

DATA_DIR = Path("assets/casebook/data")
META_CHUNK = 16  # titles of 16 pages per file: a page of 20 results fetches little beyond its own rows
PACK_DOCS = 16  # about this many pages' text slices per text pack (see _write_text_packs)
TEXT_STEP, TEXT_SPAN, TEXT_TAIL = 1000, 1200, 600  # text slices for snippets (see text_chunks)
TARGET_SHARD_BYTES = 8_000  # aim for shards of about this size
BIG_TERM_BYTES = 16_000  # postings larger than this get a file of their own
KIND_LABELS = {"typical": "典型案例", "class": "类案指引", "page": "帮助与说明", "record": "案例记录"}


@dataclass
class SearchDoc:
    href: str  # relative to the site root, e.g. typical/2023-01-2-001/
    kind: str
    title: str
    line: str  # one-line description shown under the title
    facets: dict[str, list[str]] = field(default_factory=dict)
    text: str = ""  # title + "\n" + body, as the page shows it ("" until loaded, when `known`)
    # A page the build did not make again: the key and length of its text as the last build
    # indexed it, and how to read its body from the page when the text itself is needed.
    known: KnownText | None = None
    key: str = ""  # set by write_docs: content_key of the text as indexed (the build state keeps it)

    def text_key(self) -> str:
        """content_key of the text, without reading a known page's text."""
        return self.known.key if self.known is not None else content_key(self.text)

    def text_length(self) -> int:
        return self.known.length if self.known is not None else len(self.text)

    def load(self) -> str:
        """The text, read from the page if it is known only by key."""
        if self.known is not None:
            self.text = f"{self.title}\n{self.known.read()}"
            self.known = None
        return self.text


@dataclass(frozen=True)
class KnownText:
    """The text of a page taken over from the published site, by key: 165 million characters at
    100,000 records need not be read, kept in the build state or hashed again to find what changed."""

    key: str
    length: int
    read: Callable[[], str]  # the body, from the page as published


@dataclass
class ModelDocs:
    """The searchable pages the site model makes, before MkDocs has given their texts.

    Taken from the model once its pages are rendered, so that the build can let the
    model go before MkDocs and the index need the room (2 GB of models at 100,000
    records): these rows are a tenth of that."""

    leading: list[SearchDoc]  # typical entries (newest first), then classes (by id)
    records: list[SearchDoc]  # newest first


def model_docs(site: SiteModel) -> ModelDocs:
    """Every entry, class and record page of `site` as a search row, without its text."""
    leading: list[SearchDoc] = []
    for view in site.entries:
        e = view.entry
        leading.append(
            SearchDoc(
                f"typical/{e.id}/",
                "typical",
                e.title,
                view.meta,
                {
                    "domain": [e.domain],
                    "district": [view.district],
                    "year": [str(view.year)],
                    "route": sorted(set(e.routes)),
                    "outcome": [e.outcome],
                    "mechanism": sorted(set(e.mechanisms)),
                    "tag": sorted(set(e.tags)),
                },
            )
        )
    for class_view in site.classes:
        c = class_view.case_class
        leading.append(
            SearchDoc(
                f"classes/{c.id}/",
                "class",
                f"{c.name}标准化操作指引",
                f"{c.id} · {c.domain} · 第 {c.version} 版",
                {"domain": [c.domain]},
            )
        )
    records: list[SearchDoc] = []
    for record_view in site.records:
        r, facts = record_view.record, record_view.facts
        outcome = facts.outcome or "未办结"
        records.append(
            SearchDoc(
                f"records/{r.id}/",
                "record",
                f"{r.id} {r.title}",
                record_view.meta,
                {
                    "domain": [r.domain],
                    "district": [record_view.district],
                    "year": [str(record_view.year)],
                    "route": [facts.route] if facts.route else [],
                    "outcome": [outcome],
                    "deadline": [record_view.deadline.state],
                    "mechanism": sorted(set(r.mechanisms)),
                    "tag": sorted(set(r.tags)),
                },
            )
        )
    return ModelDocs(leading, records)


@dataclass(frozen=True)
class Published:
    """A page the build took over from the published site, as the last build indexed it (BuildState.texts)."""

    page_title: str  # the title on the page ("" when it has none)
    doc_title: str  # the title the index gave it ("" when the page was not indexed)
    key: str  # content_key of its indexed text
    length: int  # … and that text's length


def with_texts(
    rows: ModelDocs,
    texts: PageTexts,
    published: dict[str, Published] | None = None,
    read_body: Callable[[str], str] | None = None,
) -> list[SearchDoc]:
    """The searchable pages in display order: entries, classes, help pages, records, each with its text.

    `texts` holds the (title, body) of every page MkDocs built by URL, taken from the
    final HTML as MkDocs wrote it (site_build.py).
    `published`: pages taken over from the published site (not in `texts`), indexed by the
    last build: such a doc is known by the key and length of its text, which is read from
    the page (`read_body`, by href) only if the index needs it (a cache that lacks it).
    The rows are taken over (their text set), not copied: the build has no other use for them."""
    published = published or {}
    generated = {"", "search/", "tags/", "policy/", "similar/", "changes/", "review/"}
    pages = []
    for href in sorted(texts.keys() | published.keys()):
        top = href.split("/", 1)[0]
        if href in generated or top in {"typical", "classes", "records", "ledgers", "supervision", "statistics"}:
            continue
        pages.append(SearchDoc(href, "page", "", "帮助与说明"))
    docs = [*rows.leading, *pages, *rows.records]
    for doc in docs:
        doc.facets["kind"] = [KIND_LABELS[doc.kind]]
        taken = published.get(doc.href)
        if taken is not None and read_body is not None:
            title = taken.page_title or doc.title
            if title == taken.doc_title and taken.key:  # indexed so last time: the same text
                doc.title = title
                doc.known = KnownText(taken.key, taken.length, functools.partial(read_body, doc.href))
                continue
            body = read_body(doc.href)
        else:
            title, body = texts.get(doc.href) or (doc.title, "")
        doc.title = title or doc.title
        doc.text = f"{doc.title}\n{body}"
    return docs


def write_search_data(site: SiteModel, built: Path, texts: PageTexts, cache: Path | None = None) -> dict[str, Any]:
    """Write every data file; return figures for the build report.

    `cache` is a folder of the search stage's own (the build passes
    `<cache folder>/search`; cache.py says what it keeps): with it, only
    what the changed pages touch is computed again, and the files come out
    byte for byte as without it. None: compute everything, keep nothing."""
    return write_search_docs(with_texts(model_docs(site), texts), built, cache)


def write_search_docs(
    docs: list[SearchDoc],
    built: Path,
    cache: Path | None = None,
    written: dict[str, tuple[int, int, str]] | None = None,
) -> dict[str, Any]:
    """write_docs with no cyclic garbage collection meanwhile (the build's call)."""
    with _collections_paused():
        return write_docs(docs, built, cache, written)


@contextmanager
def _collections_paused() -> Iterator[None]:
    """No cyclic garbage collection while the stage runs.

    The stage makes some 100,000 small containers (docs, lists, the cache's
    manifest) and frees them all by reference counting; in a build's heap
    of millions of objects they set off full collections that cost 0.4 s
    at 10,000 records and find nothing of ours."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_docs(
    docs: list[SearchDoc],
    built: Path,
    cache: Path | None = None,
    written: dict[str, tuple[int, int, str]] | None = None,
) -> dict[str, Any]:
    """write_search_data for a list of docs (with_texts). `written` is given every data file
    (relative to the data folder: size, mtime, content_key) when the cache knows them all.

    The page files (text packs, meta rows, docs.bin) need no postings: a
    second thread writes them meanwhile (file calls and numpy release the
    GIL, so on two cores they overlap). A third thread for the characters
    was slower (10.4 s of CPU against 7 at 10,000 records)."""
    memory = SearchCache(cache, cache_version() if cache is not None else "")
    writer = memory.writer(built / DATA_DIR)
    for folder in ("", "meta", "text", "bi", "tri", "uni"):
        writer.folder(folder)
    texts = [doc.text_key() for doc in docs] if memory.folder is not None else []
    for doc, key in zip(docs, texts, strict=False):
        doc.key = key
    previous = memory.previous
    if previous is not None:
        doc_map, fresh = kept_docs(previous.hrefs, previous.texts, [doc.href for doc in docs], texts)
    else:
        doc_map, fresh = np.zeros(0, dtype=np.int64), list(range(len(docs)))
    for number in fresh:  # only these are cut into occurrences or sliced anew
        docs[number].load()
    with ThreadPoolExecutor(1) as pool:
        pages = pool.submit(_write_pages, writer, docs, texts, previous)
        terms = _Terms(writer, docs, texts, previous, doc_map, fresh, memory.marks)
        uni, chars = terms.characters()
        (bi, pairs), (tri, triples) = terms.bigrams_and_trigrams()
        del terms
        packs, columns, header = pages.result()
    header.update(
        n=len(docs), chunk=META_CHUNK, bi=bi.shards, tri=tri.shards, uni=uni.shards, text=[TEXT_STEP, TEXT_SPAN]
    )
    writer.put("docs.json", _json(header))
    if memory.folder is not None:
        kept = {"bi": bi.memory(pairs), "uni": uni.memory(chars), "tri": tri.memory(triples)}
        hrefs = [doc.href for doc in docs]
        memory.save(hrefs, texts, packs.slice_bytes, packs.slice_counts, packs.count, kept, writer)
    files = writer.written()
    if written is not None and files is not None:
        written.update(files)
    return {
        "docs": len(docs),
        "bigrams": len(bi.sizes),
        "bigram_shards": bi.shards,
        "big_terms": bi.big,
        "trigrams": len(tri.sizes),
        "largest_shard_bytes": max(bi.largest, tri.largest, uni.largest),
        "docs_bin_bytes": len(columns),
    }


class _Terms:
    """The bi/, uni/ and tri/ files of one build, and the postings to keep for the next.

    Only the pages whose text is new are cut into occurrences; the others'
    come from the previous build's postings, renumbered (kept_docs). Trigram
    occurrences depend on which bigrams are stored apart as well: when that
    set changed, they are all found again from the bigrams."""

    def __init__(
        self,
        writer: DataWriter,
        docs: list[SearchDoc],
        texts: list[str],
        previous: Previous | None,
        doc_map: np.ndarray,
        fresh: list[int],
        marks: MarksTable | None = None,
    ) -> None:
        self.writer, self.previous, self.marks = writer, previous, marks
        self.doc_map = doc_map  # kept_docs: the new number of each previous doc, or -1
        self.lengths = np.fromiter((doc.text_length() for doc in docs), dtype=np.int64, count=len(docs))
        self.corpus: postings.Corpus | None = postings.Corpus.normalised([docs[number].text for number in fresh])
        self.numbers = np.array(fresh, dtype=np.uint32)
        self.splice = len(fresh) <= SPLICE_DOCS
        self.old_number = np.full(len(docs), -1, dtype=np.int64)
        kept = np.flatnonzero(self.doc_map >= 0)
        self.old_number[self.doc_map[kept]] = kept
        self.renumbering = bool(np.any(self.doc_map[kept] != kept))
        # Kept docs keep their numbers and few changed: the cached arrays stay, patched (patched.py).
        self.patching = not self.renumbering and len(fresh) <= len(docs) * PATCH_SHARE
        self.old_files = previous.files if previous is not None else {}

    def characters(self) -> tuple[TermFiles, postings.Postings]:
        """uni/ (call before bigrams_and_trigrams, which lets the corpus go)."""
        assert self.corpus is not None
        chars, update = self._updated("uni", postings.characters(self.corpus))
        return self._files("uni", 1, chars, update), chars

    def bigrams_and_trigrams(self) -> tuple[tuple[TermFiles, postings.Postings], tuple[TermFiles, postings.Postings]]:
        assert self.corpus is not None
        local_pairs = postings.bigrams(self.corpus)
        self.corpus = None
        pairs, update = self._updated("bi", local_pairs)
        bi = self._files("bi", 2, pairs, update)
        chosen = bi.sizes > BIG_TERM_BYTES
        previous, tri_update = self.previous, None
        if previous is not None and np.array_equal(
            pairs.keys[chosen], previous.kinds["bi"].postings.keys[previous.kinds["bi"].sizes > BIG_TERM_BYTES]
        ):
            local_chosen = np.isin(local_pairs.keys, pairs.keys[chosen])
            found = postings.trigrams(local_pairs, local_chosen, self.lengths[self.numbers])
            triples, tri_update = self._updated("tri", found)
        else:
            triples = postings.trigrams(whole(pairs), chosen, self.lengths)
        del local_pairs
        return (bi, pairs), (self._files("tri", 3, triples, tri_update), triples)

    def _updated(self, kind: str, new: postings.Postings) -> tuple[postings.Postings, Update | None]:
        """The postings of `kind` for all docs (new ones from `new`, numbered locally), and how they changed."""
        if self.previous is None:
            return new, None
        new = new.numbered(self.numbers)
        before = self.previous.kinds[kind]
        # Every other page kept its number: only these pages' occurrences may differ (blocks.py).
        pages = None if self.renumbering else np.union1d(np.flatnonzero(self.doc_map < 0), np.unique(new.doc))
        if self.patching:
            patched, changed, gone = patch_update(before.postings, self.doc_map, new)
            return patched, Update(before, changed, gone, self.old_number, self.splice, pages)
        before.postings = whole(before.postings)
        kept, touched, gone = before.postings.renumbered(self.doc_map)
        if kept is not before.postings:
            # From here on only the previous keys are read (the splice, shards.py): its occurrences
            # (mapped from the cache, 1.2 GB of bigrams at 100,000 records) go before the merge.
            before.postings = before.postings.keys_only()
        if self.renumbering:
            changed = np.union1d(before.postings.keys[touched], new.keys)
        else:  # kept docs keep their numbers: a key changed when the pages that went and came differ for it
            changed = postings.differing_keys(gone, new)
        return postings.merge(kept, new), Update(before, changed, gone, self.old_number, self.splice, pages)

    def _files(self, folder: str, length: int, grouped: postings.Postings, update: Update | None) -> TermFiles:
        return term_files(
            self.writer,
            folder,
            length,
            grouped,
            update,
            self.old_files,
            BIG_TERM_BYTES,
            TARGET_SHARD_BYTES,
            self.marks,
        )


def cache_version() -> str:
    """Everything the bytes depend on besides the pages: a cache made under anything else is not used."""
    parameters = [META_CHUNK, TEXT_STEP, TEXT_SPAN, TEXT_TAIL, TARGET_SHARD_BYTES, BIG_TERM_BYTES]
    return key_of(code_digest(), np.__version__, unicodedata.unidata_version, sys.version, json.dumps(parameters))


def kept_docs(
    old_hrefs: list[str], old_texts: list[str], hrefs: list[str], texts: list[str]
) -> tuple[np.ndarray, list[int]]:
    """(new number of each old doc or -1, the new docs whose occurrences must be computed).

    A doc is kept when one with the same href and text (content_key) was
    there before, in the same order relative to the other kept docs (so the
    kept occurrences stay sorted when renumbered); every other doc is
    computed anew."""
    where: dict[str, int] = {}
    for number, (href, text) in enumerate(zip(old_hrefs, old_texts, strict=True)):
        identity = f"{text} {href}"
        where[identity] = -1 if identity in where else number
    doc_map = np.full(len(old_hrefs), -1, dtype=np.int64)
    fresh: list[int] = []
    last = -1
    for number, (href, text) in enumerate(zip(hrefs, texts, strict=True)):
        before = where.get(f"{text} {href}", -1)
        if before > last:
            doc_map[before] = number
            last = before
        else:
            fresh.append(number)
    return doc_map, fresh


def _write_pages(
    writer: DataWriter, docs: list[SearchDoc], texts: list[str], previous: Previous | None
) -> tuple[TextPacks, bytes, dict[str, Any]]:
    """Text packs, meta rows and docs.bin: (the packs as laid out, docs.bin, docs.json's facets)."""
    packs = _write_text_packs(writer, docs, texts, previous)
    for start in range(0, len(docs), META_CHUNK):
        chunk = [
            [d.href, d.title, d.line, packs.pack[n], packs.offsets(n)]
            for n, d in enumerate(docs[start : start + META_CHUNK], start)
        ]
        writer.put(f"meta/{start // META_CHUNK}.json", _json(chunk))
    columns, header = facet_columns(docs)
    writer.put("docs.bin", columns)
    return packs, columns, header


@dataclass
class TextPacks:
    """Where each doc's text slices lie: in text/<pack>.txt, one after the other, from byte `start`."""

    count: int  # how many packs (pack_count)
    pack: list[int]  # per doc
    start: list[int]  # per doc: the byte where its first slice begins in its pack
    slice_bytes: list[int]  # the byte length of every slice, doc after doc
    slice_counts: list[int]  # per doc

    def __post_init__(self) -> None:
        self._first = [0, *itertools.accumulate(self.slice_counts)]

    def offsets(self, doc: int) -> list[int]:
        """[start of the doc's first slice, end of its first, …, end of its last], bytes in its pack."""
        lengths = self.slice_bytes[self._first[doc] : self._first[doc + 1]]
        return list(itertools.accumulate(lengths, initial=self.start[doc]))


def pack_count(doc_count: int) -> int:
    """How many text packs `doc_count` pages have: about PACK_DOCS pages each, rounded up to a power
    of two, so that the packing (and with it every pack) changes only when the page count doubles."""
    return 1 << (max(1, -(-doc_count // PACK_DOCS)) - 1).bit_length()


def pack_members(hrefs: list[str], packs: int) -> list[list[int]]:
    """The docs of each pack, by href. A page's pack depends on its href alone, so a page whose
    text changes, or a page added, rewrites one pack, whatever it does to the doc numbers."""
    members: list[list[int]] = [[] for _ in range(packs)]
    for number in sorted(range(len(hrefs)), key=hrefs.__getitem__):
        members[pack_of(hrefs[number], packs)].append(number)
    return members


def pack_of(href: str, packs: int) -> int:
    return zlib.crc32(href.encode("utf-8", "surrogatepass")) % packs


def _write_text_packs(
    writer: DataWriter, docs: list[SearchDoc], texts: list[str], previous: Previous | None
) -> TextPacks:
    """text/<pack>.txt: the text slices (text_chunks) of each pack's docs, in href order.

    One file per pack rather than per slice: at 100,000 records the slices were
    138,000 of the site's 276,000 files, each linked, recorded and later deleted
    by every build. The browser asks for a slice's bytes alone (an HTTP range
    request; a server that ignores it sends the pack: 44-48 KB, at most 150 KB). A pack whose
    docs all kept their href and text is linked from the store; another is put
    together from the previous packs' bytes and the new texts' slices."""
    hrefs = [doc.href for doc in docs]
    packs = pack_count(len(docs))
    members = pack_members(hrefs, packs)
    old = _OldPacks(previous, writer) if previous is not None and texts else None
    pack = [0] * len(docs)
    start = [0] * len(docs)
    lengths: list[list[int]] = [[] for _ in docs]
    for number, group in enumerate(members):
        if not group:
            continue
        reused = old.same_pack(number, packs, [(hrefs[d], texts[d]) for d in group]) if old is not None else None
        body: list[bytes] = []
        at = 0
        for d in group:
            pack[d], start[d] = number, at
            if reused is not None and old is not None:
                lengths[d] = old.lengths(hrefs[d], texts[d])
            else:
                kept = old.slices(hrefs[d], texts[d]) if old is not None else None
                if kept is not None:
                    raw, lengths[d] = kept
                    body.append(raw)
                else:
                    encoded = [chunk.encode("utf-8") for chunk in text_chunks(docs[d].load())]
                    lengths[d] = [len(part) for part in encoded]
                    body += encoded
            at += sum(lengths[d])
        name = f"text/{number}.txt"
        if reused is not None:
            writer.link(name, reused)
        else:
            writer.put(name, b"".join(body))
    return TextPacks(packs, pack, start, [n for each in lengths for n in each], [len(each) for each in lengths])


class _OldPacks:
    """The previous build's packs: which doc lay where, and its bytes when a pack is put together anew."""

    def __init__(self, previous: Previous, writer: DataWriter) -> None:
        self.previous, self.writer = previous, writer
        self.members = pack_members(previous.hrefs, previous.packs)
        self.where: dict[tuple[str, str], int] = {}
        for number, identity in enumerate(zip(previous.hrefs, previous.texts, strict=True)):
            self.where.setdefault(identity, number)
        self.place: dict[int, tuple[int, int]] = {}  # old doc → (its pack, its start), filled per pack
        self.loaded: dict[int, bytes] = {}

    def same_pack(self, number: int, packs: int, identities: list[tuple[str, str]]) -> str | None:
        """The stored key of the previous pack `number` if it held exactly these docs (href, text)."""
        previous = self.previous
        if packs != previous.packs:
            return None
        before = self.members[number]
        if [(previous.hrefs[o], previous.texts[o]) for o in before] != identities:
            return None
        return previous.files.get(f"text/{number}.txt")

    def lengths(self, href: str, text: str) -> list[int]:
        """The slice lengths of the old doc with this href and text (same_pack found it)."""
        return self._lengths(self.where[(href, text)])

    def _lengths(self, old: int) -> list[int]:
        return self.previous.slice_bytes[self.previous.slice_starts[old] : self.previous.slice_starts[old + 1]]

    def slices(self, href: str, text: str) -> tuple[bytes, list[int]] | None:
        """(the bytes, the slice lengths) of an old doc with this href and text; None if there was none."""
        old = self.where.get((href, text))
        if old is None:
            return None
        lengths = self._lengths(old)
        pack, start = self._place(old)
        data = self._pack(pack)
        if data is None:
            return None
        return data[start : start + sum(lengths)], lengths

    def _place(self, old: int) -> tuple[int, int]:
        place = self.place.get(old)
        if place is None:
            pack = pack_of(self.previous.hrefs[old], self.previous.packs)
            at = 0
            for member in self.members[pack]:
                self.place[member] = (pack, at)
                at += sum(self._lengths(member))
            place = self.place[old]
        return place

    def _pack(self, pack: int) -> bytes | None:
        data = self.loaded.get(pack)
        if data is None:
            key = self.previous.files.get(f"text/{pack}.txt")
            if key is None:
                return None
            data = self.loaded[pack] = self.writer.stored(key)
        return data


# At most this share of the pages with new text: the postings are patched (patched.py), not merged.
PATCH_SHARE = 1 / 16
SPLICE_DOCS = 200  # at most this many pages with new text: changed postings are spliced (shards.py)


def text_chunks(text: str) -> list[str]:
    """Overlapping slices of a page's text, so a snippet downloads one slice and not the whole page.

    Slice k starts at k * TEXT_STEP and is TEXT_SPAN long, except the last,
    which runs to the end: a snippet from 30 characters before a hit to 90
    after always lies inside the slice where the hit's position minus 30,
    divided by TEXT_STEP, points, or in the last slice if that is beyond it
    (the number of slices is in the page's meta row)."""
    count = slice_count(len(text))
    starts = [k * TEXT_STEP for k in range(count)]
    return [text[start : start + TEXT_SPAN] for start in starts[:-1]] + [text[starts[-1] :]]


def slice_count(length: int) -> int:
    """How many slices a page text of `length` characters is cut into.

    The last slice runs to the end of the text and is at most TEXT_STEP +
    TEXT_TAIL long: a page of up to 1,600 characters (two thirds of the pages
    at 10,000 records) is one file rather than two. Every file created costs
    kernel time, more so on a disk where a previous site was just deleted."""
    return max(1, -(-(length - TEXT_TAIL) // TEXT_STEP))


def facet_columns(docs: list[SearchDoc]) -> tuple[bytes, dict[str, Any]]:
    """docs.bin: per facet, each doc's value count (1 byte) then value numbers (1 or 2 bytes each).

    Value lists are sorted so the numbering is stable; width 1 when a facet
    has fewer than 256 values. Title lengths come first, 2 bytes each, for ranking.
    """
    names = ["kind", "domain", "district", "year", "route", "outcome", "deadline", "mechanism", "tag"]
    facets = []
    body = bytearray(np.array([min(len(doc.title), 0xFFFF) for doc in docs], dtype="<u2").tobytes())
    for name in names:
        owns = [doc.facets.get(name, ()) for doc in docs]
        values = sorted({v for own in owns for v in own}, key=_facet_order(name))
        if not values:
            continue
        number = {v: i for i, v in enumerate(values)}
        width = 1 if len(values) < 256 else 2
        counts = np.fromiter(map(len, owns), dtype=np.int64, count=len(owns))
        if counts.max() > 0xFF or len(values) > 0xFFFF:
            raise ValueError(f"facet {name}: more values than docs.bin can hold")
        numbers = np.fromiter((number[v] for own in owns for v in own), dtype=np.int64, count=int(counts.sum()))
        sizes = 1 + counts * width
        offsets = np.cumsum(sizes) - sizes  # where each doc's count byte goes
        column = np.zeros(int(sizes.sum()), dtype=np.uint8)
        column[offsets] = counts
        within = np.arange(len(numbers)) - np.repeat(np.cumsum(counts) - counts, counts)
        slots = np.repeat(offsets + 1, counts) + within * width
        column[slots] = numbers & 0xFF
        if width == 2:
            column[slots + 1] = numbers >> 8
        body += column.tobytes()
        facets.append({"key": name, "values": values, "width": width})
    return bytes(body), {"facets": facets}


_FIXED_ORDER = {
    "kind": list(KIND_LABELS.values()),
    "route": list(get_args(Route)),
    "outcome": [*get_args(Outcome), "未办结"],
    "deadline": ["逾期", "临期", "正常", "已答复", "已办结", "不计时限", "未收到"],
}


def _facet_order(name: str):
    fixed = _FIXED_ORDER.get(name)
    if fixed:
        return lambda v: (fixed.index(v) if v in fixed else len(fixed), v)
    if name == "year":
        return lambda v: (-int(v), v)
    return lambda v: (v,)


def _json(data: Any) -> bytes:
    return site_json.dumps_bytes(data)
