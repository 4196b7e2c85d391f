"""Library → [Problem]: the rules that span fields, files and settings.

`library.read_library` has already checked each file against its contract
model; here we check what one model cannot see alone: vocabularies from
settings.yaml, unique ids, cross-references, the order of dates and stages,
the time-limit extension, rules of the 信访工作条例 (集体访 representatives,
检举控告 confidentiality), dates after the reference date and personal data
in every text value.

The rules come in two kinds, and the split is what lets a build after one
edit check one document: those of one document on its own (check_document,
given the document and `Inputs`, the few library-wide values they read),
whose problems validate_memo.py keeps between builds under a key of exactly
those inputs, and those across documents (check_unique_ids,
check_references), cheap look-ups made anew every time.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .contract import STAGE_RANK, CaseClass, CaseRecord, Settings, TimeLimits, TypicalEntry, Vocabularies
from .derive.facts import FactsStore
from .docs_check import check_docs
from .edition import EDITIONS, REFERENCE_FIELDS
from .errors import Problem
from .file_digests import FileDigests
from .library import FOLDERS, Document, Library, read_library, read_text
from .links import check_links
from .load import Path as YamlPath
from .load import format_path, parse_yaml
from .parse_cache import ParseCache, collector_paused
from .privacy import find_personal_data, personal_data_message
from .progress import NO_BAR, Bar
from .schema import region_paths
from .state import key_of
from .validate_memo import ValidateMemo, memo_key


def check_library(
    root: Path,
    as_of: dt.date | None = None,
    config: Path | None = None,
    cache: ParseCache | None = None,
    bar: Bar = NO_BAR,
    memo: ValidateMemo | None = None,
    digests: FileDigests | None = None,
    facts: FactsStore | None = None,
) -> tuple[Library, list[Problem]]:
    """Read and validate a library; the problems are sorted and complete.

    `as_of` is the reference date (the build's --as-of, default today): no
    date in the library may lie after it. `config` is the mkdocs.yml a build
    would use (None: the one it finds), whose hand-written pages are checked
    for personal data too. `cache` keeps parsed files and `memo` each document's
    own problems between builds (None: nothing is kept); either gives the same
    problems. `bar` counts the files read, then the files checked. `digests`: the build's
    (file_digests.py), which know the files unchanged since it was last saved. `facts`: the
    build's record facts (derive/facts.py): records they know are read without a model."""
    as_of = as_of or dt.date.today()
    memo = memo if memo is not None else ValidateMemo(None)  # takes the second process's checks (read_share)
    with collector_paused():
        library, problems = read_library(root, cache, bar, as_of, memo, digests, facts)
        problems.extend(validate(library, as_of, bar, memo))
        problems.extend(check_unread_personal_data(library, problems))
        problems.extend(check_docs(root, protected_names(library), config))
    return library, sorted(set(problems))


def validate(
    library: Library, as_of: dt.date | None = None, bar: Bar = NO_BAR, memo: ValidateMemo | None = None
) -> list[Problem]:
    """Every cross-file and domain rule; contract errors are already recorded.

    Two kinds of rule: those of one document on its own (check_document), whose
    problems `memo` may hold from an earlier build, and those across documents
    (unique ids, references), made anew every time from the models: a dictionary
    look-up per reference. `bar` counts the documents, four fifths of the time."""
    inputs = Inputs.of(library, as_of or dt.date.today())
    documents: list[tuple[str, Document[Any]]] = [
        *(("settings", doc) for doc in filter(None, [library.settings])),
        *(("record", doc) for doc in library.records),
        *(("typical", doc) for doc in library.typical),
        *(("class", doc) for doc in library.classes),
    ]
    bar.count(len(documents), "个文件已校验")
    problems = check_unique_ids(library) + check_references(library)
    for kind, doc in documents:
        problems += document_problems(doc, kind, inputs, memo)
        bar.advance()
    return sorted(problems)


# ── one document on its own ─────────────────────────────────────────────────


@dataclass(frozen=True)
class Inputs:
    """Everything a document's own checks read besides the document: the other half of their memo key.

    check_document is given a document and this, nothing else, and `digest` is made of
    every field: so a check that starts to read something new must get it through a new
    field here, and the key covers it. Settings that no such check reads (the library's
    name, indicators, the change log) are not here, and editing them keeps every memo."""

    as_of: dt.date
    vocabularies: Vocabularies | None  # None: settings.yaml could not be read, vocabularies go unchecked
    time_limits: TimeLimits | None
    protected_names: tuple[str, ...]

    @classmethod
    def of(cls, library: Library, as_of: dt.date) -> Inputs:
        settings = library.settings.model if library.settings else None
        return cls(
            as_of=as_of,
            vocabularies=settings.vocabularies if settings else None,
            time_limits=settings.time_limits if settings else None,
            protected_names=tuple(protected_names(library)),
        )

    @functools.cached_property
    def digest(self) -> str:
        def dumped(model: BaseModel | None) -> str:
            return "-" if model is None else json.dumps(model.model_dump(mode="json"), ensure_ascii=False)

        return key_of(
            self.as_of.isoformat(),
            dumped(self.vocabularies),
            dumped(self.time_limits),
            str(len(self.protected_names)),
            *self.protected_names,
        )

    @functools.cached_property
    def vocab(self) -> Vocab | None:
        if self.vocabularies is None or self.time_limits is None:
            return None
        return Vocab(self.vocabularies, self.time_limits)


def document_problems(doc: Document[Any], kind: str, inputs: Inputs, memo: ValidateMemo | None) -> list[Problem]:
    """check_document's problems, from `memo` when it has them for this document and these inputs."""
    if memo is None or not doc.key:
        return check_document(doc, kind, inputs)
    key = memo_key(doc.key, inputs.digest)
    found = memo.get(key, doc.path)
    if found is None:
        found = check_document(doc, kind, inputs)
        memo.put(key, doc.path, found)
    return found


def check_document(doc: Document[Any], kind: str, inputs: Inputs) -> list[Problem]:
    """Every rule of one document that needs no other document (`kind` as library.FOLDERS names it).

    Reads `doc` and `inputs` and nothing else: validate_memo keeps the result under their two keys.
    What each rule reads besides the document:

    - dates after the reference date (check_future_dates): `inputs.as_of`;
    - vocabularies and the closest value (Vocab, in check_record, check_typical and here for a
      class): `inputs.vocabularies`, and the procedure names of `inputs.time_limits`;
    - the extension's days (check_extension): `inputs.time_limits`;
    - personal data (check_personal_data): `inputs.protected_names`;
    - the file name, the order of dates and stages, the 条例's rules, an entry's own list of
      records, links, template placeholders, settings.yaml's own rules: nothing else.

    Rules that read other documents are not here: ids used twice (check_unique_ids), a class,
    source record or its class that does not exist or disagree (check_references)."""
    texts = text_values(doc.model)  # walked once for both scans (700,000 values at 10,000 records)
    links = check_links(doc, texts)
    if kind == "settings":  # its protected names are the list itself; nothing else in it is published
        return check_settings(doc) + links
    problems = check_future_dates(doc, inputs.as_of) + check_file_name(doc) + check_placeholders(doc, texts)
    vocab = inputs.vocab
    if kind == "record":
        problems += check_record(doc, vocab, inputs.time_limits)
    elif kind == "typical":
        problems += check_typical(doc, vocab)
    else:
        if vocab:
            problems += vocab.check(doc, ("domain",), doc.model.domain, "domains")
        problems += check_template_placeholders(doc) + check_review(doc)
    return problems + check_personal_data(doc, list(inputs.protected_names), texts) + links


def check_citations(library: Library) -> list[Problem]:
    """Warnings: free text of a training or public document that cites an id its edition excludes.

    The build writes such a citation as （未收录的信访事项） in that edition (edition.py), so
    this is no error; the warning tells the editor the text reads differently there. Each
    document is checked against the narrowest edition it is in, the one that excludes most."""
    documents = [*library.records, *library.typical, *library.classes]
    problems = []
    for edition in EDITIONS.values():
        if edition.complete:
            continue
        selection = edition.select(doc.model for doc in documents)
        for doc in documents:
            if doc.model.visibility != edition.name or not edition.shows(doc.model):
                continue
            if selection.names_only_included(doc.model):
                continue
            for loc, text in iter_text(doc.model, ()):
                # Reference fields are handled as references; internal-only fields never reach the edition.
                if loc[0] in REFERENCE_ALIASES or any(loc[: len(h)] == h for h in edition.hidden_fields):
                    continue
                for citation in selection.withheld(text):
                    line, column = doc.source.text_position(loc, citation.start)
                    message = (
                        f"引用了{edition.label}不收录的{citation.kind} {citation.id}，"
                        f"{edition.label}中写作“{citation.replacement}”"
                    )
                    problems.append(Problem(doc.path, line, column, format_path(loc), message, "warning"))
    return sorted(problems)


# The reference fields as the source files spell them (`class`, not `class_`).
REFERENCE_ALIASES = frozenset(
    info.alias or name
    for model in (CaseRecord, TypicalEntry, CaseClass)
    for name, info in model.model_fields.items()
    if name in REFERENCE_FIELDS
)


def check_template_placeholders(doc: Document[CaseClass]) -> list[Problem]:
    """A {placeholder} that `casebook doc` cannot fill is caught when the template is written, not when used."""
    from .office.fill import unknown_placeholder_message, unknown_placeholders

    return [
        doc.problem(("templates", number, "body"), unknown_placeholder_message(name))
        for number, _, name in unknown_placeholders(doc.model)
    ]


class Vocab:
    """The controlled lists of settings.yaml, with closest-value suggestions."""

    def __init__(self, lists: Vocabularies, time_limits: TimeLimits) -> None:
        self.values: dict[str, list[str]] = {
            "domains": [d.name for d in lists.domains],
            "regions": sorted(region_paths(lists.regions)),
            "units": lists.units,
            "channels": lists.channels,
            "flags": lists.flags,
            "petitioner_kinds": lists.petitioner_kinds,
            "mechanisms": lists.mechanisms,
            "procedures": list(time_limits.procedures),
        }
        self.domain_codes = {d.name: d.code for d in lists.domains}

    def check(self, doc: Document[Any], loc: YamlPath, value: str | None, name: str) -> list[Problem]:
        if value is None or value in self.values[name] or PLACEHOLDER_TEXT.fullmatch(value):
            return []  # a blank is reported as one (check_placeholders), or allowed in a draft
        hint = f"，是否应为 “{guess}”？" if (guess := closest(value, self.values[name], name)) else ""
        return [doc.problem(loc, f"“{value}” 不在 settings.yaml 的 {name} 词表中{hint}")]

    def check_all(self, doc: Document[Any], loc: YamlPath, values: list[str], name: str) -> list[Problem]:
        return [p for i, value in enumerate(values) for p in self.check(doc, (*loc, i), value, name)]


SUGGESTION_CUTOFF = 0.6  # difflib's ratio: 城乡建筑 → 城乡建设 is 0.75; below 0.6 guesses were unrelated words
_PLACE = re.compile(r"[^/]*?(?:省|自治区|市|区|县|旗|镇|乡|街道|社区|村)")
PLACE_VOCABULARIES = ("units", "regions")


def places_in(value: str) -> list[str]:
    """The places a unit or region names: 城东区住建局 → [城东区]; 某市/临河县/河口乡 → [某市, 临河县, 河口乡]."""
    return _PLACE.findall(value)


def closest(value: str, values: list[str], vocabulary: str) -> str | None:
    """The vocabulary word `value` was most likely meant to be, or None.

    A unit or region is suggested only when it names every place the written value names:
    a typo in 城东区住建局 finds it, but 某镇人民政府 is not 金桥镇人民政府 and 绿园区 is not
    城西区 (a trainer copying a case from elsewhere was told to write a real local unit)."""
    guesses = difflib.get_close_matches(value, values, n=3, cutoff=SUGGESTION_CUTOFF)
    if vocabulary in PLACE_VOCABULARIES:
        named = set(places_in(value))
        guesses = [guess for guess in guesses if named <= set(places_in(guess))]
    return guesses[0] if guesses else None


def check_settings(doc: Document[Settings]) -> list[Problem]:
    settings = doc.model
    problems = []
    if settings.time_limits.default_procedure not in settings.time_limits.procedures:
        problems.append(
            doc.problem(
                ("time_limits", "default_procedure"),
                f"默认程序 “{settings.time_limits.default_procedure}” 不在 procedures 中",
            )
        )
    seen_codes: dict[str, str] = {}
    for i, domain in enumerate(settings.vocabularies.domains):
        if domain.code in seen_codes:
            problems.append(
                doc.problem(
                    ("vocabularies", "domains", i, "code"),
                    f"代码 {domain.code} 已用于 “{seen_codes[domain.code]}”",
                )
            )
        seen_codes.setdefault(domain.code, domain.name)
    for name in ("regions", "units", "channels", "flags", "petitioner_kinds", "mechanisms"):
        seen: set[str] = set()
        for i, value in enumerate(getattr(settings.vocabularies, name)):
            if value in seen:
                problems.append(doc.problem(("vocabularies", name, i), f"重复的取值 “{value}”"))
            seen.add(value)
    return problems + check_indicators(doc)


# The filter fields whose values come from settings.yaml's own lists.
_INDICATOR_VOCABULARIES = {"channel": "channels", "domain": "domains", "flags": "flags"}


def check_indicators(doc: Document[Settings]) -> list[Problem]:
    """Each indicator's definition is one statistics.py can compute as written: a rate has a
    numerator, a count or sum has none, a sum names its field, a state is read only at the
    period's end; filter values are in the lists; names are unique (they key the figures)."""
    settings = doc.model
    vocab = Vocab(settings.vocabularies, settings.time_limits)
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for i, indicator in enumerate(settings.indicators):
        at = ("indicators", i)
        if indicator.name in names:
            problems.append(
                doc.problem((*at, "name"), f"指标名称 “{indicator.name}” 与第 {names[indicator.name] + 1} 项重复")
            )
        names.setdefault(indicator.name, i)
        if indicator.kind == "rate" and indicator.numerator is None:
            problems.append(doc.problem((*at, "kind"), "比率（rate）须写 numerator（分子）"))
        if indicator.kind != "rate" and indicator.numerator is not None:
            problems.append(doc.problem((*at, "numerator"), "只有比率（kind: rate）才有分子"))
        if indicator.kind == "sum" and indicator.sum is None:
            problems.append(doc.problem((*at, "kind"), "合计（sum）须写 sum：petitioners 或 households"))
        if indicator.kind != "sum" and indicator.sum is not None:
            problems.append(doc.problem((*at, "sum"), "只有合计（kind: sum）才写 sum"))
        for part in ("where", "numerator"):
            conditions = getattr(indicator, part)
            if conditions is None:
                continue
            if conditions.state is not None and indicator.date != "status":
                problems.append(doc.problem((*at, part, "state"), "期限状态只能按统计期末计：请写 date: status"))
            for key, vocabulary in _INDICATOR_VOCABULARIES.items():
                problems += vocab.check_all(doc, (*at, part, key), getattr(conditions, key) or [], vocabulary)
    return problems


def check_unique_ids(library: Library) -> list[Problem]:
    """Ids are unique across the whole library: they become URLs and citations."""
    first: dict[str, str] = {}
    problems = []
    documents = sorted([*library.records, *library.typical, *library.classes], key=lambda d: d.path)
    for doc in documents:
        ident = doc.model.id
        if ident in first:
            problems.append(doc.problem(("id",), f"编号 {ident} 重复（已用于 {first[ident]}）"))
        else:
            first[ident] = doc.path
    return problems


def check_file_name(doc: Document[Any]) -> list[Problem]:
    """The file is named after its id, so a reader finds it from a page's URL."""
    stem = Path(doc.path).stem
    if stem != doc.model.id:
        return [doc.problem(("id",), f"文件名应与编号一致：应为 {doc.model.id}.yaml")]
    return []


def check_record(doc: Document[CaseRecord], vocab: Vocab | None, time_limits: TimeLimits | None) -> list[Problem]:
    """A record's own rules: vocabularies, the year of its id, dates, extension, the 条例 (class: check_references)."""
    record = doc.model
    problems: list[Problem] = []
    # An archived or outside case names places and units as its source does: not local vocabulary.
    local = vocab if vocab and not record.for_reference else None
    if vocab:
        problems += vocab.check(doc, ("channel",), record.channel, "channels")
        problems += vocab.check(doc, ("domain",), record.domain, "domains")
        problems += vocab.check(doc, ("petitioners", "kind"), record.petitioners.kind, "petitioner_kinds")
        problems += vocab.check_all(doc, ("flags",), record.flags, "flags")
        problems += vocab.check_all(doc, ("mechanisms",), record.mechanisms, "mechanisms")
        problems += vocab.check(doc, ("procedure",), record.procedure, "procedures")
    if local:
        problems += local.check(doc, ("region",), record.region, "regions")
        problems += local.check(doc, ("units", "lead"), record.units.lead, "units")
        problems += local.check_all(doc, ("units", "assist"), record.units.assist, "units")
        if record.units.dual:
            problems += local.check(doc, ("units", "dual", "locality"), record.units.dual.locality, "units")
            problems += local.check(doc, ("units", "dual", "department"), record.units.dual.department, "units")
        for i, stage in enumerate(record.stages):
            problems += local.check(doc, ("stages", i, "unit"), stage.unit, "units")
    if int(record.id[3:7]) != record.received.year:
        problems.append(doc.problem(("id",), f"编号年份应与收到日期的年份 {record.received.year} 一致"))
    problems += check_dates(doc)
    problems += check_extension(doc, time_limits)
    problems += check_petition_rules(doc)
    return problems


def check_dates(doc: Document[CaseRecord]) -> list[Problem]:
    """received ≤ 受理 ≤ 答复 ≤ 办结, and stages in time and procedural order."""
    record = doc.model
    problems = []
    # The latest date so far and the furthest stage so far are named separately: each
    # message names the step that really holds the date or the rank it compares with.
    latest_date, latest_kind = record.received, "收到"
    previous_rank, previous_kind = -1, "收到"
    for i, stage in enumerate(record.stages):
        if stage.date < latest_date:
            problems.append(
                doc.problem(
                    ("stages", i, "date"),
                    f"{stage.stage}日期 {stage.date} 早于{latest_kind}日期 {latest_date}",
                )
            )
        else:
            latest_date, latest_kind = stage.date, stage.stage
        rank = STAGE_RANK.get(stage.stage)
        if rank is not None and rank < previous_rank:
            problems.append(
                doc.problem(("stages", i, "stage"), f"环节顺序不对：“{stage.stage}” 不应在 “{previous_kind}” 之后")
            )
        elif rank is not None:
            previous_rank, previous_kind = rank, stage.stage
    resolution = record.resolution
    if resolution is None:
        return problems
    if resolution.closed is not None:
        answered = [s.date for s in record.stages if s.stage == "答复"]
        limit = max(answered) if answered else record.received
        if resolution.closed < limit:
            what = "答复" if answered else "收到"
            problems.append(
                doc.problem(("resolution", "closed"), f"办结日期 {resolution.closed} 早于{what}日期 {limit}")
            )
    elif resolution.outcome in ("已化解", "部分化解", "终结") and not record.for_reference:
        # A transcribed case whose source gives no closing date is not asked to invent one.
        problems.append(
            doc.problem(("resolution", "outcome"), f"办理结果为“{resolution.outcome}”时须填写办结日期 closed")
        )
    return problems


def check_future_dates(doc: Document[Any], as_of: dt.date) -> list[Problem]:
    """A date after the reference date is a typo (2031 for 2021) or a record written ahead.

    Every date of the contract records something that has happened (received,
    stages, closed, process steps, review, publication, revisions); none is a
    plan or a deadline. Left alone, a record received in the future passes
    silently and its deadline shows as “未收到”."""
    dates = iter_dates(doc.model, ())
    return [doc.problem(loc, f"日期 {value} 晚于统计日期 {as_of}") for loc, value in dates if value > as_of]


def iter_dates(value: Any, loc: YamlPath) -> list[tuple[YamlPath, dt.date]]:
    """Every date inside a model, with its path in the source file's terms."""
    found: list[tuple[YamlPath, dt.date]] = []
    _collect_dates(value, loc, found)
    return found


def _collect_dates(value: Any, loc: YamlPath, found: list[tuple[YamlPath, dt.date]]) -> None:
    # A list, not a generator: every yield would pass up through each level of nesting.
    if isinstance(value, dt.date):
        found.append((loc, value))
    elif isinstance(value, BaseModel):
        for name, key in _date_fields(type(value)):
            _collect_dates(getattr(value, name), (*loc, key), found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect_dates(item, (*loc, i), found)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect_dates(item, (*loc, key), found)


@functools.cache
def _date_fields(model_type: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(attribute, YAML key) of the fields that are or may contain a date: walking only
    these keeps the rule cheap on a library of 10,000 records."""
    return tuple(
        (name, info.alias or name) for name, info in model_type.model_fields.items() if _may_hold_date(info.annotation)
    )


def _may_hold_date(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, dt.date):
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return bool(_date_fields(annotation))
    return any(_may_hold_date(arg) for arg in getattr(annotation, "__args__", ()))


def check_extension(doc: Document[CaseRecord], time_limits: TimeLimits | None) -> list[Problem]:
    """条例第三十四条: the handling time may be extended once, by at most the configured days."""
    record = doc.model
    extensions = [(i, s) for i, s in enumerate(record.stages) if s.stage == "延期"]
    problems = []
    for i, _ in extensions[1:]:
        problems.append(doc.problem(("stages", i, "stage"), "办理期限只能延长一次"))
    for i, stage in extensions:
        if stage.days is None:
            problems.append(doc.problem(("stages", i), "延期须写明延长天数 days"))
        if not stage.reason:
            problems.append(doc.problem(("stages", i), "延期须写明理由 reason（并告知信访人）"))
        if time_limits and stage.days is not None:
            name = record.procedure or time_limits.default_procedure
            procedure = time_limits.procedures.get(name)
            if procedure and stage.days > procedure.extension_days:
                problems.append(
                    doc.problem(
                        ("stages", i, "days"),
                        f"延期 {stage.days} 天超过“{name}”允许的 {procedure.extension_days} 天",
                    )
                )
    for i, stage in enumerate(record.stages):
        if stage.stage != "延期" and (stage.days is not None or stage.reason):
            problems.append(doc.problem(("stages", i), "days 和 reason 只用于“延期”环节"))
    return problems


def check_petition_rules(doc: Document[CaseRecord]) -> list[Problem]:
    record = doc.model
    problems = []
    if "集体访" in record.flags and record.petitioners.count < 5:
        problems.append(doc.problem(("petitioners", "count"), "集体访的人数应为 5 人及以上"))
    representatives = record.petitioners.representatives
    if representatives is not None and representatives > 5:
        problems.append(
            doc.problem(("petitioners", "representatives"), "代表人数不超过 5 人（《信访工作条例》第二十条）")
        )
    if representatives is not None and representatives > record.petitioners.count:
        problems.append(doc.problem(("petitioners", "representatives"), "代表人数不能多于信访人数"))
    if record.category == "检举控告类" and record.visibility != "internal":
        problems.append(
            doc.problem(
                ("visibility",),
                "检举控告类事项只能是 internal：检举揭发材料不得扩散（《信访工作条例》第三十条）",
            )
        )
    return problems


def check_typical(doc: Document[TypicalEntry], vocab: Vocab | None) -> list[Problem]:
    """An entry's own rules (whether its records and class exist and agree: check_references)."""
    entry = doc.model
    problems: list[Problem] = []
    if vocab:
        problems += vocab.check(doc, ("domain",), entry.domain, "domains")
        if not entry.for_reference:
            problems += vocab.check(doc, ("region",), entry.region, "regions")
        problems += vocab.check_all(doc, ("mechanisms",), entry.mechanisms, "mechanisms")
        code = entry.id.split("-")[1]
        expected = vocab.domain_codes.get(entry.domain)
        if expected and code != expected:
            problems.append(
                doc.problem(("id",), f"入库编号中的领域代码 {code} 与问题领域“{entry.domain}”的代码 {expected} 不一致")
            )
    kind = entry.id.split("-")[2]
    if kind == "1" and len(entry.records) != 1:
        problems.append(doc.problem(("records",), "个案（编号第三段为 1）只能对应 1 件来源案例"))
    if kind == "2" and len(entry.records) < 2 and not (entry.batch and (entry.batch.records_total or 0) >= 2):
        problems.append(
            doc.problem(
                ("records",),
                "批量案例（编号第三段为 2）应对应 2 件以上来源案例，或在 batch.records_total 写明信访事项总数",
            )
        )
    if kind == "1" and entry.batch is not None:
        problems.append(doc.problem(("batch",), "个案（编号第三段为 1）不写批量总量 batch"))
    seen: set[str] = set()
    for i, record_id in enumerate(entry.records):
        if record_id in seen:
            problems.append(doc.problem(("records", i), f"来源案例 {record_id} 重复列出"))
        seen.add(record_id)
    for i in range(1, len(entry.process)):
        if entry.process[i].date < entry.process[i - 1].date:
            problems.append(doc.problem(("process", i, "date"), "化解过程应按日期先后排列"))
    return problems + check_review(doc)


def check_review(doc: Document[TypicalEntry] | Document[CaseClass]) -> list[Problem]:
    """已发布 says who reviewed it and when: the training and public editions print both."""
    review = doc.model.review
    if review.status != "published":
        return []
    missing = [name for name, value in (("reviewer", review.reviewer), ("date", review.date)) if value is None]
    if not missing:
        return []
    what = "、".join({"reviewer": "审核人职务 reviewer", "date": "审核日期 date"}[name] for name in missing)
    return [doc.problem(("review", "status"), f"已发布（published）须写明{what}；可用 casebook publish 发布")]


# What `casebook new` writes where a value is still to come (skeleton.PLACEHOLDER), in any spacing.
PLACEHOLDER_TEXT = re.compile(r"[（(]?\s*待\s*填\s*写\s*[）)]?")


def check_placeholders(doc: Document[Any], texts: list[tuple[YamlPath, str]]) -> list[Problem]:
    """A skeleton's （待填写） left in a file is an error unless the file is a draft (review: draft).

    A record has no review: it is published as soon as it is in the library, so a blank
    left in it always is one. A draft entry or guide may hold them: the internal edition
    shows it marked 草稿, and `casebook publish` refuses it until every blank is filled."""
    review = getattr(doc.model, "review", None)
    if review is not None and review.status == "draft":
        return []
    advice = "请填写实际内容" if review is None else "请填写实际内容，或仍作草稿（review: {status: draft}）"
    problems = []
    for loc, text in texts:
        if "待" not in text:  # every blank holds it: the regex scan of 650,000 values took 1 s at 10,000 records
            continue
        for match in PLACEHOLDER_TEXT.finditer(text):
            line, column = doc.source.text_position(loc, match.start())
            message = f"占位内容“（待填写）”尚未填写：{advice}"
            problems.append(Problem(doc.path, line, column, format_path(loc), message))
    return problems


# ── across documents ────────────────────────────────────────────────────────


def check_references(library: Library) -> list[Problem]:
    """References between documents: a record's and an entry's class, an entry's source records.

    Made anew by every build (a look-up per reference): they change with other files.
    An id whose file failed to load is not reported missing, its own problems are."""
    records = {doc.model.id: doc for doc in library.records}
    classes = {doc.model.id for doc in library.classes}
    broken = library.unreadable_ids
    problems = []
    for doc in [*library.records, *library.typical]:
        class_id = doc.model.class_
        if class_id and class_id not in classes and class_id not in broken:
            problems.append(doc.problem(("class",), f"类案 {class_id} 不存在（classes/ 中没有该编号）"))
    for entry_doc in library.typical:
        entry = entry_doc.model
        for i, record_id in enumerate(entry.records):
            source = records.get(record_id)
            if source is None and record_id not in broken:
                problems.append(
                    entry_doc.problem(("records", i), f"来源案例 {record_id} 不存在（records/ 中没有该编号）")
                )
            elif source is not None and entry.class_ and source.model.class_ and source.model.class_ != entry.class_:
                problems.append(
                    entry_doc.problem(
                        ("records", i),
                        f"来源案例 {record_id} 属于类案 {source.model.class_}，与本案例的 {entry.class_} 不一致",
                    )
                )
    return problems


# ── personal data ───────────────────────────────────────────────────────────


def check_personal_data(
    doc: Document[Any], names: list[str], texts: list[tuple[YamlPath, str]] | None = None
) -> list[Problem]:
    """Personal data in any text value is an error at its exact position.

    `names` are the protected names (protected_names); `texts` the document's text
    values when the caller has them already (text_values)."""
    problems: list[Problem] = []
    texts = text_values(doc.model) if texts is None else texts
    # One scan of all values joined by newlines first: no detector matches across a line
    # break (none of them allows one inside, before or after a match that its edge of a
    # value would not allow), so a clean joined text means clean values, which is nearly
    # every file; at 10,000 records 2.5 s of CPU, against 3.5 s for 700,000 short scans.
    if not find_personal_data("\n".join(text for _, text in texts), names):
        return problems
    for loc, text in texts:
        # Protected names go through the same detector, so a name after 业主 is reported once.
        for finding in find_personal_data(text, names):
            line, column = doc.source.text_position(loc, finding.start)
            problems.append(Problem(doc.path, line, column, format_path(loc), personal_data_message(finding)))
    return problems


def protected_names(library: Library) -> list[str]:
    return [name for name in (library.settings.model.protected_names if library.settings else []) if name]


def check_unread_personal_data(library: Library, problems: list[Problem]) -> list[Problem]:
    """Personal data in the data files that failed their contract (or YAML) check.

    Such a file has no model, so check_personal_data never sees it; but its
    problems are being listed, and a user who fixes the malformed id must not
    learn only then, in a second run, that the file also holds a phone number.
    The file is read again: every key and string in its data when it parses,
    each line of its text when it does not."""
    read = {doc.path for doc in [*library.records, *library.typical, *library.classes]}
    failed = sorted(
        {p.path for p in problems if p.path not in read and p.path.split("/", 1)[0] in FOLDERS and "/" in p.path}
    )
    names = protected_names(library)
    found: list[Problem] = []
    for relative in failed:
        text = read_text(library.root, relative, [])
        if text is None:
            continue
        loaded, _ = parse_yaml(text)
        if loaded is None:
            for number, line in enumerate(text.splitlines(), start=1):
                for finding in find_personal_data(line, names):
                    found.append(Problem(relative, number, finding.start + 1, "", personal_data_message(finding)))
            continue
        for loc, value, is_key in iter_data(loaded.data, ()):
            for finding in find_personal_data(value, names):
                if is_key:
                    span = loaded.span(loc, key=True)
                    line, column = span.line, span.column + finding.start
                else:
                    line, column = loaded.text_position(loc, finding.start)
                found.append(Problem(relative, line, column, format_path(loc), personal_data_message(finding)))
    return found


def iter_data(value: Any, loc: YamlPath) -> Iterator[tuple[YamlPath, str, bool]]:
    """Every key and string of plain YAML data: (path, text, whether it is a key)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*loc, key), key, True
            yield from iter_data(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from iter_data(item, (*loc, i))
    elif isinstance(value, str):
        yield loc, value, False


def iter_text(value: Any, loc: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    """Every string inside a model, with its path in the source file's terms."""
    found: list[tuple[YamlPath, str]] = []
    _collect_text(value, loc, found)
    return iter(found)


def text_values(model: BaseModel) -> list[tuple[YamlPath, str]]:
    """Every string of a model, in field order, with its path (as iter_text, in one list)."""
    found: list[tuple[YamlPath, str]] = []
    _collect_text(model, (), found)
    return found


def _collect_text(value: Any, loc: YamlPath, found: list[tuple[YamlPath, str]]) -> None:
    # A list, not a generator: every yield would pass up through each level of nesting
    # (3.5 million generator steps at 10,000 records).
    if isinstance(value, str):
        found.append((loc, value))
    elif isinstance(value, BaseModel):
        for name, key in _field_keys(type(value)):
            _collect_text(getattr(value, name), (*loc, key), found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect_text(item, (*loc, i), found)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect_text(item, (*loc, key), found)


@functools.cache
def _field_keys(model_type: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(attribute, YAML key) of every field of a model type."""
    return tuple((name, info.alias or name) for name, info in model_type.model_fields.items())
