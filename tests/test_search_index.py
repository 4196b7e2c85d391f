"""The search index is exact: for phrase queries it returns precisely the pages whose text contains the phrase.

The checks decode the built files with generator.search.query, which follows
the same algorithm as the browser script; the browser tests then check the
script itself against these results on a few queries.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from generator.search.codec import deltas, fnv1a, read_varint, varints
from generator.search.index import DATA_DIR, TEXT_SPAN, TEXT_STEP, TEXT_TAIL, slice_count, text_chunks
from generator.search.query import SiteIndex
from generator.search.text import TERM_RUN, normalise


def texts(site: Path) -> list[str]:
    """Every page's whole text, put back together from the slices in its text pack."""
    index = SiteIndex(site)
    return [normalise(index.page_text(n)) for n in range(index.header["n"])]


def truth(all_texts: list[str], query: str) -> set[int]:
    terms = [normalise(t) for t in query.split()]
    return {n for n, text in enumerate(all_texts) if all(term in text for term in terms)}


def sample_queries(all_texts: list[str], count: int, seed: int = 7) -> list[str]:
    """Phrases of 2–6 letters/digits cut from the pages, plus phrases that occur nowhere."""
    rng = random.Random(seed)
    runs = [run.group() for text in all_texts for run in TERM_RUN.finditer(text) if len(run.group()) >= 2]
    queries = set()
    while len(queries) < count:
        run = rng.choice(runs)
        length = rng.randint(2, min(6, len(run)))
        start = rng.randint(0, len(run) - length)
        queries.add(run[start : start + length])
    queries |= {
        "信访事项",
        "不动产权证",
        "拖欠农民工工资",
        "访调对接",
        "专项资金",
        "双向交办",
        "锦绣花园",
        "xf",
        "2023",
    }
    queries |= {"火星基地", "访信", "量子纠缠"}  # absent
    return sorted(queries)


def test_phrase_queries_have_full_recall_and_precision(sample_site: Path) -> None:
    index, all_texts = SiteIndex(sample_site), texts(sample_site)
    wrong = []
    for query in sample_queries(all_texts, 400):
        found = set(index.search(query).docs)
        expected = truth(all_texts, query)
        if found != expected:
            wrong.append((query, sorted(found - expected), sorted(expected - found)))
    assert wrong == []


def test_phrase_counts_are_the_number_of_occurrences(sample_site: Path) -> None:
    index, all_texts = SiteIndex(sample_site), texts(sample_site)
    for query in ("信访", "锦绣花园", "工资"):
        for doc, count in index.search(query).docs.items():
            text = all_texts[doc]
            occurrences = sum(1 for i in range(len(text)) if text.startswith(query, i))
            assert count == occurrences, (query, doc)


def test_single_characters_and_several_terms(sample_site: Path) -> None:
    index, all_texts = SiteIndex(sample_site), texts(sample_site)
    for query in ("税", "证", "锦绣花园 办证", "拖欠 工资 高新区", "听证 复核"):
        assert set(index.search(query).docs) == truth(all_texts, query), query


def test_every_page_of_the_site_that_should_be_searchable_is_indexed(sample_site: Path) -> None:
    index = SiteIndex(sample_site)
    assert index.header["n"] == len(list((sample_site / "typical").glob("*/index.html"))) + len(
        list((sample_site / "records").glob("*/index.html"))
    ) + len(list((sample_site / "classes").glob("*/index.html"))) + len(
        [
            p
            for p in sample_site.rglob("index.html")
            if p.relative_to(sample_site).parts[0] in ("help", "about", "performance")
        ]
    )


@pytest.mark.parametrize("values", [[], [0], [127], [128, 1, 300], [2**31, 5]])
def test_varints_round_trip(values: list[int]) -> None:
    data, offset, out = varints(values), 0, []
    while offset < len(data):
        value, offset = read_varint(data, offset)
        out.append(value)
    assert out == values


def test_codec_known_values() -> None:
    assert fnv1a(b"") == 0x811C9DC5
    assert fnv1a(b"a") == 0xE40C292C
    assert deltas([3, 5, 9]) == [3, 2, 4]


def test_normalise_keeps_length_and_folds_width_and_case() -> None:
    assert normalise("ＸＦ－２０２３") == "xf-2023"
    assert len(normalise("ﬁ㈠锦绣")) == 4  # multi-character expansions are left alone


