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
    data/meta/<k>.json    [href, title, line, text slices] of docs k*16 … k*16+15
    data/text/<n>-<k>.txt slice k of the page text of doc n, for snippets
    data/bi/<s>.bin       bigram → [(doc, [positions])]
    data/bi/x<hex>.bin    one very common bigram on its own
    data/bi/d<hex>.bin    … and its document-level form [(doc, count, first position)]
    data/tri/<s>.bin      trigram of two very common bigrams → [(doc, count, first position)]
    data/uni/<s>.bin      character → [doc]

The arrays are built by postings.py; the encodings are described there.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np

from ..contract import Outcome, Route
from ..derive.site import SiteModel
from . import postings
from .codec import fnv1a, varints
from .text import PageTexts, normalise

DATA_DIR = Path("assets/casebook/data")
META_CHUNK = 16  # titles of 16 pages per file: a page of 20 results fetches little beyond its own rows
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
    text: str = ""  # title + "\n" + body, as the page shows it


def collect_docs(site: SiteModel, texts: PageTexts) -> list[SearchDoc]:
    """The searchable pages in display order: entries, classes, help pages, records.

    `texts` holds the (title, body) of every built page by URL, taken from the
    final HTML as MkDocs wrote it (site_build.py)."""
    docs: list[SearchDoc] = []
    for view in site.entries:
        e = view.entry
        docs.append(
            SearchDoc(
                f"typical/{e.id}/",
                "typical",
                e.title,
                f"{e.id} · {e.domain} · {view.district} · {e.outcome}",
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
        docs.append(
            SearchDoc(
                f"classes/{c.id}/",
                "class",
                f"{c.name}标准化操作指引",
                f"{c.id} · {c.domain} · 第 {c.version} 版",
                {"domain": [c.domain]},
            )
        )
    generated = {"", "search/", "tags/", "policy/", "similar/", "changes/"}
    for href in sorted(texts):
        top = href.split("/", 1)[0]
        if href in generated or top in {"typical", "classes", "records", "ledgers", "supervision"}:
            continue
        docs.append(SearchDoc(href, "page", "", "帮助与说明"))
    for record_view in site.records:
        r = record_view.record
        outcome = r.resolution.outcome if r.resolution else "未办结"
        docs.append(
            SearchDoc(
                f"records/{r.id}/",
                "record",
                f"{r.id} {r.title}",
                f"{r.received} · {r.domain} · {record_view.district} · {outcome} · {record_view.deadline.state}",
                {
                    "domain": [r.domain],
                    "district": [record_view.district],
                    "year": [str(record_view.year)],
                    "route": [r.resolution.route] if r.resolution and r.resolution.route else [],
                    "outcome": [outcome],
                    "deadline": [record_view.deadline.state],
                    "mechanism": sorted(set(r.mechanisms)),
                    "tag": sorted(set(r.tags)),
                },
            )
        )
    for doc in docs:
        doc.facets["kind"] = [KIND_LABELS[doc.kind]]
        title, body = texts.get(doc.href) or (doc.title, "")
        doc.title = title or doc.title
        doc.text = f"{doc.title}\n{body}"
    return docs


def write_search_data(site: SiteModel, built: Path, texts: PageTexts) -> dict[str, Any]:
    """Write every data file; return figures for the build report.

    Three independent parts run on threads: numpy's sorts and arithmetic and
    file writes release the GIL, so on two cores they overlap (13.7 s → 9 s at
    10,000 records). Each part writes its own files; the output is the same."""
    docs = collect_docs(site, texts)
    out = built / DATA_DIR
    (out / "meta").mkdir(parents=True, exist_ok=True)
    (out / "text").mkdir(parents=True, exist_ok=True)
    corpus = postings.Corpus.of([normalise(doc.text) for doc in docs])
    with ThreadPoolExecutor(3) as pool:
        slices = pool.submit(_write_text_slices, docs, out / "text")
        characters = pool.submit(_write_characters, corpus, out / "uni")
        bi_files, tri_files, pair_count, triple_count = _write_bigrams_and_trigrams(corpus, out)
        uni_files = characters.result()
        slices.result()
    del corpus

    columns, header = facet_columns(docs)
    header.update(
        n=len(docs),
        chunk=META_CHUNK,
        bi=bi_files["shards"],
        tri=tri_files["shards"],
        uni=uni_files["shards"],
        text=[TEXT_STEP, TEXT_SPAN],
    )
    (out / "docs.bin").write_bytes(columns)
    _write_json(out / "docs.json", header)
    for start in range(0, len(docs), META_CHUNK):
        chunk = [[d.href, d.title, d.line, slice_count(len(d.text))] for d in docs[start : start + META_CHUNK]]
        _write_json(out / "meta" / f"{start // META_CHUNK}.json", chunk)
    return {
        "docs": len(docs),
        "bigrams": pair_count,
        "bigram_shards": bi_files["shards"],
        "big_terms": bi_files["big"],
        "trigrams": triple_count,
        "largest_shard_bytes": max(bi_files["largest"], tri_files["largest"], uni_files["largest"]),
        "docs_bin_bytes": len(columns),
    }


def _write_text_slices(docs: list[SearchDoc], folder: Path) -> None:
    for number, doc in enumerate(docs):
        for part, chunk in enumerate(text_chunks(doc.text)):
            (folder / f"{number}-{part}.txt").write_text(chunk, encoding="utf-8")


def _write_characters(corpus: postings.Corpus, folder: Path) -> dict[str, int]:
    chars = postings.characters(corpus)
    names = [postings.key_text(int(k), 1) for k in chars.distinct_keys().tolist()]
    return write_shards(folder, dict(zip(names, postings.encode_doc_lists(chars), strict=True)))


def _write_bigrams_and_trigrams(corpus: postings.Corpus, out: Path) -> tuple[dict, dict, int, int]:
    pairs = postings.bigrams(corpus)
    pair_keys = pairs.distinct_keys()
    pair_names = [postings.key_text(int(k), 2) for k in pair_keys.tolist()]
    positional = dict(zip(pair_names, postings.encode_positional(pairs), strict=True))
    doc_level = dict(zip(pair_names, postings.encode_doc_level(pairs), strict=True))
    big = np.array([stored_apart(positional[name]) for name in pair_names], dtype=bool)
    del pairs  # arrays of every occurrence: free them before the next ones are made
    bi_files = write_shards(out / "bi", positional, doc_level=doc_level.__getitem__)
    triples = postings.trigrams_of(corpus, pair_keys[big])
    triple_names = [postings.key_text(int(k), 3) for k in triples.distinct_keys().tolist()]
    tri_files = write_shards(out / "tri", dict(zip(triple_names, postings.encode_doc_level(triples), strict=True)))
    return bi_files, tri_files, len(pair_names), len(triple_names)


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


def stored_apart(data: bytes) -> bool:
    """Whether a term's postings get a file of their own (and, for bigrams, a document-level one).

    The trigram entries depend on it too: they exist exactly for trigrams of two such bigrams."""
    return len(data) > BIG_TERM_BYTES


def write_shards(
    folder: Path, terms: dict[str, bytes], doc_level: Callable[[str], bytes] | None = None
) -> dict[str, int]:
    """Hash terms into shards of about TARGET_SHARD_BYTES; very large terms get their own file.

    Shard entry: [key length][key utf-8][length * 2 + external][data]; an
    external entry has no data here, it is in x<hex of key>.bin, and (for
    bigrams) its document-level counts in d<hex of key>.bin. The length of an
    external entry lets the browser pick the cheapest covering bigrams.
    """
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(len(data) for data in terms.values() if not stored_apart(data))
    shards = 1
    while shards * TARGET_SHARD_BYTES < total:
        shards *= 2
    buckets: dict[int, list[bytes]] = defaultdict(list)
    big = largest = 0
    for key in sorted(terms):
        data = terms[key]
        encoded_key = key.encode("utf-8")
        head = varints([len(encoded_key)]) + encoded_key
        if stored_apart(data):
            (folder / f"x{encoded_key.hex()}.bin").write_bytes(data)
            if doc_level is not None:
                (folder / f"d{encoded_key.hex()}.bin").write_bytes(doc_level(key))
            buckets[fnv1a(encoded_key) % shards].append(head + varints([len(data) * 2 + 1]))
            big += 1
            largest = max(largest, len(data))
        else:
            buckets[fnv1a(encoded_key) % shards].append(head + varints([len(data) * 2]) + data)
    for number in range(shards):
        content = b"".join(buckets.get(number, []))
        (folder / f"{number}.bin").write_bytes(content)
        largest = max(largest, len(content))
    return {"shards": shards, "big": big, "largest": largest}


def facet_columns(docs: list[SearchDoc]) -> tuple[bytes, dict[str, Any]]:
    """docs.bin: per facet, each doc's value count (1 byte) then value numbers (1 or 2 bytes each).

    Value lists are sorted so the numbering is stable; width 1 when a facet
    has fewer than 256 values. Title lengths come first, 2 bytes each, for ranking.
    """
    names = ["kind", "domain", "district", "year", "route", "outcome", "deadline", "mechanism", "tag"]
    facets = []
    body = bytearray()
    for doc in docs:
        body += min(len(doc.title), 0xFFFF).to_bytes(2, "little")
    for name in names:
        values = sorted({v for d in docs for v in d.facets.get(name, [])}, key=_facet_order(name))
        if not values:
            continue
        index = {v: i for i, v in enumerate(values)}
        width = 1 if len(values) < 256 else 2
        for doc in docs:
            own = doc.facets.get(name, [])
            body.append(len(own))
            for value in own:
                body += index[value].to_bytes(width, "little")
        facets.append({"key": name, "values": values, "width": width})
    return bytes(body), {"facets": facets}


_FIXED_ORDER = {
    "kind": list(KIND_LABELS.values()),
    "route": list(get_args(Route)),
    "outcome": [*get_args(Outcome), "未办结"],
    "deadline": ["逾期", "临期", "正常", "已答复", "已办结", "未收到"],
}


def _facet_order(name: str):
    fixed = _FIXED_ORDER.get(name)
    if fixed:
        return lambda v: (fixed.index(v) if v in fixed else len(fixed), v)
    if name == "year":
        return lambda v: (-int(v), v)
    return lambda v: (v,)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True), encoding="utf-8")
