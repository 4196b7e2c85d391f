"""Big terms' own files remade a block of pages at a time (generator/search/blocks.py).

After any sequence of edits that keep every kept page's number, a list
remade in the blocks of the pages that changed, from the previous list's
bytes and marks, is byte for byte the list encoded from all pages, and its
marks are those of that list; whether the occurrences are read from patched
postings or whole ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.search import blocks
from generator.search.blocks import ENCODERS, Marks, MarksTable, marks_of, regions_of, remade_regions, spliced
from generator.search.patched import patch_update, whole
from generator.search.postings import Postings
from tests.test_search_patched import applied, edit_steps, postings_of


def lists_of(grouped: Postings, layout: str) -> dict[int, tuple[bytes, Marks]]:
    """key → (its encoded list, its marks)."""
    encoded = ENCODERS[layout](grouped).parts()
    return dict(zip(grouped.keys.tolist(), zip(encoded, marks_of(grouped, layout), strict=True), strict=True))


@settings(max_examples=300, deadline=None)
@given(steps=edit_steps(), positions=st.booleans(), block_docs=st.sampled_from([1, 2, 3, 5]), patched=st.booleans())
def test_lists_remade_in_the_changed_blocks_are_the_lists_of_all_pages(
    steps, positions: bool, block_docs: int, patched: bool
) -> None:
    pages, edits = steps
    layouts = ["positional", "doc_level"] if positions else ["doc_list"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "BLOCK_DOCS", block_docs)
        held = postings_of(pages, positions)
        for step in edits:
            before = whole(held)
            doc_map, after_pages, new = applied(pages, step, positions)
            held, _, _ = patch_update(held, doc_map, new)
            want = postings_of(after_pages, positions)
            grouped = held if patched else whole(held)
            touched = np.union1d(np.flatnonzero(doc_map < 0), np.unique(new.doc))
            changed_blocks = np.unique(touched // block_docs)
            kept_keys = np.intersect1d(before.keys, want.keys)
            indices = np.searchsorted(grouped.keys, kept_keys)
            regions = regions_of(grouped, indices, changed_blocks)
            for layout in layouts:
                old, now = lists_of(before, layout), lists_of(want, layout)
                by_key: dict[int, dict] = {}
                for (key, block), region in remade_regions(regions, layout).items():
                    by_key.setdefault(key, {})[block] = region
                for number, key in enumerate(kept_keys.tolist()):
                    data, marks = old[key]
                    assert Marks.of_plain(marks.plain()) == marks
                    made = spliced(data, marks, changed_blocks.tolist(), by_key.get(number, {}))
                    assert made is not None
                    assert made[0] == now[key][0], (layout, key)
                    assert made[1] == now[key][1], (layout, key)
            pages = after_pages


def test_marks_that_do_not_fit_the_list_are_not_used() -> None:
    grouped = postings_of([[(1, 0), (1, 4)], [(1, 2)], [(1, 1), (2, 0)]])
    data = ENCODERS["positional"](grouped).parts()[0]
    marks = marks_of(grouped, "positional")[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "BLOCK_DOCS", 1)
        marks = marks_of(grouped, "positional")[0]
        assert marks.block == [0, 1, 2] and marks.groups == [1, 1, 1]
        assert spliced(data, marks, [], {}) == (data, marks)
        wrong_count = Marks(marks.docs + 1, marks.last, marks.block, marks.offset, marks.prev, marks.groups)
        assert spliced(data, wrong_count, [1], {}) is None
        past_the_end = Marks(marks.docs, marks.last, marks.block, [0, 1, len(data)], marks.prev, marks.groups)
        assert spliced(data, past_the_end, [1], {}) is None
    for broken in ([], [1, 0, 1, 0, 0, 0], [2, 0, 2, 1, 0, 0, 5, 0, 0, 1, 1], [1, 0, 1, 0, 0, 0, 1, "x"]):
        assert Marks.of_plain(broken) is None, broken
    table = MarksTable.of_plain({"a": marks.plain(), "b": [1, 2], 3: marks.plain(), "c": "x"})
    assert table.before == {"a": marks} and table.after == {}
