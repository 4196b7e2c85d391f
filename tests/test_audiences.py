"""Issues 5 and 13: what an edition excludes is nowhere in it, internal pages say so, and leaks stop the build.

Markers are planted in internal-only records, entries and classes of a copy
of the sample; every byte of every file of the training and public builds
is searched for them (Word and Excel unzipped and unescaped, the search
index queried as the browser would), while the internal build has them all.
The same goes for the id of every excluded record, entry and class, and the
derived models of the wider editions are walked for internal-only fields and
excluded ids: they are removed when the model is derived, not hidden by templates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from generator.contract import CaseRecord, Petitioners
from generator.derive.site import SiteModel, derive_site
from generator.library import Library
from generator.search.query import SiteIndex
from generator.validate import check_library
from tests.conftest import AS_OF, REPO, SAMPLE, Scratch, build_site, copy_library, run_cli

MARKERS = {
    "record": "内部记录标记ZQXJA",  # XF-2024-0001 (internal) summary
    "entry": "内部案例标记ZQXJB",  # 2022-04-1-001 (internal) background
    "class": "内部类案标记ZQXJC",  # LA-006 (internal) summary
    "title": "来源记录标记ZQXJD",  # title of XF-2023-0011, an internal source record of public entry 2023-03-2-001
    "field": "包案领导标记ZQXJE",  # lead_official of XF-2021-0002, a record marked training: an internal-only field
}
TRAINING_RECORDS = {"XF-2021-0002", "XF-2021-0007", "XF-2021-0012"}  # some of the records marked training


# Planted in XF-2021-0002 (marked training): free text citing an internal class, entry and record.
CITING = "本事项参照同类做法（LA-006、2022-04-1-001），另见 XF-2024-0001。"
# Which visibility values each edition shows (README, 三个版本), written out here rather than
# taken from generator/edition.py, so that a wrong declaration there fails these tests.
SHOWN = {"training": {"training", "public"}, "public": {"public"}}


def plant(library: Scratch) -> None:
    library.replace("records/XF-2021-0002.yaml", "summary: |\n", f"summary: |\n  {CITING}\n")
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
                out[relative] = html.unescape(
                    "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
                )
        else:
            out[relative] = html.unescape(path.read_bytes().decode("utf-8", "replace"))
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    library = copy_library(SAMPLE, tmp_path_factory.mktemp("audiences") / "cases")
    plant(library)
    return library


@pytest.fixture(scope="module")
def editions(planted: Scratch) -> dict[str, Path]:
    library, root = planted, planted.root.parent
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


def excluded_ids(library: Library, audience: str) -> set[str]:
    """Ids of the records, entries and classes that `audience` leaves out."""
    documents = [doc.model for doc in [*library.records, *library.typical, *library.classes]]
    return {d.id for d in documents if d.visibility not in SHOWN[audience]}


def hand_written_ids() -> set[str]:
    """Ids the repository's own help pages give as examples: the site author's words, in every edition."""
    pattern = re.compile(r"XF-\d{4}-\d{4}|LA-\d{3}|\d{4}-\d{2}-[12]-\d{3}")
    return {m for page in (REPO / "docs").rglob("*.md") for m in pattern.findall(page.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("audience", ["training", "public"])
def test_no_excluded_id_in_any_byte_of_a_wider_edition(
    editions: dict[str, Path], planted: Scratch, audience: str
) -> None:
    library, problems = check_library(planted.root)
    assert problems == []
    excluded = excluded_ids(library, audience) - hand_written_ids()
    assert {"LA-006", "2022-04-1-001", "XF-2021-0001", "XF-2022-0016"} <= excluded
    # The search data is in every_text as it is written (its text files hold the page texts);
    # a query for an id would match its pieces (2023, 001) anywhere.
    texts = every_text(editions[audience])
    found = {(f, i) for f, text in texts.items() for i in re.findall("|".join(sorted(excluded)), text)}
    assert found == set()


def test_an_excluded_id_in_free_text_is_written_without_it(editions: dict[str, Path]) -> None:
    """The README's promise: an included document names no excluded record, entry or class."""
    page = PageText.of(editions["training"] / "records" / "XF-2021-0002" / "index.html")
    assert "本事项参照同类做法（未收录的类案、未收录的典型案例），另见 （未收录的信访事项）。" in page.text
    entry = PageText.of(editions["training"] / "typical" / "2021-02-2-001" / "index.html")
    assert (
        "补偿款尾款 1743 万元拖欠引发阻工（未收录的信访事项），柳湾村出嫁女被排除在分配之外（XF-2021-0002）"
        in entry.text
    )
    assert "另有 5 件信访事项，案例记录仅在内部版查阅。" in entry.text  # 0001, 0003-0006: counted, never named
    internal = PageText.of(editions["internal"] / "typical" / "2021-02-2-001" / "index.html")
    assert "补偿款尾款 1743 万元拖欠引发阻工（XF-2021-0001）" in internal.text


