"""Pages written as HTML (records, entries): what MkDocs's Markdown pipeline did, done by site_html.py.

The unit tests drive HtmlPages with real MkDocs objects (config, files, pages);
the build tests check escaping, titles and strict link checking end to end.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from pymdownx.slugs import slugify

from generator.site_build import page_destination
from generator.site_html import HtmlPages
from tests.conftest import AS_OF, SAMPLE, Scratch, build_site, config_with_hook


def site(tmp_path: Path, toc: dict[str, object] | None = None, directory_urls: bool = True) -> tuple[object, Files]:
    docs = tmp_path / "docs"
    names = ["index.md", "records/A.md", "records/B.md", "records/index.md", "classes/LA-001.md", "tags.md"]
    for name in [*names, "downloads/ledger-LA-001.xlsx"]:
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text("---\ntitle: t\n---\n", encoding="utf-8")
    names.append("downloads/ledger-LA-001.xlsx")
    config = load_config(
        config_file=None,
        docs_dir=str(docs),
        site_dir=str(tmp_path / "site"),
        site_name="test",
        use_directory_urls=directory_urls,
        markdown_extensions=[{"toc": toc or {"permalink": True, "slugify": slugify(case="lower")}}],
    )
    files = Files([File(name, str(docs), str(tmp_path / "site"), directory_urls) for name in names])
    return config, files


def render(config: object, files: Files, src: str, body: str) -> Page:
    page = Page(None, files.get_file_from_path(src), config)
    page.markdown, page.meta = body, {"casebook_html": True}
    HtmlPages(config, files).render(page)
    return page


def test_links_to_source_files_become_site_urls(tmp_path: Path) -> None:
    config, files = site(tmp_path)
    body = (
        '<a href="../classes/LA-001.md">c</a> <a href="../tags.md#tag-内退">t</a> '
        '<a href="B.md">sibling</a> <a href="A.md">self</a> <a href="https://example.org/x.md">out</a>'
    )
    page = render(config, files, "records/A.md", body)
    assert re.findall(r'href="([^"]*)"', page.content) == [
        "../../classes/LA-001/",
        "../../tags/#tag-内退",
        "../B/",
        "./",
        "https://example.org/x.md",
    ]
    # From the sibling the self link of A is a link to another page: remembered links stay right.
    other = render(config, files, "records/B.md", '<a href="A.md">a</a> <a href="B.md">self</a>')
    assert re.findall(r'href="([^"]*)"', other.content) == ["../A/", "./"]


def test_links_to_downloads_resolve_and_a_missing_one_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, files = site(tmp_path)
    body = '<a href="../downloads/ledger-LA-001.xlsx">x</a> <a href="../records/?tag=a.b">filter</a> <a href="#x">y</a>'
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        page = render(config, files, "records/A.md", body)
        assert not caplog.text
        missing = render(config, files, "records/A.md", '<a href="../downloads/ledger-LA-999.xlsx">x</a>')
    assert re.findall(r'href="([^"]*)"', page.content) == [
        "../../downloads/ledger-LA-001.xlsx",
        "../records/?tag=a.b",
        "#x",
    ]
    assert "'../downloads/ledger-LA-999.xlsx'" in caplog.text
    assert 'href="../downloads/ledger-LA-999.xlsx"' in missing.content


def test_links_to_anchors_are_handed_to_the_anchor_check(tmp_path: Path) -> None:
    """As MkDocs records them for a Markdown page: target file → anchor → the link as written."""
    config, files = site(tmp_path)
    body = (
        '<a href="../tags.md#tag-内退">t</a> <a href="../tags.md#tag-内退">again</a> <a href="#unit-1">u</a> '
        '<a href="A.md#top">self</a> <a href="../classes/LA-001.md">no anchor</a> <a href="#">bare</a>'
    )
    page = render(config, files, "records/A.md", body)
    tags, own = files.get_file_from_path("tags.md"), files.get_file_from_path("records/A.md")
    assert page.links_to_anchors == {
        tags: {"tag-内退": "../tags.md#tag-内退"},
        own: {"top": "A.md#top", "unit-1": "#unit-1"},
    }


def test_links_without_directory_urls(tmp_path: Path) -> None:
    config, files = site(tmp_path, directory_urls=False)
    page = render(config, files, "records/A.md", '<a href="../classes/LA-001.md#x">c</a> <a href="B.md">b</a>')
    assert re.findall(r'href="([^"]*)"', page.content) == ["../classes/LA-001.html#x", "B.html"]


def test_a_link_to_a_missing_file_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config, files = site(tmp_path)
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        page = render(config, files, "records/A.md", '<a href="../classes/LA-999.md">x</a>')
    assert "records/A.md" in caplog.text and "'../classes/LA-999.md'" in caplog.text
    assert 'href="../classes/LA-999.md"' in page.content


def test_headings_get_the_ids_permalinks_and_contents_python_markdown_gives(tmp_path: Path) -> None:
    import markdown

    config, files = site(tmp_path)
    headings = [
        (1, "标题 &amp; 副题"),
        (2, "基本情况"),
        (3, "五个一"),
        (2, "基本情况"),
        (2, "<em>诉求</em>"),
        (2, "A b"),
    ]
    body = "\n".join(f"<h{level}>{inner}</h{level}>" for level, inner in headings)
    page = render(config, files, "records/A.md", body)
    md = markdown.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"])
    source = "\n\n".join(
        "#" * level + " " + inner.replace("<em>", "*").replace("</em>", "*") for level, inner in headings
    )
    assert page.content == md.convert(source)
    assert ids_and_titles(page.toc) == ids_and_titles(get_toc(md.toc_tokens))
    assert page.present_anchor_ids == {"标题--副题", "基本情况", "五个一", "基本情况_1", "诉求", "a-b"}
    assert page._title_from_render == "标题 &amp; 副题"


def test_headings_written_with_an_id_keep_it_as_attr_list_ids_do(tmp_path: Path) -> None:
    """`<h2 id="tag-…">` is what `## … {#tag-…}` gave (attr_list): the id stays, a permalink and
    a toc entry are added, and ids made from other headings' text step around it."""
    import markdown

    config, files = site(tmp_path)
    body = '<h1>标签索引</h1>\n<h2 id="tag-内退">内退 &amp; 其他</h2>\n<h2 id="a-b">x</h2>\n<h2>A b</h2>\n<h3 id="law-1">《法》</h3>'
    page = render(config, files, "tags.md", body)
    md = markdown.Markdown(
        extensions=["attr_list", *config["markdown_extensions"]], extension_configs=config["mdx_configs"]
    )
    source = "# 标签索引\n\n## 内退 &amp; 其他 {#tag-内退}\n\n## x {#a-b}\n\n## A b\n\n### 《法》 {#law-1}"
    assert page.content == md.convert(source)
    assert ids_and_titles(page.toc) == ids_and_titles(get_toc(md.toc_tokens))
    assert page.present_anchor_ids == {"标签索引", "tag-内退", "a-b", "a-b_1", "law-1"}


