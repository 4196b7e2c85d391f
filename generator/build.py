"""casebook build: load → validate → derive → render → MkDocs → search index → publish.

Each stage is timed (wall seconds and peak memory so far) for `casebook
bench`. The site is built in a staging folder beside the target and swapped
in only when every stage has succeeded, so a failed or interrupted build
leaves the previous site exactly as it was. Generated Markdown lives only in
the staging folder: never in docs/ or the library.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import os
import resource
import shutil
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .contract import CaseClass
from .dependencies import code_digest, fingerprint, front_matter, identity, page_key, site_key, tree_digest
from .derive.changes import (
    CHANGES_FILE,
    ChangeSet,
    Snapshot,
    changes_json,
    compare,
    next_history,
    read_previous,
    snapshot,
)
from .derive.facts import FactsStore
from .derive.guide import GuideExtras, derive_extras
from .derive.ledger import LedgerBook, packed_book, unpacked_book
from .derive.similar import import_jieba
from .derive.site import AUDIENCES, SiteModel, derive_site
from .edition import EDITIONS
from .errors import CasebookError, InvalidLibrary, UsageProblem
from .export import SITE_DOWNLOAD as EXPORT_DOWNLOAD
from .export import SITE_SCHEMA as EXPORT_SCHEMA_DOWNLOAD
from .export import ExportStore, site_export
from .export import schema_json as export_schema_json
from .file_digests import TABLE_FILE as DIGESTS_FILE
from .file_digests import FileDigests
from .guard import SiteCheck, check_file, content_is_read, refuse_on_leaks
from .memo import BlobMemo, HashMemo, SegmentMemo
from .memory import give_back_freed_memory
from .office.workbook import ledger_workbooks, remembered_workbooks, workbook_keys
from .outdir import MARKER, ReadPath, build_lock, check_site_out, naming, read_marker, write_marker
from .parallel import Background, SpareProcess
from .parse_cache import CACHE_FILE as PARSE_CACHE_FILE
from .parse_cache import ParseCache, collector_paused, freeze_while_paused
from .prelink import PreLinker, adopt
from .progress import NO_BAR, NO_PROGRESS, Bar, Progress
from .publish import clean_leftovers, clean_retired, publish, staging_folder
from .render.guides import guide_files
from .render.pages import REVIEW_PAGE, RenderMemo, render_pages
from .render.text import html_markup
from .site_build import ASSET_DIR, PAGE_PACK, MkDocsJob, SiteResult, build_site, bulk_page, epoch_of, write_pack
from .state import BuildState, FileRecord, StateStore, digest, key_of, site_files
from .validate import check_library
from .validate_memo import MEMO_FILE as VALIDATE_MEMO_FILE
from .validate_memo import ValidateMemo
from .workdir import scratch_root

if TYPE_CHECKING:
    from .search.index import Published

DEFAULT_CONFIG = "mkdocs.yml"
PRELINKED = "linked"  # the staging folder's tree of published pages linked early (prelink.py)
RETIRE_IN_BACKGROUND_FROM = 5_000  # files of the old site: fewer are removed before the build returns
WORKBOOKS_IN_BACKGROUND_FROM = 5_000  # ledger rows; below this a process costs more than it saves


class SiteChangedDuringBuild(CasebookError):
    """A published page changed while the build was taking it over: nothing is published."""

    exit_code = 2


@dataclass
class StageTiming:
    name: str
    seconds: float
    peak_mb: float  # this process, so far
    worker_peak_mb: float = 0.0  # the largest worker process so far (MkDocs, conformance checks)


@dataclass
class BuildReport:
    site: Path
    pages: int = 0
    stages: list[StageTiming] = field(default_factory=list)
    search: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why the build could not reuse the published site ("" when it could)
    unchanged: bool = False  # nothing changed since the published build: nothing was done
    rendered: int = 0  # pages MkDocs made
    reused: int = 0  # pages taken from the published site
    stubbed: int = 0  # of those, record and entry pages whose template was not even rendered

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.stages.append(StageTiming(name, time.perf_counter() - start, peak_mb, worker_mb))


@dataclass(frozen=True)
class BuildOptions:
    library: Path
    out: Path
    audience: str = "internal"
    as_of: dt.date = field(default_factory=dt.date.today)
    config: Path | None = None  # mkdocs.yml; default: beside the library, else the packaged one
    jobs: int | None = None  # MkDocs processes; default: one per core for large libraries
    full: bool = False  # ignore the build state: make every file anew


def find_config(library: Path, config: Path | None) -> Path:
    """The mkdocs.yml to use: given, beside the library (the project), in the cwd, or packaged."""
    if config is not None:
        if not config.is_file():
            raise UsageProblem(f"找不到 MkDocs 设置文件 {config}")
        return config
    for candidate in (library.absolute().parent / DEFAULT_CONFIG, Path.cwd() / DEFAULT_CONFIG):
        if candidate.is_file():
            return candidate
    return Path(str(resources.files("generator") / "defaults" / DEFAULT_CONFIG))


def build(
    options: BuildOptions,
    on_stage: Callable[[StageTiming], None] | None = None,
    progress: Progress = NO_PROGRESS,
) -> BuildReport:
    """Build and publish the site; raise InvalidLibrary (with every problem) on bad input.

    `--out` is checked and locked before anything is loaded (outdir.py): a build
    that must not or cannot replace it says so at once, not after a full build.
    `progress` is told how far each stage has got (progress.py; the default shows nothing).
    """
    if options.audience not in AUDIENCES:
        raise UsageProblem(f"未知的版本 {options.audience}：应为 {'/'.join(AUDIENCES)}")
    config_path = find_config(options.library, options.config)
    out = check_site_out(options.out, paths_read(options.library, config_path))
    with build_lock(out, options.audience):
        try:
            return _build(options, config_path, out.real, on_stage, progress)
        finally:
            gc.unfreeze()  # load+validate froze the library's objects; a serve session builds again


def _build(
    options: BuildOptions,
    config_path: Path,
    target: Path,
    on_stage: Callable[[StageTiming], None] | None,
    progress: Progress = NO_PROGRESS,
) -> BuildReport:
    report = BuildReport(site=options.out)

    def done() -> None:
        if on_stage:
            on_stage(report.stages[-1])

    clean_leftovers(target)
    store = StateStore(target)
    if store.usable() is None:
        clean_retired(store.folder)
    # The published state (300,000 small lists at 100,000 records) lives through the build:
    # read without collections (0.6 s of full ones) and frozen out of later ones.
    with report.stage("state"), progress.stage("state"), collector_paused(keep=True):
        digests = FileDigests(store.folder / DIGESTS_FILE if store.usable() is None else None)
        inputs = fingerprint(
            options.audience, options.as_of.isoformat(), options.library, input_paths(config_path), digests
        )
        if options.full:
            state, report.reason = None, "要求完整构建（--full）"
        else:
            state, report.reason = _published_state(store, target, options)
        if state is not None and state.fingerprint == inputs and site_as_recorded(target, state):
            report.unchanged = True
        cache_folder = None if store.usable() else store.prepare()  # None: a folder of that name is not ours
        if cache_folder is not None:
            digests.save()  # true of the files whatever becomes of this build
    done()
    if report.unchanged:
        return report
    # Everything from here on, scratch files of pandoc, openpyxl and MkDocs workers
    # included, lives in the staging folder beside the target (workdir.py).
    staging = staging_folder(target)
    linker, spare = None, None
    started: list[StartedWorkbooks] = []  # the docs folder and the ledger workbooks, once derive starts them
    if state is not None:  # published record and entry pages, linked meanwhile (prelink.py)
        bulk = (src for src in state.pages if bulk_page(src))
        linker = PreLinker.start(target, staging / PRELINKED, state, bulk)
    try:
        with report.stage("load+validate"), progress.stage("load+validate") as bar, collector_paused(keep=True):
            # keep=True: what the library made is frozen out of later collections (not scanned again)
            parsed = ParseCache(cache_folder / PARSE_CACHE_FILE if cache_folder is not None else None)
            checked = ValidateMemo(cache_folder / VALIDATE_MEMO_FILE if cache_folder is not None else None)
            facts = FactsStore(cache_folder)  # records whose facts it keeps are read without a model
            exports = ExportStore(cache_folder)  # records' export JSON, for the data download
            library, problems = check_library(
                options.library, options.as_of, options.config, parsed, bar, checked, digests, facts
            )
            parsed.save()  # clean files stay clean whatever the others hold: kept even when the build stops here
            checked.save()
            del parsed, checked  # the data of every file as JSON: 0.4 GB at 100,000 records, not needed again
            if problems:
                raise InvalidLibrary(problems)
        done()
        # The ledger workbooks' process (write_pages), started now: its start and imports overlap derive.
        many = len(library.records) >= WORKBOOKS_IN_BACKGROUND_FROM
        spare = SpareProcess.start("generator.build", wanted=many and EDITIONS[options.audience].ledgers)
        # Not collected meanwhile either (7 full collections cost 1 s at 10,000 records), and frozen
        # at the end as the library was. Derive leaves no cycles worth a sweep (about 200 small
        # objects, measured on full and incremental builds) once jieba is imported beforehand.
        import_jieba()
        with report.stage("derive"), progress.stage("derive"), collector_paused(keep=True):
            blobs = BlobMemo(cache_folder)

            def views_ready(model: SiteModel) -> None:  # the workbooks' process starts on the ledgers
                started.append(start_workbooks(model, config_path, staging / "docs", blobs, spare))

            site = derive_site(
                library,
                options.audience,
                options.as_of,
                SegmentMemo(cache_folder),
                cache_folder,
                facts,
                views_ready=views_ready,
            )
            facts.save()
            del facts
            # The models live on in `site`; the positions of every YAML value (a third of
            # the memory at 10,000 records) are only needed for messages, and
            # validation is over: let them go before MkDocs and the index need room.
            del library
            # The change log compares with the site readers have now (derive/changes.py).
            previous, history = read_previous(target)
            hashes = HashMemo(cache_folder)
            current = snapshot(site, previous, hashes)
            hashes.save()
            changes = compare(previous, current, options.as_of)
            history = next_history(history, changes, site.settings.changes.keep_builds)
        done()
        linked = linker.result() if linker is not None else set()

        with naming(options.out), scratch_root(staging):
            docs, built, fresh, pages = staging / "docs", staging / "site", staging / "mkdocs", staging / PAGE_PACK
            with (
                report.stage("render"),
                progress.stage("render") as bar,
                # as in derive, but jinja's macros imported "with context" leave each page's
                # context in a cycle (the ledgers' rows; `site` itself): swept, or `del site` frees nothing
                collector_paused(keep=True, sweep=True),
            ):
                # What the later stages need of the model, made first: then the model goes (2 GB
                # at 100,000 records) before the MkDocs processes and the index need the room.
                # (numpy is imported only here: a build with nothing to do returns long before.)
                from .search.index import DATA_DIR, model_docs, with_texts, write_search_docs

                search_rows = model_docs(site)
                protected_names = site.settings.protected_names
                published = state.published_pages(target, linked) if state is not None else {}
                report.pages, job, render_keys, prechecked = write_pages(
                    site,
                    config_path,
                    docs,
                    pages,
                    state,
                    published,
                    (history, current),
                    blobs,
                    bar,
                    started[0] if started else None,
                    exports,
                )
                exports.save()
                if spare is not None:
                    spare.close()  # not used after all
                report.stubbed = len(job.stubbed)
                blobs.prune()
                del site
                give_back_freed_memory()
            done()
            with report.stage("site"), progress.stage("site") as bar:
                result = build_site(job, fresh, options.jobs, bar)
                report.rendered, report.reused = len(result.keys) - len(result.reused), len(result.reused)
                if linked:
                    adopt(os.fspath(staging / PRELINKED), linked, result.reused)
                    os.rename(staging / PRELINKED, built)
                # The new site is what MkDocs wrote and the pages it reused: listed here, MkDocs'
                # few files, not the whole site (1.5 s for 100,000 record folders).
                made = [relative for relative, _ in site_files(fresh)]
                move_tree(fresh, built)
                if state is not None:
                    link_reused(target, built, state, {d: u for d, u in result.reused.items() if d not in linked})
                texts = result.texts  # the pages MkDocs made; those taken over are known by their keys
                taken = taken_texts(state, result.reused)
            done()
            # The guard starts on the pages while the search data is written (one core): a
            # second process checks them meanwhile, this one joins in after (guard.SiteCheck).
            early, early_passed = record_files(built, state, set(result.reused), listing=[*made, *result.reused])
            guard_key = key_of(code_digest(), *protected_names)
            same_guard = state is not None and state.guard_key == guard_key
            passed = early_passed if same_guard else set()
            # the workbooks the workbook process found clean, if the site has those very bytes
            passed |= {path for path, known in prechecked.items() if path in early and early[path].digest == known}
            guard = SiteCheck.start(
                built,
                protected_names,
                passed,
                early,
                busy=True,  # this process writes the search data first
            )
            try:
                # Without cyclic collections (2 s of full ones at 100,000 records): what these
                # stages make is freed by reference counting, or kept in the new state.
                with report.stage("search"), progress.stage("search"), collector_paused():
                    search_cache = cache_folder / "search" if cache_folder is not None else None
                    pages_read = {url: dest for dest, url in result.reused.items()}
                    docs = with_texts(search_rows, texts, taken, functools.partial(published_body, built, pages_read))
                    del search_rows
                    page_titles = {url: title for url, (title, _) in texts.items()}
                    page_titles.update((url, known.page_title) for url, known in taken.items())
                    del texts
                    result.texts = {}  # the bodies are in the docs now
                    give_back_freed_memory()
                    written: dict[str, tuple[int, int, str]] = {}
                    report.search = write_search_docs(docs, built, search_cache, written)
                    indexed = {doc.href: [doc.title, doc.key or doc.text_key(), doc.text_length()] for doc in docs}
                    del docs
                done()
                with report.stage("guard"), progress.stage("guard") as bar, collector_paused():
                    search_data = DATA_DIR.as_posix()  # the one folder written since `early`
                    records, digests_known = record_files(
                        built, state, set(result.reused), early, search_data, written or None
                    )
                    later = [relative for relative in records if relative not in early]
                    leaks = guard.finish(later, digests_known if same_guard else set(), bar)
            except BaseException:
                guard.cancel()
                raise
            refuse_on_leaks(leaks)
            done()
            with collector_paused():
                new_state = new_build_state(
                    options, inputs, records, result, render_keys, job, page_titles, indexed, guard_key
                )
            write_marker(built, options.audience, options.as_of, new_state.build_id)
            store.save(new_state)
            # Without a state (a new generator, a damaged cache) the old site's size is not known:
            # it is removed in the background too, as a large one would be.
            large = state is None or len(state.files) >= RETIRE_IN_BACKGROUND_FROM
            # Only into our own cache folder (cache_folder is None when a folder of its name is not ours).
            publish(built, target, retire_to=store.folder if large and cache_folder is not None else None)
            store.prune(new_state.build_id)
    finally:
        if linker is not None:
            linker.cancel()
        for workbooks in started:  # a build stopped before it took their result: not waited for
            workbooks.cancel()
        if spare is not None:
            spare.close()
        shutil.rmtree(staging, ignore_errors=True)
    return report


def new_build_state(
    options: BuildOptions,
    inputs: str,
    records: dict[str, FileRecord],
    result: SiteResult,
    render_keys: dict[str, str],
    job: MkDocsJob,
    page_titles: dict[str, str],
    indexed: dict[str, list[Any]],
    guard_key: str,
) -> BuildState:
    """The state of the site this build made (state.py), its maps in sorted order."""
    return BuildState(
        build_id=new_build_id(),
        identity=identity(options.audience),
        fingerprint=inputs,
        files=records,
        pages={src: [*result.keys[src], render_keys.get(src, "")] for src in sorted(result.keys)},
        frame_key=job.site_key,
        texts={url: [page_titles[url], *indexed.get(url, ("", "", 0))] for url in sorted(page_titles)},
        guard_key=guard_key,
    )


def _published_state(store: StateStore, target: Path, options: BuildOptions) -> tuple[BuildState | None, str]:
    marker = read_marker(target)
    if marker is None:
        return None, "首次构建" if not target.exists() else "网站没有可用的标记文件"
    build_id = marker.get("build")
    return store.load(build_id if isinstance(build_id, str) else None, identity(options.audience))


def taken_texts(state: BuildState | None, reused: dict[str, str]) -> dict[str, Published]:
    """What the published state says of the texts of the pages taken over (`reused`: dest → url)."""
    from .search.index import Published

    if state is None:
        return {}
    found = {}
    for url in reused.values():
        entry = state.texts.get(url)
        if entry is not None:
            page_title, doc_title, key, length = entry
            found[url] = Published(page_title, doc_title, key, length)
    return found


def published_body(site: Path, dests: dict[str, str], url: str) -> str:
    """The text of a page taken over from the published site, read from it (the search needs
    it only when its own cache lacks the page): what MkDocs' pass would have given."""
    from .search.text import page_text

    found = page_text((site / dests[url]).read_text(encoding="utf-8"))
    return found[1] if found is not None else ""


