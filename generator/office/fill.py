"""A record + a document template → a filled 告知书 / 督办函 … as a GB/T 9704 Word file.

Templates come from the record's 类案 (`templates` in classes/*.yaml) first,
then from the built-in generic ones in defaults/doc_templates.yaml, so every
record can get the 三函 and the standard notices even before its class has
its own wording. A placeholder `{field}` is filled from the record; one that
cannot be filled (the record has no `subject`, no time limit is running, the
template misspells a name) is reported with the template's name and never
left in the output as raw `{…}` text, because a printed notice with a
placeholder in it would go out to a petitioner.

Layout rules of a template body: the first line is the document title; a
line ending in "，" or "、", or a long line not ending in a stop, runs on into
the next (YAML editors wrap long lines); every other line is a paragraph.
The first line under the title that ends in "：" is the addressee (主送机关),
set flush left. The issuing body and date (落款) are added at the end.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import TypeAdapter

from ..contract import CaseClass, CaseRecord, DocumentTemplate, Settings, date_text
from ..derive.deadlines import deadline, procedure_of
from ..errors import EXIT_PROBLEMS, CasebookError, InvalidLibrary, UsageProblem
from ..privacy import find_personal_data
from .reference_docx import ADDRESSEE_STYLE
from .word import Signature, escape_markdown, official_docx_bytes, styled_block

PLACEHOLDER = re.compile(r"\{([^{}\n]*)\}")
RUN_ON_ENDINGS = "，、（“《"
STOP_ENDINGS = "。！？；：）”》"
LONG_LINE = 30  # characters: a line this long without a stop was wrapped by an editor
BUILTIN_SOURCE = "通用模板"
ACCEPTING_STAGES = ("受理", "转送", "交办")

# Placeholder → what it means, in the words users read (messages, docs).
PLACEHOLDERS: dict[str, str] = {
    "id": "信访事项编号",
    "title": "标题",
    "received": "收到日期",
    "accepted": "受理（转送、交办）日期",
    "channel": "信访渠道",
    "category": "信访类别",
    "domain": "问题领域",
    "topic": "具体问题",
    "region": "地区",
    "subject": "涉及项目",
    "petitioners_kind": "信访人类别",
    "petitioners_count": "信访人数",
    "petitioners_representatives": "代表人数",
    "petitioners_scale": "涉及规模（有户数写户数，否则写人数）",
    "households": "涉及户数",
    "amount_claimed": "诉求金额（万元）",
    "amount_paid": "兑付金额（万元）",
    "flags": "标记",
    "summary": "基本情况",
    "demands": "诉求",
    "units_lead": "主办单位",
    "units_assist": "协办单位",
    "units_locality": "双向交办的属地",
    "units_department": "双向交办的主管部门",
    "lead_official": "包案领导",
    "procedure": "办理程序",
    "accept_days": "受理时限（日）",
    "notify_days": "告知时限（日）",
    "handle_days": "办理时限（日）",
    "extension_days": "延期上限（日）",
    "review_days": "复查时限（日）",
    "recheck_days": "复核时限（日）",
    "deadline": "办理期限的到期日",
    "deadline_clock": "正在计时的环节",
    "route": "化解方式",
    "decision": "处理意见",
    "decision_text": "处理意见的完整表述",
    "outcome": "办理结果",
    "closed": "办结日期",
    "policy_basis": "政策依据",
    "class_id": "类案编号",
    "class_name": "类案名称",
    "organization": "编制单位",
    "as_of": "成文日期",
    "date": "成文日期",
    "today": "成文日期",
}

DECISION_TEXT = {
    "支持": "本机关对你（们）的请求予以支持",
    "解释说明": "本机关对你（们）的请求作出解释说明",
    "不予支持": "本机关对你（们）的请求不予支持",
    "调解协议": "经调解，各方已达成调解协议，本机关依法出具调解协议书",
    "和解协议": "经协商，各方已达成和解协议，本机关依法出具和解协议书",
}


class TemplateIncomplete(CasebookError):
    """A template's placeholders cannot all be filled from the record."""

    exit_code = EXIT_PROBLEMS


@dataclass(frozen=True)
class FoundTemplate:
    template: DocumentTemplate
    source: str  # "类案 LA-003 拖欠农民工工资" or "通用模板": where a message sends the editor


@dataclass(frozen=True)
class FilledDocument:
    title: str
    paragraphs: list[str]
    addressee: str | None
    template: FoundTemplate


