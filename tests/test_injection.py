"""Every value from data is text: an injection corpus planted in every text field of every
document kind, built in all three editions, must come out as literal text everywhere.

The planted library (`planted`) gives each text field a marker of its own (〔F017〕) followed
by the whole corpus, so a page that shows the field shows the corpus, and the test can tell
which field reached which page. A second library with the same shape but harmless text
(`clean`) is built too: the elements and attributes of its pages are the allow-list, so no
element can come from data without the test noticing, whatever the theme writes.

Payloads that validation refuses (links other than relative/http(s)/mailto, personal data,
unknown template placeholders) are planted separately and must be located errors.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from lxml import etree
from lxml import html as lxml_html

from tests.conftest import Scratch, build_site
from tests.test_browser import Watched, browser, serving  # noqa: F401  (browser is a fixture)

EDITIONS = ("internal", "training", "public")

# One piece per kind of trick; joined with spaces into the corpus every field carries.
CORPUS = [
    "注入测试",  # CJK, so the search index and the 类案检索 box find the planted text
    '<script>alert("script")</script>',
    "<img src=x onerror=alert('img')>",
    '"><svg/onload=alert("svg")>',
    "'><b onmouseover=alert('b')>粗</b>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<a href="https://example.org/">外链</a>',
    "<https://example.org/auto>",
    "[相对链接](../records/index.md)",
    "[外部链接](https://example.org/x)",
    "![图片](x.png)",
    "{{ 7*7 }}",
    "{% raw %}原样{% endraw %}",
    "{#注释#}",
    "!!! note",
    ":material-alert: :smile:",
    "[^1]",
    "{: onclick=\"alert('attr')\" }",
    "{ #id .cls }",
    "*斜* __粗__ `码` ~~删~~ ==标== ^^上^^ $x$",
    "<!-- 注释 -->",
    "&lt;b&gt; &amp; &#60;i&#62;",
    "| 表 | 格 |",
    "</textarea></title></style></script>",
    "</title><img src=x onerror=alert('title')>",
]
PAYLOAD = " ".join(CORPUS)
# Block-level Markdown and extension syntax, each a paragraph of a multi-paragraph field.
BLOCKS = ['!!! note "标题"', ": 定义", "- 列表", "1. 编号", "> 引用", "# 标题", "[ ] 待办", "***", "```"]
# Fields where the corpus cannot go as it is: a template body's `{…}` are placeholders
# (refused separately below); a region is a path, so no `/` inside a level.
BODY_PAYLOAD = " ".join(p for p in CORPUS if "{" not in p) + " {title}"
REGION_PAYLOAD = PAYLOAD.replace("/", "")
# Fields never shown in any output (matching rules steer classification; protected names
# exist to be kept out).
NOT_SHOWN = {
    "settings.protected_names",
    "class.matching.topics",
    "class.matching.keywords_any",
    "class.matching.keywords_all",
    "class.matching.exclude",
}


@dataclass
class Planter:
    """Hands out field markers; `harmless` gives the same shape with plain text."""

    harmless: bool
    fields: dict[str, str] = field(default_factory=dict)  # marker → field
    expected: dict[str, list[str]] = field(default_factory=dict)  # marker → texts shown literally

    def text(self, name: str, payload: str = PAYLOAD, blocks: bool = False) -> str:
        marker = f"〔F{len(self.fields):03d}〕"
        self.fields[marker] = name
        body = marker + ("无害文本" if self.harmless else payload)
        self.expected[marker] = [body]
        if blocks:
            extra = ["段落"] * len(BLOCKS) if self.harmless else BLOCKS
            self.expected[marker] += extra
            return "\n\n".join([body, *extra])
        return body


def library(root: Path, harmless: bool) -> Planter:
    """The planted (or clean) library: one class, one entry, two records, all public."""
    p = Planter(harmless)
    t = p.text
    unit_a, unit_b = t("settings.vocabularies.units"), t("settings.vocabularies.units")
    region = f"某市/{t('settings.vocabularies.regions', REGION_PAYLOAD)}/街道"
    channel, kind = t("settings.vocabularies.channels"), t("settings.vocabularies.petitioner_kinds")
    flag, mechanism = t("settings.vocabularies.flags"), t("settings.vocabularies.mechanisms")
    domain = t("settings.vocabularies.domains.name")
    procedure = t("settings.time_limits.procedures (name)")
    limits = {"accept_days": 15, "notify_days": 15, "handle_days": 60, "extension_days": 30}
    limits |= {"review_days": 30, "recheck_days": 30}
    settings = {
        "library": {
            "name": t("settings.library.name"),
            "organization": t("settings.library.organization"),
            "description": t("settings.library.description", blocks=True),
        },
        "vocabularies": {
            "domains": [{"name": domain, "code": "01"}],
            "regions": [region],
            "units": [unit_a, unit_b],
            "channels": [channel],
            "flags": ["集体访", flag],
            "petitioner_kinds": [kind],
            "mechanisms": ["五个一", "双向交办", mechanism],
        },
        "time_limits": {
            "default_procedure": procedure,
            "warning_days": 7,
            "procedures": {procedure: {**limits, "basis": t("settings.time_limits.procedures.basis")}},
        },
        "indicators": [
            {
                "name": t("settings.indicators.name"),
                "definition": t("settings.indicators.definition"),
                "unit": t("settings.indicators.unit"),
                "headline": True,
            }
        ],
        "protected_names": [t("settings.protected_names")],
    }

    def policy(kind: str) -> list[dict[str, str]]:
        return [
            {
                "law": t(f"{kind}.policy_basis.law"),
                "article": t(f"{kind}.policy_basis.article"),
                "note": t(f"{kind}.policy_basis.note"),
            }
        ]

    def revisions(kind: str) -> list[dict[str, Any]]:
        return [
            {
                "date": "2023-08-01",
                "by": t(f"{kind}.revisions.by"),
                "note": t(f"{kind}.revisions.note"),
                "version": t(f"{kind}.revisions.version"),
            }
        ]

    tag = t("record/typical.tags")
    case_class = {
        "id": "LA-001",
        "name": t("class.name"),
        "domain": domain,
        "summary": t("class.summary", blocks=True),
        "criteria": [t("class.criteria")],
        "matching": {
            "topics": [t("class.matching.topics")],
            "keywords_any": [t("class.matching.keywords_any")],
            "keywords_all": [t("class.matching.keywords_all")],
            "exclude": [t("class.matching.exclude")],
        },
        "policy_basis": policy("class"),
        "responsibilities": {
            "locality": t("class.responsibilities.locality"),
            "department": t("class.responsibilities.department"),
            "dual_assignment": t("class.responsibilities.dual_assignment"),
            "coordination": t("class.responsibilities.coordination"),
        },
        "steps": [
            {
                "name": t("class.steps.name"),
                "actor": t("class.steps.actor"),
                "action": t("class.steps.action"),
                "days": 15,
                "document": t("class.steps.document"),
            },
            {"name": t("class.steps.name"), "actor": "区信访局", "action": "办理"},
        ],
        "methods": [{"route": "依法解决", "when": t("class.methods.when"), "how": t("class.methods.how")}],
        "risks": [{"risk": t("class.risks.risk"), "measures": [t("class.risks.measures")]}],
        "templates": [
            {
                "name": t("class.templates.name"),
                "purpose": t("class.templates.purpose", blocks=True),
                "body": t("class.templates.body", BODY_PAYLOAD),
            }
        ],
        "batch": {"group_by": "subject", "description": t("class.batch.description", blocks=True)},
        "checklist": [t("class.checklist")],
        "version": t("class.version"),
        "publisher": t("class.publisher"),
        "published": "2023-07-01",
        "revisions": revisions("class"),
        "visibility": "public",
    }

    def record(number: int, closed: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": f"XF-2023-000{number}",
            "title": t("record.title"),
            "received": "2023-03-06",
            "channel": channel,
            "category": "申诉求决类",
            "domain": domain,
            "topic": t("record.topic"),
            "region": region,
            "subject": t("record.subject"),
            "petitioners": {"count": 23, "kind": kind, "representatives": 5, "note": t("record.petitioners.note")},
            "flags": ["集体访", flag],
            "procedure": procedure,
            "summary": t("record.summary", blocks=True),
            "demands": [t("record.demands")],
            "units": {
                "lead": unit_a,
                "assist": [unit_b],
                "dual": {"locality": unit_a, "department": unit_b},
            },
            "lead_official": t("record.lead_official"),
            "five_ones": {
                "leader": t("record.five_ones.leader"),
                "team": t("record.five_ones.team"),
                "plan": t("record.five_ones.plan"),
                "analysis": t("record.five_ones.analysis"),
                "stability": t("record.five_ones.stability"),
            },
            "mechanisms": ["五个一", "双向交办", mechanism],
            "stages": [
                {"stage": "登记", "date": "2023-03-06", "unit": unit_a, "note": t("record.stages.note")},
                {"stage": "受理", "date": "2023-03-08", "unit": unit_a, "document": t("record.stages.document")},
                {"stage": "延期", "date": "2023-05-05", "days": 30, "reason": t("record.stages.reason")},
            ],
            "class": "LA-001",
            "tags": [tag],
            "policy_basis": policy("record"),
            "visibility": "public",
        }
        if closed:
            data["stages"].append({"stage": "答复", "date": "2023-05-30", "unit": unit_b})
            data["resolution"] = {
                "route": "依法解决",
                "decision": "支持",
                "outcome": "已化解",
                "closed": "2023-06-20",
                "satisfaction": {"unit": "满意", "office": "基本满意"},
                "funds": {"amount": 12.5, "source": t("record.resolution.funds.source")},
                "note": t("record.resolution.note", blocks=True),
            }
        return data

    entry = {
        "id": "2023-01-2-001",
        "title": t("typical.title"),
        "subtitle": t("typical.subtitle"),
        "keywords": [t("typical.keywords")],
        "class": "LA-001",
        "domain": domain,
        "region": region,
        "records": ["XF-2023-0001", "XF-2023-0002"],
        "background": t("typical.background", blocks=True),
        "difficulties": [t("typical.difficulties")],
        "process": [{"date": "2023-03-10", "action": t("typical.process.action")}],
        "results": t("typical.results", blocks=True),
        "metrics": [{"name": t("typical.metrics.name"), "value": 180, "unit": t("typical.metrics.unit")}],
        "method": [t("typical.method")],
        "lessons": [t("typical.lessons")],
        "applicability": [t("typical.applicability")],
        "policy_basis": policy("typical"),
        "routes": ["依法解决"],
        "outcome": "已化解",
        "mechanisms": [mechanism],
        "tags": [tag],
        "review": {"status": "published", "reviewer": t("typical.review.reviewer"), "date": "2023-07-10"},
        "revisions": revisions("typical"),
        "visibility": "public",
    }
    documents = {
        "settings.yaml": settings,
        "classes/LA-001.yaml": case_class,
        "records/XF-2023-0001.yaml": record(1, closed=True),
        "records/XF-2023-0002.yaml": record(2, closed=False),
        "typical/2023-01-2-001.yaml": entry,
    }
    for relative, data in documents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    return p


@dataclass
class Built:
    planter: Planter
    sites: dict[str, Path]  # edition → site


def _build_all(root: Path, harmless: bool) -> Built:
    planter = library(root / "lib", harmless)
    sites = {}
    for edition in EDITIONS:
        out = root / f"site-{edition}"
        run = build_site(root / "lib", out, "--audience", edition)
        assert run.exit_code == 0, run.stdout + run.stderr
        sites[edition] = out
    return Built(planter, sites)


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build_all(tmp_path_factory.mktemp("planted"), harmless=False)


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build_all(tmp_path_factory.mktemp("clean"), harmless=True)


# ── reading the outputs ─────────────────────────────────────────────────────


def page_type(relative: str) -> str:
    """The kind of output a file is, for the coverage count."""
    parts = relative.split("/")
    if relative.endswith(".svg"):
        return "flow diagram (SVG)"
    if relative.endswith(".json"):
        return "similar model (JSON)" if parts[-1] == "similar.json" else "search data (JSON)"
    if relative == "index.html":
        return "home"
    if relative == "404.html":
        return "404"
    if len(parts) == 2:
        return parts[0]
    if parts[0] in ("typical", "records", "classes", "ledgers") and len(parts) == 3:
        return {"typical": "typical entry", "records": "record", "classes": "class guide", "ledgers": "ledger"}[
            parts[0]
        ]
    return "hand-written page"


def outputs(site: Path, suffix: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(site.rglob(f"*{suffix}")):
        yield path.relative_to(site).as_posix(), path


def signatures(tree: Any) -> set[tuple[str, tuple[str, ...], str]]:
    """(tag, attribute names, class) of every element: what a page is made of."""
    return {
        (str(el.tag), tuple(sorted(el.attrib)), el.get("class", "")) for el in tree.iter() if isinstance(el.tag, str)
    }


def texts_and_attributes(tree: Any) -> list[str]:
    """The page's text as a reader sees it (whole elements, so escaped markup reads as
    written) and every attribute value, each as one string."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    found = ["".join(root.itertext())]
    for el in root.iter():
        if isinstance(el.tag, str):
            found += list(el.attrib.values())
    return found


