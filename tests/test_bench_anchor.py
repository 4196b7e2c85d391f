"""The bench's anchor (generator/bench_anchor.py): a real MkDocs-Material build and a real Pagefind 1.5.2 index.

The full-build target of issue 14 is a ratio to this anchor, so the anchor must
be what the issue names (bare Material, pages out of the nav, Pagefind 1.5.2),
pages about as long as Casebook's record pages, and the same for the same count.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

import markdown
import pytest

from generator import bench_anchor
from generator.bench_anchor import (
    AnchorResult,
    anchor_lines,
    build_anchor,
    median_anchor,
    page_markdown,
    sentence_pool,
    write_project,
)

PAGES = 30


@pytest.fixture(scope="module")
def anchor(tmp_path_factory: pytest.TempPathFactory) -> tuple[AnchorResult, Path]:
    folder = tmp_path_factory.mktemp("anchor") / "project"
    return build_anchor(PAGES, folder), folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_site_has_every_page_and_the_pagefind_index(anchor: tuple[AnchorResult, Path]) -> None:
    result, folder = anchor
    site = folder / "site"
    built = sorted(p.parent.name for p in (site / "pages").glob("*/index.html"))
    assert built == [f"{n:06d}" for n in range(1, PAGES + 1)]
    for number in (1, PAGES):
        assert f"AN-{number:06d}" in (site / "pages" / f"{number:06d}" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in (site / "index.html").read_text(encoding="utf-8")

    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["version"] == "1.5.2"
    # the pages, the home page and 404.html
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == PAGES + 2
    assert any((site / "pagefind" / "index").iterdir())
    assert len(list((site / "pagefind" / "fragment").iterdir())) == PAGES + 2

    files = [p for p in site.rglob("*") if p.is_file()]
    assert result.pages == PAGES
    assert result.pagefind_version == "1.5.2"
    assert (result.site_files, result.site_bytes) == (len(files), sum(p.stat().st_size for p in files))
    assert result.mkdocs_seconds > 0 and result.pagefind_seconds > 0
    assert result.total_seconds == result.mkdocs_seconds + result.pagefind_seconds


def test_bare_material_without_external_font_or_lunr_search(anchor: tuple[AnchorResult, Path]) -> None:
    _, folder = anchor
    site = folder / "site"
    page = (site / "pages" / "000001" / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in page
    assert not (site / "search").exists()
    assert "assets/stylesheets/main." in page  # Material's theme


def test_pages_stay_out_of_the_nav_without_a_message(anchor: tuple[AnchorResult, Path], tmp_path: Path) -> None:
    _, folder = anchor
    for html in (folder / "site" / "index.html", folder / "site" / "pages" / "000002" / "index.html"):
        assert "000001/" not in html.read_text(encoding="utf-8")
    write_project(3, tmp_path / "p")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path / "p", capture_output=True, text=True, check=True
    )
    assert "pages/000001.md" not in done.stderr + done.stdout  # MkDocs lists pages it finds outside the nav


def test_pages_are_about_as_long_as_record_pages(anchor: tuple[AnchorResult, Path]) -> None:
    """Article text of the sample edition's record pages: median 2,123 characters (1,166–2,793)."""
    _, folder = anchor
    lengths = []
    for path in sorted((folder / "site" / "pages").glob("*/index.html")):
        article = re.search(r"<article[^>]*>(.*)</article>", path.read_text(encoding="utf-8"), re.S)
        assert article
        lengths.append(len(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", article.group(1)))))
    assert 1700 <= statistics.median(lengths) <= 2600
    assert min(lengths) >= 1200 and max(lengths) <= 3200


def test_same_count_same_pages(tmp_path: Path) -> None:
    write_project(12, tmp_path / "a")
    write_project(12, tmp_path / "b")
    write_project(5, tmp_path / "c")
    first, second, fewer = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert first == second
    pages = {name: text for name, text in first.items() if name.startswith("docs/pages/")}
    assert len(pages) == 12 and len(set(pages.values())) == 12
    # page n does not depend on how many pages there are
    assert all(first[name] == text for name, text in fewer.items() if name.startswith("docs/pages/"))
    # nor on the order of the texts it is recombined from
    texts = bench_anchor.sample_summaries()
    assert page_markdown(7, sentence_pool(texts)) == page_markdown(7, sentence_pool(texts[::-1]))


def test_sample_texts_are_the_only_source_and_stay_text() -> None:
    texts = ["甲乙丙丁<b>戊</b>己庚*辛*壬癸。", "子丑寅卯辰巳午未申酉，戌亥。\n天干地支一二三四五。", "短句。"]
    pool = sentence_pool(texts)
    assert pool == sorted(["甲乙丙丁<b>戊</b>己庚*辛*壬癸。", "子丑寅卯辰巳午未申酉，戌亥。", "天干地支一二三四五。"])
    text = page_markdown(1, pool)
    html = markdown.markdown(text, extensions=["tables"])
    assert "<b>" not in html and "<em>" not in html
    assert "&lt;b&gt;戊&lt;/b&gt;己庚*辛*壬癸。" in html
    body = re.sub(r"<[^>]+>", "", html)
    allowed = set("".join(pool)) | set(
        "基本情况诉求办理过程处理结果项目内容编号收到日期问题领域涉及信访人环节第步0123456789AN-. \n"
    )
    assert set(body) - allowed <= {"&", ";", "l", "t", "g"}  # only the escaped < and >


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="not empty"):
        build_anchor(2, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_refuses_another_pagefind_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_anchor, "pagefind_version", lambda: "1.4.0")
    with pytest.raises(RuntimeError, match=r"Pagefind 1\.5\.2, and 1\.4\.0 is installed"):
        build_anchor(2, tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_report_lines_and_median() -> None:
    runs = [AnchorResult(1000, m, 2.0, 52_300_000, 4100, "1.5.2") for m in (40.0, 38.0, 45.0)]
    middle = median_anchor(runs)
    assert middle.mkdocs_seconds == 40.0
    assert anchor_lines(middle) == [
        "anchor: bare MkDocs-Material, 1000 pages out of the nav, then Pagefind 1.5.2",
        "anchor time: 42.0 s (mkdocs build 40.0 s + pagefind 2.0 s); site 52.3 MB in 4100 files",
    ]
    assert anchor_lines(middle, 33.6)[-1] == "full build / anchor: 33.6 s / 42.0 s = 0.80 (target at most 0.80: met)"
    assert (
        anchor_lines(middle, 37.8)[-1] == "full build / anchor: 37.8 s / 42.0 s = 0.90 (target at most 0.80: not met)"
    )
    with pytest.raises(ValueError):
        median_anchor([])