def chinese_date(date: dt.date) -> str:
    """GB/T 9704 §7.3.5: Arabic numerals, full year, no leading zeros."""
    return f"{date.year}年{date.month}月{date.day}日"


@functools.cache
def builtin_templates() -> tuple[DocumentTemplate, ...]:
    text = resources.files("generator").joinpath("defaults/doc_templates.yaml").read_text(encoding="utf-8")
    return tuple(TypeAdapter(list[DocumentTemplate]).validate_python(yaml.safe_load(text)))


def _normal(name: str) -> str:
    return re.sub(r"[\s《》“”\"']", "", name)


def find_template(name: str, case_class: CaseClass | None) -> FoundTemplate:
    """The class's template first, then a built-in; a part of the name is enough when it is unambiguous."""
    sources: list[tuple[str, tuple[DocumentTemplate, ...]]] = []
    if case_class is not None:
        sources.append((f"类案 {case_class.id} {case_class.name}", tuple(case_class.templates)))
    sources.append((BUILTIN_SOURCE, builtin_templates()))
    wanted = _normal(name)
    for source, templates in sources:
        for template in templates:
            if _normal(template.name) == wanted:
                return FoundTemplate(template, source)
    for source, templates in sources:
        hits = [t for t in templates if wanted and (wanted in _normal(t.name) or _normal(t.name) in wanted)]
        if len(hits) == 1:
            return FoundTemplate(hits[0], source)
        if len(hits) > 1:
            names = "、".join(t.name for t in hits)
            raise UsageProblem(f"文书名称“{name}”不明确，{source}中有：{names}；请写出完整名称")
    available = "；".join(f"{source}：{'、'.join(t.name for t in templates)}" for source, templates in sources)
    raise UsageProblem(f"没有名为“{name}”的文书模板。可用的模板——{available}")


def placeholders(body: str) -> list[str]:
    """The placeholder names in a template body, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in PLACEHOLDER.finditer(body)))


def unknown_placeholder_message(name: str) -> str:
    guess = difflib.get_close_matches(name, PLACEHOLDERS, n=1, cutoff=0.6)
    hint = f"，是否应为 {{{guess[0]}}}？" if guess else "；可用占位符见 generator/office/fill.py 的 PLACEHOLDERS"
    return f"未知占位符 {{{name}}}{hint}"


def unknown_placeholders(case_class: CaseClass) -> Iterator[tuple[int, DocumentTemplate, str]]:
    """(template index, template, name) of every placeholder `casebook doc` could not fill."""
    for number, template in enumerate(case_class.templates):
        for name in placeholders(template.body):
            if name not in PLACEHOLDERS:
                yield number, template, name


def template_problems(case_class: CaseClass) -> list[str]:
    """Unknown placeholders in a class's templates, one message each."""
    return [
        f"文书模板“{template.name}”：{unknown_placeholder_message(name)}"
        for _, template, name in unknown_placeholders(case_class)
    ]


# ── values ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Missing:
    """Why a placeholder has no value for this record."""

    reason: str


Value = str | Missing


def _sentence_list(items: list[str], separator: str) -> str:
    return separator.join(item.strip().rstrip("。；;，,、 ") for item in items if item.strip())


def _text(value: object, field: str) -> Value:
    if value is None or value == "" or value == []:
        return Missing(f"记录未填写“{PLACEHOLDERS[field]}”")
    if isinstance(value, dt.date):
        return chinese_date(value)
    return str(value)