def check_markers(strings: list[str], planter: Planter, where: str) -> set[str]:
    """Every marker shown must be followed by its whole text, literally; the markers shown."""
    shown = set()
    for text in strings:
        for marker in re.findall(r"〔F\d{3}〕", text):
            shown.add(marker)
            for piece in planter.expected[marker]:
                if piece.startswith(marker):
                    assert piece in text, f"{where}: {planter.fields[marker]} is not shown literally"
                else:
                    assert piece in strings[0], f"{where}: {planter.fields[marker]}: block {piece!r} not literal"
    return shown


DANGEROUS_URL = re.compile(r"^\s*(javascript|data|vbscript|file):", re.IGNORECASE)


def check_element_safety(tree: Any, where: str) -> None:
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: event attribute {name} on <{el.tag}>"
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "srcdoc"):
                assert not DANGEROUS_URL.match(value), f"{where}: {name}={value!r}"
                # the corpus's allowed links (https, relative) stay text too
                assert not re.search(r"example\.org|x\.png|#id\b", value), f"{where}: {name}={value!r} from data"
        if el.tag in ("script", "style"):
            assert "alert" not in (el.text or ""), f"{where}: <{el.tag}> from data"


@dataclass
class Coverage:
    combos: set[tuple[str, str, str]] = field(default_factory=set)  # (field, page type, edition)


