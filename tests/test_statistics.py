"""统计指标 (derive/statistics.py) checked against figures computed by hand.

A fixture library of 21 records (one received in 2023, three the statistics must leave out) is
written from the YAML below with the shipped settings.yaml, whose `indicators:` are what is
tested. Every indicator of 2024-Q1 and 2024-Q2 (as of 2024-06-30) was worked out by hand from
the indicator rules, never by running the engine: the records and the arithmetic are in the
comments beside each expected value. Small libraries check one rule each (a 延期, a 复查申请,
不予受理, a 终结 stage without a closed date, unrated satisfaction, outside cases, a state that
changes between two period ends, a zero denominator); parse_period is checked on its own.

Time limits of the shipped settings: 普通程序 (the default) 受理 15 / 办理 60 / 延期 ≤ 30 days,
快速办理 5 / 20 / 10, 简易程序 2 / 10 / 0; 临期 = due in 7 days or fewer; days are calendar days.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from generator.derive.site import derive_site
from generator.derive.statistics import Figure, Period, Statistics, parse_period
from generator.validate import check_library
from tests.conftest import SAMPLE

D = dt.date
AS_OF = D(2024, 6, 30)
Q1, Q2 = "2024-Q1", "2024-Q2"

# What a record leaves out is filled with these plain values (none of them counts anywhere).
DEFAULTS = {
    "title": "统计口径测试事项",
    "category": "申诉求决类",
    "domain": "城乡建设",
    "topic": "统计口径测试",
    "region": "某市/城东区/和平街道",
    "petitioners": "{count: 1, kind: 居民}",
    "summary": "用于核对统计指标口径的测试事项。",
    "demands": "[依法处理]",
    "units": "{lead: 市信访局}",
}


def record_yaml(record_id: str, body: str) -> str:
    """A record file: its id, the fields `body` gives, and DEFAULTS for the top-level fields it leaves out."""
    body = textwrap.dedent(body).strip()
    given = {line.split(":", 1)[0] for line in body.splitlines() if line and not line[0].isspace()}
    rest = [f"{key}: {value}" for key, value in DEFAULTS.items() if key not in given]
    return "\n".join([f"id: {record_id}", body, *rest]) + "\n"


def write_library(root: Path, records: dict[str, str]) -> Path:
    """The shipped settings.yaml and these records (id → YAML body) in a new library folder."""
    (root / "records").mkdir(parents=True)
    shutil.copy(SAMPLE / "settings.yaml", root / "settings.yaml")
    for record_id, body in records.items():
        (root / "records" / f"{record_id}.yaml").write_text(record_yaml(record_id, body), encoding="utf-8")
    return root


def statistics_of(root: Path) -> Statistics:
    library, problems = check_library(root, AS_OF)
    assert [str(problem) for problem in problems] == []
    return Statistics(derive_site(library, "internal", AS_OF))


def quarters(root: Path):
    """The table of 2024-Q1 and 2024-Q2 of the library at `root`, with the two periods."""
    q1, q2 = parse_period(Q1), parse_period(Q2)
    return statistics_of(root).compute([q1, q2]), q1, q2


def fraction(figure: Figure) -> tuple[int, int | None]:
    return figure.numerator, figure.denominator


# ── the fixture library ─────────────────────────────────────────────────────
# Each record's comment: what it is in the periods (d = decided date, a = first 答复, c = 办结).

RECORDS = {
    # Received 2023 (in no received-date figure); 逾期 at the end of Q1, answered late and closed in Q2.
    # 受理 2023-12-25: due 12-25 + 60 + 延期 30 = 2024-03-24. On 03-31: 逾期. a 04-20 > 03-24: late.
    "XF-2023-0001": """
        received: 2023-12-20
        channel: 来信
        stages:
          - {stage: 登记, date: 2023-12-20}
          - {stage: 受理, date: 2023-12-25}
          - {stage: 延期, date: 2024-02-01, days: 30, reason: 需补充调查}
          - {stage: 答复, date: 2024-04-20}
        resolution: {outcome: 部分化解, closed: 2024-05-10, satisfaction: {unit: 不满意, office: 基本满意}}
    """,
    # d 01-08 ≤ 01-03+15=01-18 on time; a 02-20 ≤ 01-08+60=03-08 on time; c 03-05 已化解 满意/满意.
    "XF-2024-0001": """
        received: 2024-01-03
        channel: 来信
        flags: [初信初访]
        stages:
          - {stage: 登记, date: 2024-01-03}
          - {stage: 受理, date: 2024-01-08}
          - {stage: 答复, date: 2024-02-20}
        resolution: {outcome: 已化解, closed: 2024-03-05, satisfaction: {unit: 满意, office: 满意}}
    """,
    # 集体访 30 人. d 01-30 > 01-10+15=01-25 late; a 03-31 > 01-30+60=03-30 late (on Q1's last day);
    # c 04-15 (received in Q1, closed in Q2) 已化解 基本满意/满意. On 03-31: 已答复.
    "XF-2024-0002": """
        received: 2024-01-10
        channel: 来访
        petitioners: {count: 30, kind: 业主, representatives: 5}
        flags: [集体访, 重复访]
        stages:
          - {stage: 登记, date: 2024-01-10}
          - {stage: 受理, date: 2024-01-30}
          - {stage: 答复, date: 2024-03-31}
        resolution: {outcome: 已化解, closed: 2024-04-15, satisfaction: {unit: 基本满意, office: 满意}}
    """,
    # d 01-16 on time (≤ 01-30); 延期 30 on 03-10: due 01-16+60+30 = 04-15, a 04-10 on time (late
    # without it: 03-16). On 03-31: 正常 (due 04-15, 15 days left). c 04-20 已化解 不满意/未评价.
    "XF-2024-0003": """
        received: 2024-01-15
        channel: 网上信访
        domain: 劳动社保
        flags: [初信初访]
        stages:
          - {stage: 登记, date: 2024-01-15}
          - {stage: 受理, date: 2024-01-16}
          - {stage: 延期, date: 2024-03-10, days: 30, reason: 需调取社保缴费记录}
          - {stage: 答复, date: 2024-04-10}
        resolution: {outcome: 已化解, closed: 2024-04-20, satisfaction: {unit: 不满意}}
    """,
    # d 02-02 on time; a 03-01 ≤ 02-02+60=04-02 on time; c 03-10 已化解 满意/满意; 复查申请 04-05
    # (reviewed as of 06-30, so not 一次性化解 even in Q1), 复查 04-25.
    "XF-2024-0004": """
        received: 2024-02-01
        channel: 领导接访
        domain: 企业改制
        flags: [初信初访]
        stages:
          - {stage: 登记, date: 2024-02-01}
          - {stage: 受理, date: 2024-02-02}
          - {stage: 答复, date: 2024-03-01}
          - {stage: 复查申请, date: 2024-04-05}
          - {stage: 复查, date: 2024-04-25}
        resolution: {outcome: 已化解, closed: 2024-03-10, satisfaction: {unit: 满意, office: 满意}}
    """,
    # 不予受理 02-08 ≤ 02-05+15=02-20: decided on time; never answered, never closed; 已答复 from then on.
    "XF-2024-0005": """
        received: 2024-02-05
        channel: 来信
        domain: 涉法涉诉
        stages:
          - {stage: 登记, date: 2024-02-05}
          - {stage: 不予受理, date: 2024-02-08}
    """,
    # 越级访. 转送 03-20 > 02-20+15=03-06 late; due 03-20+60 = 05-19: 正常 on 03-31, 逾期 on 06-30.
    "XF-2024-0006": """
        received: 2024-02-20
        channel: 来访
        petitioners: {count: 2, kind: 居民}
        flags: [越级访]
        stages:
          - {stage: 登记, date: 2024-02-20}
          - {stage: 转送, date: 2024-03-20}
          - {stage: 办理, date: 2024-04-15}
    """,
    # Received in Q1, decided in Q2: 受理 04-02 ≤ 03-20+15=04-04 on time. On 03-31 the 受理 clock
    # (due 04-04) has 4 days left: 临期. a 05-20 ≤ 04-02+60=06-01 on time; no resolution.
    "XF-2024-0007": """
        received: 2024-03-20
        channel: 网上信访
        domain: 卫生健康
        stages:
          - {stage: 登记, date: 2024-03-20}
          - {stage: 受理, date: 2024-04-02}
          - {stage: 答复, date: 2024-05-20}
    """,
    # 快速办理 (5/20). d 03-04 ≤ 03-01+5=03-06 on time; a 03-28 ≤ 交办 03-10+20=03-30 on time (the
    # latest 受理/转送/交办 starts the clock; from 受理 03-04 it would be 03-24, late).
    # c 03-29 未化解, unit 未评价, office 不满意.
    "XF-2024-0008": """
        received: 2024-03-01
        channel: 来信
        domain: 劳动社保
        procedure: 快速办理
        stages:
          - {stage: 登记, date: 2024-03-01}
          - {stage: 受理, date: 2024-03-04}
          - {stage: 交办, date: 2024-03-10}
          - {stage: 答复, date: 2024-03-28}
        resolution: {outcome: 未化解, closed: 2024-03-29, satisfaction: {office: 不满意}}
    """,
    # 集体访 12 人, 电话. 交办 01-08 on time (≤ 01-20); due 01-08+60 = 03-08: 逾期 on 03-31 and 06-30.
    "XF-2024-0009": """
        received: 2024-01-05
        channel: 电话
        category: 建议意见类
        domain: 生态环境
        petitioners: {count: 12, kind: 村民, representatives: 3}
        flags: [集体访]
        stages:
          - {stage: 登记, date: 2024-01-05}
          - {stage: 交办, date: 2024-01-08}
          - {stage: 办理, date: 2024-02-01}
    """,
    # d 04-03 on time; a 05-10 ≤ 04-03+60=06-02 on time; c 05-15 已化解, unit 满意, office 未评价.
    "XF-2024-0010": """
        received: 2024-04-02
        channel: 来信
        domain: 劳动社保
        flags: [初信初访]
        stages:
          - {stage: 登记, date: 2024-04-02}
          - {stage: 受理, date: 2024-04-03}
          - {stage: 答复, date: 2024-05-10}
        resolution: {outcome: 已化解, closed: 2024-05-15, satisfaction: {unit: 满意}}
    """,
    # 集体访 8 人, 越级访. d 04-10 ≤ 04-23 on time; a 06-05 ≤ 04-10+60=06-09 on time; c 06-10 终结 不满意/不满意.
    "XF-2024-0011": """
        received: 2024-04-08
        channel: 来访
        domain: 征地拆迁
        petitioners: {count: 8, kind: 失地农民, representatives: 3}
        flags: [集体访, 越级访]
        stages:
          - {stage: 登记, date: 2024-04-08}
          - {stage: 受理, date: 2024-04-10}
          - {stage: 答复, date: 2024-06-05}
        resolution: {outcome: 终结, closed: 2024-06-10, satisfaction: {unit: 不满意, office: 不满意}}
    """,
    # 重复访. d 04-20 ≤ 04-30 on time; a 06-25 > 04-20+60=06-19 late; not closed.
    "XF-2024-0012": """
        received: 2024-04-15
        channel: 网上信访
        flags: [重复访]
        stages:
          - {stage: 登记, date: 2024-04-15}
          - {stage: 受理, date: 2024-04-20}
          - {stage: 答复, date: 2024-06-25}
    """,
    # A 终结 stage and no closed date: 办结 on the 终结 date 06-20; outcome 未化解 (known: no closed
    # date after as-of); unrated. d 05-08 ≤ 05-21 on time; never answered.
    "XF-2024-0013": """
        received: 2024-05-06
        channel: 领导接访
        domain: 城市管理
        flags: [初信初访]
        stages:
          - {stage: 登记, date: 2024-05-06}
          - {stage: 受理, date: 2024-05-08}
          - {stage: 终结, date: 2024-06-20}
        resolution: {outcome: 未化解}
    """,
    # Not yet decided: 受理 clock due 06-20+15 = 07-05, 5 days left on 06-30: 临期.
    "XF-2024-0014": """
        received: 2024-06-20
        channel: 来信
        domain: 教育
        flags: [初信初访]
        stages:
          - {stage: 登记, date: 2024-06-20}
    """,
    # 集体访 6 人. d 05-25 ≤ 06-04 on time; due 05-25+60 = 07-24: 正常 on 06-30 (24 days left).
    "XF-2024-0015": """
        received: 2024-05-20
        channel: 来访
        domain: 农村农业
        petitioners: {count: 6, kind: 村民}
        flags: [集体访]
        stages:
          - {stage: 登记, date: 2024-05-20}
          - {stage: 受理, date: 2024-05-25}
    """,
    # 简易程序 (2/10). d 05-06 > 05-02+2=05-04 late; a 05-14 ≤ 05-06+10=05-16 on time;
    # c 05-20 部分化解 基本满意/基本满意.
    "XF-2024-0016": """
        received: 2024-05-02
        channel: 电话
        domain: 民政
        procedure: 简易程序
        stages:
          - {stage: 登记, date: 2024-05-02}
          - {stage: 受理, date: 2024-05-06}
          - {stage: 答复, date: 2024-05-14}
        resolution: {outcome: 部分化解, closed: 2024-05-20, satisfaction: {unit: 基本满意, office: 基本满意}}
    """,
    # Outside case (external): would count in almost every Q2 figure; counts in none.
    "XF-2024-0017": """
        received: 2024-04-10
        channel: 来信
        region: 外省某市某区
        petitioners: {count: 50, kind: 业主, representatives: 5}
        flags: [集体访, 重复访, 越级访, 初信初访]
        units: {lead: 外省某市住建局}
        stages:
          - {stage: 登记, date: 2024-04-10}
          - {stage: 受理, date: 2024-04-11}
          - {stage: 答复, date: 2024-04-30}
        resolution: {outcome: 已化解, closed: 2024-05-01, satisfaction: {unit: 满意, office: 满意}}
        external: true
    """,
    # Archived case received in Q1: counts in none.
    "XF-2024-0018": """
        received: 2024-02-10
        channel: 来访
        domain: 劳动社保
        petitioners: {count: 20, kind: 农民工}
        flags: [集体访, 初信初访]
        stages:
          - {stage: 登记, date: 2024-02-10}
          - {stage: 受理, date: 2024-02-11}
          - {stage: 答复, date: 2024-02-25}
        resolution: {outcome: 已化解, closed: 2024-03-01, satisfaction: {unit: 满意, office: 满意}}
        archived: true
    """,
    # Dates known to the month only (date_precision): counts in none.
    "XF-2024-0019": """
        received: 2024-03-01
        channel: 来信
        flags: [初信初访, 重复访]
        stages:
          - {stage: 登记, date: 2024-03-01}
          - {stage: 答复, date: 2024-03-01}
        resolution: {outcome: 已化解, closed: 2024-03-01, satisfaction: {unit: 满意, office: 满意}}
        date_precision: month
    """,
    # d 05-03 ≤ 05-13 on time; due 05-03+60 = 07-02, 2 days left on 06-30: 临期.
    "XF-2024-0020": """
        received: 2024-04-28
        channel: 来访
        stages:
          - {stage: 登记, date: 2024-04-28}
          - {stage: 受理, date: 2024-05-03}
    """,
}

# Counted records received in Q1: 0001–0009 (9; 0018 archived and 0019 month-only left out).
# Counted records received in Q2: 0010–0016, 0020 (8; 0017 outside left out).
# Indicator name → (Q1, Q2): a number for a count or sum, (numerator, denominator) for a rate.
EXPECTED: dict[str, tuple[int | tuple[int, int], int | tuple[int, int]]] = {
    # Q1: 0001–0009 → 9. Q2: 0010, 0011, 0012, 0013, 0014, 0015, 0016, 0020 → 8.
    "信访总量": (9, 8),
    # Q1: 0001, 0005, 0008 → 3. Q2: 0010, 0014 → 2 (0017 outside).
    "来信": (3, 2),
    # Q1: 0002 来访, 0004 领导接访, 0006 来访 → 3. Q2: 0011, 0015, 0020 来访 + 0013 领导接访 → 4.
    "走访": (3, 4),
    # Q1: 0003, 0007 → 2. Q2: 0012 → 1.
    "网上信访": (2, 1),
    # Q1: 0002, 0009 → 2 (0018 archived). Q2: 0011, 0015 → 2 (0017 outside).
    "集体访批次": (2, 2),
    # Q1: 0002 30 + 0009 12 = 42. Q2: 0011 8 + 0015 6 = 14.
    "集体访人次": (42, 14),
    # Q1: 0006 → 1. Q2: 0011 → 1.
    "越级访": (1, 1),
    # Q1: 0001, 0003, 0004 → 3. Q2: 0010, 0013, 0014 → 3.
    "初信初访": (3, 3),
    # Q1: 重复访 0002 among 9 received → 1/9. Q2: 0012 among 8 → 1/8.
    "重复信访率": ((1, 9), (1, 8)),
    # Q1 decided: 0001 01-08, 0002 01-30 (late), 0003 01-16, 0004 02-02, 0005 不予受理 02-08,
    #   0006 转送 03-20 (late), 0008 03-04, 0009 交办 01-08 → 8, on time 6 → 6/8.
    #   (0007 decided 04-02 → Q2; XF-2023-0001 decided 2023-12-25 → neither.)
    # Q2 decided: 0007, 0010, 0011, 0012, 0013, 0015, 0016 (简易程序 05-06 > 05-04, late), 0020 → 7/8.
    #   (0014 not decided.)
    "及时受理率": ((6, 8), (7, 8)),
    # Q1 answered: 0001 02-20 ✓, 0002 03-31 ✗ (due 03-30), 0004 03-01 ✓, 0008 03-28 ✓ (交办 03-10+20) → 3/4.
    # Q2 answered: XF-2023-0001 04-20 ✗ (due 03-24), 0003 04-10 ✓ (延期: due 04-15), 0007 05-20 ✓,
    #   0010 05-10 ✓, 0011 06-05 ✓, 0012 06-25 ✗ (due 06-19), 0016 05-14 ✓ → 5/7.
    "按期办结率": ((3, 4), (5, 7)),
    # Q1 closed: 0001 已化解, 0004 已化解, 0008 未化解 → 2/3.
    # Q2 closed: XF-2023-0001 部分化解, 0002 已化解, 0003 已化解, 0010 已化解, 0011 终结,
    #   0013 未化解 (终结 stage 06-20), 0016 部分化解 → 7; 已化解/终结: 0002, 0003, 0010, 0011 → 4/7.
    "化解率": ((2, 3), (4, 7)),
    # Q1 closed 初信初访: 0001 已化解, 0004 已化解 but 复查申请 (04-05 ≤ as-of) → 1/2.
    # Q2 closed 初信初访: 0003 已化解, 0010 已化解, 0013 未化解 → 2/3.
    "一次性化解率": ((1, 2), (2, 3)),
    # Q1 closed 3; unit rated: 0001 满意, 0004 满意 (0008 未评价) → 2/3.
    # Q2 closed 7; unit rated: 2023-0001 不满意, 0002 基本满意, 0003 不满意, 0010 满意, 0011 不满意,
    #   0016 基本满意 (0013 unrated) → 6/7.
    "参评率": ((2, 3), (6, 7)),
    # Q1 unit rated 0001 满意, 0004 满意 → 2/2.
    # Q2 unit rated 6 (above); 满意/基本满意: 0002, 0010, 0016 → 3/6.
    "满意率（对责任单位）": ((2, 2), (3, 6)),
    # Q1 office rated: 0001 满意, 0004 满意, 0008 不满意 → 2/3.
    # Q2 office rated: 2023-0001 基本满意, 0002 满意, 0011 不满意, 0016 基本满意 (0003, 0010, 0013
    #   未评价) → 满意/基本满意 3 → 3/4.
    "满意率（对信访部门）": ((2, 3), (3, 4)),
    # On 03-31: XF-2023-0001 (due 03-24), 0009 (due 03-08) → 2. (0003 正常, 0006 正常, 0007 临期;
    #   0002, 0005 已答复; 0001, 0004, 0008 已办结.)
    # On 06-30: 0006 (due 05-19), 0009 (due 03-08) → 2. (XF-2023-0001 closed 05-10: 已办结.)
    "逾期": (2, 2),
    # On 03-31: 0007 (受理 due 04-04, 4 days left) → 1. On 06-30: 0014 (07-05, 5 left), 0020 (07-02, 2 left)
    #   → 2. (0015 due 07-24: 正常.)
    "临期": (1, 2),
}


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("statistics") / "lib", RECORDS)


@pytest.fixture(scope="module")
def table(fixture_root: Path):
    return quarters(fixture_root)


def observed(figure: Figure, expected: int | tuple[int, int]) -> object:
    """What the figure says, in the shape of the hand value: (numerator, denominator) or the number."""
    if isinstance(expected, tuple):
        return fraction(figure)
    return figure.value if figure.denominator is None else fraction(figure)


def test_the_fixture_library_validates_cleanly(fixture_root: Path) -> None:
    library, problems = check_library(fixture_root, AS_OF)
    assert [str(problem) for problem in problems] == []
    assert len(library.records) == len(RECORDS) == 21


def test_every_indicator_in_settings_has_a_hand_computed_value(fixture_root: Path, table) -> None:
    library, _ = check_library(fixture_root, AS_OF)
    names = [indicator.name for indicator in library.settings.model.indicators]
    assert sorted(names) == sorted(EXPECTED), "an indicator of settings.yaml has no hand value here, or the reverse"
    result, q1, q2 = table
    assert sorted(result.figures(q1)) == sorted(result.figures(q2)) == sorted(names)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_hand_computed_figures(table, name: str) -> None:
    result, q1, q2 = table
    want = EXPECTED[name]
    figures = (result.figures(q1)[name], result.figures(q2)[name])
    assert tuple(observed(figure, value) for figure, value in zip(figures, want, strict=True)) == want
    for figure, value in zip(figures, want, strict=True):
        if isinstance(value, tuple):
            assert figure.value == pytest.approx(value[0] / value[1])
        else:
            assert (figure.numerator, figure.denominator) == (value, None)


def test_texts_of_counts_sums_and_rates(table) -> None:
    result, q1, q2 = table
    first, second = result.figures(q1), result.figures(q2)
    shown = [
        first["信访总量"].text,
        first["集体访人次"].text,
        second["集体访批次"].text,
        first["化解率"].text,
        first["重复信访率"].text,
        second["重复信访率"].text,
        second["按期办结率"].text,
        first["满意率（对责任单位）"].text,
    ]
    # 9; 42 (unit 人次); 2 (unit 批次); 2/3; 1/9; 1/8; 5/7; 2/2
    assert shown == ["9件", "42人次", "2批次", "66.7%", "11.1%", "12.5%", "71.4%", "100.0%"]


# ── one domain, one dimension ───────────────────────────────────────────────


def test_figures_of_one_domain(table) -> None:
    """城乡建设 (the default domain above): XF-2023-0001, 0001, 0002, 0006, 0012, 0020
    (and 0017 outside, 0019 month-only: never counted)."""
    result, _, q2 = table
    figures = result.figures(q2, domain="城乡建设")
    assert figures["信访总量"].value == 2  # received in Q2: 0012, 0020
    assert fraction(figures["及时受理率"]) == (2, 2)  # decided in Q2: 0012 04-20, 0020 05-03, both on time
    assert fraction(figures["按期办结率"]) == (0, 2)  # answered in Q2: XF-2023-0001 late, 0012 late
    assert figures["按期办结率"].text == "0.0%"
    assert fraction(figures["化解率"]) == (1, 2)  # closed in Q2: XF-2023-0001 部分化解, 0002 已化解
    assert fraction(figures["满意率（对责任单位）"]) == (1, 2)  # XF-2023-0001 不满意, 0002 基本满意
    assert figures["满意率（对责任单位）"].text == "50.0%"
    # no 初信初访 record of 城乡建设 closed in Q2 (0017's is outside): 0/0
    assert (fraction(figures["一次性化解率"]), figures["一次性化解率"].value) == ((0, 0), None)
    assert figures["一次性化解率"].text == "—"
    assert (figures["集体访人次"].value, figures["集体访人次"].text) == (0, "0人次")  # 0017 is outside
    assert (figures["逾期"].value, figures["临期"].value) == (1, 1)  # 0006 逾期, 0020 临期
    labour = result.figures(q2, domain="劳动社保")
    assert labour["信访总量"].value == 1  # 0010
    assert fraction(labour["化解率"]) == (2, 2)  # closed in Q2: 0003, 0010, both 已化解
    assert fraction(labour["一次性化解率"]) == (2, 2)  # both 初信初访, neither reviewed


def test_breakdown_by_channel(table) -> None:
    result, _, q2 = table
    by_channel = result.breakdown(q2, "channel")
    letters, visits, phone = by_channel["来信"], by_channel["来访"], by_channel["电话"]
    # 来信: received 0010, 0014; closed XF-2023-0001 部分化解, 0010 已化解; answered the same two,
    # XF-2023-0001 late, 0010 on time; 0014 临期; nothing 逾期 (0017 outside is 来信 too)
    assert letters["信访总量"].value == 2
    assert fraction(letters["化解率"]) == (1, 2)
    assert fraction(letters["按期办结率"]) == (1, 2)
    assert (letters["逾期"].value, letters["临期"].value) == (0, 1)
    # 来访: received 0011, 0015, 0020; closed 0002 已化解, 0011 终结; 0006 逾期; 0020 临期;
    # 集体访 0011 8 + 0015 6 = 14 人次
    assert visits["信访总量"].value == 3
    assert fraction(visits["化解率"]) == (2, 2)
    assert (visits["逾期"].value, visits["临期"].value) == (1, 1)
    assert visits["集体访人次"].value == 14
    # 电话: received 0016 (closed 部分化解); 0009 逾期 since Q1
    assert (phone["信访总量"].value, fraction(phone["化解率"]), phone["逾期"].value) == (1, (0, 1), 1)
    # 网上信访: answered 0003 on time (延期), 0007 on time, 0012 late
    assert fraction(by_channel["网上信访"]["按期办结率"]) == (2, 3)
    # 领导接访: closed 0013 (终结 stage, 未化解)
    assert fraction(by_channel["领导接访"]["化解率"]) == (0, 1)


# ── one rule at a time, on a few records ────────────────────────────────────


def small(tmp_path: Path, records: dict[str, str]):
    return quarters(write_library(tmp_path / "lib", records))


def test_received_in_q1_and_closed_in_q2(tmp_path: Path) -> None:
    result, q1, q2 = small(
        tmp_path,
        {
            "XF-2024-0001": """
                received: 2024-03-10
                channel: 来信
                stages:
                  - {stage: 登记, date: 2024-03-10}
                  - {stage: 受理, date: 2024-03-12}
                  - {stage: 答复, date: 2024-04-20}
                resolution: {outcome: 已化解, closed: 2024-04-25}
            """
        },
    )
    first, second = result.figures(q1), result.figures(q2)
    assert (first["信访总量"].value, second["信访总量"].value) == (1, 0)
    assert (fraction(first["化解率"]), first["化解率"].value, first["化解率"].text) == ((0, 0), None, "—")
    assert fraction(second["化解率"]) == (1, 1)
    assert fraction(first["及时受理率"]) == (1, 1)  # 03-12 ≤ 03-10 + 15
    assert fraction(second["按期办结率"]) == (1, 1)  # 04-20 ≤ 03-12 + 60 = 05-11


def test_an_extension_makes_a_late_looking_answer_on_time(tmp_path: Path) -> None:
    body = """
        received: 2024-01-02
        channel: 来信
        stages:
          - {{stage: 登记, date: 2024-01-02}}
          - {{stage: 受理, date: 2024-01-05}}{extension}
          - {{stage: 答复, date: 2024-03-25}}
    """
    result, q1, _ = small(
        tmp_path,
        {
            "XF-2024-0001": body.format(
                extension="\n          - {stage: 延期, date: 2024-02-20, days: 30, reason: 需现场核查}"
            ),
            "XF-2024-0002": body.format(extension=""),
        },
    )
    # due 01-05 + 60 = 03-05: 0002's 03-25 is late; 0001's 延期 30 moves it to 04-04: on time
    assert fraction(result.figures(q1)["按期办结率"]) == (1, 2)


def test_a_review_request_is_not_a_one_time_resolution(tmp_path: Path) -> None:
    body = """
        received: 2024-04-01
        channel: 来访
        flags: [初信初访]
        stages:
          - {{stage: 登记, date: 2024-04-01}}
          - {{stage: 受理, date: 2024-04-02}}
          - {{stage: 答复, date: 2024-05-06}}{review}
        resolution: {{outcome: 已化解, closed: 2024-05-10, satisfaction: {{unit: 满意, office: 满意}}}}
    """
    result, _, q2 = small(
        tmp_path,
        {
            "XF-2024-0001": body.format(review="\n          - {stage: 复查申请, date: 2024-05-20}"),
            "XF-2024-0002": body.format(review=""),
        },
    )
    figures = result.figures(q2)
    assert fraction(figures["化解率"]) == (2, 2)  # both closed 05-10, 已化解
    assert fraction(figures["一次性化解率"]) == (1, 2)  # 0001 asked for a review
    # 0001's 复查 clock: 05-20 + 30 = 06-19, no 复查 by 06-30: 逾期
    assert figures["逾期"].value == 1


def test_not_accepted_counts_as_decided_and_is_never_answered(tmp_path: Path) -> None:
    result, _, q2 = small(
        tmp_path,
        {
            "XF-2024-0001": """
                received: 2024-04-03
                channel: 来信
                stages:
                  - {stage: 登记, date: 2024-04-03}
                  - {stage: 不予受理, date: 2024-04-10}
            """
        },
    )
    figures = result.figures(q2)
    assert fraction(figures["及时受理率"]) == (1, 1)  # 04-10 ≤ 04-03 + 15 = 04-18
    assert (fraction(figures["按期办结率"]), figures["按期办结率"].text) == ((0, 0), "—")
    assert fraction(figures["化解率"]) == (0, 0)
    assert (figures["逾期"].value, figures["临期"].value) == (0, 0)  # 不予受理: no clock runs


def test_a_termination_stage_closes_on_its_date(tmp_path: Path) -> None:
    result, q1, q2 = small(
        tmp_path,
        {
            # 终结 04-15, a resolution without a closed date (outcome 未化解): closed in Q2
            "XF-2024-0001": """
                received: 2024-01-10
                channel: 来信
                stages:
                  - {stage: 登记, date: 2024-01-10}
                  - {stage: 受理, date: 2024-01-12}
                  - {stage: 答复, date: 2024-02-20}
                  - {stage: 终结, date: 2024-04-15}
                resolution: {outcome: 未化解}
            """,
            # 终结 03-15 and no resolution at all (outcome 未办结): closed in Q1
            "XF-2024-0002": """
                received: 2024-02-01
                channel: 来访
                stages:
                  - {stage: 登记, date: 2024-02-01}
                  - {stage: 受理, date: 2024-02-03}
                  - {stage: 终结, date: 2024-03-15}
            """,
        },
    )
    first, second = result.figures(q1), result.figures(q2)
    assert (fraction(first["化解率"]), fraction(second["化解率"])) == ((0, 1), (0, 1))
    assert (fraction(first["参评率"]), fraction(second["参评率"])) == ((0, 1), (0, 1))  # unrated
    # On 03-31 0001 is 已答复 (答复 02-20), 0002 已办结; on 06-30 both 已办结: nothing open
    assert [first["逾期"].value, first["临期"].value, second["逾期"].value, second["临期"].value] == [0, 0, 0, 0]


def test_unrated_is_out_of_satisfaction_and_in_participation(tmp_path: Path) -> None:
    body = """
        received: 2024-04-01
        channel: 来信
        stages:
          - {{stage: 登记, date: 2024-04-01}}
          - {{stage: 受理, date: 2024-04-02}}
          - {{stage: 答复, date: 2024-04-20}}
        resolution: {{outcome: 已化解, closed: 2024-04-25{satisfaction}}}
    """
    result, _, q2 = small(
        tmp_path,
        {
            "XF-2024-0001": body.format(satisfaction=", satisfaction: {unit: 满意}"),
            "XF-2024-0002": body.format(satisfaction=""),
            "XF-2024-0003": body.format(satisfaction=", satisfaction: {unit: 未评价, office: 不满意}"),
        },
    )
    figures = result.figures(q2)
    assert fraction(figures["参评率"]) == (1, 3)  # 3 closed; the unit rated in 0001 only
    assert fraction(figures["满意率（对责任单位）"]) == (1, 1)  # 0001 满意
    assert fraction(figures["满意率（对信访部门）"]) == (0, 1)  # office rated in 0003 only: 不满意
    assert figures["参评率"].text == "33.3%"


OWN = """
    received: 2024-04-05
    channel: 来访
    petitioners: {count: 6, kind: 业主}
    flags: [集体访]
    stages:
      - {stage: 登记, date: 2024-04-05}
      - {stage: 受理, date: 2024-04-08}
      - {stage: 答复, date: 2024-05-08}
    resolution: {outcome: 已化解, closed: 2024-05-10, satisfaction: {unit: 满意, office: 满意}}
