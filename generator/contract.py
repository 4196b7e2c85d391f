"""The data contract: what each YAML file in a library may say, declared once.

Why pydantic: one declaration gives us the validator (with a field path for
every error, which `load` maps back to line and column), the JSON Schema
that trainers' editors use for completion (`casebook schema`), the field
reference in the docs and the `casebook new` skeletons. Every field carries
a Chinese title and description because those are what users read.

Values that a locality edits (问题领域, 地区, 责任单位, 渠道 …) are plain
strings here and checked against `settings.yaml` by `validate`; values fixed
by the 信访工作条例 (category, decision, outcome …) are closed sets here.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

RECORD_ID_PATTERN = r"^XF-\d{4}-\d{4}$"
TYPICAL_ID_PATTERN = r"^\d{4}-\d{2}-[12]-\d{3}$"
CLASS_ID_PATTERN = r"^LA-\d{3}$"

Visibility = Literal["internal", "training", "public"]
VISIBILITY_LABELS = {"internal": "内部版", "training": "培训版", "public": "公开版"}

Category = Literal["建议意见类", "检举控告类", "申诉求决类"]
Route = Literal["依法解决", "困难救助", "教育疏导", "稳控"]
ROUTE_LABELS = {
    "依法解决": "依法解决一批",
    "困难救助": "困难救助化解一批",
    "教育疏导": "教育疏导化解一批",
    "稳控": "稳控一批",
}
Decision = Literal["支持", "解释说明", "不予支持", "调解协议", "和解协议"]
# 不详: the source does not say how it ended (a transcribed or archived case); its own category
# everywhere, never counted as 未化解, and it needs no 办结日期 (issue 16).
Outcome = Literal["已化解", "部分化解", "未化解", "终结", "不详"]
# year / month: the source gives a date only to the year or the month (issue 16). The date is
# written as the first day of that year or month, shown as "2019年" or "2019年5月", sorts there,
# and no time limit is computed from it.
DatePrecision = Literal["year", "month"]
DATE_PRECISION_LABELS = {"year": "年", "month": "月"}


def date_text(value: dt.date | None, precision: str | None) -> str:
    """A date as a page prints it: 2019-05-01, or 2019年5月 / 2019年 when only that much is known."""
    if value is None:
        return ""
    if precision == "year":
        return f"{value.year}年"
    if precision == "month":
        return f"{value.year}年{value.month}月"
    return value.isoformat()


Rating = Literal["满意", "基本满意", "不满意", "未评价"]
# 草稿 → 待审 → 已发布 (issue 16): only 已发布 entries and guides go into the training and
# public editions; the internal edition shows the others marked, and lists them on its 待审 page.
ReviewStatus = Literal["draft", "pending", "published"]
REVIEW_LABELS = {"draft": "草稿", "pending": "待审", "published": "已发布"}
# What the mark on an unpublished entry or guide says it is doing (pages, the 待审 page).
REVIEW_STATES = {"draft": "尚在编写", "pending": "等待审核"}

StageKind = Literal[
    "登记",
    "受理",
    "不予受理",
    "告知",
    "转送",
    "交办",
    "办理",
    "督查",
    "延期",
    "答复",
    "复查申请",
    "复查",
    "复核申请",
    "复核",
    "听证",
    "回访",
    "终结",
]
# The order in which stages of one record may follow each other. 听证 may be
# held while handling, on review or on second review, so it has no rank. A 督查
# (an inspection of how the handling goes) ranks with 办理: it happens while handling.
STAGE_RANK: dict[str, int] = {
    "登记": 0,
    "受理": 1,
    "不予受理": 1,
    "告知": 2,
    "转送": 2,
    "交办": 2,
    "办理": 3,
    "督查": 3,
    "延期": 4,
    "答复": 5,
    "复查申请": 6,
    "复查": 7,
    "复核申请": 8,
    "复核": 9,
    "回访": 10,
    "终结": 11,
}

# Booleans must be written true/false: YAML 1.1's yes/no/on/off stay text.
StrictBool = Annotated[bool, Strict()]


def field(title: str, description: str, **kwargs: Any) -> Any:
    """A model field with the Chinese title and description users read."""
    return Field(title=title, description=description, **kwargs)


def vocab(title: str, description: str, vocabulary: str, **kwargs: Any) -> Any:
    """A field whose value must come from a list in settings.yaml.

    `x-vocabulary` names the list; `validate` checks against it and
    `casebook schema` turns it into an enum for editors.
    """
    return Field(
        title=title,
        description=description,
        json_schema_extra={"x-vocabulary": vocabulary},
        **kwargs,
    )


class Contract(BaseModel):
    """Base of every model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def model_post_init(self, context: Any, /) -> None:
        """Share what thousands of models hold alike: the set of fields given, and short texts.

        A record is some 15 models; each kept a set of its field names of its own
        (7 KB a record, a third of its memory) and its own copy of every vocabulary
        value and date-like text (7.5 KB). At 100,000 records that was about 1.5 GB.
        The models are never changed after validation (a change would fail loudly:
        the shared set refuses changes).

        Read from JSON text with `FROM_JSON` as the context (library.cached_document), the
        texts are shared already: pydantic's JSON reader keeps one object per short string
        (its string cache), so interning them again only cost time (1 s at 100,000 records;
        the memory of 10,000 records' models was 72 MB either way)."""
        given = frozenset(self.__pydantic_fields_set__)
        shared = _FIELD_SETS.get(given)
        if shared is None:
            shared = _FIELD_SETS[given] = SharedFieldSet(given)
        object.__setattr__(self, "__pydantic_fields_set__", shared)
        if context is not None and context.get(_STRINGS_SHARED):
            return
        values = self.__dict__
        for name, value in values.items():
            if type(value) is str:
                if len(value) <= SHARED_TEXT:
                    values[name] = sys.intern(value)
            elif type(value) is list:
                for index, item in enumerate(value):
                    if type(item) is str and len(item) <= SHARED_TEXT:
                        value[index] = sys.intern(item)