def site_as_recorded(site: Path, state: BuildState) -> bool:
    """Whether the published site holds exactly the files the state records, each as it was left.

    One scandir pass with the entries' own lstat (no path objects): 30,000 files in
    0.3 s instead of 2.2 s, most of a no-change build at 10,000 records."""
    root = os.fspath(site)
    if not os.path.isdir(root) or not os.path.isfile(os.path.join(root, MARKER)):
        return False
    seen = 0
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                    continue
                relative = entry.path[len(root) + 1 :].replace(os.sep, "/")
                if relative == MARKER:
                    continue
                record = state.files.get(relative)
                if record is None or not entry.is_file(follow_symlinks=False):
                    return False
                stat = entry.stat(follow_symlinks=False)
                if stat.st_size != record.size or stat.st_mtime_ns != record.mtime_ns:
                    return False
                seen += 1
    return seen == len(state.files)


def link_reused(site: Path, new_site: Path, state: BuildState, reused: dict[str, str]) -> None:
    """Hard-link into `new_site` the published pages MkDocs did not make again.

    A link costs no copy and keeps the published file's bytes and mtime; the
    new site's writers never write into these files (nothing writes them after
    this), so the published site stays exactly as it was until the swap."""
    made_folders: set[str] = set()
    for relative in sorted(reused):
        if state.unchanged_on_disk(site, relative) is None:
            raise SiteChangedDuringBuild(f"{site / relative} 在构建期间被修改：请重新构建")
        destination = os.path.join(new_site, relative)
        folder = os.path.dirname(destination)
        if folder not in made_folders:
            os.makedirs(folder, exist_ok=True)
            made_folders.add(folder)
        os.link(os.path.join(site, relative), destination)