@pytest.fixture(scope="session")
def coverage(planted: Built, clean: Built) -> Coverage:
    """Parse every output of every edition once; the checks run as it goes."""
    found = Coverage()
    for edition in EDITIONS:
        site, reference = planted.sites[edition], clean.sites[edition]
        for relative, path in outputs(site, ".html"):
            tree = lxml_html.parse(str(path))
            check_element_safety(tree, f"{edition}/{relative}")
            clean_path = reference / relative
            assert clean_path.is_file(), f"{edition}/{relative} has no counterpart in the clean build"
            extra = signatures(tree) - signatures(lxml_html.parse(str(clean_path)))
            assert not extra, f"{edition}/{relative}: elements not in the clean build: {sorted(extra)}"
            shown = check_markers(texts_and_attributes(tree), planted.planter, f"{edition}/{relative}")
            found.combos |= {(planted.planter.fields[m], page_type(relative), edition) for m in shown}
        for relative, path in outputs(site, ".svg"):
            tree = etree.parse(str(path))
            check_element_safety(tree, f"{edition}/{relative}")
            extra = signatures(tree) - signatures(etree.parse(str(reference / relative)))
            assert not extra, f"{edition}/{relative}: elements not in the clean build: {sorted(extra)}"
            # a box's text is wrapped into <text> lines: joined, they give the value back
            lines = ["".join(el.text or "" for el in tree.iter("{*}text", "{*}title")), *texts_and_attributes(tree)[1:]]
            shown = check_markers(lines, planted.planter, f"{edition}/{relative}")
            found.combos |= {(planted.planter.fields[m], page_type(relative), edition) for m in shown}
        for relative, path in outputs(site, ".docx"):
            # the Word guide (pandoc): no element (hyperlink, picture, field …) beyond the
            # clean guide's; its text is not compared, pandoc makes quotes typographic
            clean_docx = next(reference.glob("downloads/guide-LA-001-*.docx"))
            tags, text = docx_body(path)
            extra = tags - docx_body(clean_docx)[0]
            assert not extra, f"{edition}/{relative}: Word elements not in the clean guide: {sorted(extra)}"
            shown = set(re.findall(r"〔F\d{3}〕", text))
            found.combos |= {(planted.planter.fields[m], "Word guide", edition) for m in shown}
        for relative, path in outputs(site, ".json"):
            raw = path.read_text(encoding="utf-8")
            strings = list(json_strings(json.loads(raw)))  # parses: the payload broke nothing
            in_strings = sum(len(re.findall(r"〔F\d{3}〕", s)) for s in strings)
            assert len(re.findall(r"〔F\d{3}〕", raw)) == in_strings, f"{edition}/{relative}: data outside strings"
            shown = {m for s in strings for m in re.findall(r"〔F\d{3}〕", s)}
            found.combos |= {(planted.planter.fields[m], page_type(relative), edition) for m in shown}
    return found


