"""The three editions of a site — internal, training, public — declared once, and applied to documents.

An edition says which documents it includes (by their `visibility`), which
record fields are internal-only, whether it has ledgers and class
suggestions, its label and whether its pages carry the 内部资料 banner and
`noindex`. `derive.site.derive_site` applies it once, when the site model is
derived: the model of a training or public build then simply does not hold
an internal-only field, an excluded document or the id of one, so no
template, search index, sitemap or download can show them. Later stages ask
the Edition what to produce instead of comparing edition names.

Ids of excluded documents can also hide in free text ("要求以诈骗立案追赃
（XF-2022-0016）"): `Selection.withheld` finds them and `Selection.scrub`
writes such a text without them; `validate` warns where the source cites them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from pydantic import BaseModel

from .contract import (
    CLASS_ID_PATTERN,
    RECORD_ID_PATTERN,
    TYPICAL_ID_PATTERN,
    VISIBILITY_LABELS,
    CaseClass,
    CaseRecord,
    TypicalEntry,
    Visibility,
)
from .derive.facts import model_of

M = TypeVar("M", bound=BaseModel)
Content = CaseRecord | TypicalEntry | CaseClass  # what an edition includes or excludes
FieldPath = tuple[str, ...]  # attribute names, outermost first

# Shown in the internal edition only (README, 三个版本): who leads a case is
# named by post but still internal, and so are the 五个一 and notes on the petitioners.
INTERNAL_ONLY_FIELDS: tuple[FieldPath, ...] = (("lead_official",), ("five_ones",), ("petitioners", "note"))
# Fields that hold ids by design; the edition handles them as references, not as prose.
REFERENCE_FIELDS = frozenset({"id", "class_", "records", "visibility"})


# Every visibility a document can have (contract.Visibility); read per document, so made once.
ALL_VISIBILITIES = frozenset(get_args(Visibility))


@dataclass(frozen=True)
class Edition:
    """One edition of the site: what it includes and what it has."""

    name: Visibility
    label: str  # 内部版 / 培训版 / 公开版
    visibilities: frozenset[str]  # a document is included when its visibility is one of these
    hidden_fields: tuple[FieldPath, ...]  # record fields removed from this edition's model
    ledgers: bool  # 类案台账, and the 督办清单 drawn from them
    # 统计 pages, the home page's figures and per-class figures: only over every record of the office
    # (a training or public edition holds a chosen few, whose figures would say nothing, or too much)
    statistics: bool
    class_suggestions: bool  # the 待归类 list of the 类案检索 page
    banner: str | None  # shown on every page
    noindex: bool  # every page asks search engines to keep out
    unpublished: bool  # entries and guides not yet 已发布 (草稿, 待审): shown marked, and listed on the 待审 page

    def includes(self, visibility: str) -> bool:
        return visibility in self.visibilities

    def shows(self, document: Content) -> bool:
        """Whether the edition includes `document`: its visibility allows it and, outside the
        internal edition, an entry or guide has been published (草稿 and 待审 stay in the office)."""
        return self.includes(document.visibility) and (self.unpublished or is_published(document))

    @property
    def complete(self) -> bool:
        """Whether it has every document of a library: only then can a count of records reveal nothing hidden."""
        return self.visibilities == ALL_VISIBILITIES

    def select(self, documents: Iterable[Content]) -> Selection:
        """This edition applied to a library's records, entries and classes."""
        return Selection(self, frozenset(d.id for d in documents if self.shows(d)))


@dataclass(frozen=True)
class Selection:
    """An edition over one library: the ids it includes, the only ones its output may name."""

    edition: Edition
    included: frozenset[str]

    def record(self, record: CaseRecord) -> CaseRecord:
        """A record as the edition shows it: no internal-only field, no id it excludes."""
        if self.edition.hidden_fields or not self.edition.complete:
            record = model_of(record)  # a LazyRecord (derive/facts.py): the edition reads and rewrites the model
        for path in self.edition.hidden_fields:
            record = without(record, path)
        return self.document(record)

    def entry(self, entry: TypicalEntry) -> TypicalEntry:
        """An entry as the edition shows it; its source list keeps only the included records."""
        entry = self.document(entry)
        kept = [record_id for record_id in entry.records if record_id in self.included]
        return entry if kept == entry.records else entry.model_copy(update={"records": kept})

    def document(self, document: M) -> M:
        """Free text without excluded ids, and the class reference dropped when the class is excluded."""
        if self.edition.complete:
            return document
        scrubbed = (
            document if self.names_only_included(document) else scrub_model(document, self.scrub, REFERENCE_FIELDS)
        )
        class_id = getattr(scrubbed, "class_", None)
        if class_id is not None and class_id not in self.included:
            scrubbed = scrubbed.model_copy(update={"class_": None})
        return scrubbed

    def names_only_included(self, document: BaseModel) -> bool:
        """Whether the free text of `document` cites no id but included ones.

        Scans the document's JSON without its reference fields (pydantic writes it in Rust) for
        something like an id, which nearly no document has: walking the fields of each costs ten
        times as much (measured at 3,000 records, 0.2 ms a document)."""
        text = document.model_dump_json(exclude=set(REFERENCE_FIELDS))
        if not _CANDIDATE.search(text):
            return True
        return all(match.group() in self.included for match in _ID.finditer(text))

    def withheld(self, text: str) -> Iterator[Citation]:
        """Citations in `text` of ids the edition does not include (unknown ids too: it cannot show them)."""
        for citation in citations(text):
            if citation.id not in self.included:
                yield citation

    def scrub(self, text: str) -> str:
        """`text` with each withheld id written as （未收录的信访事项） or the like."""
        for citation in reversed(list(self.withheld(text))):
            text = text[: citation.start] + citation.replacement + text[citation.end :]
        return text