"""
# Would count in every figure of Q1 or Q2, were it the office's.
NOT_OURS = """
    received: {received}
    channel: 来信
    region: {region}
    petitioners: {{count: 40, kind: 业主, representatives: 5}}
    flags: [集体访, 重复访, 越级访, 初信初访]
    units: {{lead: {unit}}}
    stages:
      - {{stage: 登记, date: {received}}}
      - {{stage: 受理, date: 2024-04-20}}
      - {{stage: 答复, date: 2024-06-25}}
    resolution: {{outcome: 已化解, closed: 2024-06-26, satisfaction: {{unit: 满意, office: 满意}}}}
    {mark}
"""


def test_outside_archived_and_month_only_records_count_nowhere(tmp_path: Path) -> None:
    alone = small(tmp_path / "alone", {"XF-2024-0001": OWN})
    outside = {"region": "外省某市某区", "unit": "外省某市住建局"}  # written as the source does
    local = {"region": "某市/城西区/西湖街道", "unit": "城西区住建局"}  # a month-only record is still local
    others = {
        "XF-2024-0002": NOT_OURS.format(received="2024-01-02", mark="external: true", **outside),
        "XF-2024-0003": NOT_OURS.format(received="2024-01-02", mark="archived: true", **outside),
        "XF-2024-0004": NOT_OURS.format(received="2024-04-01", mark="date_precision: month", **local),
        "XF-2024-0005": NOT_OURS.format(received="2024-04-02", mark="external: true", **outside),
    }
    mixed = small(tmp_path / "mixed", {"XF-2024-0001": OWN, **others})
    for (first, *_), (second, *_), period in ((alone, mixed, alone[1]), (alone, mixed, alone[2])):
        one = {name: (f.numerator, f.denominator, f.value) for name, f in first.figures(period).items()}
        other = {name: (f.numerator, f.denominator, f.value) for name, f in second.figures(period).items()}
        assert one == other
    result, _, q2 = mixed
    figures = result.figures(q2)
    # Only 0001: received 04-05, 集体访 6 人, 受理 on time, 答复 on time (≤ 06-07), 已化解, 满意
    assert [figures[name].value for name in ("信访总量", "来信", "集体访批次", "集体访人次", "越级访", "初信初访")] == [
        1,
        0,
        1,
        6,
        0,
        0,
    ]
    assert [fraction(figures[name]) for name in ("重复信访率", "及时受理率", "按期办结率", "化解率")] == [
        (0, 1),
        (1, 1),
        (1, 1),
        (1, 1),
    ]
    assert fraction(figures["一次性化解率"]) == (0, 0)


def test_overdue_at_the_end_of_q1_answered_in_q2(tmp_path: Path) -> None:
    # 受理 01-04: due 01-04 + 60 = 03-04; on 03-31 逾期; answered 04-10 (late); on 06-30 已答复.
    result, q1, q2 = small(
        tmp_path,
        {
            "XF-2024-0001": """
                received: 2024-01-02
                channel: 来信
                stages:
                  - {stage: 登记, date: 2024-01-02}
                  - {stage: 受理, date: 2024-01-04}
                  - {stage: 答复, date: 2024-04-10}
            """
        },
    )
    first, second = result.figures(q1), result.figures(q2)
    assert (first["逾期"].value, second["逾期"].value) == (1, 0)
    assert (fraction(first["按期办结率"]), fraction(second["按期办结率"])) == ((0, 0), (0, 1))


def test_a_zero_denominator_shows_a_dash_and_large_numbers_a_separator(tmp_path: Path) -> None:
    # One 集体访 of 1,260 people received 06-25, not yet decided (受理 due 07-10: 正常 on 06-30).
    result, q1, q2 = small(
        tmp_path,
        {
            "XF-2024-0001": """
                received: 2024-06-25
                channel: 来访
                petitioners: {count: 1260, kind: 业主, representatives: 5}
                flags: [集体访]
                stages:
                  - {stage: 登记, date: 2024-06-25}
            """
        },
    )
    first, second = result.figures(q1), result.figures(q2)
    rates = [name for name, (value, _) in EXPECTED.items() if isinstance(value, tuple)]
    assert {name: (fraction(first[name]), first[name].value, first[name].text) for name in rates} == {
        name: ((0, 0), None, "—") for name in rates
    }
    assert (first["信访总量"].value, first["信访总量"].text) == (0, "0件")
    assert fraction(second["重复信访率"]) == (0, 1)
    assert second["重复信访率"].text == "0.0%"
    assert (second["化解率"].value, second["化解率"].text) == (None, "—")
    assert second["集体访人次"].text == "1,260人次"
    assert (second["逾期"].value, second["临期"].value) == (0, 0)


# ── periods ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", D(2024, 1, 1), D(2024, 12, 31)),
        ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31)),
        ("2024-Q2", D(2024, 4, 1), D(2024, 6, 30)),
        ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("2023-02", D(2023, 2, 1), D(2023, 2, 28)),
        ("2024-05", D(2024, 5, 1), D(2024, 5, 31)),
        ("2024-H1", D(2024, 1, 1), D(2024, 6, 30)),
        ("2024-H2", D(2024, 7, 1), D(2024, 12, 31)),
        ("2024-03-01..2024-05-31", D(2024, 3, 1), D(2024, 5, 31)),
    ],
)
def test_parse_period(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text)
    assert isinstance(period, Period)
    assert (period.start, period.end, period.key) == (start, end, text)


def test_a_quarter_is_labelled_in_chinese() -> None:
    assert parse_period("2024-Q2").label == "2024年第二季度"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024-Q2", D(2023, 4, 1), D(2023, 6, 30)),
        ("2024", D(2023, 1, 1), D(2023, 12, 31)),
        ("2024-02", D(2023, 2, 1), D(2023, 2, 28)),
        ("2024-H1", D(2023, 1, 1), D(2023, 6, 30)),
        ("2024-02-29..2024-03-31", D(2023, 2, 28), D(2023, 3, 31)),
        ("2024-01-01..2024-02-29", D(2023, 1, 1), D(2023, 2, 28)),
    ],
)
def test_last_year(text: str, start: dt.date, end: dt.date) -> None:
    earlier = parse_period(text).last_year()
    assert (earlier.start, earlier.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end", "key"),
    [
        ("2024-Q2", D(2024, 1, 1), D(2024, 3, 31), "2024-Q1"),
        ("2024-Q1", D(2023, 10, 1), D(2023, 12, 31), "2023-Q4"),
        ("2024-05", D(2024, 4, 1), D(2024, 4, 30), "2024-04"),
        ("2024-01", D(2023, 12, 1), D(2023, 12, 31), "2023-12"),
        ("2024", D(2023, 1, 1), D(2023, 12, 31), "2023"),
        ("2024-H2", D(2024, 1, 1), D(2024, 6, 30), "2024-H1"),
        ("2024-H1", D(2023, 7, 1), D(2023, 12, 31), "2023-H2"),
        # 03-01..05-31 is 31 + 30 + 31 = 92 days; the 92 days before end 02-29: 11-30 (1) + 31 + 31 + 29
        ("2024-03-01..2024-05-31", D(2023, 11, 30), D(2024, 2, 29), "2023-11-30..2024-02-29"),
    ],
)
def test_previous(text: str, start: dt.date, end: dt.date, key: str) -> None:
    before = parse_period(text).previous()
    assert (before.start, before.end, before.key) == (start, end, key)


@pytest.mark.parametrize(
    "text", ["2024-Q5", "2024-Q0", "2024-13", "2024-00", "2024-H3", "abc", "", "2024-05-31..2024-03-01"]
)
def test_a_bad_period_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_period(text)
    assert re.search(r"[\u4e00-\u9fff]", str(refused.value))