def move_tree(source: Path, destination: Path) -> None:
    """Move every file of `source` into `destination` (MkDocs writes into a folder of its own).

    When `destination` does not exist yet, as in every build, the folder itself is renamed:
    one call instead of one a file (10,000 pages took about 1.5 s)."""
    if not os.path.lexists(destination):
        os.rename(source, destination)
        return
    for folder, _, filenames in os.walk(source):
        relative_folder = os.path.relpath(folder, source)
        target_folder = os.path.normpath(os.path.join(destination, relative_folder))
        os.makedirs(target_folder, exist_ok=True)
        for name in filenames:
            os.replace(os.path.join(folder, name), os.path.join(target_folder, name))


def record_files(
    site: Path,
    state: BuildState | None,
    reused: Collection[str],
    known: dict[str, FileRecord] | None = None,
    written_in: str = "",
    written: dict[str, tuple[int, int, str]] | None = None,
    listing: Collection[str] | None = None,
) -> tuple[dict[str, FileRecord], set[str]]:
    """Size, mtime and digest of every file of the new site; and the files the guard passed before.

    A reused page is the published file itself (a link: same inode, so same size
    and mtime), so its record is the recorded one and it is not even stat'ed: at
    10,000 records that is two thirds of the site. Files the guard reads by their
    path only (search data shards and text slices) get no digest: their path is all
    it judges. `known`: files recorded earlier in this build and not written since
    (the guard starts before the search data is written): taken as they are.
    `written_in`: the one folder (site-relative) written since `known` was recorded:
    only it is listed again (30,000 files were listed twice at 10,000 records). `written`: its
    files as their writer knows them (search/cache.py DataWriter.written: size, mtime and
    content key; a linked file is the stored one): then not even it is listed and stat'ed
    (173,000 files at 100,000 records). Its digests are content keys, not state.digest: a
    file is judged unchanged only against a record made the same way, so the first build
    after one without them checks those files once more. `listing`: every file of the site,
    site-relative, when the caller knows them (what MkDocs wrote and the pages it reused):
    then the site is not listed."""
    records: dict[str, FileRecord] = {}
    unchanged: set[str] = set()

    def take(relative: str, record: FileRecord) -> None:
        records[relative] = record
        previous = state.files.get(relative) if state is not None else None
        if previous is not None and previous.digest == record.digest:
            unchanged.add(relative)

    if written_in:
        inside = f"{written_in}/"
        for relative, record in (known or {}).items():
            if not relative.startswith(inside):
                take(relative, record)
        if written is not None:
            for relative, (size, mtime_ns, key) in written.items():
                path = inside + relative
                take(path, FileRecord(size, mtime_ns, key if content_is_read(path) else ""))
            return {relative: records[relative] for relative in sorted(records)}, unchanged
        folder = site / written_in
        listed = ((inside + relative, path) for relative, path in site_files(folder)) if folder.is_dir() else iter(())
    elif listing is not None:
        root = os.fspath(site)
        listed = ((relative, os.path.join(root, relative)) for relative in listing)
    else:
        listed = site_files(site)
    for relative, path in listed:
        if known is not None and relative in known:
            take(relative, known[relative])
            continue
        previous = state.files.get(relative) if state is not None else None
        if relative in reused and previous is not None:
            take(relative, previous)
            continue
        stat = os.stat(path)
        if content_is_read(relative):
            with open(path, "rb") as stream:
                file_digest = digest(stream.read())
        else:
            file_digest = ""
        take(relative, FileRecord(stat.st_size, stat.st_mtime_ns, file_digest))
    # Sorted by path alone: sorting the (path, record) pairs took three times as long (1 s at 276,000 files).
    return {relative: records[relative] for relative in sorted(records)}, unchanged


