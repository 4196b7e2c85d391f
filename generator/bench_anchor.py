"""The bench's anchor: bare MkDocs-Material with N pages out of the nav, then Pagefind 1.5.2.

Issue 14 sets the full-build target relative to what the same machine needs
to publish a comparable site without Casebook: Casebook's full build may take
at most 0.8 × this anchor. The ratio, not the seconds, is the target, because
the machine is shared; so the bench builds the anchor itself, in the same run
and under the same load, instead of quoting a figure measured once.

"Comparable" means the same number of pages, each about as long as a Casebook
record page (the sample edition's record pages hold 1,166–2,793 characters of
article text, median 2,123) and laid out the same way (a field table, sections
of paragraphs, a list, a table of stages), in Chinese recombined from the sample
library's summaries, so Markdown, the theme and Pagefind see realistic input.
"Bare" means Material's defaults with two changes Casebook makes as well: no
external font (`font: false`; the site runs on an intranet) and no built-in
search plugin, whose lunr index Pagefind replaces. The pages are listed by
`not_in_nav` rather than in the nav, so MkDocs neither renders a 10,000-entry
navigation into every page nor warns about them.

Both tools are run as a user would run them, as subprocesses with the Python
that runs the bench, and timed from outside: `mkdocs build`, then
`python -m pagefind --site site` (PyPI `pagefind[bin]`, in the `test` extra).
Writing the Markdown is not timed; the anchor's owner already has it.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from .render.text import join_lines, md_inline

PAGEFIND_VERSION = "1.5.2"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAMPLE_RECORDS = Path(__file__).resolve().parent.parent / "cases" / "records"
PAGES_DIR = "pages"
# Article text of a page, in characters, drawn per page from this range
# (the sample edition's record pages: 1,166–2,793, median 2,123).
PAGE_CHARS = (1350, 2700)
# The target: Casebook's full build at most this share of the anchor.
TARGET_RATIO = 0.8

MKDOCS_YML = """\
# The anchor of casebook bench (generator/bench_anchor.py): bare MkDocs-Material.
site_name: 锚点站点
docs_dir: docs
site_dir: site
use_directory_urls: true
theme:
  name: material
  language: zh
  font: false
plugins: []
nav:
  - index.md
not_in_nav: |
  /{pages}/
"""


@dataclass
class AnchorResult:
    """One anchor build: seconds of each tool (as wall time of its process) and the site it left."""

    pages: int
    mkdocs_seconds: float
    pagefind_seconds: float
    site_bytes: int
    site_files: int
    pagefind_version: str

    @property
    def total_seconds(self) -> float:
        return self.mkdocs_seconds + self.pagefind_seconds


def sample_summaries(records: Path = SAMPLE_RECORDS) -> list[str]:
    """The summaries of the sample library's records, in file-name order."""
    texts = []
    for path in sorted(records.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # CSafeLoader or SafeLoader
        if isinstance(data, dict) and isinstance(data.get("summary"), str):
            texts.append(data["summary"])
    if not texts:
        raise RuntimeError(f"no record summaries under {records} to write the anchor's pages from")
    return texts


def sentence_pool(texts: list[str]) -> list[str]:
    """Distinct sentences of the texts, sorted, so the pool does not depend on the texts' order."""
    found: set[str] = set()
    for text in texts:
        for sentence in re.split(r"(?<=[。！？!?])", join_lines(text)):
            sentence = sentence.strip()
            if len(sentence) >= 8:
                found.add(sentence if sentence[-1] in "。！？!?" else sentence + "。")
    if not found:
        raise ValueError("the sample texts hold no sentence of 8 characters or more")
    return sorted(found)


def _clause(sentence: str, limit: int) -> str:
    """The first clause of a sentence, at most `limit` characters, for titles, cells and list items."""
    return re.split(r"[，,；;：:。！？!?]", sentence, maxsplit=1)[0][:limit] or sentence[:limit]


def page_markdown(number: int, pool: list[str]) -> str:
    """Page `number` (from 1): the same page for the same number and pool, whatever the page count."""
    rng = random.Random(f"casebook-anchor:{number}")
    target = rng.randint(*PAGE_CHARS)
    order: list[str] = []

    def pick() -> str:
        """The next sentence of a shuffled pool: no sentence twice in a page until the pool runs out."""
        if not order:
            order.extend(rng.sample(pool, len(pool)))
        return order.pop()

    day = rng.randrange(0, 1460)
    fields = [
        ("编号", f"AN-{number:06d}"),
        ("收到日期", f"{2021 + day // 365}-{1 + day % 365 // 31:02d}-{1 + day % 28:02d}"),
        ("问题领域", _clause(pick(), 8)),
        ("涉及项目", _clause(pick(), 16)),
        ("信访人", _clause(pick(), 24)),
    ]
    demands = [_clause(pick(), 30) for _ in range(rng.randint(2, 4))]
    stages = [(f"第 {n} 步", pick()) for n in range(1, rng.randint(4, 7) + 1)]
    result = pick()
    title = _clause(pick(), 30)
    used = len(title) + sum(len(k) + len(v) for k, v in fields) + sum(map(len, demands))
    used += sum(len(s) for _, s in stages) + len(result)
    summary: list[str] = []
    while used < target or not summary:
        summary.append(pick())
        used += len(summary[-1])
    lines = [f"# {md_inline(title)}", "", "| 项目 | 内容 |", "|---|---|"]
    lines += [f"| {key} | {md_inline(value)} |" for key, value in fields]
    lines += ["", "## 基本情况", ""]
    for start in range(0, len(summary), 3):
        lines += [md_inline("".join(summary[start : start + 3])), ""]
    lines += ["## 诉求", ""] + [f"{n}. {md_inline(d)}" for n, d in enumerate(demands, 1)]
    lines += ["", "## 办理过程", "", "| 环节 | 情况 |", "|---|---|"]
    lines += [f"| {step} | {md_inline(text)} |" for step, text in stages]
    lines += ["", "## 处理结果", "", md_inline(result), ""]
    return "\n".join(lines)


def write_project(pages: int, folder: Path, sample_texts: list[str] | None = None) -> None:
    """Write mkdocs.yml, docs/index.md (the only page in the nav) and `pages` pages under docs/pages/."""
    if pages < 1:
        raise ValueError("the anchor needs at least one page")
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"the anchor is written into a new or empty folder, and {folder} is not empty")
    pool = sentence_pool(sample_summaries() if sample_texts is None else sample_texts)
    docs = folder / "docs" / PAGES_DIR
    docs.mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(MKDOCS_YML.format(pages=PAGES_DIR), encoding="utf-8")
    (folder / "docs" / "index.md").write_text(f"# 锚点站点\n\n{pages} 个页面，均不在导航中。\n", encoding="utf-8")
    for number in range(1, pages + 1):
        (docs / f"{number:06d}.md").write_text(page_markdown(number, pool), encoding="utf-8")


