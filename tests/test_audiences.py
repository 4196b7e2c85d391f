"""Issue 5: what an edition excludes is nowhere in it, internal pages say so, and leaks stop the build.

Markers are planted in internal-only records, entries and classes of a copy
of the sample; every byte of every file of the training and public builds
is searched for them (Word and Excel unzipped and unescaped, the search
index queried as the browser would), while the internal build has them all.
"""

from __future__ import annotations

import html
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from generator.search.query import SiteIndex
from tests.conftest import AS_OF, REPO, SAMPLE, Scratch, build_site, copy_library

MARKERS = {
    "record": "内部记录标记ZQXJA",  # XF-2024-0001 (internal) summary
    "entry": "内部案例标记ZQXJB",  # 2022-04-1-001 (internal) background
    "class": "内部类案标记ZQXJC",  # LA-006 (internal) summary
    "title": "来源记录标记ZQXJD",  # title of XF-2023-0011, an internal source record of public entry 2023-03-2-001
    "field": "包案领导标记ZQXJE",  # lead_official of XF-2021-0002, a record marked training: an internal-only field
}
TRAINING_RECORDS = {"XF-2021-0002", "XF-2021-0007", "XF-2021-0012"}  # some of the records marked training


def plant(library: Scratch) -> None:
    library.replace("records/XF-2024-0001.yaml", "summary: |\n", f"summary: |\n  {MARKERS['record']}。\n")
    library.replace("typical/2022-04-1-001.yaml", "background: |\n", f"background: |\n  {MARKERS['entry']}。\n")
    library.replace("classes/LA-006.yaml", "summary: |\n", f"summary: |\n  {MARKERS['class']}。\n")
    text = library.read("records/XF-2023-0011.yaml")
    library.write("records/XF-2023-0011.yaml", text.replace("\ntitle: ", f"\ntitle: {MARKERS['title']}", 1))
    library.replace("records/XF-2021-0002.yaml", "lead_official: 河口乡党委书记", f"lead_official: {MARKERS['field']}")


def every_text(site: Path) -> dict[str, str]:
    """Each file's content as text: zip archives unpacked, XML character references decoded."""
    out = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        relative = path.relative_to(site).as_posix()
        if path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as archive:
                out[relative] = html.unescape("".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()))
        else:
            out[relative] = html.unescape(path.read_bytes().decode("utf-8", "replace"))
    return out


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("audiences")
    library = copy_library(SAMPLE, root / "cases")
    plant(library)
    built = {}
    for audience in ("internal", "training", "public"):
        out = root / audience
        run = build_site(library.root, out, "--audience", audience)
        assert run.exit_code == 0, run.stdout + run.stderr
        built[audience] = out
    return built


def test_internal_edition_has_every_marker(editions: dict[str, Path]) -> None:
    texts = every_text(editions["internal"])
    index = SiteIndex(editions["internal"])
    for name, marker in MARKERS.items():
        assert any(marker in text for text in texts.values()), name
        assert index.search(marker).docs, name


@pytest.mark.parametrize("audience", ["training", "public"])
def test_no_internal_marker_in_any_byte_of_a_wider_edition(editions: dict[str, Path], audience: str) -> None:
    texts = every_text(editions[audience])
    index = SiteIndex(editions[audience])
    for name, marker in MARKERS.items():
        assert [f for f, text in texts.items() if marker in text] == [], (audience, name)
        assert index.search(marker).docs == {}, (audience, name)
        assert index.search(marker[-5:]).docs == {}, (audience, name)  # the ASCII tail alone
    # excluded pages, downloads and their counts are gone too
    site = editions[audience]
    records = {p.parent.name for p in (site / "records").glob("XF-*/index.html")}
    if audience == "training":  # the records marked training are there, the others not
        assert records >= TRAINING_RECORDS and "XF-2024-0001" not in records and "XF-2023-0011" not in records
    else:
        assert records == set()
    assert not (site / "ledgers").exists() and not (site / "supervision").exists()
    assert not (site / "typical" / "2022-04-1-001").exists()
    assert not (site / "classes" / "LA-006").exists()
    assert not list((site / "downloads").glob("*LA-006*"))
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "2022-04-1-001" not in sitemap and "LA-006" not in sitemap and "XF-2024-0001" not in sitemap


