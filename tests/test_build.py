"""casebook build on the sample library: pages, integrity, determinism, atomic publish, audiences."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from generator.library import read_library
from generator.outdir import MARKER
from generator.validate import check_library
from tests.conftest import AS_OF, REPO, SAMPLE, Scratch, build_site, config_with_hook, run_cli

LIBRARY, _ = read_library(SAMPLE)
ENTRIES = {doc.model.id: doc.model for doc in LIBRARY.typical}
RECORDS = {doc.model.id: doc.model for doc in LIBRARY.records}


def tree_digest(root: Path) -> dict[str, str]:
    """Every file's hash, except the marker: .casebook-site.json carries the build time, so it
    is the one file allowed to differ between two builds of the same input (outdir.py)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() != MARKER
    }


def test_every_typical_entry_record_and_class_has_a_page(sample_site: Path) -> None:
    for entry_id, entry in ENTRIES.items():
        page = (sample_site / "typical" / entry_id / "index.html").read_text(encoding="utf-8")
        assert entry.title.replace("“", "&ldquo;")[:6] in page or entry.title[:6] in page
    for record_id in RECORDS:
        assert (sample_site / "records" / record_id / "index.html").is_file()
    for doc in LIBRARY.classes:
        assert (sample_site / "classes" / doc.model.id / "index.html").is_file()
    for page in (
        "index.html",
        "typical/index.html",
        "records/index.html",
        "tags/index.html",
        "search/index.html",
        "help/staff/index.html",
        "help/trainers/index.html",
    ):
        assert (sample_site / page).is_file(), page


def test_record_pages_show_deadline_state_as_of_the_given_date(sample_site: Path) -> None:
    states = {}
    for record_id in RECORDS:
        page = (sample_site / "records" / record_id / "index.html").read_text(encoding="utf-8")
        states[record_id] = re.search(r'data-state="([^"]+)"', page).group(1)
    # open records written to be overdue, due soon and on time as of 2024-06-30
    assert states["XF-2024-0001"] == "逾期"
    assert states["XF-2024-0002"] == "临期"
    assert states["XF-2024-0003"] == "正常"
    assert states["XF-2022-0001"] == "已办结"
    assert {"逾期", "临期", "正常"} <= set(states.values())


