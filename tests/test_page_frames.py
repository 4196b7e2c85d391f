"""Record and entry pages filled into Material's frame (page_frames.py) are the pages Material renders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator import page_frames
from generator.build import BuildOptions, build
from tests.conftest import AS_OF, REPO, SAMPLE
from tests.test_build import tree_digest


def build_with_frames(
    out: Path, config: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> page_frames.PageFrames:
    """Build the sample library in one process; the frames of that build."""
    monkeypatch.setattr(page_frames, "ENABLED", enabled)
    install = page_frames.PageFrames.install
    made: list[page_frames.PageFrames] = []

    def remembering_install(self: page_frames.PageFrames, env: object) -> None:
        install(self, env)
        made.append(self)

    monkeypatch.setattr(page_frames.PageFrames, "install", remembering_install)
    build(BuildOptions(SAMPLE, out, as_of=dt.date.fromisoformat(AS_OF), config=config, jobs=1))
    assert len(made) == 1
    return made[0]


def differing(a: Path, b: Path) -> list[str]:
    left, right = tree_digest(a), tree_digest(b)
    assert left.keys() == right.keys()
    return sorted(name for name in left if left[name] != right[name])


def test_framed_pages_are_byte_identical_to_materials_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = REPO / "mkdocs.yml"
    framed = build_with_frames(tmp_path / "framed", config, monkeypatch, enabled=True)
    plain = build_with_frames(tmp_path / "plain", config, monkeypatch, enabled=False)
    assert plain.framed == 0 and not plain.frames
    # Every record and entry page goes through a frame that passed its check.
    pages = len(list((SAMPLE / "records").glob("*.yaml"))) + len(list((SAMPLE / "typical").glob("*.yaml")))
    assert framed.framed == pages
    assert all(frame.pieces is not None for frame in framed.frames.values())
    assert differing(tmp_path / "framed", tmp_path / "plain") == []


OVERRIDE = """{% extends "base.html" %}
{% block announce %}<span class="planted">{{ page.url }}</span>{% endblock %}
"""


def test_a_theme_that_shows_more_of_a_page_drops_the_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A theme override printing each page's URL in the frame: the check of a frame's first
    pages sees it, and every page is rendered in full, as Material would."""
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text(OVERRIDE, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("docs_dir: docs", f"docs_dir: {REPO / 'docs'}")
    config.write_text(text.replace("  name: material\n", f"  name: material\n  custom_dir: {overrides}\n"))
    assert "custom_dir" in config.read_text(encoding="utf-8")
    framed = build_with_frames(tmp_path / "framed", config, monkeypatch, enabled=True)
    build_with_frames(tmp_path / "plain", config, monkeypatch, enabled=False)
    # Each frame's first page matched (its own URL is in its frame); the second did not.
    assert framed.frames and all(frame.pieces is None for frame in framed.frames.values())
    assert framed.framed == len(framed.frames)
    assert differing(tmp_path / "framed", tmp_path / "plain") == []
    page = next((tmp_path / "framed" / "records").glob("XF-*/index.html")).read_text(encoding="utf-8")
    assert '<span class="planted">records/XF-' in page