def test_exact_when_common_bigrams_live_in_their_own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At library scale frequent bigrams are stored apart and queries pick the cheapest cover; force that here."""
    from tests.conftest import SAMPLE, build_site

    monkeypatch.setattr("generator.search.index.BIG_TERM_BYTES", 200)
    monkeypatch.setattr("generator.search.index.TARGET_SHARD_BYTES", 2_000)
    site = tmp_path / "site"
    assert build_site(SAMPLE, site).exit_code == 0
    assert len(list((site / DATA_DIR / "bi").glob("x*.bin"))) > 100
    index, all_texts = SiteIndex(site), texts(site)
    wrong = []
    for query in [*sample_queries(all_texts, 300, seed=11), "信访", "办理", "2023", "锦绣花园 办证", "税"]:
        found = index.search(query).docs
        expected = truth(all_texts, query)
        if set(found) != expected:
            wrong.append(query)
        for doc, count in found.items():
            text, term = all_texts[doc], normalise(query)
            if " " not in query and len(query) >= 2:
                assert count == sum(1 for i in range(len(text)) if text.startswith(term, i)), (query, doc)
    assert wrong == []
    # Three characters made of two external bigrams are answered by the trigram entry alone.
    for query in ("202", "信访局", "责任单"):
        assert all(index.entry("bi", query[o : o + 2], set())[2] for o in (0, 1)), query
        result = index.search(query)
        assert not [f for f in result.files if f.startswith("bi/x")], (query, result.files)
        assert set(result.docs) == truth(all_texts, query), query
        for doc, first in result.first.items():
            assert all_texts[doc][first : first + 3] == query, (query, doc)


@pytest.mark.parametrize(("packed", "part", "block"), [(2**32, 2**24, 2**23), (1, 2**24, 2**23), (2**32, 300, 7)])
def test_fast_postings_are_the_bytes_the_obvious_loop_writes(
    sample_site: Path, packed: int, part: int, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """postings.py (array operations) against tests/search_reference.py (a loop per character).

    With `packed` 1 the sorts take the path for ranks too large to pack (never at library scale).
    With `part` 300 the corpus is cut into dozens of parts by first letter (postings.letter_parts,
    as for 100,000 records), and `block` 7 takes every whole-corpus pass in small blocks."""
    import numpy as np

    from generator.search import postings
    from tests import search_reference as reference

    monkeypatch.setattr(postings, "PACKED", packed)
    monkeypatch.setattr(postings, "PART_OCCURRENCES", part)
    monkeypatch.setattr(postings, "BLOCK", block)
    all_texts = [*texts(sample_site), "", "a", "ab ab", "２０２４年 2024-06-30 xf2024"]
    corpus = postings.Corpus.of(all_texts)
    if part < 1000:  # the partitioned path is the one taken
        assert corpus.letter_parts(corpus.letter[:-1] & corpus.letter[1:])[1] > 5
        assert corpus.letter_parts(corpus.letter)[1] > 5
    pairs = postings.bigrams(corpus)
    names = [postings.key_text(k, 2) for k in pairs.keys.tolist()]
    expected = reference.ngram_positions(all_texts, 2)
    assert names == sorted(expected, key=lambda k: [ord(c) for c in k])
    assert postings.encode_positional(pairs).parts() == [reference.positional(expected[k]) for k in names]
    assert postings.encode_doc_level(pairs).parts() == [reference.doc_level(expected[k]) for k in names]

    common = np.zeros(len(pairs), dtype=bool)
    common[::3] = True  # any set of bigrams will do
    chosen = {name for name, pick in zip(names, common.tolist(), strict=True) if pick}
    triples = postings.trigrams(pairs, common, np.array([len(t) for t in all_texts]))
    tri_names = [postings.key_text(k, 3) for k in triples.keys.tolist()]
    tri_expected = {
        k: v for k, v in reference.ngram_positions(all_texts, 3).items() if k[:2] in chosen and k[1:] in chosen
    }
    assert tri_names == sorted(tri_expected, key=lambda k: [ord(c) for c in k])
    assert postings.encode_doc_level(triples).parts() == [reference.doc_level(tri_expected[k]) for k in tri_names]

    chars = postings.characters(corpus)
    char_names = [postings.key_text(k, 1) for k in chars.keys.tolist()]
    char_expected = reference.ngram_positions(all_texts, 1)
    assert char_names == sorted(char_expected)
    assert postings.encode_doc_lists(chars).parts() == [reference.doc_list(char_expected[k]) for k in char_names]


@pytest.mark.parametrize("block", [2**23, 3])
def test_the_corpus_normalises_as_the_browser_does(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from generator.search import postings

    monkeypatch.setattr(postings, "BLOCK", block)  # 3: the texts are encoded and mapped in small blocks
    raw = ["ＸＦ－２０２３ 信訪", "", "ABC abc ﬁ㈠ Ⅻ", "\u00a0Ｔａｘ", "", "末"]
    table = postings.Corpus.normalised(raw)
    plain = postings.Corpus.of([normalise(text) for text in raw])
    assert table.codes.tolist() == plain.codes.tolist() == [ord(c) for c in "\0".join(map(normalise, raw))]
    assert table.starts.tolist() == [0, *np.cumsum([len(text) + 1 for text in raw]).tolist()]
    assert table.letter.tolist() == plain.letter.tolist()
    assert table.letters.tolist() == plain.letters.tolist()


@pytest.mark.parametrize("top", [100, 300, 20_000, 2**22, 2**32])
def test_varint_arrays_match_the_scalar_encoder(top: int) -> None:
    import numpy as np

    from generator.search.postings import varint_bytes

    values = [0, 1, 127, 128, 255, 16383, 16384, 2**21 - 1, 2**21, 2**28, 2**32 - 1]
    encoded, starts = varint_bytes(np.array(values, dtype=np.uint32))
    assert encoded.tobytes() == varints(values)
    assert starts.tolist() == [len(varints(values[:i])) for i in range(len(values))]
    rng = np.random.default_rng(top)
    many = rng.integers(0, top, 3_000, dtype=np.uint64).astype(np.uint32)
    wanted = np.sort(rng.choice(len(many), 40, replace=False))
    encoded, starts = varint_bytes(many, wanted)
    assert encoded.tobytes() == varints(many.tolist())
    assert starts.tolist() == [len(varints(many[:i].tolist())) for i in wanted.tolist()]


@pytest.mark.parametrize("length", [0, 1, 599, 1_000, 1_599, 1_600, 1_601, 2_200, 2_600, 2_601, 3_456, 7_386])
def test_a_snippet_always_lies_inside_the_slice_it_downloads(length: int) -> None:
    text = "".join(chr(0x4E00 + i % 500) for i in range(length))
    slices = text_chunks(text)
    assert len(slices) == slice_count(length)
    assert "".join(s[:TEXT_STEP] for s in slices[:-1]) + slices[-1] == text
    for first in range(0, len(text), 7):
        k = min(max(0, first - 30) // TEXT_STEP, len(slices) - 1)  # as casebook.js picks it
        window = text[max(0, first - 30) : first + 90]
        assert window in slices[k], first
    assert all(len(s) <= TEXT_SPAN for s in slices[:-1])
    assert len(slices[-1]) <= TEXT_STEP + TEXT_TAIL
    if length <= TEXT_STEP + TEXT_TAIL:
        assert slices == [text]


@pytest.mark.parametrize("budget", [1, 5, 64])
def test_postings_encoded_in_parts_are_the_bytes_of_one_encoding(sample_site: Path, budget: int) -> None:
    """shards.encoded_parts cuts the keys into runs of about `budget` occurrences (a key with more
    goes alone): every encoder must give the bytes it gives for all keys at once, for any subset."""
    import numpy as np

    from generator.search import postings
    from generator.search.shards import encoded_parts

    all_texts = [*texts(sample_site), "", "a", "ab ab", "２０２４年 2024-06-30 xf2024"]
    corpus = postings.Corpus.of(all_texts)
    pairs, chars = postings.bigrams(corpus), postings.characters(corpus)
    some = np.flatnonzero(np.arange(len(pairs)) % 3 != 1)
    for encode, grouped, indices in [
        (postings.encode_positional, pairs, np.arange(len(pairs))),
        (postings.encode_positional, pairs, some),
        (postings.encode_doc_level, pairs, some),
        (postings.encode_doc_lists, chars, np.arange(len(chars))),
        (postings.encode_positional, pairs, np.zeros(0, dtype=np.int64)),
    ]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("generator.search.shards.ENCODE_OCCURRENCES", budget)
            parts = encoded_parts(encode, grouped, indices)
        assert parts == (encode(grouped.take(indices)).parts() if len(indices) else [])
