"""Class guides → the guide page, its flow diagram, its Word edition; and the 政策依据 index page.

The policy index lists, under every article, who cites it: at 10,000 records it is a big
page, written as HTML (templates/policy.html.j2, see site_html.py) from rows prepared here.

The page and the Word file are rendered from the same section list
(derive/guide.py), so both carry the same numbered headings in the same
order. The Word file is a publication: its date is the guide's publish date
(not the build date), and its file name carries the version, so a trainer
can tell printed editions apart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import REVIEW_LABELS
from ..derive.guide import Citation, CitedLaw, GuideExtras, chinese_number, guide_sections, law_anchors
from ..derive.ledger import GROUP_LABELS, LEDGER_STATES, OUTCOMES
from ..derive.site import ClassView, SiteModel
from ..memo import BlobMemo, remembered
from ..workdir import scratch
from .flow import flow_svg, size_of
from .pages import render, render_html
from .text import join_lines

POLICY_PAGE = "policy.md"
FILE_PART_LIMIT = 32  # characters of a data value kept in a file name
TEXT_WIDTH_MM, MAX_FIGURE_MM = 156, 200  # GB/T 9704 text area 156 × 225 mm, room left for a caption


def docx_path(view: ClassView) -> str:
    c = view.case_class
    return f"downloads/guide-{c.id}-v{file_part(c.version)}.docx"


def file_part(text: str) -> str:
    """A piece of a file name taken from data (the guide's version): as written when it is
    short and only letters, digits, `.`, `-` and `_`; otherwise the first of those characters
    and a short hash, so the name stays inside its folder and within file name limits, needs
    no quoting in a link and still tells versions apart."""
    if re.fullmatch(rf"[\w.-]{{1,{FILE_PART_LIMIT}}}", text) and not text.startswith("."):
        return text
    kept = re.sub(r"[^\w.-]+", "_", text).strip("._")[:FILE_PART_LIMIT].rstrip("._")
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{kept}-{digest}" if kept else digest


def flow_path(view: ClassView) -> str:
    """Beside the guide page (classes/LA-001.md links it as LA-001-flow.svg)."""
    return f"classes/{view.case_class.id}-flow.svg"


def _context(view: ClassView, site: SiteModel, extras: GuideExtras) -> dict[str, Any]:
    ledger = extras.ledger_of(view.case_class.id)
    return {
        "site": site,
        "as_of": site.as_of.isoformat(),
        "view": view,
        "c": view.case_class,
        "sections": guide_sections(view, with_ledger=ledger is not None),
        "ledger": ledger,
        "law_anchors": law_anchors(extras.laws),
        "chinese_number": chinese_number,
        "batch_labels": GROUP_LABELS,
        "states": LEDGER_STATES,
        "outcomes": OUTCOMES,
        "docx": docx_path(view),
        "class_figures": extras.class_figures.get(view.case_class.id, []),
    }


def guide_page(view: ClassView, site: SiteModel, extras: GuideExtras) -> str:
    flow = Path(flow_path(view)).name
    return render("class.md.j2", flow=flow, **_context(view, site, extras))


def guide_markdown(view: ClassView, site: SiteModel, extras: GuideExtras, flow: str, flow_attributes: str = "") -> str:
    """The Word edition's body (pandoc Markdown); `flow` is the diagram's file name."""
    return render("guide_doc.md.j2", flow=flow, flow_attributes=flow_attributes, **_context(view, site, extras))


def flow_diagram(view: ClassView) -> str:
    """The class's procedure as an SVG document: the page shows it, the Word guide embeds it."""
    c = view.case_class
    return flow_svg(c.steps, f"{c.name}办理流程图")


def guide_docx(
    view: ClassView, site: SiteModel, extras: GuideExtras, svg: str | None = None, memo: BlobMemo | None = None
) -> bytes:
    """The guide as an official-format .docx (GB/T 9704, see office/word.py); `svg` if already drawn.

    With a `memo` (memo.py), a guide whose Markdown, diagram and heading are unchanged since
    the last build is taken from it: pandoc is most of a build's time on a small library."""
    from ..office.fill import chinese_date
    from ..office.word import Signature, official_docx_bytes

    c = view.case_class
    svg = svg or flow_diagram(view)
    width, height = size_of(svg)
    # Word scales a picture to the text width (156 mm); a long flow would then run
    # past the 225 mm text height and be cut, so a tall one is sized by height.
    attributes = f"{{ height={MAX_FIGURE_MM}mm }}" if height / width * TEXT_WIDTH_MM > MAX_FIGURE_MM else ""
    markdown = guide_markdown(view, site, extras, "flow.svg", attributes)
    title, subtitle = f"{c.name}标准化操作指引", f"（第 {c.version} 版）"
    if c.review.status != "published":  # printed and passed round, a draft must say so on its face
        subtitle = f"（第 {c.version} 版 · {REVIEW_LABELS[c.review.status]}，未经审核发布）"
    signature = Signature(c.publisher, chinese_date(c.published))

    def make() -> bytes:
        # The diagram is a file pandoc reads: in a scratch folder beside the output (workdir.py).
        with scratch("casebook-guide-") as folder:
            (folder / "flow.svg").write_text(svg, encoding="utf-8")
            return official_docx_bytes(
                markdown,
                title=title,
                subtitle_lines=[subtitle],
                date=c.published,
                version=c.version,
                resource_path=folder,
                signature=signature,
            )

    inputs = ("guide.docx", markdown, svg, title, subtitle, c.published.isoformat(), c.version, repr(signature))
    return remembered(memo, inputs, make)


def guide_files(site: SiteModel, extras: GuideExtras, memo: BlobMemo | None = None) -> Iterator[tuple[str, bytes]]:
    """(path in the docs folder, bytes) of every class's flow diagram and Word guide."""
    # Two at a time: most of a guide's time is pandoc, a separate program.
    diagrams = [flow_diagram(view) for view in site.classes]
    with ThreadPoolExecutor(2) as pool:
        documents = pool.map(lambda view, svg: guide_docx(view, site, extras, svg, memo), site.classes, diagrams)
        for view, svg, document in zip(site.classes, diagrams, documents, strict=True):
            yield flow_path(view), svg.encode("utf-8")
            yield docx_path(view), document


@dataclass(frozen=True)
class ShownArticle:
    """An article as the policy index shows it: the guides and entries citing it, then the
    first LIST_LIMIT records (by id, titles' wrapped lines joined) and how many records there are."""

    article: str  # "" for the law as a whole
    count: int  # citations
    others: list[Citation]
    records: list[tuple[str, str]]
    record_count: int


@dataclass(frozen=True)
class ShownLaw:
    law: str
    anchor: str
    articles: list[ShownArticle]


def policy_laws(laws: list[CitedLaw]) -> list[ShownLaw]:
    from .pages import LIST_LIMIT

    shown = []
    for law in laws:
        articles = []
        for article in law.articles:
            # derive.guide.policy_index sorts each article's citations: guides, entries, records (by id)
            records = [c for c in article.citations if c.kind == "record"]
            others = [c for c in article.citations if c.kind != "record"]
            first = [(c.id, join_lines(c.title)) for c in records[:LIST_LIMIT]]
            articles.append(ShownArticle(article.article, len(article.citations), others, first, len(records)))
        shown.append(ShownLaw(law.law, law.anchor, articles))
    return shown


def policy_page(site: SiteModel, extras: GuideExtras) -> str:
    return render_html("policy.html.j2", site=site, laws=policy_laws(extras.laws))


def write_guide(
    library: Path, class_id: str, fmt: str, out: Path | None, audience: str, as_of: Any, force: bool = False
) -> Path:
    """`casebook guide`: one class's guide on its own, the same file the site links.

    An existing file is kept unless `force`; a given `--out` is checked before the
    library is loaded, the default name (it carries the version) once it is known.
    """
    from ..derive.guide import derive_extras
    from ..derive.site import derive_site
    from ..errors import InvalidLibrary, UsageProblem
    from ..outdir import check_file_out, file_work, write_file
    from ..validate import check_library

    if out is not None:
        check_file_out(out, force)

    checked, problems = check_library(library, as_of)
    if problems:
        raise InvalidLibrary(problems)
    site = derive_site(checked, audience, as_of)
    view = next((v for v in site.classes if v.case_class.id == class_id), None)
    if view is None:
        known = "、".join(v.case_class.id for v in site.classes) or "无"
        raise UsageProblem(f"{audience} 版本中没有类案 {class_id}（可用：{known}）")
    extras = derive_extras(site)
    target = out or Path(Path(docx_path(view)).name).with_suffix(f".{fmt}")
    check_file_out(target, force)
    with file_work(target) as work:
        if fmt == "md":
            data = guide_markdown(view, site, extras, Path(flow_path(view)).name).encode("utf-8")
        else:
            data = guide_docx(view, site, extras)
        write_file(target, data, work, force)
    return target
