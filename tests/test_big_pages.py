"""The big list pages written as HTML (tags, policy, 类案检索's 待归类 list, the list pages' rows)
and what makes them cheap: rows prepared in Python, join_lines's one-line path, the guard's
unescape. Ledger and 督办 pages: test_ledger.py; links and anchors end to end: test_build.py
(test_no_broken_internal_link) and test_injection.py (hostile text in every field).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from generator import guard
from generator.derive.classify import Suggestion
from generator.derive.guide import Citation, CitedArticle, CitedLaw
from generator.derive.site import derive_site
from generator.render.guides import policy_laws
from generator.render.pages import (
    LIST_LIMIT,
    STATIC_ROWS,
    ListRows,
    records_list_page,
    render_html,
    similar_page,
    tag_anchor,
    tags_page,
)
from generator.render.text import join_lines
from generator.validate import check_library
from tests.conftest import SAMPLE

LIBRARY, _ = check_library(SAMPLE)
SITE = derive_site(LIBRARY, "internal", dt.date(2024, 6, 30))
HOSTILE = "<script>alert(\"x\")</script> & <b>粗</b> '引' {#id} [链](x.md) *斜*"
SHOWN = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;粗&lt;/b&gt; &#39;引&#39; {#id} [链](x.md) *斜*"


class Page(HTMLParser):
    """Ids, links and the elements of a page's HTML."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.add(tag)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "a":
            self.links.append(values.get("href") or "")


def body(page: str) -> str:
    assert page.startswith("---\n")
    return page.split("\n---\n", 1)[1]


def test_the_tags_page_keeps_every_tag_anchor_and_cuts_long_lists() -> None:
    page = tags_page(SITE)
    assert page.startswith("---\ntitle: 标签\ncasebook_html: true\n---\n<h1>标签索引</h1>\n")
    parsed = Page(body(page))
    anchors = [tag_anchor(tag) for tag in SITE.tags]
    assert parsed.ids == anchors  # one heading per tag, in order, with the id record pages link to
    assert [f"#{a}" for a in anchors] == [link for link in parsed.links if link.startswith("#")]  # the cloud
    for tag, tagged in SITE.tags.items():
        records = [page_id for kind, page_id, _ in tagged if kind == "record"]
        entries = [page_id for kind, page_id, _ in tagged if kind == "typical"]
        section = page.split(f'<h2 id="{tag_anchor(tag)}">', 1)[1].split("</ul>", 1)[0]
        listed = re.findall(r'href="(records|typical)/([^"]+)\.md"', section)
        assert listed == [("typical", e) for e in entries] + [("records", r) for r in records[:LIST_LIMIT]], tag
        assert ("以上是编号最小的" in section) == (len(records) > LIST_LIMIT), tag


def test_the_tags_page_shows_tags_and_titles_as_text() -> None:
    records = [("record", f"XF-2024-{n:04d}", f"{HOSTILE}\n续行{n}") for n in range(1, 25)]
    site = dataclasses.replace(SITE, tags={HOSTILE: [("typical", "2024-01-1-001", HOSTILE), *records]})
    page = tags_page(site)
    parsed = Page(body(page))
    assert parsed.tags == {"h1", "h2", "p", "a", "small", "ul", "li"}
    assert parsed.ids == [tag_anchor(HOSTILE)] and re.fullmatch(r"tag-[\w-]+", tag_anchor(HOSTILE))
    assert f'<h2 id="{tag_anchor(HOSTILE)}">{SHOWN}</h2>' in page
    assert f'<a href="records/XF-2024-0001.md">XF-2024-0001 {SHOWN}续行1</a>' in page
    assert "案例记录共 24 件，以上是编号最小的 20 件" in page
    assert "XF-2024-0021" not in page
    # the filter link carries the tag percent-encoded: nothing of it is markup
    query = re.search(r'href="\.\./records/\?tag=([^"]*)"', page).group(1)
    assert re.fullmatch(r"[A-Za-z0-9%/._~-]*", query)


def test_the_policy_page_keeps_law_anchors_and_shows_data_as_text() -> None:
    records = [Citation("record", f"XF-2024-{n:04d}", HOSTILE, None) for n in range(1, 23)]
    laws = [
        CitedLaw(HOSTILE, "law-1", [CitedArticle("", [Citation("class", "LA-001", HOSTILE, HOSTILE), *records])]),
        CitedLaw("信访工作条例", "law-2", [CitedArticle(HOSTILE, [Citation("typical", "2024-01-1-001", "案", None)])]),
    ]
    page = render_html("policy.html.j2", site=SITE, laws=policy_laws(laws))
    parsed = Page(body(page))
    assert parsed.ids == ["law-1", "law-2"]
    assert parsed.tags == {"h1", "h2", "p", "strong", "ul", "li", "a"}
    assert f'<h2 id="law-1">《{SHOWN}》</h2>' in page
    assert f'<li>指引：<a href="classes/LA-001.md">LA-001 {SHOWN}</a>：{SHOWN}</li>' in page
    assert "<p><strong>（整部文件）</strong>（23 处）</p>" in page
    assert f"<p><strong>{SHOWN}</strong>（1 处）</p>" in page
    assert page.count('href="records/') == LIST_LIMIT
    assert "案例记录共 22 件，以上列出编号最小的 20 件。" in page