class SharedFieldSet(set[str]):
    """The fields given, shared by every model given the same ones: a set (pydantic's
    serializer wants one) that refuses changes, since a change would reach them all."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("a validated model is not changed: make a new one (model_validate)")

    def __copy__(self) -> set[str]:  # model_copy(update=...) copies the set, then adds to the copy
        return set(self)

    def __deepcopy__(self, memo: dict[int, object]) -> set[str]:
        return set(self)

    add = discard = remove = pop = clear = update = _refuse  # type: ignore[assignment]
    intersection_update = difference_update = symmetric_difference_update = _refuse  # type: ignore[assignment]
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse  # type: ignore[assignment]


SHARED_TEXT = 24  # texts up to this long are interned: names, places, units, vocabulary values
_STRINGS_SHARED = "strings_shared"
FROM_JSON: dict[str, bool] = {_STRINGS_SHARED: True}  # the validation context of a model read from JSON text
_FIELD_SETS: dict[frozenset[str], SharedFieldSet] = {}


# ── shared parts ────────────────────────────────────────────────────────────


class PolicyBasis(Contract):
    """One legal or policy provision cited, e.g. 《信访工作条例》第三十四条."""

    law: str = field("法律政策名称", "不带书名号，例如：信访工作条例", min_length=1)
    article: str | None = field("条款", "例如：第三十四条；整部文件可省略", default=None)
    note: str | None = field("说明", "该条款在本案中的作用", default=None)


class Revision(Contract):
    """One entry in a revision history."""

    date: dt.date = field("修订日期", "修订生效的日期，格式 YYYY-MM-DD")
    by: str = field("修订人职务", "只写职务，不写姓名，例如：市信访局办公室主任", min_length=1)
    note: str = field("修订说明", "改了什么、为什么", min_length=1)
    version: str | None = field("版本号", "修订后的版本号，例如：1.1", default=None)


# ── case record ─────────────────────────────────────────────────────────────


class Petitioners(Contract):
    """Who petitioned, described without identifying anyone."""

    count: int = field("人数", "信访人数；集体访为 5 人及以上", ge=1)
    kind: str = vocab("信访人类别", "例如：业主、农民工、退休职工", "petitioner_kinds")
    representatives: int | None = field(
        "代表人数", "集体访推选的代表人数（《信访工作条例》第二十条：不超过 5 人）", default=None, ge=1
    )
    households: int | None = field("户数", "涉及的户数（批量办证、征收等按户计的事项），例如：1260", default=None, ge=1)
    note: str | None = field("说明", "不得写姓名、证件号、电话、住址", default=None)


class Amounts(Contract):
    """Money the petition is about: what was claimed and what was paid (万元); either may be unknown."""

    claimed: float | None = field("诉求金额（万元）", "信访人主张或被拖欠的金额，以万元计", default=None, ge=0)
    paid: float | None = field("兑付金额（万元）", "已兑付、已追回的金额，以万元计", default=None, ge=0)


class Source(Contract):
    """Where a transcribed case was published: who, where, when (issue 16)."""

    publisher: str = field("发布单位", "发布该案例的单位或媒体，例如：某省信访局", min_length=1)
    title: str | None = field("原标题", "来源中的标题", default=None)
    url: str | None = field("网址", "来源网址；只作文字显示，不生成链接", default=None)
    published: dt.date | None = field("发布日期", "来源的发布日期，格式 YYYY-MM-DD", default=None)


class DualAssignment(Contract):
    """双向交办: the locality resolves the case, the department resolves the class."""

    locality: str = vocab("属地", "负责个案化解的属地单位", "units")
    department: str = vocab("主管部门", "负责类案化解的主管部门", "units")


class Units(Contract):
    """责任单位: the lead unit and the assisting ones."""

    lead: str = vocab("主办单位", "牵头办理的责任单位", "units")
    assist: list[str] = vocab("协办单位", "协助办理的单位", "units", default_factory=list)
    dual: DualAssignment | None = field("双向交办", "政策性问题同时交属地和主管部门", default=None)


class FiveOnes(Contract):
    """五个一: what each of the five was for this case (posts, never names)."""

    leader: str | None = field("一名包案领导", "职务，例如：区委副书记", default=None)
    team: str | None = field("一个工作班子", "例如：区住建局牵头的工作专班", default=None)
    plan: str | None = field("一套化解方案", "方案名称或要点", default=None)
    analysis: str | None = field("一份研判纪要", "研判会议及结论", default=None)
    stability: str | None = field("一套稳控措施", "稳控措施要点", default=None)


class Stage(Contract):
    """One step of the handling, in the order it happened."""

    stage: StageKind = field("环节", "登记、受理、告知、办理、督查、延期、答复、复查、复核、听证、回访、终结等")
    date: dt.date = field("日期", "本环节发生的日期，格式 YYYY-MM-DD")
    unit: str | None = vocab("办理单位", "本环节的办理单位", "units", default=None)
    document: str | None = field("文书", "本环节形成的文书，例如：受理告知书、信访处理意见书", default=None)
    days: int | None = field("延期天数", "仅用于“延期”环节：延长的天数", default=None, ge=1)
    reason: str | None = field("延期理由", "仅用于“延期”环节：须告知信访人", default=None)
    note: str | None = field("说明", "本环节的情况说明", default=None)


class Satisfaction(Contract):
    """满意度, rated separately for the responsible unit and the petition office."""

    unit: Rating = field("对责任单位的评价", "满意/基本满意/不满意/未评价", default="未评价")
    office: Rating = field("对信访部门的评价", "满意/基本满意/不满意/未评价", default="未评价")


class Funds(Contract):
    """Money used to resolve the case."""

    amount: float = field("金额（万元）", "以万元计", ge=0)
    source: str | None = field("资金来源", "例如：信访专项资金、企业垫付", default=None)


class Resolution(Contract):
    """How the matter ended (or where it stands)."""

    route: Route | None = field("化解方式", "四个一批：依法解决/困难救助/教育疏导/稳控", default=None)
    decision: Decision | None = field(
        "处理意见", "《信访工作条例》第三十二、三十三条：支持/解释说明/不予支持/调解协议/和解协议", default=None
    )
    outcome: Outcome = field("办理结果", "已化解/部分化解/未化解/终结/不详（来源未写明结果）")
    closed: dt.date | None = field("办结日期", "未办结的留空", default=None)
    satisfaction: Satisfaction = field("满意度", "信访人对责任单位和信访部门的评价", default_factory=Satisfaction)
    funds: Funds | None = field("使用资金", "化解中使用的资金", default=None)
    note: str | None = field("说明", "结果说明", default=None)


class CaseRecord(Contract):
    """信访事项（案例记录）: one petition matter and how it was handled."""

    id: str = field("编号", "XF-年份-四位序号，例如：XF-2023-0001；一经确定不再更改", pattern=RECORD_ID_PATTERN)
    title: str = field("标题", "一句话概括诉求，不含个人信息", min_length=1)
    received: dt.date = field("收到日期", "信访部门收到信访事项的日期，格式 YYYY-MM-DD；时限从此起算")
    channel: str = vocab("信访渠道", "来信、来访、网上信访、电话、领导接访 …", "channels")
    category: Category = field("信访类别", "建议意见类/检举控告类/申诉求决类（条例第二十九至三十一条）")
    domain: str = vocab("问题领域", "例如：城乡建设、劳动社保", "domains")
    topic: str = field("具体问题", "例如：不动产证办理", min_length=1)
    region: str = vocab("地区", "市/区/街道路径，例如：某市/城东区/和平街道", "regions")
    subject: str | None = field(
        "涉及项目", "涉及的楼盘、项目、企业等，用于类案批量分组，例如：锦绣花园小区", default=None
    )
    petitioners: Petitioners = field("信访人", "人数与类别，绝不写姓名")
    flags: list[str] = vocab("标记", "集体访、重复访、越级访、初信初访、积案 …", "flags", default_factory=list)
    procedure: str | None = vocab(
        "办理程序", "对应 settings.yaml 中的时限方案，缺省为默认程序", "procedures", default=None
    )
    summary: str = field("基本情况", "事情经过，人名写作张某、李某某", min_length=1)
    demands: list[str] = field("诉求", "信访人的诉求，逐条列出", min_length=1)
    amounts: Amounts | None = field("涉及金额", "诉求金额、兑付金额（万元），不知道的不写", default=None)
    units: Units = field("责任单位", "主办与协办单位")
    lead_official: str | None = field("包案领导", "只写职务，例如：区委副书记", default=None)
    five_ones: FiveOnes | None = field("五个一", "包案领导、工作班子、化解方案、研判纪要、稳控措施", default=None)
    mechanisms: list[str] = vocab("工作机制", "五个一、双向交办、信访听证 …", "mechanisms", default_factory=list)
    stages: list[Stage] = field("办理环节", "按时间顺序列出", min_length=1)
    resolution: Resolution | None = field("办理结果", "未办结的可只写 outcome: 未化解", default=None)
    policy_basis: list[PolicyBasis] = field("政策依据", "法律政策及条款", default_factory=list)
    class_: str | None = field(
        "所属类案", "类案编号，例如：LA-001", alias="class", default=None, pattern=CLASS_ID_PATTERN
    )
    tags: list[str] = field("标签", "自由标签，便于检索", default_factory=list)
    date_precision: DatePrecision | None = field(
        "日期精度",
        "来源只写到年或月时填 year / month：日期写作该年或该月的第一天，显示为“2019年”“2019年5月”，不计算时限",
        default=None,
    )
    source: Source | None = field("来源", "转录自已发布案例时写明发布单位、网址、日期", default=None)
    archived: StrictBool = field(
        "历史案例",
        "true：多年前已办结、为学习而收录的案例；地区、单位可写原文；不计时限，不算在办，不进督办清单",
        default=False,
    )
    external: StrictBool = field(
        "外地案例",
        "true：外地的案例；地区、单位可写原文，不需列入本地词表；不计时限，不进类案台账和督办清单",
        default=False,
    )
    visibility: Visibility = field("公开范围", "internal 内部版 / training 培训版 / public 公开版", default="internal")

    @property
    def for_reference(self) -> bool:
        """Archived or outside: read to learn from, not handled here (no clock, no local vocabulary)."""
        return self.archived or self.external


# ── typical-case entry ──────────────────────────────────────────────────────


class ProcessStep(Contract):
    """One dated step of how the case was resolved."""

    date: dt.date = field("日期", "这一步的日期，格式 YYYY-MM-DD")
    action: str = field("做法", "这一步做了什么", min_length=1)


class Metric(Contract):
    """A number that shows the effect (化解成效)."""

    name: str = field("指标", "例如：办证户数、兑付金额", min_length=1)
    value: float = field("数值", "数字")
    unit: str | None = field("单位", "例如：户、万元、%", default=None)


class Review(Contract):
    """Where an entry or a guide stands in review; the reviewer recorded by post.

    A file without it is a draft: a new entry or guide is published only by saying so."""

    status: ReviewStatus = field(
        "审核状态", "draft 草稿 / pending 待审 / published 已发布；培训版、公开版只收录已发布的", default="draft"
    )
    reviewer: str | None = field("审核人职务", "只写职务", default=None)
    date: dt.date | None = field("审核日期", "审核或发布的日期，格式 YYYY-MM-DD", default=None)


class BatchTotals(Contract):
    """批量案例的总量：来源写的是一件引发的案例加总数时（“75 个项目”），不必逐件列出记录。"""

    projects: int | None = field("项目数", "涉及的项目、楼盘、企业数", default=None, ge=1)
    households: int | None = field("户数", "涉及的户数", default=None, ge=1)
    records_total: int | None = field("信访事项总数", "同类信访事项的总件数（含未列为来源案例的）", default=None, ge=2)


class TypicalEntry(Contract):
    """典型案例: a reviewed write-up of how a hard case or a batch was resolved."""

    id: str = field(
        "入库编号",
        "年份-领域代码-类型(1 个案/2 批量)-序号，例如：2023-01-2-001",
        pattern=TYPICAL_ID_PATTERN,
    )
    title: str = field("标题", "案例标题", min_length=1)
    subtitle: str | None = field("副标题", "一句话说明案例要旨", default=None)
    keywords: list[str] = field("关键词", "3–6 个检索关键词", min_length=1)
    class_: str | None = field("所属类案", "类案编号", alias="class", default=None, pattern=CLASS_ID_PATTERN)
    domain: str = vocab("问题领域", "问题领域", "domains")
    region: str = vocab("地区", "市/区/街道路径", "regions")
    records: list[str] = field(
        "来源案例", "对应的信访事项编号；批量案例列出全部，或列出引发的一件并写 batch", min_length=1
    )
    batch: BatchTotals | None = field("批量总量", "批量案例涉及的项目数、户数、信访事项总数", default=None)
    background: str = field("基本情况", "案情概述", min_length=1)
    difficulties: list[str] = field("难点症结", "化解的难点与症结", min_length=1)
    process: list[ProcessStep] = field("化解过程", "按日期列出主要步骤", min_length=1)
    results: str = field("化解成效", "成效概述", min_length=1)
    metrics: list[Metric] = field("成效数据", "量化的成效", default_factory=list)
    method: list[str] = field("化解思路和方法", "可复制推广的做法", min_length=1)
    lessons: list[str] = field("经验启示", "经验与启示", default_factory=list)
    applicability: list[str] = field("适用情形", "什么情况下可参照本案例", default_factory=list)
    routes: list[Route] = field("化解方式", "四个一批", default_factory=list)
    outcome: Outcome = field("化解结果", "已化解/部分化解/未化解/终结/不详（来源未写明结果）")
    policy_basis: list[PolicyBasis] = field("政策依据", "法律政策及条款", default_factory=list)
    mechanisms: list[str] = vocab("工作机制", "五个一、双向交办、信访听证 …", "mechanisms", default_factory=list)
    tags: list[str] = field("标签", "自由标签", default_factory=list)
    date_precision: DatePrecision | None = field(
        "日期精度",
        "来源只写到年或月时填 year / month：化解过程的日期写作该年或该月的第一天，按年或月显示",
        default=None,
    )
    source: Source | None = field("来源", "转录自已发布案例时写明发布单位、网址、日期", default=None)
    archived: StrictBool = field("历史案例", "true：多年前已办结、为学习而收录的案例", default=False)
    external: StrictBool = field("外地案例", "true：外地的案例；地区可写原文，不需列入本地词表", default=False)
    review: Review = field(
        "审核", "审核状态、审核人职务和日期；缺省为草稿（casebook publish 发布）", default_factory=Review
    )
    revisions: list[Revision] = field("修订记录", "修订历史", default_factory=list)
    visibility: Visibility = field(
        "公开范围", "internal 内部版 / training 培训版 / public 公开版；只进入允许它的版本", default="internal"
    )

    @property
    def for_reference(self) -> bool:
        """Archived or outside: read to learn from, not handled here (no clock, no local vocabulary)."""
        return self.archived or self.external


# ── case class and its guide ────────────────────────────────────────────────


class MatchingRules(Contract):
    """Rules that suggest this class for a record that has none."""

    topics: list[str] = field("具体问题", "记录的 topic 等于其中之一即强匹配", default_factory=list)
    keywords_any: list[str] = field("关键词（任一）", "正文含任一关键词即加分", default_factory=list)
    keywords_all: list[str] = field("关键词（全部）", "正文须含全部关键词", default_factory=list)
    exclude: list[str] = field("排除词", "正文含这些词则不归入本类", default_factory=list)


class Responsibilities(Contract):
    """责任分工: who resolves the case and who resolves the class."""

    locality: str = field("属地责任", "属地（区、街道）负责什么", min_length=1)
    department: str = field("主管部门责任", "主管部门负责什么", min_length=1)
    dual_assignment: str | None = field("双向交办", "如何双向交办", default=None)
    coordination: str | None = field("统筹协调", "信访部门、联席会议的职责", default=None)


class GuideStep(Contract):
    """One step of the standard procedure."""

    name: str = field("步骤", "例如：登记受理", min_length=1)
    actor: str = field("责任主体", "谁来做", min_length=1)
    action: str = field("工作内容", "做什么", min_length=1)
    days: int | None = field("时限（日）", "本步骤的办理时限", default=None, ge=0)
    document: str | None = field("形成文书", "本步骤形成的文书", default=None)


class MethodChoice(Contract):
    """Which of 四个一批 applies when."""

    route: Route = field("化解方式", "四个一批之一")
    when: str = field("适用情形", "什么情况下采用", min_length=1)
    how: str | None = field("做法", "具体做法", default=None)


class Risk(Contract):
    """A risk point and how it is contained."""

    risk: str = field("风险点", "可能出现的风险", min_length=1)
    measures: list[str] = field("稳控措施", "应对措施", min_length=1)


class DocumentTemplate(Contract):
    """A document template with {placeholders} filled from a record."""

    name: str = field("文书名称", "例如：受理告知书", min_length=1)
    purpose: str | None = field("用途", "何时使用", default=None)
    body: str = field("正文模板", "用 {字段} 占位，例如 {title}、{received}", min_length=1)


class BatchRule(Contract):
    """How records of the class are grouped for batch handling."""

    group_by: Literal["subject", "region", "unit", "topic"] = field(
        "分组依据", "subject 涉及项目 / region 地区 / unit 主办单位 / topic 具体问题"
    )
    description: str = field("说明", "为什么这样分组、如何批量处理", min_length=1)


class CaseClass(Contract):
    """类案 and its 标准化操作指引."""

    id: str = field("类案编号", "LA-三位序号，例如：LA-001", pattern=CLASS_ID_PATTERN)
    name: str = field("类案名称", "例如：问题楼盘办证", min_length=1)
    domain: str = vocab("问题领域", "问题领域", "domains")
    summary: str = field("概述", "本类案的共同特征", min_length=1)
    criteria: list[str] = field("识别要点", "如何判断一件信访事项属于本类", min_length=1)
    matching: MatchingRules = field("匹配规则", "用于为未归类记录推荐类案", default_factory=MatchingRules)
    policy_basis: list[PolicyBasis] = field("法律政策依据", "法律政策及条款", min_length=1)
    responsibilities: Responsibilities = field("责任分工", "属地与主管部门")
    steps: list[GuideStep] = field("办理流程", "标准步骤", min_length=1)
    methods: list[MethodChoice] = field("化解方法", "四个一批各自适用的情形", min_length=1)
    risks: list[Risk] = field("风险点与稳控措施", "风险及应对", default_factory=list)
    templates: list[DocumentTemplate] = field("文书模板", "本类常用文书", default_factory=list)
    batch: BatchRule | None = field("批量处理", "如何分组批量处理", default=None)
    checklist: list[str] = field("检查清单", "办结前逐项核对", default_factory=list)
    version: str = field("版本", "例如：1.0", min_length=1)
    publisher: str = field("发布单位（职务）", "例如：市信访局业务指导处", min_length=1)
    published: dt.date = field("发布日期", "指引发布施行的日期，格式 YYYY-MM-DD")
    revisions: list[Revision] = field("修订记录", "修订历史", default_factory=list)
    review: Review = field(
        "审核", "审核状态、审核人职务和日期；缺省为草稿（casebook publish 发布）", default_factory=Review
    )
    visibility: Visibility = field(
        "公开范围", "internal 内部版 / training 培训版 / public 公开版；只进入允许它的版本", default="internal"
    )


# ── settings ────────────────────────────────────────────────────────────────


class Domain(Contract):
    """A 问题领域 with the two-digit code used in 入库编号."""

    name: str = field("名称", "例如：城乡建设", min_length=1)
    code: str = field("代码", "两位数字，用于典型案例入库编号", pattern=r"^\d{2}$")


class Procedure(Contract):
    """A set of time limits (days) that records can be handled under."""

    accept_days: int = field("受理时限", "登记、受理或转送交办的天数（条例第二十二条：15 日）", ge=1)
    notify_days: int = field("告知时限", "书面告知信访人的天数（条例第二十三条：15 日）", ge=1)
    handle_days: int = field("办理时限", "自受理之日起办结的天数（条例第三十四条：60 日）", ge=1)
    extension_days: int = field("延期上限", "可延长一次的最多天数（条例第三十四条：30 日）", ge=0)
    review_days: int = field("复查时限", "收到复查请求后作出复查意见的天数（条例第三十五条：30 日）", ge=1)
    recheck_days: int = field("复核时限", "收到复核请求后作出复核意见的天数（条例第三十六条：30 日）", ge=1)
    basis: str | None = field("依据", "本时限方案的出处", default=None)


class TimeLimits(Contract):
    """Time limits are data: localities shorten them (e.g. 520/210)."""

    default_procedure: str = field("默认程序", "记录未写 procedure 时采用的方案名")
    warning_days: int = field("临期提示天数", "距到期日不超过该天数即为“临期”", ge=0)
    procedures: dict[str, Procedure] = field("时限方案", "方案名 → 各环节时限", min_length=1)


IndicatorKind = Literal["count", "sum", "rate"]
# Which date puts a record in a period (statistics.py): 收到, 首次受理/不予受理/转送/交办,
# 首次答复, 办结; or `status`: the record's state at the period's end (逾期 and 临期 counts).
IndicatorDate = Literal["received", "decided", "answered", "closed", "status"]
INDICATOR_DATE_LABELS = {
    "received": "按收到日期计",
    "decided": "按受理（或不予受理、转送、交办）日期计",
    "answered": "按答复日期计",
    "closed": "按办结日期计",
    "status": "按统计期末的状态计",
}
SummedField = Literal["petitioners", "households"]
SUMMED_LABELS = {"petitioners": "人次", "households": "户"}
# The states a `status` indicator may count (derive/deadlines.py), as of the period's end.
StatusState = Literal["正常", "临期", "逾期", "已答复", "已办结"]


class IndicatorFilter(Contract):
    """Which records an indicator counts: every condition given must hold; a list means any of its values."""

    channel: list[str] | None = vocab("信访渠道", "例如：[来信]", "channels", default=None)
    category: list[Category] | None = field("信访类别", "建议意见类/检举控告类/申诉求决类", default=None)
    domain: list[str] | None = vocab("问题领域", "例如：[城乡建设]", "domains", default=None)
    flags: list[str] | None = vocab("标记", "有其中任一标记即计入，例如：[集体访]", "flags", default=None)
    outcome: list[Literal["已化解", "部分化解", "未化解", "终结", "不详", "未办结"]] | None = field(
        "办理结果", "统计期末已知的结果；未办结的为“未办结”", default=None
    )
    route: list[Route] | None = field("化解方式", "依法解决/困难救助/教育疏导/稳控", default=None)
    decision: list[Decision] | None = field("处理意见", "支持/解释说明/不予支持/调解协议/和解协议", default=None)
    unit_rating: list[Rating] | None = field("对责任单位的评价", "满意/基本满意/不满意/未评价", default=None)
    office_rating: list[Rating] | None = field("对信访部门的评价", "满意/基本满意/不满意/未评价", default=None)
    state: list[StatusState] | None = field("期限状态", "统计期末的状态：正常/临期/逾期/已答复/已办结", default=None)
    decided_on_time: StrictBool | None = field("按期受理", "true：在受理时限内受理、不予受理、转送或交办", default=None)
    answered_on_time: StrictBool | None = field("按期答复", "true：在办理时限（含延期）内答复", default=None)
    reviewed: StrictBool | None = field("申请复查", "true：信访人申请了复查", default=None)


class Indicator(Contract):
    """One indicator and its machine-checked definition: there are no official formulas, so each
    office writes its own, and derive/statistics.py computes exactly what is written here."""

    name: str = field("指标名称", "例如：满意率（对责任单位）", min_length=1)
    definition: str = field("计算口径", "用文字写明分子分母，显示在统计页和报表脚注", min_length=1)
    kind: IndicatorKind = field("类型", "count 件数 / sum 合计 / rate 比率（分子 ÷ 分母）", default="count")
    date: IndicatorDate = field(
        "计入日期",
        "received 收到 / decided 受理 / answered 答复 / closed 办结 / status 统计期末状态",
        default="received",
    )
    where: IndicatorFilter = field("统计范围", "计入的事项（比率为分母）；不写即全部", default_factory=IndicatorFilter)
    numerator: IndicatorFilter | None = field("分子", "比率：统计范围中再满足这些条件的事项", default=None)
    sum: SummedField | None = field("合计字段", "sum：petitioners 信访人数 / households 户数", default=None)
    unit: str = field("单位", "件数、合计的单位，例如：件、人次、批次", default="件", min_length=1)
    headline: StrictBool = field("首页显示", "true：在首页和统计页的要点中显示", default=False)


class Vocabularies(Contract):
    """The controlled lists a locality maintains."""

    domains: list[Domain] = field("问题领域", "名称与两位代码", min_length=1)
    regions: list[str] = field("地区", "市/区/街道路径；上级路径自动有效", min_length=1)
    units: list[str] = field("责任单位", "单位名称", min_length=1)
    channels: list[str] = field("信访渠道", "来信、来访、网上信访 …", min_length=1)
    flags: list[str] = field("标记", "集体访、重复访 …", default_factory=list)
    petitioner_kinds: list[str] = field("信访人类别", "业主、农民工 …", min_length=1)
    mechanisms: list[str] = field("工作机制", "五个一、双向交办 …", default_factory=list)


class LibraryInfo(Contract):
    """How the library presents itself."""

    name: str = field("案例库名称", "显示在网站标题", min_length=1)
    organization: str = field("编制单位", "例如：某市信访局", min_length=1)
    description: str | None = field("简介", "首页简介", default=None)


class ChangeLog(Contract):
    """How much of the 本次更新 log (derive/changes.py) a site keeps: one entry per build that changed something."""

    keep_builds: int = field(
        "保留次数", "“本次更新”页和 changes.json 保留最近几次有变化的生成，缺省 20 次", default=20, ge=1
    )


class Settings(Contract):
    """settings.yaml: vocabularies, time limits, indicators, protected names, the change log's length."""

    library: LibraryInfo = field("案例库", "名称与编制单位")
    vocabularies: Vocabularies = field("受控词表", "本地维护的取值列表")
    time_limits: TimeLimits = field("办理时限", "时限方案与临期提示")
    indicators: list[Indicator] = field("指标口径", "各项指标的计算口径", default_factory=list)
    protected_names: list[str] = field(
        "受保护姓名", "不得出现在任何输出中的姓名（本文件本身不会被发布）", default_factory=list
    )
    changes: ChangeLog = field("更新记录", "“本次更新”页保留多少次生成的变化", default_factory=ChangeLog)


KINDS: dict[str, type[Contract]] = {
    "settings": Settings,
    "record": CaseRecord,
    "typical": TypicalEntry,
    "class": CaseClass,
}
KIND_LABELS = {"settings": "设置", "record": "案例记录", "typical": "典型案例", "class": "类案指引"}