class PageText(HTMLParser):
    """A built page's text, its table rows (cell texts) and its similar-case reasons."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.rows: list[list[str]] = []
        self.reasons: list[str] = []
        self._cell: list[str] | None = None
        self._reason: list[str] | None = None

    @classmethod
    def of(cls, path: Path) -> PageText:
        parser = cls()
        parser.feed(path.read_text(encoding="utf-8"))
        return parser

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "span" and "cb-reason" in (dict(attrs).get("class") or ""):
            self._reason = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "span" and self._reason is not None:
            self.reasons.append("".join(self._reason))
            self._reason = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        for collecting in (self._cell, self._reason):
            if collecting is not None:
                collecting.append(data)


def test_an_entry_whose_class_is_internal_shows_no_class_in_training(editions: dict[str, Path]) -> None:
    """Finding 10: 2022-05-1-001 (training) belongs to LA-006 (internal); its page, its similar-case
    reasons and the 类案检索 model showed LA-006."""
    site = editions["training"]
    entry = PageText.of(site / "typical" / "2022-05-1-001" / "index.html")
    labels = [row[0] for row in entry.rows if row]
    assert "入库编号" in labels and "所属类案" not in labels
    record = PageText.of(site / "records" / "XF-2022-0015" / "index.html")  # LA-006 too, marked training
    assert "所属类案" not in [row[0] for row in record.rows if row]
    assert "共同关键词：执行不能、赔偿款、判决、法院；共同标签：交通事故、司法救助、因案致贫" in record.reasons[0]
    assert [r for r in entry.reasons + record.reasons if "同属类案" in r or "LA-006" in r] == []
    model = json.loads((site / "assets" / "casebook" / "similar.json").read_text(encoding="utf-8"))
    (exported,) = [e for e in model["entries"] if e["id"] == "2022-05-1-001"]
    assert (exported["class"], exported["className"]) == (None, None)
    internal = PageText.of(editions["internal"] / "typical" / "2022-05-1-001" / "index.html")
    assert ["所属类案", "LA-006 涉法涉诉导入法定途径"] in internal.rows


def test_the_home_page_says_what_its_counts_count(editions: dict[str, Path]) -> None:
    """Records are counted only where every record is in the edition; the training edition
    has some records but counts its typical entries, and used to call them 案例记录."""
    heads = {
        audience: [
            p for p in PageText.of(site / "index.html").text.split("\n") if p.endswith("数量（" + label + "）：")
        ]
        for (audience, site), label in zip(editions.items(), ("内部版", "培训版", "公开版"), strict=True)
    }
    assert heads == {
        "internal": ["案例记录数量（内部版）："],
        "training": ["典型案例数量（培训版）："],
        "public": ["典型案例数量（公开版）："],
    }


# ── the derived models ──────────────────────────────────────────────────────


def walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every value inside a derived site model (dataclasses, pydantic models, dicts, lists), with its path."""
    yield path, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from walk(getattr(value, name), (*path, name))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from walk(getattr(value, item.name), (*path, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(key, (*path, "key"))
            yield from walk(item, (*path, key))
    elif isinstance(value, list | tuple | set | frozenset):
        for number, item in enumerate(value):
            yield from walk(item, (*path, number))


@pytest.fixture(scope="module")
def wide_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The planted sample with XF-2021-0002 (包案领导, 五个一, 信访人说明, CITING) marked public."""
    library = copy_library(SAMPLE, tmp_path_factory.mktemp("models") / "cases")
    plant(library)
    library.replace("records/XF-2021-0002.yaml", "\nvisibility: training", "\nvisibility: public")
    loaded, problems = check_library(library.root)
    assert problems == []
    return loaded


@pytest.fixture(scope="module")
def models(wide_library: Library) -> dict[str, SiteModel]:
    as_of = dt.date.fromisoformat(AS_OF)
    return {audience: derive_site(wide_library, audience, as_of) for audience in ("internal", "training", "public")}


INTERNAL_ONLY = [(CaseRecord, "lead_official"), (CaseRecord, "five_ones"), (Petitioners, "note")]


@pytest.mark.parametrize("audience", ["training", "public"])
def test_a_wider_edition_model_holds_no_internal_only_field(models: dict[str, SiteModel], audience: str) -> None:
    found = [
        (path, name)
        for path, value in walk(models[audience])
        for kind, name in INTERNAL_ONLY
        if isinstance(value, kind) and getattr(value, name) is not None
    ]
    assert found == []
    (shown,) = [v.record for v in models[audience].records if v.record.id == "XF-2021-0002"]
    (source,) = [v.record for v in models["internal"].records if v.record.id == "XF-2021-0002"]
    assert source.lead_official == MARKERS["field"] and source.five_ones and source.petitioners.note
    assert (shown.title, shown.petitioners.count) == (source.title, source.petitioners.count)


@pytest.mark.parametrize("audience", ["training", "public"])
def test_a_wider_edition_model_names_no_excluded_id(
    models: dict[str, SiteModel], wide_library: Library, audience: str
) -> None:
    excluded = excluded_ids(wide_library, audience)
    pattern = re.compile("|".join(sorted(excluded)))
    found = [
        (path, value) for path, value in walk(models[audience]) if isinstance(value, str) and pattern.search(value)
    ]
    assert found == []
    (view,) = [v for v in models[audience].records if v.record.id == "XF-2021-0002"]
    assert view.record.summary.startswith(
        "本事项参照同类做法（未收录的类案、未收录的典型案例），另见 （未收录的信访事项）。"
    )


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("阻工（XF-2021-0001），柳湾", "阻工（未收录的信访事项），柳湾"),
        ("参照（LA-006、2022-04-1-001）办理", "参照（未收录的类案、未收录的典型案例）办理"),
        ("另见 XF-2021-0001。", "另见 （未收录的信访事项）。"),
        ("第一行。\nXF-2021-0001 另案办理", "第一行。\n（未收录的信访事项） 另案办理"),
        ("（甲）XF-2021-0001（乙）", "（甲）（未收录的信访事项）（乙）"),
        ("编号XF-2021-00012", "编号（未收录的信访事项）2"),
        ("与 XF-2021-0002 同属一个项目（LA-002）", "与 XF-2021-0002 同属一个项目（LA-002）"),  # both training
    ],
)
def test_how_a_training_record_writes_an_excluded_id(wide_library: Library, text: str, written: str) -> None:
    from generator.edition import EDITIONS

    documents = [doc.model for doc in [*wide_library.records, *wide_library.typical, *wide_library.classes]]
    (source,) = [m for m in documents if m.id == "XF-2021-0012"]  # marked training
    shown = EDITIONS["training"].select(documents).record(source.model_copy(update={"summary": text}))
    assert shown.summary == written


def test_validate_warns_where_free_text_cites_an_id_its_edition_excludes(mini: Scratch) -> None:
    """A warning, located, with exit code 0; the build writes the text without the id."""
    record, entry = "records/XF-2023-0001.yaml", "typical/2023-01-2-001.yaml"
    mini.replace(record, "约300户业主无法办理不动产权证书。", "约300户业主无法办理不动产权证书（XF-2023-0002）。")
    mini.replace(entry, "background: 约300户业主无法办证。", "background: 约300户业主无法办证，参照 LA-001 办理。")
    run = run_cli("validate", mini.root)
    assert run.exit_code == 0
    assert run.stdout.splitlines() == [
        f"{record}:17:21: summary: 警告：引用了培训版不收录的信访事项 XF-2023-0002，培训版中写作“未收录的信访事项”",
        f"{entry}:8:28: background: 警告：引用了公开版不收录的类案 LA-001，公开版中写作“（未收录的类案）”",
    ]
    assert run.stderr.splitlines()[-1] == f"{mini.root}: 未发现问题，2 个警告"
    mini.replace(record, "domain: 城乡建设", "domain: 城乡建筑")  # an error as well: exit 1, both listed
    run = run_cli("validate", mini.root)
    assert run.exit_code == 1
    assert [line.split(": ", 1)[0] for line in run.stdout.splitlines()] == [
        f"{record}:6:9",
        f"{record}:17:21",
        f"{entry}:8:28",
    ]
    assert run.stderr.splitlines()[-1] == "共 1 个问题，2 个警告"


def test_no_warning_for_an_internal_only_field_the_edition_never_shows(mini: Scratch) -> None:
    """信访人说明 and 包案领导 are removed from the training model, so an id in them is never published."""
    record = "records/XF-2023-0001.yaml"
    mini.replace(record, "  representatives: 5\n", "  representatives: 5\n  note: 与 XF-2023-0002 为同一批业主\n")
    mini.replace(record, "subject: 某某小区\n", "subject: 某某小区\nlead_official: 区委副书记（另包案 XF-2023-0002）\n")
    run = run_cli("validate", mini.root)
    assert (run.exit_code, run.stdout) == (0, "")


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
    [
        ("联系电话 13812345678。", "手机号码"),
        ("身份证 11010519491231002X。", "身份证号码"),
        ("业主张卫东来访。", "受保护姓名"),
    ],
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
    field = {
        "records/XF-2022-0003.yaml": "summary",
        "records/XF-2022-0004.yaml": "summary",
        "typical/2022-01-2-001.yaml": "background",
    }
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
