"""casebook bench --import N: how long importing a year of a city's records takes.

A synthetic 登记台账 export of N rows is made from the sample library's records (their titles,
summaries, demands, domains, regions and units, so every value is one the vocabularies know),
with a made-up petitioner, phone number and ID number in every row and the petitioner's name in
a third of the summaries, laid out as offices export it (a title row, group cells over the
column names, dates in several spellings, notes under the table). It is then imported into a
fresh copy of the sample library three ways, each measured `repeats` times (median reported):
the first import (every row added), the same file again (every row unchanged), and the next
month's export (a tenth of the rows progressed, a twentieth new).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .importer.mapping import load_mapping
from .importer.run import import_file
from .library import read_library
from .privacy import id_check_digit

SAMPLE_LIBRARY = Path(__file__).resolve().parent.parent / "cases"
AS_OF = dt.date(2025, 12, 31)  # after every synthetic date
HEADER = [
    "序号", "信访件编号", "登记日期", "信访形式", "信访人", "联系电话", "身份证号码", "信访人数", "信访人类别",
    "信访类别", "问题领域", "具体问题", "问题属地", "涉及项目", "事项标题", "反映内容", "主要诉求", "信访标记",
    "责任单位", "协办单位", "包案领导", "受理日期", "答复日期", "办结日期", "办理结果", "化解方式", "处理意见",
    "责任单位满意度", "信访部门满意度",
]  # fmt: skip
GROUPS = [(1, "基本信息"), (9, "反映问题"), (18, "办理情况")]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国秀兰淑芬志强丽娟海燕明华桂英玉梅文军晓东红霞立新春生德胜凤英国庆"
CHANNELS = ["来信", "走访", "网信", "来电", "12345转办", "领导接访", "矛盾排查"]


@dataclass
class ImportBenchReport:
    rows: int
    runs: dict[str, list[float]] = field(default_factory=dict)  # case → sorted seconds
    counts: dict[str, str] = field(default_factory=dict)  # case → what the report said

    def lines(self) -> list[str]:
        out = [f"import: {self.rows} rows (median of {len(next(iter(self.runs.values()), []))})"]
        for case, runs in self.runs.items():
            spread = " / ".join(f"{value:.2f}" for value in runs)
            out.append(f"  {case:<28} {statistics.median(runs):7.2f} s   ({spread})   {self.counts.get(case, '')}")
        return out


def synthetic_export(path: Path, count: int, seed: int = 2024, progressed: float = 0.0, new: float = 0.0) -> Path:
    """An export of `count` rows (see the module's docstring). `progressed` of the rows that are
    open get a result, and `new` more rows are added, as the next month's export would."""
    import openpyxl

    library, _ = read_library(SAMPLE_LIBRARY)
    records = sorted((doc.model for doc in library.records), key=lambda r: r.id)
    rng = random.Random(seed)
    rows = [_row(i, records[i % len(records)], rng) for i in range(count)]
    later = random.Random(seed + 1)
    for row in rows:
        if progressed and not row[23] and later.random() < progressed * 2:
            row[22] = row[23] = row[21] + dt.timedelta(days=later.randrange(10, 40))
            row[24], row[25], row[26], row[27], row[28] = "已化解", "依法解决", "支持", "满意", "满意"
    rows += [_row(count + i, records[(count + i) % len(records)], later) for i in range(int(count * new))]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("登记台账")
    sheet.append(["某市信访局信访事项登记台账"])
    groups = [None] * len(HEADER)
    for column, name in GROUPS:
        groups[column] = name
    groups[0] = "序号"
    sheet.append(groups)
    sheet.append(HEADER)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row[1:]])
    sheet.append([])
    sheet.append(["注：本表由信访信息系统导出，仅供内部使用。"])
    book.save(path)
    return path


def _row(i: int, record: Any, rng: random.Random) -> list[Any]:
    year = 2023 + i % 2
    received = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(0, 330))
    accepted = received + dt.timedelta(days=rng.randrange(1, 10))
    closed = accepted + dt.timedelta(days=rng.randrange(10, 80)) if rng.random() < 0.6 else None
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 20000))
    body = f"{rng.randrange(110000, 659000)}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    summary = record.summary.strip().replace("\n", "")
    if i % 3 == 0:
        summary = f"{name}反映：{summary}"
    dates: list[Any] = [received, received.isoformat(), f"{received.year}年{received.month}月{received.day}日"]
    result = record.resolution
    return [
        i + 1,
        f"XJ{received:%Y%m}{i:05d}",
        dates[i % 3],
        rng.choice(CHANNELS),
        name,
        f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}",
        body + id_check_digit(body),
        record.petitioners.count,
        record.petitioners.kind,
        record.category,
        record.domain,
        record.topic,
        record.region.split("/", 1)[1].replace("/", ""),
        record.subject,
        record.title,
        summary,
        "；".join(record.demands),
        "、".join(flag for flag in record.flags if flag != "集体访" or record.petitioners.count >= 5),
        record.units.lead,
        "、".join(record.units.assist[:2]),
        record.lead_official,
        accepted,
        closed,
        closed,
        (result.outcome if result and result.outcome != "未化解" else "已化解") if closed else None,
        result.route if closed and result else None,
        result.decision if closed and result else None,
        result.satisfaction.unit if closed and result else None,
        result.satisfaction.office if closed and result else None,
    ]


def run_import_bench(count: int, repeats: int = 3, say: Any = print) -> ImportBenchReport:
    """Measure the three imports (see the module's docstring); `say` gets a line per run."""
    report = ImportBenchReport(count)
    mapping, _ = load_mapping(None)
    with tempfile.TemporaryDirectory(prefix="casebook-import-bench-") as scratch:
        folder = Path(scratch)
        first = synthetic_export(folder / "export-1.xlsx", count)
        second = synthetic_export(folder / "export-2.xlsx", count, progressed=0.1, new=0.05)
        cases = {"first import (all added)": [], "same file again (unchanged)": [], "next export (updates)": []}
        for run in range(repeats):
            library = folder / f"cases-{run}"
            shutil.copytree(SAMPLE_LIBRARY, library)
            for case, export in zip(cases, (first, first, second), strict=True):
                started = time.perf_counter()
                result = import_file(export, library, mapping, today=AS_OF)
                seconds = time.perf_counter() - started
                cases[case].append(seconds)
                report.counts[case] = (
                    f"added {result.count('added')}, updated {result.count('updated')}, "
                    f"unchanged {result.count('unchanged')}, problems {len(result.problems)}"
                )
                say(f"  {case}: {seconds:.2f} s ({report.counts[case]})")
            shutil.rmtree(library)
    report.runs = {case: sorted(runs) for case, runs in cases.items()}
    return report