def record_values(
    record: CaseRecord, settings: Settings, case_class: CaseClass | None, as_of: dt.date
) -> dict[str, Callable[[], Value]]:
    """Each placeholder's value, computed only when a template uses it."""
    procedure_name, limits = procedure_of(record, settings)
    resolution = record.resolution
    dual = record.units.dual

    def accepted() -> Value:
        dates = [stage.date for stage in record.stages if stage.stage in ACCEPTING_STAGES and stage.date <= as_of]
        if not dates:
            return Missing(f"截至{chinese_date(as_of)}记录中没有受理、转送或交办环节")
        return chinese_date(min(dates))

    def running() -> Value:
        state = deadline(record, settings, as_of)
        if state.due is None:
            return Missing(f"截至{chinese_date(as_of)}该事项没有正在计算的办理时限（{state.state}）")
        return chinese_date(state.due)

    def clock() -> Value:
        state = deadline(record, settings, as_of)
        return state.clock or Missing(f"截至{chinese_date(as_of)}该事项没有正在计算的办理时限（{state.state}）")

    def decision_text() -> Value:
        decision = resolution.decision if resolution else None
        return DECISION_TEXT[decision] if decision else Missing("记录未填写“处理意见”（resolution.decision）")

    def policy() -> Value:
        cited = dict.fromkeys(f"《{basis.law}》{basis.article or ''}" for basis in record.policy_basis)
        return "、".join(cited) if cited else Missing("记录未填写“政策依据”（policy_basis）")

    def of_class(attribute: str) -> Callable[[], Value]:
        return lambda: getattr(case_class, attribute) if case_class else Missing("记录未归入类案（class）")

    def day(value: dt.date | None, field: str) -> Value:
        """A date of the record as a letter writes it: 2019年5月 when only the month is known."""
        if value is not None and record.date_precision is not None:
            return date_text(value, record.date_precision)
        return _text(value, field)

    def money(value: float | None, field: str) -> Value:
        return _text(None if value is None else f"{value:g} 万元", field)

    amounts = record.amounts
    households = record.petitioners.households
    document_date = chinese_date(as_of)
    return {
        "id": lambda: record.id,
        "title": lambda: record.title.strip(),
        "received": lambda: day(record.received, "received"),
        "accepted": accepted,
        "channel": lambda: record.channel,
        "category": lambda: record.category,
        "domain": lambda: record.domain,
        "topic": lambda: record.topic,
        "region": lambda: record.region.replace("/", ""),
        "subject": lambda: _text(record.subject, "subject"),
        "petitioners_kind": lambda: record.petitioners.kind,
        "petitioners_count": lambda: str(record.petitioners.count),
        "petitioners_representatives": lambda: _text(record.petitioners.representatives, "petitioners_representatives"),
        "petitioners_scale": lambda: f"{households}户" if households else f"{record.petitioners.count}人",
        "households": lambda: _text(households, "households"),
        "amount_claimed": lambda: money(amounts.claimed if amounts else None, "amount_claimed"),
        "amount_paid": lambda: money(amounts.paid if amounts else None, "amount_paid"),
        "flags": lambda: _text("、".join(record.flags), "flags"),
        "summary": lambda: "".join(line.strip() for line in record.summary.splitlines()),
        "demands": lambda: _sentence_list(record.demands, "；"),
        "units_lead": lambda: record.units.lead,
        "units_assist": lambda: _text("、".join(record.units.assist), "units_assist"),
        "units_locality": lambda: _text(dual.locality if dual else None, "units_locality"),
        "units_department": lambda: _text(dual.department if dual else None, "units_department"),
        "lead_official": lambda: _text(record.lead_official, "lead_official"),
        "procedure": lambda: procedure_name,
        "accept_days": lambda: str(limits.accept_days),
        "notify_days": lambda: str(limits.notify_days),
        "handle_days": lambda: str(limits.handle_days),
        "extension_days": lambda: str(limits.extension_days),
        "review_days": lambda: str(limits.review_days),
        "recheck_days": lambda: str(limits.recheck_days),
        "deadline": running,
        "deadline_clock": clock,
        "route": lambda: _text(resolution.route if resolution else None, "route"),
        "decision": lambda: _text(resolution.decision if resolution else None, "decision"),
        "decision_text": decision_text,
        "outcome": lambda: _text(resolution.outcome if resolution else None, "outcome"),
        "closed": lambda: day(resolution.closed if resolution else None, "closed"),
        "policy_basis": policy,
        "class_id": of_class("id"),
        "class_name": of_class("name"),
        "organization": lambda: settings.library.organization,
        "as_of": lambda: document_date,
        "date": lambda: document_date,
        "today": lambda: document_date,
    }


# ── filling ─────────────────────────────────────────────────────────────────


def fill(found: FoundTemplate, values: dict[str, Callable[[], Value]], record_id: str) -> FilledDocument:
    """The template with every placeholder filled, or TemplateIncomplete naming each one that cannot be."""
    body = found.template.body
    where = f"文书模板“{found.template.name}”（{found.source}）"
    problems: list[str] = []
    filled: dict[str, str] = {}
    for name in placeholders(body):
        if name not in values:
            problems.append(f"{where}：{unknown_placeholder_message(name)}")
            continue
        value = values[name]()
        if isinstance(value, Missing):
            problems.append(f"{where}：占位符 {{{name}}}（{PLACEHOLDERS[name]}）无法填写：{record_id} {value.reason}")
        else:
            filled[name] = value
    if problems:
        raise TemplateIncomplete("\n".join([*problems, f"未生成文书（{len(problems)} 个占位符无法填写）"]))
    return layout(body, found, lambda text: PLACEHOLDER.sub(lambda match: filled[match.group(1)], text))