def test_two_builds_of_the_same_input_are_byte_identical(sample_site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert build_site(SAMPLE, again).exit_code == 0
    assert tree_digest(again) == tree_digest(sample_site)


def test_pages_shared_out_between_processes_give_the_same_site(sample_site: Path, tmp_path: Path) -> None:
    """Three MkDocs processes (record and entry pages split between them) write what one process writes."""
    import datetime as dt

    from generator.build import BuildOptions, build

    out = tmp_path / "parallel"
    options = BuildOptions(SAMPLE, out, as_of=dt.date.fromisoformat(AS_OF), config=REPO / "mkdocs.yml", jobs=3)
    build(options)
    assert tree_digest(out) == tree_digest(sample_site)
    assert not list(tmp_path.glob("*-part*")) and not list(tmp_path.glob(".casebook-*"))


PLANTED_WARNING_HOOK = """
import logging

def on_page_content(html, page, **kwargs):
    if html and page.file.src_uri.startswith("records/XF-"):
        logging.getLogger("mkdocs.hooks").warning("planted warning on %s", page.file.src_uri)
    return html
"""


def test_a_warning_on_a_page_another_process_renders_fails_the_build(tmp_path: Path) -> None:
    """Strict mode holds in every process: a warning on any record page stops the build and is reported."""
    import datetime as dt

    from generator.build import BuildOptions, build
    from generator.site_build import SiteBuildFailed

    config = config_with_hook(tmp_path, PLANTED_WARNING_HOOK)
    out = tmp_path / "site"
    options = BuildOptions(SAMPLE, out, as_of=dt.date.fromisoformat(AS_OF), config=config, jobs=2)
    with pytest.raises(SiteBuildFailed) as failure:
        build(options)
    message = str(failure.value)
    # Record pages are shared between both processes: each one fails and both reports reach the user.
    assert message.count("MkDocs 构建失败") == 2
    assert message.count("planted warning on records/XF-") >= 2
    assert not out.exists()


def test_a_failed_build_leaves_the_previous_site_exactly_as_it_was(sample_copy: Scratch, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert build_site(sample_copy.root, out).exit_code == 0
    before = tree_digest(out)
    sample_copy.replace("records/XF-2022-0002.yaml", "domain: 城乡建设", "domain: 城乡建筑")
    run = build_site(sample_copy.root, out)
    assert run.exit_code == 1
    assert "records/XF-2022-0002.yaml:" in run.stdout and "城乡建设" in run.stdout
    assert "未生成网站" in run.stderr
    assert tree_digest(out) == before
    assert not list(tmp_path.glob(".casebook-*")), "no staging folder is left behind"


def test_an_interrupted_build_leaves_the_previous_site(
    sample_copy: Scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    assert build_site(sample_copy.root, out).exit_code == 0
    before = tree_digest(out)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("generator.search.index.write_search_docs", interrupted)
    # Incremental: the new site is staged from links to the published files; none is written through.
    sample_copy.replace("records/XF-2022-0002.yaml", "\ntitle: ", "\ntitle: 修订：")
    assert build_site(sample_copy.root, out).exit_code != 0  # click reports the interrupt as an abort
    assert tree_digest(out) == before
    assert build_site(sample_copy.root, out, "--full").exit_code != 0
    assert tree_digest(out) == before
    assert not list(tmp_path.glob(".casebook-*"))


def test_generated_markdown_never_lands_in_docs_or_the_library(sample_copy: Scratch, tmp_path: Path) -> None:
    docs_before = tree_digest(REPO / "docs")
    library_before = tree_digest(sample_copy.root)
    assert build_site(sample_copy.root, tmp_path / "site").exit_code == 0
    assert tree_digest(REPO / "docs") == docs_before
    assert tree_digest(sample_copy.root) == library_before


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for name in ("href", "src"):
            if values.get(name):
                self.links.append((tag, values[name] or ""))


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_site_loads_no_external_url(sample_site: Path) -> None:
    offenders = []
    for page in sample_site.rglob("*.html"):
        for tag, link in parse(page).links:
            if urlsplit(link).scheme in ("http", "https") or link.startswith("//"):
                offenders.append(f"{page.relative_to(sample_site)}: <{tag}> {link}")
    for css in sample_site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", css.read_text(encoding="utf-8")):
            offenders.append(f"{css.relative_to(sample_site)}: {url}")
    assert offenders == []


def test_no_broken_internal_link(sample_site: Path) -> None:
    parsed: dict[Path, _Links] = {}

    def parsed_page(path: Path) -> _Links:
        """Each page parsed once (setdefault would parse the target again for every anchored link)."""
        if path not in parsed:
            parsed[path] = parse(path)
        return parsed[path]

    broken = []
    for page in sorted(sample_site.rglob("*.html")):
        if page.name == "404.html":
            continue  # MkDocs writes it with site-absolute links for any depth
        links = parsed_page(page)
        for _, link in links.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(sample_site)} → {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed_page(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(sample_site)} → {link} (no such anchor)")
    assert broken == []


def test_training_edition_has_only_records_and_entries_marked_for_it(tmp_path: Path) -> None:
    out = tmp_path / "training"
    assert build_site(SAMPLE, out, "--audience", "training").exit_code == 0
    library, _ = check_library(SAMPLE)
    marked = {d.model.id for d in library.records if d.model.visibility in ("training", "public")}
    assert marked, "the sample marks some records for training"
    assert {p.parent.name for p in (out / "records").glob("XF-*/index.html")} == marked
    built = {p.parent.name for p in (out / "typical").glob("*/index.html")}
    assert built == {i for i, e in ENTRIES.items() if e.visibility in ("training", "public")}
    for page in out.rglob("*.html"):
        for _, link in parse(page).links:
            found = re.search(r"records/(XF-\d{4}-\d{4})", link)
            assert found is None or found.group(1) in marked, (page, link)


def test_public_edition_has_only_public_entries(tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert build_site(SAMPLE, out, "--audience", "public").exit_code == 0
    built = {p.parent.name for p in (out / "typical").glob("*/index.html")}
    assert built == {i for i, e in ENTRIES.items() if e.visibility == "public"}
    assert built, "the sample has public entries"


def test_build_refuses_an_unreadable_library(tmp_path: Path) -> None:
    run = build_site(tmp_path / "missing", tmp_path / "site")
    assert run.exit_code == 2
    assert not (tmp_path / "site").exists()


def test_a_hand_written_page_named_like_a_generated_one_is_refused(tmp_path: Path) -> None:
    """Generated pages never overwrite hand-written ones, although they are no longer files in docs/."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tags.md").write_text("# 我的标签页\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text((REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("docs_dir: docs", f"docs_dir: {docs}"))
    run = run_cli("build", SAMPLE, "--out", tmp_path / "site", "--as-of", AS_OF, "--config", config)
    assert run.exit_code != 0
    assert "docs/tags.md 与生成的文件同名" in run.stdout + run.stderr
    assert not (tmp_path / "site").exists()