def new_build_id() -> str:
    """Unique per build (the marker and the state file name carry it); not part of the site's content."""
    return key_of(str(time.time_ns()), str(os.getpid()), os.urandom(8))[:24]


def input_paths(config_path: Path) -> list[Path]:
    """The files and folders besides the library that a build's output depends on."""
    config = _config_data(config_path)
    project = config_path.parent
    paths = [config_path, _docs_dir(config_path)]
    theme = config.get("theme")
    if isinstance(theme, dict) and theme.get("custom_dir"):
        paths.append(project / str(theme["custom_dir"]))
    hooks = config.get("hooks")
    paths += [project / str(hook) for hook in (hooks if isinstance(hooks, list) else ())]
    if config.get("INHERIT"):
        paths.append(project / str(config["INHERIT"]))
    return paths


def paths_read(library: Path, config_path: Path) -> list[ReadPath]:
    """Every path a build reads: `--out` must be none of them, hold none, lie in none of the folders."""
    config = _config_data(config_path)
    project = config_path.parent
    reads = [
        ReadPath(library, "案例库"),
        ReadPath(config_path, "MkDocs 设置文件"),
        ReadPath(project, "项目文件夹（mkdocs.yml 所在处）", may_hold_out=True),
        ReadPath(_docs_dir(config_path), "手写页面文件夹（docs_dir）"),
        ReadPath(Path(__file__).resolve().parent, "生成器自身的文件夹"),
    ]
    theme = config.get("theme")
    if isinstance(theme, dict) and theme.get("custom_dir"):
        reads.append(ReadPath(project / str(theme["custom_dir"]), "主题覆盖文件夹（theme.custom_dir）"))
    hooks = config.get("hooks")
    for hook in hooks if isinstance(hooks, list) else ():
        reads.append(ReadPath(project / str(hook), "MkDocs 钩子（hooks）"))
    if config.get("INHERIT"):
        reads.append(ReadPath(project / str(config["INHERIT"]), "继承的 MkDocs 设置（INHERIT）"))
    return reads


