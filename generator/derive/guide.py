"""What a standardized operating guide (标准化操作指引) contains, and the 政策依据 index.

The guide is printed and taken to training, so its sections carry the
official numbering (一、二、…) and appear in the same order on the site and
in the Word file; both renderers take the list from here. Optional sections
(risks, templates, checklist, batch handling, ledger) are left out when the
class has nothing to put in them, and the numbers close up.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..contract import PolicyBasis
from .ledger import Ledger, LedgerBook, derive_ledgers, inputs_key
from .site import ClassView, SiteModel
from .statistics import Statistics, class_figures

CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (guides have far fewer than 100 sections)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_NUMERALS[tens - 1]) + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class GuideSection:
    key: str  # which block of the templates renders it
    title: str  # without number, e.g. 适用范围与识别要点

    def heading(self, number: int) -> str:
        return f"{chinese_number(number)}、{self.title}"


def guide_sections(view: ClassView, with_ledger: bool) -> list[GuideSection]:
    """The sections of one class's guide, in order, only those with content."""
    c = view.case_class
    candidates = [
        ("scope", "适用范围与识别要点", True),
        ("basis", "法律政策依据", True),
        ("duties", "责任分工", True),
        ("steps", "办理流程", True),
        ("methods", "化解方法", True),
        ("risks", "风险点与稳控措施", bool(c.risks)),
        ("templates", "文书模板", bool(c.templates)),
        ("checklist", "检查清单", bool(c.checklist)),
        ("batch", "批量处理", c.batch is not None),
        ("entries", "本类典型案例", True),
        ("ledger", "类案台账概况", with_ledger),
        ("revisions", "版本与修订记录", True),
    ]
    return [GuideSection(key, title) for key, title, present in candidates if present]


def basis_label(basis: PolicyBasis) -> str:
    return f"《{basis.law}》{basis.article or ''}"


@dataclass
class Citation:
    kind: str  # class / typical / record
    id: str
    title: str
    note: str | None


@dataclass
class CitedArticle:
    article: str  # "" for the law as a whole
    citations: list[Citation] = field(default_factory=list)


@dataclass
class CitedLaw:
    law: str
    anchor: str
    articles: list[CitedArticle] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(a.citations) for a in self.articles)


_KIND_ORDER = {"class": 0, "typical": 1, "record": 2}
_ARTICLE_NUMBER = re.compile(r"第([零一二三四五六七八九十百千]+)条")


def policy_index(site: SiteModel) -> list[CitedLaw]:
    """Every law cited by what this edition shows, its articles in order, and who cites each.

    Only included classes, entries and records count, so an excluded record
    never shows up here, not even as a number."""
    cited: dict[str, dict[str, list[Citation]]] = defaultdict(lambda: defaultdict(list))

    def add(kind: str, id_: str, title: str, basis: Iterable[tuple[str, str | None, str | None]]) -> None:
        for law, article, note in basis:
            cited[law][article or ""].append(Citation(kind, id_, title, note))

    for class_view in site.classes:
        c = class_view.case_class
        add("class", c.id, f"{c.name}标准化操作指引", _cited(c.policy_basis))
    for view in site.entries:
        add("typical", view.entry.id, view.entry.title, _cited(view.entry.policy_basis))
    for record_view in site.records:
        add("record", record_view.record.id, record_view.record.title, record_view.facts.policy)

    laws = []
    for number, law in enumerate(sorted(cited), start=1):
        articles = []
        for article in sorted(cited[law], key=_article_order):
            unique: dict[tuple[str, str], Citation] = {}
            for citation in cited[law][article]:
                unique.setdefault((citation.kind, citation.id), citation)
            ordered = sorted(unique.values(), key=lambda c: (_KIND_ORDER[c.kind], c.id))
            articles.append(CitedArticle(article, ordered))
        laws.append(CitedLaw(law, f"law-{number}", articles))
    return laws


def _cited(basis: list[PolicyBasis]) -> list[tuple[str, str | None, str | None]]:
    return [(b.law, b.article, b.note) for b in basis]


def law_anchors(laws: list[CitedLaw]) -> dict[str, str]:
    return {law.law: law.anchor for law in laws}


def _article_order(article: str) -> tuple[int, int, str]:
    """The law as a whole first, then 第二条 before 第十条 (numeric, not character order)."""
    if not article:
        return (0, 0, "")
    match = _ARTICLE_NUMBER.search(article)
    return (1, _chinese_to_int(match.group(1)) if match else 10_000, article)


def _chinese_to_int(text: str) -> int:
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    units = {"十": 10, "百": 100, "千": 1000}
    total, current = 0, 0
    for char in text:
        if char in digits:
            current = digits[char]
        elif char in units:
            total += (current or 1) * units[char]
            current = 0
    return total + current


@dataclass
class GuideExtras:
    """What guides, ledgers and the policy index add to a site model (derived once per build)."""

    ledgers: LedgerBook | None  # None when the edition shows no records
    laws: list[CitedLaw]
    # ledger key → its inputs key (derive/ledger.py inputs_key), for those that have one: made once
    # for the ledger pages and the workbooks
    ledger_inputs: dict[str, str] = field(default_factory=dict)
    # the edition's statistics (None outside the internal edition), and each class's figures to date
    statistics: Statistics | None = None
    class_figures: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def ledger_of(self, class_id: str) -> Ledger | None:
        if self.ledgers is None:
            return None
        return next((ledger for ledger in self.ledgers.classes if ledger.key == class_id), None)


def derive_extras(site: SiteModel) -> GuideExtras:
    book = derive_ledgers(site)
    inputs = {}
    for ledger in (*book.classes, book.library) if book is not None else ():
        key = inputs_key(ledger, site)
        if key is not None:
            inputs[ledger.key] = key
    extras = GuideExtras(book, policy_index(site), inputs)
    if site.edition.statistics and site.settings.indicators:  # no indicators defined: no statistics
        extras.statistics = Statistics(site)
        # 在办 is the class ledger's count (the edition with statistics has ledgers)
        open_by_class = {ledger.key: ledger.tally.open for ledger in book.classes} if book is not None else {}
        extras.class_figures = class_figures(extras.statistics, open_by_class)
    return extras
