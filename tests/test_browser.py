"""The built site in a real headless Chromium: search, facets, entry pages, no console errors, no external requests.

Chromium is the Debian package (/usr/bin/chromium); Playwright drives it.
Locally a missing Chromium skips these tests; with CI=true it fails them.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote, urlsplit

import pytest

from generator.search.query import SiteIndex
from tests.conftest import launched_chromium


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _RangeHandler(_QuietHandler):
    """Answers a one-range request (bytes=a-b) with 206 and those bytes, as nginx or Apache do;
    http.server ignores Range and sends the whole file. Notes each text pack request."""

    served: ClassVar[list[tuple[str, int]]] = []  # (path, status) of every request for a text pack

    def send_head(self):  # type: ignore[no-untyped-def]
        wanted = self.headers.get("Range", "")
        path = self.translate_path(self.path)
        if not wanted.startswith("bytes=") or not Path(path).is_file():
            if "/data/text/" in self.path:
                self.served.append((self.path, 200))
            return super().send_head()
        data = Path(path).read_bytes()
        first, _, last = wanted[len("bytes=") :].partition("-")
        start, end = int(first), min(int(last), len(data) - 1)
        self.served.append((self.path, 206))
        self.send_response(206)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return io.BytesIO(data[start : end + 1])


@contextlib.contextmanager
def serving(site: Path, handler_class: type[_QuietHandler] = _QuietHandler) -> Iterator[str]:
    handler = functools.partial(handler_class, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def server(sample_site: Path) -> Iterator[str]:
    with serving(sample_site) as url:
        yield url


@pytest.fixture(scope="module")
def large_layout_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sample built with library-scale thresholds: common bigrams in files of their own, trigram entries."""
    from tests.conftest import SAMPLE, build_site

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("generator.search.index.BIG_TERM_BYTES", 200)
        patch.setattr("generator.search.index.TARGET_SHARD_BYTES", 2_000)
        site = tmp_path_factory.mktemp("large") / "site"
        assert build_site(SAMPLE, site).exit_code == 0
    yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_chromium()


class Watched:
    """A page that records console errors and every request's host."""

    def __init__(self, browser: object, base: str) -> None:
        self.page = browser.new_page()  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.external: list[str] = []
        host = urlsplit(base).netloc
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if urlsplit(r.url).netloc == host else self.external.append(r.url))

    def close(self) -> None:
        assert self.errors == [], self.errors
        assert self.external == [], self.external
        self.page.close()


@pytest.fixture
def watched(browser: object, server: str) -> Iterator[Watched]:
    page = Watched(browser, server)
    yield page
    page.close()