def test_a_public_entry_shows_no_link_or_title_of_its_internal_sources(editions: dict[str, Path]) -> None:
    page = (editions["public"] / "typical" / "2023-03-2-001" / "index.html").read_text(encoding="utf-8")
    assert "records/XF-2023-0011" not in page and MARKERS["title"] not in page


def test_internal_pages_are_marked_and_kept_out_of_search_engines(editions: dict[str, Path]) -> None:
    for audience, site in editions.items():
        page = (site / "index.html").read_text(encoding="utf-8")
        marked = '<meta name="robots" content="noindex, nofollow">' in page and "cb-internal-banner" in page
        assert marked == (audience == "internal"), audience
    entry = (editions["internal"] / "typical" / "2023-03-2-001" / "index.html").read_text(encoding="utf-8")
    assert "内部资料" in entry and "noindex" in entry


def planted_docs(tmp_path: Path, text: str) -> Path:
    """A mkdocs.yml whose docs/ is a copy of the repository's with one page changed."""
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "docs", docs)
    page = docs / "help" / "staff.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n\n{text}\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text((REPO / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    return config


@pytest.mark.parametrize(
    ("planted", "kind"),
    [("联系电话 13812345678。", "手机号码"), ("身份证 11010519491231002X。", "身份证号码"), ("业主张卫东来访。", "受保护姓名")],
)
def test_personal_data_in_any_output_stops_publishing(tmp_path: Path, planted: str, kind: str) -> None:
    """Hand-written pages are validated like the records (issue 13): the build stops before writing anything."""
    library = copy_library(SAMPLE, tmp_path / "cases")
    text = library.read("settings.yaml")
    library.write("settings.yaml", re.sub(r"protected_names:\n", "protected_names:\n  - 张卫东\n", text, count=1))
    out = tmp_path / "site"
    first = build_site(library.root, out)
    assert first.exit_code == 0, first.stdout + first.stderr
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    config = planted_docs(tmp_path, planted)
    from tests.conftest import run_cli

    run = run_cli("build", library.root, "--out", out, "--as-of", AS_OF, "--config", config)
    assert run.exit_code == 1
    message = run.stdout + run.stderr
    assert "docs/help/staff.md:105:" in message and kind in message and "未生成网站" in message
    assert "13812345678" not in message and "11010519491231002X" not in message  # the message masks it
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_personal_data_planted_in_records_fails_validate_at_each_place_and_the_build_keeps_the_old_site(
    tmp_path: Path,
) -> None:
    from tests.conftest import run_cli

    library = copy_library(SAMPLE, tmp_path / "cases")
    out = tmp_path / "site"
    assert build_site(library.root, out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    planted = {
        "records/XF-2022-0003.yaml": "信访人身份证号11010519491231002X。",
        "records/XF-2022-0004.yaml": "联系电话 139 1234 5678。",
        "typical/2022-01-2-001.yaml": "业主王建国多次来访。",  # 王建国 is in the sample's protected_names
    }
    field = {"records/XF-2022-0003.yaml": "summary", "records/XF-2022-0004.yaml": "summary", "typical/2022-01-2-001.yaml": "background"}
    for relative, text in planted.items():
        key = field[relative]
        library.replace(relative, f"\n{key}: |\n", f"\n{key}: |\n  {text}\n")
    run = run_cli("validate", library.root)
    assert run.exit_code == 1
    for relative, key in field.items():
        lines = [line for line in run.stdout.splitlines() if line.startswith(relative + ":") and f": {key}:" in line]
        assert lines, (relative, run.stdout)
        line_number = int(lines[0].split(":")[1])
        assert line_number == library.read(relative).splitlines().index(f"{key}: |") + 2  # the planted line
    for kind in ("身份证号码", "手机号码", "受保护姓名"):
        assert kind in run.stdout
    assert "11010519491231002X" not in run.stdout and "139 1234 5678" not in run.stdout
    build = build_site(library.root, out)
    assert build.exit_code == 1 and "未生成网站" in build.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
