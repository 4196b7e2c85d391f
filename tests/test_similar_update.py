"""Similar cases updated from the last build (derive/similar_update.py) equal a full pass, bit for bit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.derive import similar, similar_update
from generator.derive.classify import Classifier
from generator.derive.similar import (
    DEFAULT_WEIGHTS,
    KEEP_TERMS,
    CaseText,
    Match,
    SimilarityIndex,
    library_segmenter,
    library_texts,
    record_text,
)
from generator.derive.similar_update import (
    FOLDER,
    META_FILE,
    Kept,
    load_kept,
    load_suggestions,
    matches_decoded,
    matches_encoded,
    pass_settings,
    save_kept,
    save_suggestions,
    similar_pass,
    suggestions_pass,
)

TOP, FLOOR = 5, 0.1


@pytest.fixture(scope="module")
def texts(library) -> list[CaseText]:
    return library_texts(library)


@pytest.fixture(scope="module")
def segmenter(library):
    return library_segmenter(library)


def run(texts, segmenter, kept: Kept | None):
    key = pass_settings(segmenter, DEFAULT_WEIGHTS, KEEP_TERMS, TOP, FLOOR)
    return similar_pass(
        texts, segmenter, kept, settings=key, weights=DEFAULT_WEIGHTS, keep_terms=KEEP_TERMS, top_k=TOP, min_score=FLOOR
    )


def suggestions(result, library, kept):
    """Suggestions for every record (the site asks for the unclassified ones only: a few in the
    sample), updated from `kept`; and what a full pass gives."""
    records = sorted((d.model for d in library.records), key=lambda r: r.id)
    classes = [d.model for d in library.classes]
    found, new_kept = suggestions_pass(result, classes, records, kept)
    index = SimilarityIndex.build(result.index.texts, result.index.segmenter)
    expected = Classifier(index, classes).suggest_many([record_text(r) for r in records], [r.class_ for r in records])
    return found, expected, new_kept


def full(texts, segmenter):
    index = SimilarityIndex.build(texts, segmenter)
    return index, index.related(TOP, min_score=FLOOR)


def assert_same_as_full(result, texts, segmenter) -> None:
    index, related = full(texts, segmenter)
    assert result.related == related
    assert list(result.related) == list(related)
    # the pages' keys of the lists, carried over or made again, are those of the lists themselves
    assert result.kept.shown == [similar_update.shown_key(related[key]) for key in result.kept.keys]
    assert result.index.columns == index.columns
    assert np.array_equal(result.index.idf, index.idf)
    assert [result.index.vectors[i] for i in range(len(texts))] == index.vectors
    assert [result.index.strongest[i] for i in range(len(texts))] == index.strongest
    for mine, theirs in ((result.index.matrix, index.matrix), (result.index.pruned, index.pruned)):
        assert (mine != theirs).nnz == 0 and np.array_equal(mine.indices, theirs.indices)
        assert np.array_equal(mine.data, theirs.data) and np.array_equal(mine.indptr, theirs.indptr)


# Edits a user makes to a record or entry: what similarity reads of it.
EDIT_KINDS = ("append_words", "drop_body", "retitle", "reclass", "swap_body", "untag", "digits_only")


def edited(texts: list[CaseText], row: int, kind: str, other: int) -> list[CaseText]:
    text, donor = texts[row], texts[other]
    changes: dict = {}
    if kind == "append_words":
        changes["body"] = text.body + "\n" + donor.title + donor.body[:40]
    elif kind == "drop_body":
        changes["body"] = text.body[: len(text.body) // 3]
    elif kind == "retitle":
        changes["title"] = donor.title
    elif kind == "reclass":
        changes["class_id"] = donor.class_id
    elif kind == "swap_body":
        changes["body"] = donor.body
    elif kind == "untag":
        changes["tags"] = text.tags[1:]
    elif kind == "digits_only":
        changes["title"] = text.title + "（2025）"
    out = list(texts)
    out[row] = dataclasses.replace(text, **changes)
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(EDIT_KINDS), st.integers(0, 10_000)), min_size=1, max_size=4
    )
)
@pytest.mark.parametrize("neighbourhood", [None, 16], ids=["whole-library", "slices-of-16"])
def test_updates_equal_a_full_pass_after_any_edits(library, texts, segmenter, tmp_path_factory, neighbourhood, steps):
    """Every edit is applied as an update, however many documents it touches (FULL_PASS_FROM off).

    With slices of 16 documents each is compared with 48 of the sample's 100 or so: the update
    must keep to the same neighbourhoods as a full pass, and a 类案 change that moves a document
    to another slice is a full pass (`reclass`)."""
    with pytest.MonkeyPatch.context() as patch:
        if neighbourhood:
            patch.setattr(similar, "NEIGHBOURHOOD", neighbourhood)
        folder = tmp_path_factory.mktemp("kept")
        current = list(texts)
        result = run(current, segmenter, None)
        assert result.full
        save_kept(folder, result.kept)
        found, expected, kept_suggestions = suggestions(result, library, None)
        assert found == expected
        save_suggestions(folder, kept_suggestions)
        for row, kind, other in steps:
            current = edited(current, row % len(current), kind, other % len(current))
            kept = load_kept(folder, result.kept.settings)
            assert kept is not None
            patch.setattr(similar_update, "FULL_PASS_FROM", 1.0)
            result = run(current, segmenter, kept)
            assert not result.full or kind == "reclass"
            assert_same_as_full(result, current, segmenter)
            save_kept(folder, result.kept)
            found, expected, kept_suggestions = suggestions(result, library, load_suggestions(folder))
            assert found == expected
            save_suggestions(folder, kept_suggestions)


def test_one_edit_rescores_a_few_documents(texts, segmenter, tmp_path):
    first = run(texts, segmenter, None)
    save_kept(tmp_path, first.kept)
    current = edited(texts, 3, "digits_only", 0)
    again = run(current, segmenter, load_kept(tmp_path, first.kept.settings))
    assert not again.full and again.rescored == 1
    assert_same_as_full(again, current, segmenter)
    # the same input again: nothing rescored, the same lists
    save_kept(tmp_path, again.kept)
    same = run(current, segmenter, load_kept(tmp_path, first.kept.settings))
    assert not same.full and same.rescored == 0 and same.related == again.related


def test_another_document_set_is_a_full_pass(texts, segmenter, tmp_path):
    first = run(texts, segmenter, None)
    save_kept(tmp_path, first.kept)
    fewer = texts[1:]
    again = run(fewer, segmenter, load_kept(tmp_path, first.kept.settings))
    assert again.full
    assert_same_as_full(again, fewer, segmenter)


@pytest.mark.parametrize("damage", ["garbage", "truncate_arrays", "other_settings", "missing_arrays"])
def test_a_damaged_or_foreign_memo_is_not_used(texts, segmenter, tmp_path, damage):
    first = run(texts, segmenter, None)
    save_kept(tmp_path, first.kept)
    folder: Path = tmp_path / FOLDER
    if damage == "garbage":
        (folder / META_FILE).write_text("{not json", encoding="utf-8")
    elif damage == "truncate_arrays":
        data = (folder / "arrays.npz").read_bytes()
        (folder / "arrays.npz").write_bytes(data[: len(data) // 2])
    elif damage == "missing_arrays":
        (folder / "arrays.npz").unlink()
    settings_key = "another" if damage == "other_settings" else first.kept.settings
    assert load_kept(tmp_path, settings_key) is None


def test_the_lists_are_kept_as_arrays_and_read_back_the_same() -> None:
    """matches_encoded/decoded: each document and reason spelled once; any list comes back equal."""
    first = Match("record", "XF-1", "标题甲", None, 0.5, ("同类案", "共同词：物业"))
    second = Match("typical", "2024-01-1-001", "标题乙", "C-01", 0.1234, ())
    lists = [[first, second], [], [second._replace(score=1.0), first._replace(reasons=("同类案",))]]
    tables, arrays = matches_encoded(lists)
    assert len(tables["labels"]) == 2 and tables["reasons"] == ["同类案", "共同词：物业"]
    assert matches_decoded(tables, arrays) == lists
    arrays["match_labels"][0] = -1  # a list would take it from its end
    with pytest.raises(ValueError):
        matches_decoded(tables, arrays)


def test_a_records_text_digest_is_remembered_by_its_file_and_the_memo_is_what_the_pass_reads(
    library, tmp_path: Path
) -> None:
    """derive_site gives the pass the text digest of each record shown as it was read from a memo
    by its file's key (memo.HashMemo, 2 s at 100,000 records): the memo holds text_digest itself,
    the lists are those made without it, and a digest planted there is the one the pass keeps."""
    import datetime as dt
    import json

    from generator.derive.similar import record_text
    from generator.derive.site import derive_site
    from generator.memo import TEXT_DIGESTS_FILE

    as_of = dt.date(2024, 6, 30)
    first = derive_site(library, "internal", as_of, None, tmp_path)
    memo = json.loads((tmp_path / TEXT_DIGESTS_FILE).read_text(encoding="utf-8"))["hashes"]
    by_file = {doc.key: doc.model for doc in library.records}
    assert len(memo) == len(first.source_keys) > 50
    assert all(digest == similar_update.text_digest(record_text(by_file[key])) for key, digest in memo.items())
    again = derive_site(library, "internal", as_of, None, tmp_path)
    assert again.related == first.related == derive_site(library, "internal", as_of).related
    record_id, file_key = sorted(first.source_keys.items())[0]
    memo[file_key] = "planted"
    payload = json.loads((tmp_path / TEXT_DIGESTS_FILE).read_text(encoding="utf-8"))
    (tmp_path / TEXT_DIGESTS_FILE).write_text(json.dumps({**payload, "hashes": memo}), encoding="utf-8")
    derive_site(library, "internal", as_of, None, tmp_path)
    meta = json.loads((tmp_path / similar_update.FOLDER / similar_update.META_FILE).read_text(encoding="utf-8"))
    assert meta["digests"][meta["keys"].index(f"record:{record_id}")] == "planted"


@pytest.mark.parametrize("relabel_from", [similar_update.RELABEL_FROM, 0], ids=["tables-grow", "tables-renewed"])
def test_lists_read_back_are_read_one_at_a_time_and_written_again_as_they_were_stored(
    relabel_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MatchRows: a list read back is decoded when asked for; lists given anew replace theirs; the
    arrays written again hold every list as given, the stored ones copied in runs (or, once the
    tables name mostly documents no list names, everything encoded anew)."""
    from generator.derive.similar_update import MatchRows, StoredMatches, rows_with

    monkeypatch.setattr(similar_update, "RELABEL_FROM", relabel_from)

    first = Match("record", "XF-1", "标题甲", None, 0.5, ("同类案", "共同词：物业"))
    second = Match("typical", "2024-01-1-001", "标题乙", "C-01", 0.1234, ())
    third = Match("record", "XF-2", "标题丙（改）", "C-02", 0.75, ("新理由",))
    lists = [[first, second], [], [second._replace(score=1.0), first._replace(reasons=("同类案",))], [first]]
    stored = MatchRows(StoredMatches(*matches_encoded(lists)), {})
    assert list(stored) == lists and stored[-1] == [first] and stored[1:3] == lists[1:3]
    for anew in ({}, {0: [third]}, {3: [], 1: [third, first]}, {0: [], 1: [], 2: [], 3: [third]}):
        rows = rows_with(stored, anew)
        expected = [anew.get(row, found) for row, found in enumerate(lists)]
        assert list(rows) == expected
        assert matches_decoded(*matches_encoded(rows)) == expected  # written with runs copied
        again = rows_with(MatchRows(StoredMatches(*matches_encoded(rows)), {}), {2: [third]})
        assert matches_decoded(*matches_encoded(again)) == [*expected[:2], [third], expected[3]]
    tables, arrays = matches_encoded(lists)
    arrays["reason_ids"][0] = len(tables["reasons"])  # past its table: refused when read back, not later
    with pytest.raises(ValueError):
        StoredMatches(tables, arrays)


@settings(max_examples=200, deadline=None)
@given(
    slices=st.lists(st.integers(0, 9), min_size=1, max_size=60),
    data=st.data(),
)
def test_rows_near_a_rescored_document_are_those_the_neighbourhoods_compare_with_it(slices, data) -> None:
    """suggestions_pass passes over the rows compared with no rescored document (their lists stay):
    the rows it scores are exactly those Neighbourhoods.near pairs with some rescored document."""
    near = similar.Neighbourhoods(np.array(slices, dtype=np.int32), ())
    rows = sorted(data.draw(st.sets(st.integers(0, len(slices) - 1), min_size=1)))
    rescored = sorted(data.draw(st.sets(st.integers(0, len(slices) - 1), min_size=1)))
    close, quiet = similar_update._near_rescored(rows, rescored, near)
    expected = near.near(rows, rescored).any(axis=1)
    assert close == [row for row, hit in zip(rows, expected, strict=True) if hit]
    assert quiet == [row for row, hit in zip(rows, expected, strict=True) if not hit]
