"""casebook bench: a deterministic synthetic library of N records, built and measured per stage.

The synthetic records are recombined from the sample library (same domain,
sentences of other records of that domain, shifted dates, other regions), so
the text is real petition-office Chinese with a realistic vocabulary and the
search index sees realistic bigram frequencies. Same N and seed → same library.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .bench_anchor import AnchorResult, anchor_lines, build_anchor, median_anchor
from .build import BuildOptions, StageTiming, build
from .library import read_library
from .memory import PeakSampler, tree_memory_mb
from .search.index import DATA_DIR
from .search.query import SiteIndex
from .state import StateStore

SAMPLE_LIBRARY = Path(__file__).resolve().parent.parent / "cases"
# After every synthetic date (records of 2024 are received up to late November and
# the sample's longest handling takes 288 days): validation refuses dates after the build's as-of.
BENCH_AS_OF = dt.date(2025, 12, 31)


@dataclass
class BenchReport:
    records: int
    stages: list[StageTiming] = field(default_factory=list)
    total_seconds: float = 0.0
    peak_mb: float = 0.0
    all_processes_peak_mb: float = 0.0
    site_bytes: int = 0
    site_files: int = 0
    search: dict[str, Any] = field(default_factory=dict)
    largest_query: tuple[str, int] = ("", 0)
    median_query_bytes: int = 0
    similar_seconds: float = 0.0  # related cases of every record and entry (segment, index, top 5)
    quality: dict[str, Any] = field(default_factory=dict)
    full_runs: list[float] = field(default_factory=list)  # seconds of each full build, sorted
    anchors: list[AnchorResult] = field(default_factory=list)
    incremental: dict[str, list[float]] = field(default_factory=dict)  # case → sorted seconds (and peaks)
    identical: bool | None = None  # the incremental site after edits = a full build of the same input
    anchor_missing: str = ""  # why there is no anchor (Pagefind not installed)

    def incremental_lines(self) -> list[str]:
        return _incremental_lines(self)

    def lines(self) -> list[str]:
        out = [f"records: {self.records}", "stage            seconds   peak MB  worker MB"]
        out += [f"{s.name:<16} {s.seconds:7.2f}   {s.peak_mb:7.0f}  {s.worker_peak_mb:9.0f}" for s in self.stages]
        worker = max((s.worker_peak_mb for s in self.stages), default=0.0)
        out.append(f"{'total':<16} {self.total_seconds:7.2f}   {self.peak_mb:7.0f}  {worker:9.0f}")
        out.append(
            "memory, all processes at once (sampled every 0.1 s), first full build: "
            f"peak {self.all_processes_peak_mb:.0f} MB"
        )
        out.append(f"site: {self.site_bytes / 1e6:.1f} MB in {self.site_files} files")
        out.append(
            f"search: {self.search.get('docs')} docs, {self.search.get('bigrams')} bigrams, "
            f"{self.search.get('bigram_shards')} shards, docs.bin {self.search.get('docs_bin_bytes', 0) / 1e3:.0f} KB"
        )
        out.append(f"similar cases: related top 5 for all {self.records} records in {self.similar_seconds:.1f} s")
        if self.quality:
            q = self.quality
            out.append(
                f"similar-case quality (sample library + {EVAL_SET.name}): precision@5 {q['precision_at_5']:.3f} "
                f"over {q['precision_queries']} records, class suggestion accuracy {q['suggestion_accuracy']:.3f} "
                f"on {q['held_out']} held-out texts, {q['unassigned_accuracy']:.3f} on {q['unassigned']} unclassed"
            )
        else:
            out.append(f"similar-case quality: evaluation set {EVAL_SET} not found (run from the repository)")
        out += self.incremental_lines()
        query, size = self.largest_query
        out.append(
            f"largest query payload: {size / 1e3:.0f} KB ({query}); median {self.median_query_bytes / 1e3:.0f} KB"
        )
        return out


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {ordered[len(ordered) // 2]:.2f} s ({' / '.join(f'{v:.2f}' for v in ordered)})"


def _incremental_lines(report: BenchReport) -> list[str]:
    out = [f"full build: {_spread(report.full_runs)}"]
    if report.anchors:
        median = median_anchor(report.anchors)
        out += anchor_lines(median, full_build_seconds=sorted(report.full_runs)[len(report.full_runs) // 2])
        out.append(f"anchor runs: {_spread([a.total_seconds for a in report.anchors])}")
    elif report.anchor_missing:
        out.append(f"anchor: not built ({report.anchor_missing})")
    for name, _ in INCREMENTAL_CASES:
        if name in report.incremental:
            peak = max(report.incremental.get(f"{name} peak MB", [0.0]))
            out.append(f"incremental, {name}: {_spread(report.incremental[name])}, peak {peak:.0f} MB")
    if report.identical is not None:
        out.append(f"incremental site = full build, byte for byte: {'yes' if report.identical else 'NO'}")
    return out


def synthesize(target: Path, count: int, seed: int = 2024) -> Path:
    """Write a library of `count` records (and count/40 typical entries) under target/cases."""
    sample, problems = read_library(SAMPLE_LIBRARY)
    if problems or sample.settings is None:
        raise RuntimeError("the sample library must validate before it can seed a benchmark")
    rng = random.Random(seed)
    library = target / "cases"
    (library / "records").mkdir(parents=True)
    (library / "typical").mkdir()
    shutil.copy(SAMPLE_LIBRARY / "settings.yaml", library / "settings.yaml")
    shutil.copytree(SAMPLE_LIBRARY / "classes", library / "classes")
    regions = sample.settings.model.vocabularies.regions
    bases = sorted((doc.model for doc in sample.records), key=lambda r: r.id)
    sentences: dict[str, list[str]] = defaultdict(list)
    for record in bases:
        sentences[record.domain] += [s + "。" for s in re.split(r"。\s*", record.summary.replace("\n", "")) if s]

    per_year: dict[int, int] = defaultdict(int)
    made: dict[tuple[str, str | None], list[str]] = defaultdict(list)  # (domain, class) → ids
    years = synthetic_years(count)
    for number in range(count):
        base = bases[number % len(bases)]
        year = years[number % len(years)]
        per_year[year] += 1
        record_id = f"XF-{year}-{per_year[year]:04d}"
        shift = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(0, 330)) - base.received
        data = base.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
        data["id"] = record_id
        data["region"] = rng.choice(regions) if not base.class_ else base.region
        pool = sentences[base.domain]
        data["summary"] = "".join(rng.sample(pool, min(len(pool), rng.randint(3, 6))))
        _shift_dates(data, shift)
        if number % 7 == 0:
            data.pop("class", None)  # some records await classification
        _write_yaml(library / "records" / f"{record_id}.yaml", data)
        made[(base.domain, data.get("class"))].append(record_id)

    codes = {d.name: d.code for d in sample.settings.model.vocabularies.domains}
    entries = sorted((doc.model for doc in sample.typical), key=lambda e: e.id)
    seq: dict[str, int] = defaultdict(int)
    for number in range(max(1, count // 40)):
        base = entries[number % len(entries)]
        ids = made.get((base.domain, base.class_)) or made[(base.domain, None)]
        kind = base.id.split("-")[2]
        picked = sorted(rng.sample(ids, 1 if kind == "1" or len(ids) < 2 else min(len(ids), rng.randint(2, 12))))
        year = int(picked[0][3:7])
        kind = "1" if len(picked) == 1 else "2"
        prefix = f"{year}-{codes[base.domain]}-{kind}"
        seq[prefix] += 1
        data = base.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
        data.update(id=f"{prefix}-{seq[prefix]:03d}", records=picked)
        _write_yaml(library / "typical" / f"{data['id']}.yaml", data)
    return library


LAST_YEAR = 2024  # see BENCH_AS_OF
MAX_PER_YEAR = 9_999  # record ids are XF-YYYY-NNNN


def synthetic_years(count: int) -> list[int]:
    """The years records are received in: 2021-2024, and earlier years as well when a year
    would otherwise hold more records than its ids can number (100,000 records: 2014-2024)."""
    span = max(4, -(-count // MAX_PER_YEAR))
    return list(range(LAST_YEAR - span + 1, LAST_YEAR + 1))


def _shift_dates(data: dict[str, Any], shift: dt.timedelta) -> None:
    def moved(value: str) -> str:
        return (dt.date.fromisoformat(value) + shift).isoformat()

    data["received"] = moved(data["received"])
    for stage in data["stages"]:
        stage["date"] = moved(stage["date"])
    resolution = data.get("resolution")
    if resolution and resolution.get("closed"):
        resolution["closed"] = moved(resolution["closed"])


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    # libyaml's emitter where PyYAML has it: the pure-Python one took 5 minutes for 100,000 records.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")


def run_bench(
    count: int,
    keep: Path | None = None,
    queries: int = 200,
    repeats: int = 3,
    anchor: bool = True,
    say: Callable[[str], None] = lambda line: None,
) -> BenchReport:
    """Synthesize, build (internal edition), measure; the folder is removed unless `keep`.

    Full builds, the anchor and the incremental updates are each run `repeats`
    times and reported as medians, full builds and anchors alternating so that
    both see the same machine. `say` hears a line as each step ends: at 100,000
    records the bench runs for an hour, and its report comes only at the end."""
    folder = Path(tempfile.mkdtemp(prefix="casebook-bench-")) if keep is None else keep
    clock = time.perf_counter()

    def step(name: str) -> Callable[[StageTiming], None]:
        return lambda stage: say(f"{name}: {stage.name} {stage.seconds:.2f} s, {stage.peak_mb:.0f} MB")

    try:
        library = synthesize(folder, count)
        say(f"synthesized {count} records in {time.perf_counter() - clock:.1f} s")
        config = Path(str(resources.files("generator") / "defaults" / "mkdocs.yml"))
        out = folder / "site"
        report = BenchReport(records=count)
        fulls: list[tuple[float, Any, float]] = []
        for run in range(repeats):
            # A full build from nothing: no site, and no cache folder either (parsed files,
            # segmentations, similar cases, Word files kept by an earlier build).
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(StateStore(out).folder, ignore_errors=True)
            start = time.perf_counter()
            with PeakSampler() as sampler:
                options = BuildOptions(library=library, out=out, as_of=BENCH_AS_OF, config=config, full=True)
                result = build(options, step(f"full build {run + 1}"))
            fulls.append((time.perf_counter() - start, result, sampler.peak_mb))
            say(f"full build {run + 1}: {fulls[-1][0]:.1f} s, all processes {sampler.peak_mb:.0f} MB")
            if anchor and not report.anchor_missing:
                try:
                    report.anchors.append(build_anchor(count, folder / f"anchor-{run}"))
                    say(f"anchor {run + 1}: {report.anchors[-1].total_seconds:.1f} s")
                except RuntimeError as error:  # Pagefind 1.5.2 is a test dependency: pip install -e '.[test]'
                    report.anchor_missing = str(error)
                shutil.rmtree(folder / f"anchor-{run}", ignore_errors=True)
        # The first full build's peak: later ones run in a process that holds what the first left.
        report.all_processes_peak_mb = fulls[0][2]
        fulls.sort(key=lambda item: item[0])
        report.full_runs = [seconds for seconds, _, _ in fulls]
        report.total_seconds, result, _ = fulls[len(fulls) // 2]
        report.stages, report.search = result.stages, result.search
        report.peak_mb = max(s.peak_mb for s in result.stages)
        files = [p for p in out.rglob("*") if p.is_file()]
        report.site_files = len(files)
        report.site_bytes = sum(p.stat().st_size for p in files)
        report.incremental = measure_incremental(library, out, config, repeats, say)
        report.identical = incremental_equals_full(library, out, config, folder / "full-check")
        say(f"incremental site = full build: {report.identical}")
        report.largest_query, report.median_query_bytes = measure_queries(out, queries)
        report.similar_seconds = time_related(library)
        say(f"similar cases of all records: {report.similar_seconds:.1f} s")
        report.quality = similarity_quality()
        return report
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


INCREMENTAL_CASES = (("no change", 0), ("1 record edited", 1), ("100 records edited", 100))


def measure_incremental(
    library: Path, out: Path, config: Path, repeats: int, say: Callable[[str], None] = lambda line: None
) -> dict[str, list[float]]:
    """Seconds from command to published site after no change, one edited record, a hundred.

    Each build is the command a user runs (`casebook build`, a process of its own): its time
    includes Python's start and the imports (about a second), and its peak is that process
    and its workers alone, not this one, which holds what the full builds left."""
    times: dict[str, list[float]] = {}
    for name, edited in INCREMENTAL_CASES:
        runs = []
        for run in range(repeats):
            if edited:
                edit_titles(library, edited, revision_mark(name, run))
            seconds, peak_mb = build_command(library, out, config)
            runs.append(seconds)
            times.setdefault(f"{name} peak MB", []).append(peak_mb)
            say(f"{name} {run + 1}: {seconds:.2f} s, all processes {peak_mb:.0f} MB")
        times[name] = sorted(runs)
    return times


def build_command(library: Path, out: Path, config: Path) -> tuple[float, float]:
    """`casebook build` in a process of its own: wall seconds and the peak of its process tree (MB)."""
    command = [sys.executable, "-m", "generator", "build", str(library), "--out", str(out)]
    command += ["--as-of", BENCH_AS_OF.isoformat(), "--config", str(config)]
    peak = 0.0
    with tempfile.TemporaryFile() as errors_file:
        start = time.perf_counter()
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors_file) as process:
            while process.poll() is None:
                peak = max(peak, tree_memory_mb(process.pid))
                time.sleep(0.1)
        seconds = time.perf_counter() - start
        errors_file.seek(0)
        errors = errors_file.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"casebook build failed ({process.returncode}):\n{errors}")
    return seconds, peak


def revision_mark(name: str, run: int) -> str:
    """A mark one character longer each run. A title of another length moves every later
    position of the page's text, as most real edits do: each position-list file of the
    page's common bigrams is then spliced again (at 100,000 records 5-7 s and 1.8 GB more
    than an edit that keeps the length, which the bench measured until 2026-12-01)."""
    return f"{name}-{run}" + "修" * (run + 1)


def edit_titles(library: Path, count: int, tag: str) -> None:
    """Append a revision mark to the title of the first `count` records (spread over the years)."""
    files = sorted((library / "records").glob("*.yaml"))
    step = max(1, len(files) // max(count, 1))
    for path in files[::step][:count]:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^title: (.*?)(（修订[^）]*）)?$", rf"title: \1（修订{tag}）", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")


def incremental_equals_full(library: Path, out: Path, config: Path, check: Path) -> bool:
    """One more edit, built incrementally into `out` and in full into a copy of the site before it:
    the two must hold the same bytes (the change log reads the site it replaces, so both start
    from the same one)."""
    shutil.copytree(out, check, symlinks=True)
    edit_titles(library, 7, "exactness")
    build(BuildOptions(library=library, out=out, as_of=BENCH_AS_OF, config=config))
    build(BuildOptions(library=library, out=check, as_of=BENCH_AS_OF, config=config, full=True))
    same = _digests(out) == _digests(check)
    shutil.rmtree(check, ignore_errors=True)
    return same


def _digests(site: Path) -> dict[str, str]:
    from .outdir import MARKER
    from .state import digest

    return {
        p.relative_to(site).as_posix(): digest(p.read_bytes())
        for p in site.rglob("*")
        if p.is_file() and p.name != MARKER
    }


EVAL_SET = SAMPLE_LIBRARY.parent / "tests" / "data" / "similar_eval.yaml"


def time_related(library_path: Path) -> float:
    """Wall seconds to find the 5 most similar of every record and entry, from the texts."""
    from .derive.similar import SimilarityIndex, library_segmenter, library_texts

    library, _ = read_library(library_path)
    start = time.perf_counter()
    SimilarityIndex.build(library_texts(library), library_segmenter(library)).related(top_k=5)
    return time.perf_counter() - start


def similarity_quality() -> dict[str, Any]:
    """precision@5 and class-suggestion accuracy on the labelled set in tests/data (issue 6's targets: 0.9)."""
    if not EVAL_SET.is_file():
        return {}
    from .derive.similar_eval import evaluate, load_eval_set

    library, _ = read_library(SAMPLE_LIBRARY)
    return evaluate(library, load_eval_set(EVAL_SET))


def measure_queries(site: Path, count: int) -> tuple[tuple[str, int], int]:
    """Bytes one query downloads: index files + meta chunks + snippet texts of the first page of 20.

    The query set is the most frequent bigrams (the worst case) plus phrases
    cut from page texts; docs.json/docs.bin are loaded once per page and not counted.
    """
    index = SiteIndex(site)
    data = site / DATA_DIR
    frequent = sorted(data.glob("bi/x*.bin"), key=lambda p: -p.stat().st_size)[:20]
    words = [bytes.fromhex(p.stem[1:]).decode("utf-8") for p in frequent]
    rng = random.Random(1)
    docs = index.header["n"]
    for doc in rng.sample(range(docs), min(docs, count)):
        text = index.text_slices(doc)[0].split("\n", 1)[-1]
        runs = re.findall(r"[^\W_]{4,}", text)
        if runs:
            run = rng.choice(runs)
            words.append(run[: rng.randint(2, min(6, len(run)))])
    sizes = []
    worst = ("", 0)
    for word in words:
        result = index.search(word)
        top = sorted(result.docs, key=lambda d: (-result.docs[d], d))[:20]
        result.ranges |= {index.snippet_range(d, result.first.get(d)) for d in top}
        result.files |= {index.meta_file(d) for d in top}
        size = result.payload_bytes(data)
        sizes.append(size)
        if size > worst[1]:
            worst = (word, size)
    sizes.sort()
    return worst, sizes[len(sizes) // 2] if sizes else 0