def test_the_policy_page_of_the_sample_lists_every_citation() -> None:
    from generator.derive.guide import derive_extras
    from generator.render.guides import policy_page

    laws = derive_extras(SITE).laws
    page = policy_page(SITE, derive_extras(SITE))
    assert Page(body(page)).ids == [law.anchor for law in laws]
    for law in laws:
        section = page.split(f'<h2 id="{law.anchor}">', 1)[1].split("<h2 ", 1)[0]
        for article in law.articles:
            shown = [c for c in article.citations if c.kind != "record"]
            shown += [c for c in article.citations if c.kind == "record"][:LIST_LIMIT]
            for citation in shown:
                assert f"{citation.id}.md" in section, (law.law, article.article, citation.id)


def test_the_similar_page_shows_suggestions_as_text() -> None:
    suggestions = [
        Suggestion("XF-2024-0017", "LA-001", HOSTILE, 0.936, (HOSTILE, "理由二")),
        Suggestion("XF-2024-0018", None, None, 0.1, ()),
        Suggestion("XF-2024-0019", None, None, 0.1, ()),
    ]
    page = similar_page(dataclasses.replace(SITE, suggestions=suggestions))
    assert page.startswith('---\ntitle: "类案检索"\ncasebook_html: true\n---\n')
    assert f'<td><a href="classes/LA-001.md">LA-001 {SHOWN}</a></td>\n<td>0.94</td>\n<td>{SHOWN}；理由二</td>' in page
    assert "另有 2 件未归类记录" in page
    assert '<a href="records/XF-2024-0018.md">XF-2024-0018</a>、<a href="records/XF-2024-0019.md">' in page
    assert Page(body(page)).tags == {"h1", "h2", "p", "div", "code", "table", "thead", "tbody", "tr", "th", "td", "a"}
    training = similar_page(derive_site(LIBRARY, "training", dt.date(2024, 6, 30)))
    assert "待归类" not in training and "<table>" not in training


def test_list_rows_are_made_only_for_the_rows_a_page_prints() -> None:
    made: list[int] = []

    def row(view: int) -> dict[str, str]:
        made.append(view)
        return {"href": f"{view}/", "title": str(view), "meta": ""}

    rows = ListRows(list(range(1000)), row)
    assert len(rows) == 1000 and made == []
    assert [r["title"] for r in rows[:3]] == ["0", "1", "2"] and rows[5]["href"] == "5/"
    assert made == [0, 1, 2, 5]
    page = records_list_page(SITE)
    assert f'<p class="cb-count">共 {len(SITE.records)} 件</p>' in page
    items = re.findall(r'<li class="cb-item"><a href="([^"]+)">', page)
    assert items == [f"{v.record.id}/" for v in SITE.records[:STATIC_ROWS]]


def reference_join_lines(text: str) -> str:
    """join_lines as it was before its one-line path."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    out = lines[0]
    for line in lines[1:]:
        out += ("" if ord(out[-1]) >= 0x2E80 or ord(line[0]) >= 0x2E80 else " ") + line
    return out


LINE_TEXT = st.text(alphabet=st.sampled_from(list("ab中文 \t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029\u3000.")), max_size=30)


@given(LINE_TEXT)
def test_join_lines_one_line_path_changes_nothing(text: str) -> None:
    assert join_lines(text) == reference_join_lines(text)


REFERENCE_PIECES = [
    *("&", "#", "x", "X", ";", "0", "1", "3", "8", "9", "F", "a", "amp", "lt", "gt", "quot", "nbsp", "copy"),
    *("&#32534;", "&#x7F16;", "&#0;", "&#128;", "&#55296;", "&#1114112;", "&#65534;", "&amp", "中", " ", "\n"),
    *("<", ">", "&notin;", "&notit;", "&ampx", "a" * 33),
]
REFERENCE_TEXT = st.lists(st.sampled_from(REFERENCE_PIECES), max_size=40).map("".join)


@given(REFERENCE_TEXT)
def test_the_guard_unescapes_exactly_as_html_unescape(text: str) -> None:
    assert guard.unescape(text) == html.unescape(text)


def test_the_guard_finds_references_by_html_unescapes_own_pattern() -> None:
    assert guard._CHARREF.pattern == html._charref.pattern  # type: ignore[attr-defined]
    many = "".join(f"&#{ord(c)};" for c in "张三的身份证号") * 1000 + "&amp;lt;"
    assert guard.unescape(many) == "张三的身份证号" * 1000 + "&lt;"