def ids_and_titles(items: object) -> list[object]:
    return [(item.level, item.id, item.title, ids_and_titles(item.children)) for item in items]


def test_heading_settings_follow_the_toc_extension(tmp_path: Path) -> None:
    config, files = site(tmp_path, toc={"permalink": "#", "permalink_title": "", "toc_depth": "2-2"})
    page = render(config, files, "records/A.md", "<h1>T</h1><h2>A b</h2><h3>c</h3>")
    assert '<h2 id="a-b">A b<a class="headerlink" href="#a-b">#</a></h2>' in page.content
    assert [(item.level, item.id, len(item.children)) for item in page.toc] == [(2, "a-b", 0)]
    plain = render(*site(tmp_path / "plain", toc={"permalink": False}), "records/A.md", "<h2>A</h2>")
    assert plain.content == '<h2 id="a">A</h2>'


def test_record_text_is_shown_literally_and_titles_survive_quotes(sample_copy: Scratch, tmp_path: Path) -> None:
    title = '柳湾村<script>alert(1)</script> & "引号" \\反斜杠 *星号* `反引号` [方括号](x.md)'
    sample_copy.replace(
        "records/XF-2021-0001.yaml",
        "title: 河口乡柳湾村村民反映工业园区征地补偿款尾款未到位并在施工现场阻工",
        f"title: '{title}'",
    )
    sample_copy.replace("records/XF-2021-0001.yaml", "为由在现场拦挡挖掘机", "为由在现场<b>拦挡</b>挖掘机")
    out = tmp_path / "site"
    run = build_site(sample_copy.root, out)
    assert run.exit_code == 0, run.stdout + run.stderr
    page = (out / "records" / "XF-2021-0001" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>拦挡" not in page
    assert "&lt;b&gt;拦挡&lt;/b&gt;" in page
    shown = re.search(r"<h1 [^>]*>(.*?)<a class", page).group(1)
    assert shown == (
        "柳湾村&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;引号&#34; \\反斜杠 *星号* `反引号` [方括号](x.md)"
    )
    assert "<title>XF-2021-0001 柳湾村&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;引号&quot; \\反斜杠" in page


BROKEN_LINK_HOOK = """
def on_page_markdown(markdown, page, **kwargs):
    if page.meta.get("casebook_html") and page.file.src_uri == "records/XF-2021-0001.md":
        return markdown + '<p><a href="../classes/LA-999.md">gone</a></p>'
    return markdown
"""


def test_a_broken_link_on_an_html_page_fails_the_strict_build(tmp_path: Path) -> None:
    from generator.build import BuildOptions, build
    from generator.site_build import SiteBuildFailed

    config = config_with_hook(tmp_path, BROKEN_LINK_HOOK)
    out = tmp_path / "site"
    with pytest.raises(SiteBuildFailed) as failure:
        build(BuildOptions(SAMPLE, out, as_of=dt.date.fromisoformat(AS_OF), config=config, jobs=1))
    assert "records/XF-2021-0001.md" in str(failure.value) and "LA-999.md" in str(failure.value)
    assert not out.exists()


@pytest.mark.parametrize("directory_urls", [True, False])
@pytest.mark.parametrize(
    "uri",
    [
        "records/XF-2024-0001.md",
        "typical/2023-01-2-001.md",
        "records/README.md",
        "a/b/index.md",
        "x.md",
        "记录/案例 一.md",
    ],
)
def test_a_left_out_page_gets_the_destination_and_url_mkdocs_would_give_it(uri: str, directory_urls: bool) -> None:
    """site_build leaves reused record and entry pages out of MkDocs' files and names them itself."""
    made = File(uri, "/docs", "/site", directory_urls)
    assert page_destination(uri, directory_urls) == (made.dest_uri, made.url)