EDITIONS: dict[str, Edition] = {
    "internal": Edition(
        name="internal",
        label=VISIBILITY_LABELS["internal"],
        visibilities=frozenset({"internal", "training", "public"}),
        hidden_fields=(),
        ledgers=True,
        statistics=True,
        class_suggestions=True,
        banner="内部资料 · 注意保密 · 不得对外提供",
        noindex=True,
        unpublished=True,
    ),
    "training": Edition(
        name="training",
        label=VISIBILITY_LABELS["training"],
        visibilities=frozenset({"training", "public"}),
        hidden_fields=INTERNAL_ONLY_FIELDS,
        ledgers=False,
        statistics=False,
        class_suggestions=False,
        banner=None,
        noindex=False,
        unpublished=False,
    ),
    "public": Edition(
        name="public",
        label=VISIBILITY_LABELS["public"],
        visibilities=frozenset({"public"}),
        hidden_fields=INTERNAL_ONLY_FIELDS,
        ledgers=False,
        statistics=False,
        class_suggestions=False,
        banner=None,
        noindex=False,
        unpublished=False,
    ),
}
EDITION_NAMES: tuple[str, ...] = tuple(EDITIONS)


def is_published(document: Content) -> bool:
    """An entry or guide is published when its review says 已发布; a record has no review and always is."""
    return not isinstance(document, TypicalEntry | CaseClass) or document.review.status == "published"


# ── ids cited in free text ──────────────────────────────────────────────────

# Each kind of id, with what it names in the words of the replacement text.
ID_KINDS = {
    "record": ("信访事项", RECORD_ID_PATTERN),
    "typical": ("典型案例", TYPICAL_ID_PATTERN),
    "class": ("类案", CLASS_ID_PATTERN),
}
# No word boundaries: XF-2021-00012 or AXF-2021-0001 still cite XF-2021-0001 as far as a reader can
# tell, and in JSON a line break before an id reads "\nXF-…".
_ID = re.compile("|".join(f"(?P<{kind}>{pattern.strip('^$')})" for kind, (_, pattern) in ID_KINDS.items()))
# Every id has one of these, which a regular expression finds fast (it starts with a literal):
# -2021 in XF-2021-0001, -006 in LA-006, -1-001 in 2022-05-1-001; a date has none.
_CANDIDATE = re.compile(r"-(?:[12]-)?\d{3}")
_OPENING, _CLOSING = "（(", "）)"


@dataclass(frozen=True)
class Citation:
    """An id written in free text: where, what it names, and the words that replace it in an edition without it."""

    id: str
    kind: str  # 信访事项 / 典型案例 / 类案
    start: int
    end: int
    bracketed: bool  # inside （…）: the replacement needs no brackets of its own

    @property
    def replacement(self) -> str:
        words = f"未收录的{self.kind}"
        return words if self.bracketed else f"（{words}）"


def citations(text: str) -> Iterator[Citation]:
    """Every record, entry or class id in `text`, in order.

    （XF-2021-0001） becomes （未收录的信访事项）, （LA-006、2022-04-1-001） becomes
    （未收录的类案、未收录的典型案例）, and an id in running text gets brackets of its own,
    so a reader sees that something was left out, and what kind of thing."""
    for match in _ID.finditer(text):
        start, end = match.span()
        yield Citation(match.group(), ID_KINDS[str(match.lastgroup)][0], start, end, _in_brackets(text, start, end))


def _in_brackets(text: str, start: int, end: int) -> bool:
    opened = max(text.rfind(c, 0, start) for c in _OPENING)
    if opened < 0 or opened < max(text.rfind(c, 0, start) for c in _CLOSING):
        return False
    closes = [i for i in (text.find(c, end) for c in _CLOSING) if i >= 0]
    opens = [i for i in (text.find(c, end) for c in _OPENING) if i >= 0]
    return bool(closes) and min(closes) < min(opens, default=len(text))


def scrub_model(model: M, replace: Callable[[str], str], skip: frozenset[str] = frozenset()) -> M:
    """`model` with `replace` applied to every string inside it, except the top-level fields in `skip`.

    Rebuilds only what changed (pydantic's model_copy), so a document without ids costs one walk."""
    update = {}
    for name in type(model).model_fields:
        if name in skip:
            continue
        value = getattr(model, name)
        new = _scrub_value(value, replace)
        if new is not value:
            update[name] = new
    return model.model_copy(update=update) if update else model


def _scrub_value(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        new = replace(value)
        return value if new == value else new
    if isinstance(value, BaseModel):
        return scrub_model(value, replace)
    if isinstance(value, list):
        items = [_scrub_value(item, replace) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def without(model: M, path: FieldPath) -> M:
    """`model` with the field at `path` set to its default (None or empty)."""
    name, rest = path[0], path[1:]
    value = getattr(model, name)
    if rest:
        if value is None:
            return model
        return model.model_copy(update={name: without(value, rest)})
    default = type(model).model_fields[name].get_default(call_default_factory=True)
    return model if value == default else model.model_copy(update={name: default})
