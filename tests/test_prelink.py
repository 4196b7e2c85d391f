"""prelink.py: the published pages linked into the next site, only as the state recorded them."""

from __future__ import annotations

import os
from pathlib import Path

from generator.prelink import PreLinker, adopt
from generator.state import BuildState, FileRecord


def published_site(root: Path, pages: dict[str, str]) -> tuple[Path, BuildState]:
    """A published site of record pages (source path → text) and the state that describes it."""
    site = root / "site"
    state = BuildState(build_id="b", identity={}, fingerprint="f")
    for src, text in pages.items():
        dest = src.removesuffix(".md") + "/index.html"
        path = site / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        found = path.stat()
        state.files[dest] = FileRecord(found.st_size, found.st_mtime_ns, "")
        state.pages[src] = [dest, f"key-{src}", ""]
    return site, state


def test_only_pages_as_the_state_recorded_them_are_linked_and_never_copied(tmp_path: Path) -> None:
    names = ["records/A.md", "records/B.md", "records/C.md", "typical/E.md"]
    site, state = published_site(tmp_path, {src: f"page {src}" for src in names})
    (site / "records/B/index.html").write_text("changed on the server", encoding="utf-8")  # not the state's file
    (site / "records/C/index.html").unlink()
    tree = tmp_path / "stage" / "linked"

    outside = tmp_path / "stage" / "escape.html"  # a damaged state naming a path outside the site
    state.pages["records/D.md"] = ["../stage/escape.html", "key", ""]
    outside.parent.mkdir()
    outside.write_text("not a page", encoding="utf-8")
    found = outside.stat()
    state.files["../stage/escape.html"] = FileRecord(found.st_size, found.st_mtime_ns, "")

    linked = PreLinker.start(site, tree, state, [*names, "records/D.md", "records/unknown.md"]).result()

    assert linked == {"records/A/index.html", "typical/E/index.html"}
    for dest in linked:
        assert os.path.samefile(tree / dest, site / dest)  # a link: the same file, no copy
    assert not (tree / "records/B").exists() and not (tree / "records/C").exists()
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == ["escape.html", "linked"]


def test_adopt_removes_the_pages_not_reused_and_the_folders_they_leave_empty(tmp_path: Path) -> None:
    names = ["records/A.md", "records/B.md"]
    site, state = published_site(tmp_path, {src: src for src in names})
    tree = tmp_path / "linked"
    linked = PreLinker.start(site, tree, state, names).result()
    (tree / "records/B/extra.txt").write_text("made by this build", encoding="utf-8")

    adopt(os.fspath(tree), linked, reused={"records/A/index.html"})

    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*")) == [
        "records",
        "records/A",
        "records/A/index.html",
        "records/B",
        "records/B/extra.txt",
    ]
    assert (site / "records/B/index.html").read_text(encoding="utf-8") == "records/B.md"  # published: untouched
    adopt(os.fspath(tree), {"records/A/index.html"}, reused=set())
    assert not (tree / "records/A").exists()


def test_a_cancelled_linker_stops(tmp_path: Path) -> None:
    site, state = published_site(tmp_path, {f"records/R{n}.md": str(n) for n in range(200)})
    linker = PreLinker.start(site, tmp_path / "linked", state, list(state.pages))
    linker.cancel()  # returns once the process is gone, whatever it had done
    assert sorted(p.name for p in site.iterdir()) == ["records"]