def docx_body(path: Path) -> tuple[set[str], str]:
    """The element names of a .docx's body and its text."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    tags = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
    text = "".join(el.text or "" for el in root.iter("{*}t"))
    return tags, text


def json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


# ── the tests ───────────────────────────────────────────────────────────────


def test_the_planted_library_is_valid_and_plants_every_text_field(planted: Built) -> None:
    from generator.validate import check_library

    _, problems = check_library(planted.sites["internal"].parent / "lib")
    assert [str(p) for p in problems] == []
    assert len(set(planted.planter.fields.values())) >= 70


def test_every_page_of_every_edition_shows_planted_text_only_as_text(planted: Built, coverage: Coverage) -> None:
    fields_shown = {f for f, _, _ in coverage.combos}
    all_fields = set(planted.planter.fields.values())
    assert all_fields - fields_shown == NOT_SHOWN, "a planted field reached no output (or a hidden one did)"
    per_edition = Counter(edition for _, _, edition in coverage.combos)
    page_types = {t for _, t, _ in coverage.combos}
    print(
        f"\ncorpus: {len(CORPUS)} inline payloads + {len(BLOCKS)} block payloads "
        f"({len(PAYLOAD)} characters) in {len(all_fields)} fields ({len(planted.planter.fields)} values); "
        f"{len(coverage.combos)} field × page type × edition combinations "
        f"({', '.join(f'{e} {per_edition[e]}' for e in EDITIONS)}) over {len(page_types)} page types"
    )
    assert len(coverage.combos) >= 500
    for expected in (
        *("home", "typical entry", "record", "class guide", "ledger", "tags", "policy", "search", "Word guide"),
        *("flow diagram (SVG)", "search data (JSON)", "similar model (JSON)"),
    ):
        assert expected in page_types, expected
    assert {e for _, _, e in coverage.combos} == set(EDITIONS)


def test_jinja_syntax_in_data_is_never_evaluated(planted: Built) -> None:
    page = (planted.sites["internal"] / "records" / "XF-2023-0001" / "index.html").read_text(encoding="utf-8")
    text = "".join(lxml_html.fromstring(page).itertext())
    assert text.count("{{ 7*7 }}") >= 10 and "{% raw %}原样{% endraw %}" in text


def test_nav_site_name_and_copyright_are_text(planted: Built) -> None:
    tree = lxml_html.parse(str(planted.sites["internal"] / "tags" / "index.html"))
    name = planted.planter.expected[_marker(planted, "settings.library.name")][0]
    organization = planted.planter.expected[_marker(planted, "settings.library.organization")][0]
    class_name = planted.planter.expected[_marker(planted, "class.name")][0]
    assert tree.xpath("//title")[0].text.endswith(" - " + name)
    logo = tree.xpath("//a[contains(@class, 'md-logo')]")[0]
    assert logo.get("aria-label") == name and logo.get("title") == name  # escaped once, not twice
    assert organization in "".join(tree.xpath("//div[@class='md-copyright__highlight']")[0].itertext())
    assert any(class_name in "".join(a.itertext()) for a in tree.xpath("//nav//a"))


def _marker(built: Built, name: str) -> str:
    return next(m for m, f in built.planter.fields.items() if f == name)


def test_tag_anchors_from_data_are_safe_and_the_links_reach_them(planted: Built) -> None:
    site = planted.sites["internal"]
    tags = lxml_html.parse(str(site / "tags" / "index.html"))
    ids = {el.get("id") for el in tags.iter() if isinstance(el.tag, str) and el.get("id")}
    record = lxml_html.parse(str(site / "records" / "XF-2023-0001" / "index.html"))
    links = [a.get("href") for a in record.iter("a") if "tags/#" in (a.get("href") or "")]
    assert links
    for href in links:
        anchor = href.split("#", 1)[1]
        assert re.fullmatch(r"tag-[\w-]+", anchor), anchor
        assert anchor in ids


# ── refused payloads ────────────────────────────────────────────────────────

REFUSED_LINKS = [  # (value, where the scheme starts, scheme reported)
    ("[点我](javascript:alert(1))", "javascript", "javascript"),
    ("见 <a href='data:text/html,x'>附件</a>", "data", "data"),
    ("JaVa&#x09;ScRipt&colon;alert(1)", "JaVa", "javascript"),
    ("&#118;bscript:msgbox(1)", "&#118;", "vbscript"),
    ("jav&#x0A;ascript:alert(1)", "jav", "javascript"),
    ("DATA:text/html;base64,PHNjcmlwdD4=", "DATA", "data"),
    ("file:///etc/passwd", "file", "file"),
    ("[附件](ftp://example.org/a)", "ftp", "ftp"),
    ("java\\tscript:alert(1)", None, None),  # a backslash and t: no scheme a browser reads
    ("相对 [链接](../x.md) 与 https://example.org 和 mailto:x@example.org 注：可以 Note: ok", None, None),
]


@pytest.mark.parametrize(("text", "needle", "scheme"), REFUSED_LINKS)
def test_links_other_than_relative_http_and_mailto_are_located_errors(
    mini: Scratch, text: str, needle: str | None, scheme: str | None
) -> None:
    line = "title: 某小区业主反映不动产权证书无法办理"
    mini.replace("records/XF-2023-0001.yaml", line, f"title: {json.dumps(text, ensure_ascii=False)}")
    problems = [p for p in mini.problems() if "链接" in p]
    if needle is None:
        assert problems == []
        return
    # the value is a YAML double-quoted string after `title: "`; a column counts characters
    column = len('title: "') + len(json.dumps(text[: text.index(needle)], ensure_ascii=False)) - 1
    assert problems == [
        f"records/XF-2023-0001.yaml:2:{column}: title: "
        f"链接只允许相对地址和 http、https、mailto 地址，不允许 {scheme}: 链接（请删除该地址）"
    ]


def test_disallowed_links_in_every_document_kind_are_reported_together(mini: Scratch) -> None:
    mini.replace("records/XF-2023-0001.yaml", "  - 尽快办理不动产权证书", "  - 尽快办理 javascript:alert(1)")
    mini.replace("typical/2023-01-2-001.yaml", "results: 首批180户办证。", "results: 首批 [办证](data:x)")
    mini.replace("classes/LA-001.yaml", "summary: 开发商", "summary: vbscript:x 开发商")
    mini.replace("settings.yaml", "organization: 某市信访局", "organization: 某市 <a href=file:///x>信访局</a>")
    message = "链接只允许相对地址和 http、https、mailto 地址，不允许 {}: 链接（请删除该地址）"
    assert [p for p in mini.problems() if "链接" in p] == [
        "classes/LA-001.yaml:4:10: summary: " + message.format("vbscript"),
        "records/XF-2023-0001.yaml:19:10: demands[0]: " + message.format("javascript"),
        "settings.yaml:3:28: library.organization: " + message.format("file"),
        "typical/2023-01-2-001.yaml:13:18: results: " + message.format("data"),
    ]


def test_refused_payloads_stop_the_build_with_located_errors(mini: Scratch, tmp_path: Path) -> None:
    mini.replace("records/XF-2023-0001.yaml", "  - 尽快办理不动产权证书", "  - 联系 13912345678 [x](javascript:y)")
    run = build_site(mini.root, tmp_path / "site", "--audience", "public")
    assert run.exit_code == 1 and not (tmp_path / "site").exists()
    assert "records/XF-2023-0001.yaml:19:8: demands[0]: 含有手机号码（*******5678）" in run.stdout + run.stderr
    assert "records/XF-2023-0001.yaml:19:24: demands[0]: 链接只允许" in run.stdout + run.stderr


def test_jinja_braces_in_a_template_body_are_placeholders_refused_by_name(mini: Scratch) -> None:
    mini.write(
        "classes/LA-001.yaml",
        mini.read("classes/LA-001.yaml") + "templates:\n  - {name: 告知书, body: '{{ 7*7 }}'}\n",
    )
    assert any("未知占位符 { 7*7 }" in p for p in mini.problems())


# ── in a browser ────────────────────────────────────────────────────────────


def test_every_page_type_in_chromium_fires_no_dialog_and_logs_no_error(
    planted: Built,
    browser: object,  # noqa: F811
) -> None:
    for edition in EDITIONS:
        with serving(planted.sites[edition]) as base:
            visit_edition(browser, planted.sites[edition], base, edition)


def visit_edition(chromium: Any, site: Path, base: str, edition: str) -> None:
    """Every page type, the flow diagram, a search that hits the planted text, the 类案检索 box."""
    by_type: dict[str, str] = {}
    for relative, _ in outputs(site, ".html"):
        by_type.setdefault(page_type(relative), relative)
    watched = Watched(chromium, base)
    dialogs: list[str] = []
    watched.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    failed = watched.errors
    watched.page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for relative in by_type.values():
        watched.page.goto(base + relative.removesuffix("index.html"))
        watched.page.wait_for_load_state("networkidle")
    # the flow diagram opened on its own, where a script in it would run (Chromium then
    # asks for /favicon.ico, a 404 console message that is not ours: a page of its own)
    svg_page = chromium.new_page()
    svg_page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for relative, _ in outputs(site, ".svg"):
        svg_page.goto(base + relative)
        svg_page.wait_for_load_state("networkidle")
        assert svg_page.evaluate("document.querySelectorAll('script, foreignObject').length") == 0
    svg_page.close()
    # search: a query that hits the planted text, so the snippets show it
    watched.page.goto(f"{base}search/?q={quote('注入测试')}")
    watched.page.wait_for_selector(".cb-snippet")
    snippets = watched.page.eval_on_selector_all(".cb-snippet", "els => els.map(e => e.textContent)")
    assert any("<script>" in s or "onerror" in s or "{{ 7*7 }}" in s for s in snippets), snippets
    titles = watched.page.eval_on_selector_all(".cb-item > a", "els => els.map(e => e.textContent)")
    assert any("<img src=x onerror=alert('img')>" in t for t in titles), titles
    assert watched.page.locator(".cb-results script, .cb-results img, .cb-results svg, .cb-results iframe").count() == 0
    # the facets of a list show planted vocabulary values (tags, regions) as labels
    watched.page.goto(f"{base}typical/")
    watched.page.wait_for_selector(".cb-count[data-cb-total]")
    assert watched.page.locator(".cb-facets script, .cb-facets img, .cb-facets svg").count() == 0
    # the 类案检索 box with the planted text
    watched.page.goto(f"{base}similar/")
    watched.page.fill(".cb-similar-input", PAYLOAD)
    watched.page.click(".cb-similar-run")
    watched.page.wait_for_selector(".cb-similar-results li")
    results = watched.page.locator(".cb-similar-results")
    assert results.locator("script, img, svg, iframe, b").count() == 0
    assert "<svg/onload" in results.text_content()
    watched.page.wait_for_timeout(200)
    assert dialogs == [], (edition, dialogs)
    watched.close()