def layout(body: str, found: FoundTemplate, substitute: Callable[[str], str] = str) -> FilledDocument:
    """Split a template body into title, addressee and paragraphs, then fill each (see the module docstring).

    The split reads the template's own lines, so a long value (a title, the
    demands) never changes where a paragraph ends.
    """
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    title, rest = lines[0], lines[1:]
    paragraphs: list[str] = []
    current = ""
    for line in rest:
        current += line
        bare = PLACEHOLDER.sub("", line)
        runs_on = line[-1] in RUN_ON_ENDINGS or (len(bare) >= LONG_LINE and line[-1] not in STOP_ENDINGS)
        if not runs_on:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    addressee = None
    if paragraphs and paragraphs[0].endswith("：") and len(PLACEHOLDER.sub("", paragraphs[0])) <= LONG_LINE:
        addressee = substitute(paragraphs.pop(0))
    return FilledDocument(substitute(title), [substitute(p) for p in paragraphs], addressee, found)


def document_markdown(document: FilledDocument) -> str:
    parts = []
    if document.addressee:
        parts.append(styled_block(ADDRESSEE_STYLE, document.addressee))
    parts += [escape_markdown(paragraph) + "\n" for paragraph in document.paragraphs]
    return "\n".join(parts)


def check_privacy(document: FilledDocument, settings: Settings) -> None:
    """Second line of defence: validation already refuses personal data in records."""
    text = "\n".join([document.title, document.addressee or "", *document.paragraphs])
    findings = [finding.kind for finding in find_personal_data(text)]
    findings += ["受保护姓名" for name in settings.protected_names if name and name in text]
    if findings:
        raise TemplateIncomplete(f"文书中含有个人信息（{'、'.join(dict.fromkeys(findings))}），未生成")


# ── the `casebook doc` command ──────────────────────────────────────────────


def write_record_document(
    library_root: Path,
    record_id: str,
    template_name: str,
    as_of: dt.date,
    out: Path | None = None,
    force: bool = False,
) -> Path:
    """Load the library, fill `template_name` for `record_id` as of `as_of`, write the .docx; return its path.

    An existing file is kept unless `force`; a given `out` is checked before the library is loaded.
    """
    from ..outdir import check_file_out, file_work, write_file
    from ..validate import check_library

    if out is not None:
        check_file_out(out, force)

    # Dates are checked against today, not `as_of`: a letter may be dated before later records.
    library, problems = check_library(library_root)
    records = {document.model.id: document for document in library.records}
    record_document = records.get(record_id)
    if record_document is None:
        if record_id in library.unreadable_ids:
            raise InvalidLibrary([p for p in problems if Path(p.path).stem == record_id], "未生成文书")
        guess = difflib.get_close_matches(record_id, records, n=1)
        hint = f"，是否应为 {guess[0]}？" if guess else ""
        raise UsageProblem(f"案例库中没有信访事项 {record_id}{hint}")
    if library.settings is None:
        raise InvalidLibrary([p for p in problems if p.path == "settings.yaml"], "未生成文书")
    record = record_document.model
    class_document = next((d for d in library.classes if d.model.id == record.class_), None)
    relevant = {record_document.path, "settings.yaml", class_document.path if class_document else ""}
    blocking = [p for p in problems if p.path in relevant]
    if blocking:
        raise InvalidLibrary(blocking, "未生成文书")
    settings = library.settings.model
    case_class = class_document.model if class_document else None
    found = find_template(template_name, case_class)
    document = fill(found, record_values(record, settings, case_class, as_of), record.id)
    check_privacy(document, settings)
    target = out or Path(f"{record.id}-{found.template.name}.docx")
    check_file_out(target, force)
    with file_work(target) as work:
        data = official_docx_bytes(
            document_markdown(document),
            title=document.title,
            date=as_of,
            signature=Signature(settings.library.organization, chinese_date(as_of)),
        )
        write_file(target, data, work, force)
    return target