def _run(command: list[str], folder: Path, what: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return seconds


def pagefind_version() -> str:
    """The version `python -m pagefind` reports; a clear error when the package is missing."""
    done = subprocess.run([sys.executable, "-m", "pagefind", "--version"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"pagefind {PAGEFIND_VERSION} is needed for the anchor: pip install 'casebook[test]' "
            f"(PyPI pagefind[bin]=={PAGEFIND_VERSION}): {(done.stderr or done.stdout).strip()}"
        )
    return done.stdout.strip().removeprefix("pagefind ").strip()


def build_anchor(pages: int, folder: Path, sample_texts: list[str] | None = None) -> AnchorResult:
    """Write the anchor into `folder` (new or empty), build it with MkDocs, index it with Pagefind, time both.

    `sample_texts` are the texts whose sentences the pages recombine (default:
    the sample library's summaries). MkDocs runs with --strict, so an anchor
    that warns (a page MkDocs would report) fails instead of being timed.
    """
    version = pagefind_version()
    if version != PAGEFIND_VERSION:
        raise RuntimeError(f"the anchor is defined with Pagefind {PAGEFIND_VERSION}, and {version} is installed")
    write_project(pages, folder, sample_texts)
    mkdocs = _run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"], folder, "mkdocs build")
    pagefind = _run([sys.executable, "-m", "pagefind", "--site", "site"], folder, "pagefind")
    files = [p for p in (folder / "site").rglob("*") if p.is_file()]
    return AnchorResult(
        pages=pages,
        mkdocs_seconds=mkdocs,
        pagefind_seconds=pagefind,
        site_bytes=sum(p.stat().st_size for p in files),
        site_files=len(files),
        pagefind_version=version,
    )


def median_anchor(results: list[AnchorResult]) -> AnchorResult:
    """The run with the median total time (the lower middle one of an even count)."""
    if not results:
        raise ValueError("no anchor runs")
    ordered = sorted(results, key=lambda r: r.total_seconds)
    return ordered[(len(ordered) - 1) // 2]


def anchor_lines(result: AnchorResult, full_build_seconds: float | None = None) -> list[str]:
    """Report lines for the bench; with Casebook's full-build seconds, also the ratio and the target."""
    lines = [
        f"anchor: bare MkDocs-Material, {result.pages} pages out of the nav, then Pagefind {result.pagefind_version}",
        f"anchor time: {result.total_seconds:.1f} s (mkdocs build {result.mkdocs_seconds:.1f} s "
        f"+ pagefind {result.pagefind_seconds:.1f} s); site {result.site_bytes / 1e6:.1f} MB "
        f"in {result.site_files} files",
    ]
    if full_build_seconds is not None:
        ratio = full_build_seconds / result.total_seconds
        verdict = "met" if ratio <= TARGET_RATIO else "not met"
        lines.append(
            f"full build / anchor: {full_build_seconds:.1f} s / {result.total_seconds:.1f} s = {ratio:.2f} "
            f"(target at most {TARGET_RATIO:.2f}: {verdict})"
        )
    return lines