def results(page: object) -> tuple[int, list[str]]:
    page.wait_for_selector(".cb-count[data-cb-total]")  # type: ignore[attr-defined]
    total = int(page.get_attribute(".cb-count", "data-cb-total"))  # type: ignore[attr-defined]
    hrefs = page.eval_on_selector_all(".cb-list .cb-item > a", "els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined]
    return total, hrefs


@pytest.mark.parametrize("query", ["不动产权证", "访调对接", "专项资金", "锦绣花园 办证", "拖欠", "复核"])
def test_search_returns_exactly_the_pages_containing_the_query(
    watched: Watched, server: str, sample_site: Path, query: str
) -> None:
    index = SiteIndex(sample_site)
    expected = index.search(query).docs
    assert expected, "the query set only uses phrases that occur"
    watched.page.goto(f"{server}search/?q={quote(query)}")
    total, hrefs = results(watched.page)
    assert total == len(expected)
    shown = {urlsplit(h).path.lstrip("/") for h in hrefs}
    assert len(shown) == min(20, total)
    texts = {}
    for href in shown:
        page_text = (sample_site / href / "index.html").read_text(encoding="utf-8")
        texts[href] = page_text
    for term in query.split():
        for href, page_text in texts.items():
            assert term in page_text, (term, href)
    marks = watched.page.eval_on_selector_all(".cb-snippet mark", "els => els.map(e => e.textContent)")
    assert marks and all(any(term in m for term in query.split()) for m in marks)


@pytest.mark.parametrize("query", ["不动产权证", "复核"])
def test_snippets_download_only_their_slice_from_a_server_that_serves_ranges(
    browser: object, sample_site: Path, query: str
) -> None:
    """Behind nginx or Apache a row's snippet is one range of its text pack, not the pack; the
    other tests' server ignores ranges, and the rows cut their slice from the whole pack."""
    index = SiteIndex(sample_site)
    expected = index.search(query)
    _RangeHandler.served = []
    with serving(sample_site, _RangeHandler) as base:
        watched = Watched(browser, base)
        watched.page.goto(f"{base}search/?q={quote(query)}")
        total, hrefs = results(watched.page)
        assert total == len(expected.docs)
        snippets = watched.page.eval_on_selector_all(".cb-snippet", "els => els.map(e => e.textContent)")
        assert len(snippets) == len(hrefs) and all(query in s for s in snippets), snippets
        assert not watched.errors, watched.errors
        watched.close()
    top = sorted(expected.docs, key=lambda d: (-expected.docs[d], d))[:20]
    wanted = {index.snippet_range(d, expected.first.get(d))[:2] for d in top}
    assert _RangeHandler.served and all(status == 206 for _, status in _RangeHandler.served)
    assert len(_RangeHandler.served) == len(wanted)


def test_a_facet_narrows_the_list_counts_match_and_survive_reload(
    watched: Watched, server: str, sample_site: Path
) -> None:
    watched.page.goto(f"{server}typical/")
    total, _ = results(watched.page)
    assert total == len(list((sample_site / "typical").glob("*/index.html")))
    option = watched.page.locator('.cb-facet[data-cb-facet="domain"] label', has_text="城乡建设")
    expected = int(option.locator(".cb-facet-count").text_content())
    option.locator("input").check()
    watched.page.wait_for_function(f"document.querySelector('.cb-count').dataset.cbTotal == '{expected}'")
    total, hrefs = results(watched.page)
    assert total == expected == len(hrefs) and 0 < expected < len(list((sample_site / "typical").glob("*/index.html")))
    for href in hrefs:
        assert "城乡建设" in (sample_site / urlsplit(href).path.lstrip("/") / "index.html").read_text(encoding="utf-8")
    assert "domain=" in watched.page.url
    watched.page.reload()
    total_after, _ = results(watched.page)
    assert total_after == expected
    assert watched.page.locator('.cb-facet[data-cb-facet="domain"] input:checked').count() == 1


def test_facets_combine_with_a_query(watched: Watched, server: str) -> None:
    watched.page.goto(f"{server}search/?q={quote('工资')}")
    everything, _ = results(watched.page)
    watched.page.goto(f"{server}search/?q={quote('工资')}&kind={quote('案例记录')}&deadline={quote('逾期')}")
    narrowed, hrefs = results(watched.page)
    assert 0 < narrowed < everything
    assert all("/records/" in h for h in hrefs)


def test_a_typical_entry_page_shows_every_section(watched: Watched, server: str) -> None:
    watched.page.goto(f"{server}typical/2023-03-2-001/")
    headings = watched.page.eval_on_selector_all(
        "article h2", "els => els.map(e => e.textContent.replace('¶', '').trim())"
    )
    for section in (
        "基本情况",
        "难点症结",
        "化解过程",
        "化解成效",
        "化解思路和方法",
        "经验启示",
        "适用情形",
        "政策依据",
        "来源案例",
        "类案指引",
        "相似案例",
    ):
        assert section in headings, section
    assert watched.page.locator("article a[href*='records/XF-2023-0010']").count() == 1


def test_home_and_record_pages_load_cleanly(watched: Watched, server: str) -> None:
    for path in ("", "records/XF-2024-0001/", "classes/LA-001/", "tags/", "records/"):
        watched.page.goto(server + path)
        watched.page.wait_for_load_state("networkidle")
    assert "逾期" in watched.page.goto(server + "records/XF-2024-0001/").text()


@pytest.mark.parametrize("query", ["信访", "202", "信访局", "责任单位", "锦绣花园"])
def test_search_with_library_scale_files_matches_the_index(
    browser: object, large_layout_site: Path, query: str
) -> None:
    """Document-level bigram files, trigram entries and positional files, read by the real script."""
    index = SiteIndex(large_layout_site)
    result = index.search(query)
    assert result.docs
    with serving(large_layout_site) as base:
        watched = Watched(browser, base)
        watched.page.goto(f"{base}search/?q={quote(query)}")
        total, hrefs = results(watched.page)
        assert total == len(result.docs)
        marks = watched.page.eval_on_selector_all(".cb-snippet mark", "els => els.map(e => e.textContent)")
        # every row's snippet shows the match, taken from the slice its first position points to
        assert len(marks) >= len(hrefs) and all(query in m for m in marks), marks
        watched.close()


def test_similar_case_box_finds_the_typical_entries_of_the_right_class(watched: Watched, server: str) -> None:
    """The 类案检索 box ranks this edition's typical entries in the browser, offline."""
    watched.page.goto(f"{server}similar/")
    watched.page.fill(".cb-similar-input", "小区交房五年了还办不了不动产权证，开发企业欠缴土地出让金，业主多次集体上访")
    watched.page.click(".cb-similar-run")
    watched.page.wait_for_selector(".cb-similar-results li")
    classes = watched.page.eval_on_selector_all(".cb-similar-class", "els => els.map(e => e.textContent)")
    assert classes and classes[0].startswith("LA-001")
    first = watched.page.get_attribute(".cb-similar-results li a", "href")
    assert "/typical/" in first


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # screenshots to look at (not committed)

# Every text box of every chart, and whether any two of one chart overlap (labels, ticks, values).
_CHART_TEXTS = """() => [...document.querySelectorAll('.cb-chart svg')].map(svg => {
  const boxes = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect()).filter(b => b.width > 0);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps.push([i, j]);
  }
  const sizes = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height);
  return {label: svg.getAttribute('aria-label'), width: svg.getBoundingClientRect().width,
          smallest: Math.min(...sizes), overlaps: overlaps.length, texts: svg.textContent};
})"""


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (390, "phone")])
def test_statistics_page_reads_well_at_desktop_and_phone_width(
    browser: object, server: str, width: int, name: str
) -> None:
    """Charts with Chinese labels, text at a readable size, no two texts of a chart overlapping, and
    the page itself never wider than the screen (charts and tables scroll inside their boxes)."""
    page = Watched(browser, server)
    page.page.set_viewport_size({"width": width, "height": 900})
    page.page.goto(server + "statistics/")
    page.page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / f"statistics-{name}.png"), full_page=True)
    charts = page.page.evaluate(_CHART_TEXTS)
    assert len(charts) >= 4
    for chart in charts:
        assert chart["overlaps"] == 0, chart["label"]
        assert chart["smallest"] >= 9, chart["label"]  # pixels on screen: readable on a phone
        assert chart["width"] >= 480, chart["label"]
    assert "信访总量" in charts[0]["texts"] and "1月" in charts[0]["texts"]
    assert any("城乡建设" in chart["texts"] for chart in charts)
    overflow = page.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    page.close()


def test_statistics_filters_and_figure_links_lead_to_the_same_records(watched: Watched, server: str) -> None:
    """A domain filter opens that domain's page; a count opens the record list filtered to the same records."""
    watched.page.goto(server + "statistics/")
    watched.page.click(".cb-stat-filter a:text-is('城乡建设')")
    watched.page.wait_for_load_state("networkidle")
    assert "统计 · 2024年 · 城乡建设" in watched.page.text_content("h1")
    count = watched.page.text_content("#summary + .cb-stat-table tbody tr:first-child td:nth-child(2)")
    watched.page.click("#summary + .cb-stat-table tbody tr:first-child td:nth-child(2) a")
    total, _ = results(watched.page)
    assert f"{total}件" == count.strip()
