"""The site's JSON files are the standard library's bytes (generator/site_json.py), made by orjson."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator import site_json
from tests.conftest import MINI, build_site


def standard(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


text = st.text(st.characters(exclude_categories=["Cs"]))  # any character a str can carry into UTF-8
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | text
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=30
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_the_bytes_of_json_for_text_integers_booleans_lists_and_maps(value: object) -> None:
    assert site_json.dumps(value) == standard(value)
    assert site_json.dumps_bytes(value) == standard(value).encode("utf-8")


def test_tuples_are_lists_and_what_json_cannot_hold_is_refused() -> None:
    assert site_json.dumps({"b": (1, "二"), "a": [None]}) == standard({"b": [1, "二"], "a": [None]})
    try:
        site_json.dumps({"a": object()})
    except TypeError:
        pass
    else:
        raise AssertionError("an object was written")


def test_the_sample_sites_json_files_read_back_as_the_standard_library_writes_them(tmp_path: Path) -> None:
    """changes.json and the search data's JSON files of a built site: what json.dumps writes of
    their values (so no float or other value written differently reached them)."""
    site = tmp_path / "site"
    assert build_site(MINI, site).exit_code == 0
    files = [site / "changes.json", *sorted((site / "assets" / "casebook" / "data").rglob("*.json"))]
    assert {p.name for p in files} >= {"changes.json", "docs.json", "0.json"}
    for path in files:
        data = path.read_text(encoding="utf-8")
        expected = standard(json.loads(data)) + ("\n" if data.endswith("\n") else "")
        assert data == expected, path