@dataclass
class StartedWorkbooks:
    """The docs folder with the hand-written pages, the ledgers and indexes, and the ledger
    workbooks being made (start_workbooks)."""

    extras: GuideExtras
    existing: frozenset[str]  # the hand-written pages (.md), relative to the docs folder
    job: Background

    def cancel(self) -> None:
        self.job.cancel()


def start_workbooks(
    site: SiteModel, config_path: Path, docs: Path, blobs: BlobMemo | None, spare: SpareProcess | None = None
) -> StartedWorkbooks:
    """Copy the hand-written docs/ pages into `docs`, derive the ledgers and indexes (they need
    the record views only), and start the ledger workbooks: in `spare` (a process started
    beforehand) for a large library. Called as soon as the views are made (derive_site's
    `views_ready`), the workbooks' process works while this one finds the similar cases."""
    hand_written = _docs_dir(config_path)
    if hand_written.is_dir():
        shutil.copytree(hand_written, docs, dirs_exist_ok=True)
    docs.mkdir(parents=True, exist_ok=True)
    existing = frozenset(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    extras = derive_extras(site)  # ledgers and indexes: trees of plain values, no cycles
    freeze_while_paused()
    # Downloads and images the pages link to must exist before MkDocs runs (it checks
    # those links). The ledger workbooks (seconds at 100,000 records) are written by
    # another process while this one finds the similar cases and renders the pages.
    book = extras.ledgers
    large = book is not None and book.library.tally.total >= WORKBOOKS_IN_BACKGROUND_FROM
    keys = workbook_keys(book, extras.ledger_inputs) if book is not None and blobs is not None else {}
    found = remembered_workbooks(keys, blobs)  # made before from the same inputs: written here
    for relative, data in found.items():
        _write_new(docs, relative, data)
    wanted = large and (book is not None and len(found) < len(book.classes) + 1)
    if book is not None and found:  # only the ledgers still to make go to the other process
        book = LedgerBook(
            [ledger for ledger in book.classes if ledger.download not in found], book.library, book.supervision
        )
    if wanted and book is not None:  # to another process: packed (derive/ledger.py packed_book)
        names = sorted({name for name in site.settings.protected_names if name})  # as the guard takes them
        job = (write_packed_workbooks, packed_book(book), docs, blobs, keys, set(found), names)
        workbooks = spare.run(*job) if spare is not None else Background.start(*job)
    else:
        workbooks = Background.start(write_workbooks, book, docs, blobs, keys, set(found), wanted=False)
    return StartedWorkbooks(extras, existing, workbooks)


def write_pages(
    site: SiteModel,
    config_path: Path,
    docs: Path,
    pack: Path,
    state: BuildState | None = None,
    published_pages: dict[str, str] | None = None,
    changes: tuple[list[ChangeSet], Snapshot] | None = None,
    blobs: BlobMemo | None = None,
    bar: Bar = NO_BAR,
    started: StartedWorkbooks | None = None,
    exports: ExportStore | None = None,
) -> tuple[int, MkDocsJob, dict[str, str], dict[str, str]]:
    """Hand-written docs/ pages into `docs`, the generated ones into the one file `pack`
    (site_build.write_pack: MkDocs takes them from there, so ten thousand pages are
    not written, read and deleted as files), then downloads and our assets into `docs`.
    `bar` counts the record and entry pages, then the Word guides.

    `started`: the docs folder and the ledger workbooks, started during derive (start_workbooks).
    `exports`: the records' export JSON kept from earlier builds (export.py), for the edition's
    data download.

    Returns the page count, the MkDocs job and the render keys of record and entry
    pages, keyed for an incremental build: the `published_pages` (source path → key,
    from `state`, of the pages the published site holds as that build left them)
    with the same key are not made again, and record and entry pages made
    from the same inputs (render/pages.py RenderMemo) are not even rendered. And the
    workbooks the output guard found clean in the workbooks' process (path → digest,
    write_workbooks)."""
    started = started if started is not None else start_workbooks(site, config_path, docs, blobs)
    extras, existing, workbooks = started.extras, started.existing, started.job
    with workbooks:  # left by an exception: the second process is stopped, not waited for
        history, current = changes if changes is not None else ([], None)
        published_pages = published_pages or {}
        memo = RenderMemo(state.render_keys(published_pages) if state is not None else {})
        pages = counted_pages(render_pages(site, existing, extras, history, memo), site, bar)
        job = mkdocs_job(site, config_path, docs, pack, changes=bool(history))
        frame = site_key(
            [tree_digest(path) for path in input_paths(config_path)],  # mkdocs.yml, docs/, theme overrides, hooks
            job.frame_fields(),
            [f"{uri}\n{front_matter(text)}" for uri, text in pages if not bulk_page(uri)],
        )
        if memo.stubbed and (state is None or frame != state.frame_key):
            # A stub stands for the published page, which had another frame (nav, settings):
            # every page is made again (see dependencies.py: what forces a full rebuild).
            memo = RenderMemo({})
            pages = counted_pages(render_pages(site, existing, extras, history, memo), site, bar)
        for relative, _ in pages:
            if relative in existing:  # generated pages are all .md: only a hand-written one can be in the way
                _refuse_clash(docs, relative)
        write_pack(pack, pages)
        if current is not None:
            _write_new(docs, CHANGES_FILE, changes_json(history, current).encode("utf-8"))
        export = site_export(site, exports)
        _write_new(docs, EXPORT_DOWNLOAD, export)
        _write_new(docs, EXPORT_SCHEMA_DOWNLOAD, export_schema_json())
        bar.count(len(site.classes), "份 Word 指引")
        for relative, data in guide_files(site, extras, blobs):
            _write_new(docs, relative, data)
            if relative.endswith(".docx"):
                bar.advance()
        used, prechecked = workbooks.result()
        # The data download is every shown document's values as JSON strings, each checked for
        # personal data (same detectors, same protected names) when the library was validated,
        # and JSON's quotes, commas and escapes join no two of them into a number or a name: the
        # guard's reading of it (3 s for the 40 MB of 10,000 records) would find nothing new.
        prechecked = {**prechecked, EXPORT_DOWNLOAD: digest(export)}
        if blobs is not None:
            blobs.used |= used
    assets = docs / ASSET_DIR
    assets.mkdir(parents=True, exist_ok=True)
    for name in ("casebook.css", "casebook.js", "similar.js"):
        source = resources.files("generator") / "assets" / name
        (assets / name).write_bytes(source.read_bytes())
    (assets / "similar.json").write_text(similar_model_json(site), encoding="utf-8")
    to_render = sum(
        1
        for uri, text in pages
        if bulk_page(uri)
        and uri not in memo.stubbed
        and published_pages.get(uri) != page_key(frame, uri, text.encode(), None)
    )
    keyed = replace(
        job, site_key=frame, published=published_pages, bulk_pages=to_render, stubbed=frozenset(memo.stubbed)
    )
    return len(pages), keyed, memo.keys, prechecked


def counted_pages(pages: Iterator[tuple[str, str]], site: SiteModel, bar: Bar) -> list[tuple[str, str]]:
    """All of `pages`, the record and entry pages counted on `bar` as they come."""
    bar.count(len(site.entries) + (len(site.records) if site.shows_records else 0), "个案例页面")
    made: list[tuple[str, str]] = []
    for uri, text in pages:
        made.append((uri, text))
        if bulk_page(uri):
            bar.advance()
    return made


def similar_model_json(site: SiteModel) -> str:
    """The 类案检索 box's data: this edition's typical entries, linked from the similar/ page."""
    import json

    return json.dumps(site.similar_model, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def write_workbooks(
    book: LedgerBook | None,
    docs: Path,
    memo: BlobMemo | None = None,
    keys: dict[str, str] | None = None,
    skip: Collection[str] = (),
    protected: list[str] | None = None,
) -> tuple[set[str], dict[str, str]]:
    """The ledger workbooks into the docs folder (none when the edition has no ledgers), but
    those in `skip` (written already); `keys` as office.workbook.ledger_workbooks takes them.

    Returns the memo keys used (this may run in another process, whose memo is a copy), and,
    given the `protected` names, the digest of each workbook the output guard finds clean
    (guard.check_file, as the build's guard would): in the workbooks' process, that reading
    (3.6 s for the whole-library workbook at 100,000 records) is off the build's path, and
    the guard passes a site file with that digest (MkDocs copies it as it is)."""
    checked: dict[str, str] = {}
    for relative, data in ledger_workbooks(book, memo, keys, skip) if book is not None else ():
        _write_new(docs, relative, data)
        if protected is not None and not check_file(docs, docs / relative, protected):
            checked[relative] = digest(data)
    return (memo.used if memo is not None else set()), checked


def write_packed_workbooks(
    packed: bytes,
    docs: Path,
    memo: BlobMemo | None,
    keys: dict[str, str],
    skip: Collection[str],
    protected: list[str] | None = None,
) -> tuple[set[str], dict[str, str]]:
    """write_workbooks of a book packed by derive/ledger.py packed_book."""
    return write_workbooks(unpacked_book(packed), docs, memo, keys, skip, protected)


def _write_new(docs: Path, relative: str, data: bytes) -> None:
    _refuse_clash(docs, relative)
    path = docs / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _refuse_clash(docs: Path, relative: str) -> None:
    if (docs / relative).exists():
        raise UsageProblem(f"docs/{relative} 与生成的文件同名：请改名，生成器不会覆盖手写文件")


def _config_data(config_path: Path) -> dict[str, Any]:
    """mkdocs.yml's top-level keys as plain data (MkDocs itself reports a broken file later)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use !!python tags (slugify) and !ENV; we only need plain keys here.
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    try:
        data = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _docs_dir(config_path: Path) -> Path:
    return config_path.parent / str(_config_data(config_path).get("docs_dir") or "docs")


def generated_nav(site: SiteModel, changes: bool = False) -> list[Any]:
    """Generated sections first; records and entries are reached through lists, not the nav.

    MkDocs and Material insert nav titles into the page as HTML, unescaped, so titles
    made from data (class names) are HTML-escaped here, like site_name and copyright."""
    nav: list[Any] = [
        {"首页": "index.md"},
        {"典型案例库": "typical/index.md"},
        {
            "类案指引": [
                "classes/index.md",
                *({_nav_title(v.case_class): f"classes/{v.case_class.id}.md"} for v in site.classes),
            ]
        },
    ]
    if site.shows_records:
        nav.append({"案例记录": "records/index.md"})
    if site.edition.ledgers:
        nav.append(
            {
                "类案台账": [
                    "ledgers/index.md",
                    *({_nav_title(v.case_class): f"ledgers/{v.case_class.id}.md"} for v in site.classes),
                    {"督办清单": "supervision.md"},
                ]
            }
        )
    if site.edition.statistics and site.settings.indicators:
        nav.append({"统计": "statistics/index.md"})
    nav += [{"政策依据": "policy.md"}, {"标签": "tags.md"}, {"检索": "search.md"}, {"类案检索": "similar.md"}]
    if changes:
        nav.append({"本次更新": "changes.md"})
    if site.edition.unpublished:
        nav.append({"待审": REVIEW_PAGE})
    return nav


def _nav_title(case_class: CaseClass) -> str:
    return html_markup(f"{case_class.id} {case_class.name}")


def mkdocs_job(site: SiteModel, config_path: Path, docs: Path, pages: Path, changes: bool = False) -> MkDocsJob:
    return MkDocsJob(
        config_path=config_path,
        docs=docs,
        pages=pages,
        bulk_pages=len(site.records) + len(site.entries),
        # Material writes site_name into text and attributes (aria-label, title) and the
        # copyright into the footer, both as raw HTML: escaped, they are text.
        site_name=html_markup(site.settings.library.name),
        copyright=html_markup(f"{site.settings.library.organization} · {site.audience_label}"),
        nav=generated_nav(site, changes),
        # Byte-identical output: MkDocs stamps the sitemap with the build date
        # unless SOURCE_DATE_EPOCH is set; use the as-of date.
        epoch=epoch_of(site.as_of),
        banner=site.edition.banner,
        noindex=site.edition.noindex,
    )
