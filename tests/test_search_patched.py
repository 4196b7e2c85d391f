"""Patched postings (generator/search/patched.py) hold the occurrences a full computation would.

After any sequence of edits that keep every kept page's number (pages whose
text changed, pages removed or added at the end), the patched postings read,
key by key and as a whole, exactly as postings made from all pages at once;
the occurrences that went and the keys that changed are those the whole-array
path (Postings.renumbered, differing_keys) finds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.search.patched import Patched, patch_update, whole
from generator.search.postings import Postings, differing_keys

Pages = list[list[tuple[int, int]] | None]  # per doc: its (key, position) occurrences; None: gone


def postings_of(pages: Pages, positions: bool = True) -> Postings:
    """Postings made from all pages at once: occurrences sorted by (key, doc, position)."""
    rows = sorted((key, doc, place) for doc, page in enumerate(pages) if page for key, place in page)
    if not positions:  # a doc counts once per key
        rows = sorted({(key, doc, 0) for key, doc, _ in rows})
    keys = sorted({key for key, _, _ in rows})
    starts = np.searchsorted([key for key, _, _ in rows], [*keys, max(keys, default=0) + 1]).astype(np.int64)
    return Postings(
        np.array(keys, dtype=np.uint64),
        starts if keys else np.zeros(1, dtype=np.int64),
        np.array([doc for _, doc, _ in rows], dtype=np.uint32),
        np.array([place for _, _, place in rows], dtype=np.uint32) if positions else None,
    )


def same(one: Postings, other: Postings) -> bool:
    return (
        one.keys.tolist() == other.keys.tolist()
        and one.starts.tolist() == other.starts.tolist()
        and one.doc.tolist() == other.doc.tolist()
        and (one.position is None) == (other.position is None)
        and (one.position is None or one.position.tolist() == other.position.tolist())
    )


page = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 50)), max_size=25, unique=True)


@st.composite
def edit_steps(draw: st.DrawFn) -> tuple[Pages, list[dict[int, list[tuple[int, int]] | None]]]:
    """Pages, then steps: each step a few docs given new text (or removed, if the last), or added at the end."""
    pages: Pages = draw(st.lists(page, min_size=1, max_size=8))
    steps = []
    count = len(pages)
    for _ in range(draw(st.integers(1, 6))):
        step: dict[int, list[tuple[int, int]] | None] = {}
        for _ in range(draw(st.integers(0, 3))):
            action = draw(st.sampled_from(["text", "text", "remove last", "add"]))
            if action == "text" and count:
                step[draw(st.integers(0, count - 1))] = draw(page)
            elif action == "remove last" and count and count - 1 not in step:
                step[count - 1] = None
                count -= 1
            elif action == "add":
                step[count] = draw(page)
                count += 1
        steps.append(step)
    return pages, steps


def applied(
    pages: Pages, step: dict[int, list[tuple[int, int]] | None], positions: bool
) -> tuple[np.ndarray, Pages, Postings]:
    """One step of edit_steps: (doc_map: each old doc's number, -1 for one whose text changed or
    went; the pages after it; the postings of the pages it gave new text)."""
    count = len(pages)
    doc_map = np.arange(count, dtype=np.int64)
    for doc in step:
        if doc < count:
            doc_map[doc] = -1
    after_pages = list(pages) + [None] * max(0, max(step, default=-1) + 1 - len(pages))
    for doc, text in step.items():
        after_pages[doc] = text
    while after_pages and after_pages[-1] is None:
        after_pages.pop()
    new = postings_of([text if doc in step else None for doc, text in enumerate(after_pages)], positions)
    return doc_map, after_pages, new


@settings(max_examples=300, deadline=None)
@given(steps=edit_steps(), positions=st.booleans(), data=st.data())
def test_patched_postings_are_those_of_all_pages(steps, positions: bool, data: st.DataObject) -> None:
    pages, edits = steps
    held: Postings | Patched = postings_of(pages, positions)
    for step in edits:
        before = whole(held)
        doc_map, after_pages, new = applied(pages, step, positions)

        held, changed, gone = patch_update(held, doc_map, new)

        want = postings_of(after_pages, positions)
        assert same(whole(held), want)
        _, _, want_gone = before.renumbered(doc_map)
        assert same(gone, want_gone)
        assert changed.tolist() == differing_keys(want_gone, new).tolist()
        if isinstance(held, Patched):
            assert held.consistent()
            assert held.keys.tolist() == want.keys.tolist()
            assert held.counts().tolist() == want.counts().tolist()
            # the base's hidden occurrences are counted exactly
            hidden = held.base.take(np.searchsorted(held.base.keys, held.removed_keys))
            marked = np.isin(hidden.doc, held.overridden)
            assert np.add.reduceat(marked, hidden.starts[:-1]).tolist() == held.removed_counts.tolist()
        if len(want.keys):  # any few keys, read alone
            some = np.array(sorted(data.draw(st.sets(st.integers(0, len(want.keys) - 1), max_size=5))), np.int64)
            assert same(held.take(some), want.take(some))
        pages = after_pages


def test_an_edit_that_changes_no_occurrence_keeps_the_postings_as_they_are() -> None:
    """The cache then keeps its arrays (and patch) without writing anything."""
    pages: Pages = [[(1, 0), (2, 1)], [(2, 0)]]
    held = postings_of(pages)
    doc_map = np.array([0, -1])
    after, changed, _ = patch_update(held, doc_map, postings_of([None, [(2, 0)]]))
    assert after is held and not len(changed)
    once, changed, _ = patch_update(held, doc_map, postings_of([None, [(3, 0)]]))
    assert isinstance(once, Patched) and changed.tolist() == [2, 3]
    again, changed, _ = patch_update(once, doc_map, postings_of([None, [(3, 0)]]))
    assert again is once and not len(changed)
