"""Markdown pages → HTML site with MkDocs + Material, on every core, in strict mode.

MkDocs renders one page after another in one process, about 5 ms a page
(Python-Markdown, then Material's Jinja templates): at 10,000 records it was
the largest stage of the build (49 s) while the second core sat idle. Record
and entry pages do not depend on each other (they are not in the nav and so
have no previous/next links), so they are shared out between processes.
Every process runs a complete MkDocs build of the same docs folder and the
same generated pages (read from one pack file, see write_pack); in each
one the pages that belong to another process are stubbed out (empty Markdown
and an empty template, so MkDocs neither converts nor writes them) while
still existing as files, so links to them resolve and strict mode keeps
checking every link of every page. Worker processes write into folders of
their own; the lead moves their pages into the site. The result is
byte-identical to a one-process build (tests/test_build.py compares them).

Record and entry pages are written by our templates as HTML and skip
Python-Markdown altogether (site_html.py): that took the stage from 31 s to
12 s at 10,000 records.

While it renders, each process keeps the searchable text of its pages
(search.text.page_text of the final HTML), so the search index does not read
ten thousand files back from disk; and adds each page it makes to a count all
processes share (PageCount), which the lead shows on the stage's bar.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import pickle
import posixpath
import re
import shutil
import sysconfig
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from html import escape
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from .dependencies import page_key
from .errors import CasebookError
from .page_frames import FRAME_TEMPLATE, PageFrames
from .parallel import available_cores
from .progress import NO_BAR, Bar
from .search.text import PageTexts, page_text
from .site_html import HtmlPages, is_html_page
from .state import key_of
from .template_cache import template_bytecode

ASSET_DIR = "assets/casebook"
PAGE_PACK = "pages.pack"  # the generated pages, beside the staged docs folder
SKIP_TEMPLATE = "casebook-skip.html"  # renders to "", which MkDocs does not write
# Generated pages, shared out between processes. All of them carry their title in
# front matter, so a process that stubs one still knows its title for the nav.
SPLIT_FOLDERS = ("records/", "typical/", "classes/", "ledgers/")
SPLIT_PAGES = ("tags.md", "policy.md", "supervision.md")
MIN_PAGES_PER_PROCESS = 500  # below this, starting a process costs more than it saves
REUSED = -1  # the owner of a page the published site already has as it would be made


class SiteBuildFailed(CasebookError):
    """MkDocs refused the generated pages (a bug in a template, or a bad docs/ page)."""

    exit_code = 1


@dataclass(frozen=True)
class MkDocsJob:
    """Everything a process needs to run MkDocs over the staged docs (plain data: it crosses processes)."""

    config_path: Path
    docs: Path
    pages: Path | None  # the generated pages (write_pack), or None: all pages are files in `docs`
    bulk_pages: int  # record and entry pages: the ones worth sharing out between processes
    site_name: str
    copyright: str
    nav: list[Any]  # generated sections, placed before the user's nav
    epoch: int  # SOURCE_DATE_EPOCH: the sitemap date, for byte-identical builds
    banner: str | None = None  # shown at the top of every page (edition.Edition.banner)
    noindex: bool = False  # every page asks search engines to keep out
    extra_css: list[str] = field(default_factory=lambda: [f"{ASSET_DIR}/casebook.css"])
    extra_javascript: list[str] = field(default_factory=lambda: [f"{ASSET_DIR}/casebook.js", f"{ASSET_DIR}/similar.js"])
    # Incremental builds (state.py): the key every page shares, and the pages of the published
    # site that are still as it left them (source path → page key). A page whose key is unchanged
    # is neither converted nor written: the build takes the published file.
    site_key: str = ""
    published: dict[str, str] = field(default_factory=dict)
    # Pages written as a stub (render/pages.py STUB): made from the same inputs as the published
    # page, so its published key stands for a text that was not rendered again.
    stubbed: frozenset[str] = frozenset()

    def frame_fields(self) -> list[str]:
        """What every page's frame is made of, besides mkdocs.yml and docs/ (dependencies.site_key)."""
        return [
            self.site_name,
            self.copyright,
            repr(self.nav),
            repr(self.banner),
            str(self.noindex),
            *self.extra_css,
            "|",
            *self.extra_javascript,
        ]


@dataclass
class SiteResult:
    """What MkDocs made: the search text of the pages it rendered, and which pages it did not."""

    texts: PageTexts  # page url → (title, body), rendered pages only
    keys: dict[str, tuple[str, str]]  # source path → (dest path, page key), every page
    reused: dict[str, str]  # dest path → page url, pages left to the published file


def epoch_of(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def write_pack(path: Path, pages: list[tuple[str, str]]) -> None:
    """The generated pages, (path in docs, text) in build order, as one file.

    Ten thousand Markdown files cost more to create, read back and delete than
    to render (file creation alone was 1-4 s of kernel time at 10,000 records);
    every MkDocs process reads this one file instead and hands the pages to
    MkDocs as in-memory files (File.generated). One pickle a page, so a process
    reads them one at a time and keeps whole only the pages it renders
    (read_pack): at 100,000 records the pack is 0.9 GB, and each process held
    all of it."""
    with open(path, "wb") as stream:
        for page in pages:
            stream.write(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))


def read_pack(path: Path | None) -> Iterator[tuple[str, str, int]]:
    """(path in docs, text, where in the pack) of every page, one at a time."""
    if path is None:
        return
    with open(path, "rb") as stream:
        end = os.fstat(stream.fileno()).st_size
        while (offset := stream.tell()) < end:
            uri, text = pickle.load(stream)  # our own file, written by this build (write_pack)
            yield uri, text, offset


def read_packed(path: Path, offsets: list[int]) -> Iterator[str]:
    """The texts of the pages at these places of the pack (read_pack's third value), in order."""
    with open(path, "rb") as stream:
        for offset in offsets:
            stream.seek(offset)
            yield pickle.load(stream)[1]


def front_matter_only(text: str) -> str:
    """The page with its front matter alone (MkDocs' own pattern): what a process that does
    not render a split page needs of it (its title and meta, for the nav). The whole text
    when the front matter has no title: MkDocs could then take the title from the text."""
    from mkdocs.utils.meta import YAML_RE

    match = YAML_RE.match(text)
    return text[: match.end()] if match and _TITLE_LINE.search(match.group(1)) else text


_TITLE_LINE = re.compile(r"^title:", re.M)


def choose_processes(job: MkDocsJob, jobs: int | None) -> int:
    """`jobs` if given, else one process per core while each gets enough pages to be worth it."""
    if jobs is not None:
        return max(1, jobs)
    return max(1, min(available_cores(), job.bulk_pages // MIN_PAGES_PER_PROCESS))


def build_site(job: MkDocsJob, built: Path, jobs: int | None = None, bar: Bar = NO_BAR) -> SiteResult:
    """Build the HTML site into `built` (but the pages `job.published` still holds); `bar` counts the pages."""
    processes = choose_processes(job, jobs)
    if processes == 1:
        count = PageCount(bar)
        with count.shown():
            result = _run_part(job, built, 0, 1, count)
        if result.failure:
            raise SiteBuildFailed(result.failure)
        return SiteResult(result.texts, result.keys, result.reused)

    context = multiprocessing.get_context("spawn")  # no fork: a serve session has threads
    queue = context.Queue()
    written = context.Array("q", 2)  # pages converted and written by all processes (PageCount)
    workers = []
    for part in range(1, processes):
        folder = built.parent / f"{built.name}-part{part}"
        process = context.Process(target=_worker, args=(job, folder, part, processes, queue, written), daemon=True)
        process.start()
        workers.append((process, folder))
    try:
        count = PageCount(bar, written)
        with count.shown():
            lead = _run_part(job, built, 0, processes, count)
            results = _collect(queue, [process for process, _ in workers])
        for process, _ in workers:
            process.join()
    finally:
        for process, _ in workers:
            if process.is_alive():
                process.terminate()
                process.join()
    if results is None:
        # A worker died before reporting (e.g. a script without a __main__ guard
        # cannot spawn): build everything here, as if there were one core.
        for _, folder in workers:
            shutil.rmtree(folder, ignore_errors=True)
        return build_site(job, built, jobs=1, bar=bar)
    failures = [r.failure for r in (lead, *results) if r.failure]
    if failures:
        raise SiteBuildFailed("\n".join(failures))
    texts = dict(lead.texts)
    for result, (_, folder) in zip(sorted(results, key=lambda r: r.part), workers, strict=True):
        for destination in result.written:
            target = built / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(folder / destination, target)
        texts.update(result.texts)
        shutil.rmtree(folder, ignore_errors=True)
    return SiteResult(texts, lead.keys, lead.reused)


def _collect(queue: Any, processes: list[Any]) -> list[PartResult] | None:
    """Every worker's result, or None if one ended without sending it (read before join:
    a worker blocks on a full pipe until its result is taken)."""
    import queue as queues

    results: list[PartResult] = []
    while len(results) < len(processes):
        try:
            results.append(queue.get(timeout=1))
        except queues.Empty:
            if any(not p.is_alive() for p in processes):
                try:  # a result sent just before the process ended may still be in the pipe
                    results.append(queue.get(timeout=2))
                except queues.Empty:
                    return None
    return results


@dataclass
class PartResult:
    part: int
    failure: str | None = None
    texts: PageTexts = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # destination paths, relative to the site
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # source → (dest, key); every process knows all
    reused: dict[str, str] = field(default_factory=dict)  # dest path → url of pages nobody renders


def _worker(job: MkDocsJob, folder: Path, part: int, parts: int, queue: Any, written: Any) -> None:
    """Entry point of a worker process: never raises, reports through the queue."""
    try:
        result = _run_part(job, folder, part, parts, PageCount(NO_BAR, written))
    except BaseException as error:  # the lead must hear about it rather than wait forever
        result = PartResult(part, failure=f"MkDocs 子进程 {part} 出错：{error!r}")
    queue.put(result)


CONVERTED, WRITTEN = 0, 1  # MkDocs' two passes over the pages
SHOW_EVERY = 0.1  # seconds


class PageCount:
    """How far MkDocs has got with the pages, in every process together; the lead shows it on the bar.

    MkDocs goes over the pages twice, each pass about half the stage: it converts
    every page (Markdown, or our HTML: site_html.py), then puts each into the
    theme's template and writes it. Each process adds its own pages to two counts
    (with several processes, integers in shared memory: `shared`, a
    multiprocessing.Array of two); a thread of the lead's shows the count of the
    pass the lead is in (`shown`), also while the lead is busy with one large page
    or waits for the others."""

    UNITS = ("个页面已转换", "个页面已写出")

    def __init__(self, bar: Bar = NO_BAR, shared: Any = None) -> None:
        self.bar = bar
        self.counts = shared if shared is not None else [0, 0]
        self.lock = shared.get_lock() if shared is not None else nullcontext()
        self.total, self.step, self.seen = 0, CONVERTED, 0
        self.showing = threading.Lock()  # the lead's two threads: MkDocs' and the one that shows

    def expect(self, total: int) -> None:
        """Every process together has `total` pages to make (each computes the same shares)."""
        self.total = total
        self.begin(CONVERTED)

    def begin(self, step: int) -> None:
        """The lead starts the pass `step`: the bar counts it from here."""
        self.show()  # the last pass as far as it got
        with self.showing:
            self.step, self.seen = step, 0
            self.bar.count(self.total, self.UNITS[step])
        self.show()

    def add(self, step: int) -> None:
        with self.lock:
            self.counts[step] += 1

    def show(self) -> None:
        with self.showing:
            done = self.counts[self.step]
            if done != self.seen:
                self.bar.advance(done - self.seen)
                self.seen = done

    @contextmanager
    def shown(self) -> Iterator[None]:
        """Show the count every SHOW_EVERY seconds while the block runs, and once at its end."""
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(SHOW_EVERY):
                self.show()

        watcher = threading.Thread(target=watch, name="casebook-page-count", daemon=True)
        if self.bar is not NO_BAR:
            watcher.start()
        try:
            yield
        finally:
            stop.set()
            if watcher.is_alive():
                watcher.join()
            self.show()


def _run_part(job: MkDocsJob, site_dir: Path, part: int, parts: int, count: PageCount | None = None) -> PartResult:
    """One MkDocs build that renders only the pages of `part`; warnings fail it (strict)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    previous_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(job.epoch)
    logger = logging.getLogger("mkdocs")
    collector = _WarningCollector()
    logger.addHandler(collector)
    previous_level = logger.level
    logger.setLevel(logging.WARNING)
    splitter = _PageSplitter(
        part,
        parts,
        job.pages,
        lambda html: mark_edition(html, job.banner, job.noindex),
        job.site_key,
        job.published,
        job.stubbed,
        count or PageCount(),
    )
    try:
        with open(job.config_path, "rb") as stream:
            config = load_config(
                config_file=stream,
                docs_dir=str(job.docs),
                site_dir=str(site_dir),
                site_name=job.site_name,
                copyright=job.copyright,
                strict=True,
            )
        config["nav"] = list(job.nav) + list(config["nav"] or [])
        config["extra_css"] = [*config["extra_css"], *job.extra_css]
        config["extra_javascript"] = [*config["extra_javascript"], *job.extra_javascript]
        config.plugins["casebook-pages"] = splitter
        with remembered_theme_files(), _quiet_dirty_warning():
            # dirty: MkDocs then asks each page whether it changed, and passes over those
            # that did not; only reused record and entry pages say so (_PageSplitter).
            mkdocs_build(config, dirty=True)
    except MkDocsException as error:
        return PartResult(part, failure=_mkdocs_message(error, collector))
    finally:
        logger.removeHandler(collector)
        logger.setLevel(previous_level)
        if previous_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous_epoch
    reused = {dest: splitter.urls[dest] for dest in splitter.reused}
    return PartResult(part, texts=splitter.texts, written=sorted(splitter.written), keys=splitter.keys, reused=reused)


# The theme's static files (list_templates walks Material's 14,000 entries: 0.5 s a build);
# kept per process by what decides them (see _theme_signature), for `serve`'s rebuilds.
_THEME_FILES: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
_THEME_LOCK = threading.Lock()


@contextmanager
def remembered_theme_files() -> Iterator[None]:
    """MkDocs' Files.add_files_from_theme, its listing remembered while the theme stays the same."""
    from mkdocs.structure.files import File, Files

    original = Files.add_files_from_theme

    def add_files_from_theme(self: Any, env: Any, config: Any) -> None:
        key = _theme_signature(config)
        with _THEME_LOCK:
            listed = _THEME_FILES.get(key)
            if listed is None:
                scratch = Files([])
                original(scratch, env, config)
                listed = _THEME_FILES[key] = [(f.src_uri, f.src_dir) for f in scratch]
        for path, folder in listed:
            if self.get_file_from_path(path) is None:  # docs/ files override the theme's, as in MkDocs
                self.append(File(path, folder, config.site_dir, config.use_directory_urls))

    Files.add_files_from_theme = add_files_from_theme  # type: ignore[method-assign]
    try:
        yield
    finally:
        Files.add_files_from_theme = original  # type: ignore[method-assign]


def _theme_signature(config: Any) -> tuple[Any, ...]:
    """What the theme's file listing depends on: the installed packages by version, other
    folders (custom_dir) by every entry's name, size and mtime."""
    paths = sysconfig.get_paths()
    installed = {os.path.realpath(paths[name]) for name in ("purelib", "platlib")}
    parts: list[Any] = [tuple(config.theme.static_templates), metadata.version("mkdocs")]
    for folder in config.theme.dirs:
        real = os.path.realpath(folder)
        if any(real.startswith(root + os.sep) for root in installed):
            parts.append((folder, metadata.version("mkdocs-material")))
            continue
        entries = []
        for root, _, names in os.walk(folder):
            for name in names:
                found = os.stat(os.path.join(root, name))
                entries.append((os.path.relpath(os.path.join(root, name), folder), found.st_size, found.st_mtime_ns))
        parts.append((folder, tuple(sorted(entries))))
    return tuple(parts)


class _DirtyWarningFilter(logging.Filter):
    """Drops MkDocs' warning that a dirty build may leave stale pages and navigation.

    That is true of MkDocs' own dirty builds, which keep an old site folder; ours
    writes into an empty one and passes over only the pages taken from the published
    site as they are (see _PageSplitter.leave_out). Strict mode counts warnings: left
    in, this one would fail every build."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build")


@contextmanager
def _quiet_dirty_warning() -> Iterator[None]:
    logger = logging.getLogger("mkdocs.commands.build")
    quiet = _DirtyWarningFilter()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _unmodified() -> bool:
    return False


CACHED_PARTIALS = ("partials/nav.html", "partials/tabs.html")
NAV_CACHE_WRAPPER = (
    '{%- set casebook_key = casebook_nav_key(page, "PARTIAL") -%}'
    "{%- if casebook_key is not none and casebook_key in casebook_nav_cache -%}"
    "{{ casebook_nav_cache[casebook_key] }}"
    "{%- else -%}"
    '{%- set casebook_html -%}{% include "casebook/material/PARTIAL" %}{%- endset -%}'
    "{%- if casebook_key is not none -%}{{ casebook_nav_remember(casebook_key, casebook_html) }}"
    "{%- else -%}{{ casebook_html }}{%- endif -%}"
    "{%- endif -%}"
)
NOINDEX = '<meta name="robots" content="noindex, nofollow">'


def mark_edition(page_html: str, banner: str | None, noindex: bool) -> str:
    """A page as its edition marks it: search engines told to keep out, readers told it is internal."""
    if noindex:
        page_html = page_html.replace("<head>", f"<head>\n{NOINDEX}", 1)
    body = page_html.find("<body")
    if banner and body != -1:
        end = page_html.find(">", body) + 1
        marked = f'<div class="cb-internal-banner" role="note">{escape(banner)}</div>'
        page_html = page_html[:end] + marked + page_html[end:]
    return page_html


def _size(file: Any) -> int:
    return os.path.getsize(file.abs_src_path) if file.abs_src_path else len(file.content_bytes)


def page_destination(src_uri: str, use_directory_urls: bool) -> tuple[str, str]:
    """(dest_uri, url) MkDocs gives the Markdown page `src_uri` (File._get_dest_path and _get_url),
    without making a File."""
    parent, filename = posixpath.split(src_uri)
    stem = posixpath.splitext(filename)[0]
    name = "index" if stem in ("index", "README") else stem
    if not use_directory_urls or name == "index":
        dest = posixpath.join(parent, name + ".html")
    else:
        dest = posixpath.join(parent, name, "index.html")
    folder, leaf = posixpath.split(dest)
    url = (folder or ".") + "/" if use_directory_urls and leaf == "index.html" else dest
    return dest, quote(url)


class _FilesWithAbsent(Files):
    """MkDocs' files without the reused record and entry pages left out (_may_leave_out), which
    are still found as link targets: strict mode checks every link, and a page that links to one
    gets a File made for it then (MkDocs takes its URL from there; it has no Page, like a page
    passed over, so MkDocs checks no anchor in it, as before)."""

    def __init__(self, files: Files, absent: dict[str, File | None], config: Any) -> None:
        super().__init__(files)
        self._absent, self._config = absent, config

    def get_file_from_path(self, path: str) -> File | None:
        found = super().get_file_from_path(path)
        if found is None:
            uri = PurePath(path).as_posix()
            if uri in self._absent:
                found = self._absent[uri]
                if found is None:
                    found = self._absent[uri] = File.generated(self._config, uri, content="")
        return found


def bulk_page(src_uri: str) -> bool:
    """Record and entry pages: not in the nav, so their titles are in no other page."""
    return src_uri.startswith(("records/", "typical/")) and not src_uri.endswith("/index.md")


def splits(src_uri: str) -> bool:
    """Whether a page may be rendered by any process (generated, not a section index)."""
    if src_uri in SPLIT_PAGES:
        return True
    return src_uri.startswith(SPLIT_FOLDERS) and not src_uri.endswith("/index.md")


class _PageSplitter(BasePlugin):
    """MkDocs plugin: render only this process's share of pages; keep their search text."""

    def __init__(
        self,
        part: int,
        parts: int,
        pack: Path | None = None,
        mark: Callable[[str], str] | None = None,
        site_key: str = "",
        published: dict[str, str] | None = None,
        stubbed: frozenset[str] = frozenset(),
        count: PageCount | None = None,
    ) -> None:
        super().__init__()
        self.part, self.parts, self.pack, self.mark = part, parts, pack, mark
        self.site_key, self.published, self.stubbed = site_key, published or {}, stubbed
        self.page_count = count or PageCount()
        self.owner: dict[str, int] = {}
        self.keys: dict[str, tuple[str, str]] = {}  # source path → (dest path, page key)
        self.urls: dict[str, str] = {}  # dest path → page url
        self.reused: list[str] = []
        self.texts: PageTexts = {}
        self.written: list[str] = []
        self.html_pages: HtmlPages | None = None
        self.frames = PageFrames()
        self.sizes: dict[str, int] = {}  # generated page → bytes of its whole text
        self.generated_keys: dict[str, str] = {}  # generated page → page key of its whole text
        self.absent: dict[str, Any] | None = None  # reused pages left out of MkDocs' files (_may_leave_out)

    def on_files(self, files: Any, config: Any) -> Any:
        generated = set()
        trimmed: dict[str, tuple[Any, int]] = {}  # split pages kept as their front matter: (file, offset)
        absent = self.absent = {} if self._may_leave_out(config) else None
        for uri, text, offset in read_pack(self.pack):
            source = text.encode("utf-8")
            self.sizes[uri] = len(source)
            if uri not in self.stubbed:
                self.generated_keys[uri] = page_key(self.site_key, uri, source, None)
            del source
            if absent is not None and self._reused_bulk_page(uri, config.use_directory_urls):
                absent[uri] = None
                continue
            kept = front_matter_only(text) if self.parts > 1 and splits(uri) else text
            file = File.generated(config, uri, content=kept)
            files.append(file)
            generated.add(uri)
            if len(kept) < len(text):
                trimmed[uri] = (file, offset)
        self._reuse_unchanged(files, generated)
        if absent:
            files = _FilesWithAbsent(files, absent, config)
        # Every process sees the same files, so every process computes the same shares:
        # largest page first to the process with the least text so far (a 10,000-record
        # ledger page weighs as much as hundreds of record pages); all other pages
        # (hand-written ones, section indexes) belong to the lead.
        split = sorted(
            (
                (self.sizes[f.src_uri] if f.src_uri in self.sizes else _size(f), f.src_uri)
                for f in files.documentation_pages()
                if splits(f.src_uri) and f.src_uri not in self.owner
            ),
            key=lambda item: (-item[0], item[1]),
        )
        loads = [0] * self.parts
        for size, uri in split:
            part = min(range(self.parts), key=lambda k: (loads[k], k))
            self.owner[uri] = part
            loads[part] += size
        self.page_count.expect(sum(1 for f in files.documentation_pages() if self.owner.get(f.src_uri, 0) != REUSED))
        # This process's own share of the split pages is read whole again; the others stay
        # their front matter: MkDocs reads it (read_source) but renders nothing of them here.
        own = sorted((offset, file) for uri, (file, offset) in trimmed.items() if self.owner.get(uri, 0) == self.part)
        if own and self.pack is not None:
            for (_, file), text in zip(own, read_packed(self.pack, [offset for offset, _ in own]), strict=True):
                file.content_string = text
        self.html_pages = HtmlPages(config, files)
        return files

    def _may_leave_out(self, config: Any) -> bool:
        """Whether reused record and entry pages may be left out of MkDocs' files altogether.

        MkDocs makes a File and a Page of every page and walks them all several times:
        5 s of a one-record rebuild at 100,000 records for pages it then passes over.
        Left out, such a page is still found as a link target (_FilesWithAbsent). Not
        when anything else could want every page: a sitemap (it lists pages only with a
        site_url) or a plugin from mkdocs.yml."""
        return bool(self.site_key) and not config.site_url and list(config.plugins) == ["casebook-pages"]

    def _reused_bulk_page(self, uri: str, use_directory_urls: bool) -> bool:
        """A record or entry page the published site has with this build's key: noted as reused."""
        if not bulk_page(uri) or not uri.endswith(".md"):
            return False
        key = self._generated_key(uri)
        if self.published.get(uri) != key:
            return False
        dest, url = page_destination(uri, use_directory_urls)
        self.keys[uri] = (dest, key)
        self.urls[dest] = url
        self.owner[uri] = REUSED
        self.reused.append(dest)
        return True

    def _reuse_unchanged(self, files: Any, generated: set[str]) -> None:
        """Key every page (dependencies.page_key); one the published site has with that key is nobody's."""
        all_pages = key_of(*sorted([*(f.src_uri for f in files), *(self.absent or ())]))
        for file in files.documentation_pages():
            if file.src_uri in self.stubbed or file.src_uri in generated:
                key = self._generated_key(file.src_uri)
            else:
                key = page_key(self.site_key, file.src_uri, file.content_bytes, all_pages)
            self.keys[file.src_uri] = (file.dest_uri, key)
            self.urls[file.dest_uri] = file.url
            if self.site_key and self.published.get(file.src_uri) == key:
                self.owner[file.src_uri] = REUSED
                self.reused.append(file.dest_uri)
                self.leave_out(file)

    def _generated_key(self, uri: str) -> str:
        """The page key of a generated page: of its whole text as read from the pack, or for a
        stub the published page's (made from the same inputs)."""
        return self.published[uri] if uri in self.stubbed else self.generated_keys[uri]

    @staticmethod
    def leave_out(file: Any) -> None:
        """A reused record or entry page is neither read nor written: MkDocs (in a dirty build)
        passes over a page whose file says it is unmodified. Ten thousand such pages cost
        about 2 s a build in read_source, the page events and the empty template.

        Only pages outside the nav: their title is shown nowhere else, while a nav page's
        title (from its front matter) is in every page's sidebar. The file still exists
        for MkDocs, so links to it resolve and strict mode checks them."""
        if bulk_page(file.src_uri):
            file.is_modified = _unmodified

    def owns(self, page: Any) -> bool:
        return self.owner.get(page.file.src_uri, 0) == self.part

    def on_env(self, env: Any, config: Any, files: Any) -> Any:
        import jinja2

        templates = {SKIP_TEMPLATE: "", **PageFrames.templates}
        # Material renders the whole nav (sidebar and tabs) into every page: a third of its
        # time per page. For record and entry pages, which are not in the nav, the result
        # depends only on the page's depth, so it is rendered once per depth and reused.
        for partial in CACHED_PARTIALS:
            source, _, _ = env.loader.get_source(env, partial)
            templates[f"casebook/material/{partial}"] = source
            templates[partial] = NAV_CACHE_WRAPPER.replace("PARTIAL", partial)
        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader(templates), env.loader])
        env.bytecode_cache = template_bytecode()
        cache: dict[tuple[str, str, int], Any] = {}

        def cache_key(page: Any, partial: str) -> tuple[str, str, int] | None:
            # Links are relative, and shortened within the page's own folder: same folder, same depth.
            uri = getattr(getattr(page, "file", None), "src_uri", "")
            if not bulk_page(uri):
                return None
            return partial, uri.split("/", 1)[0], uri.count("/")

        def remember(key: tuple[str, str, int], html: Any) -> Any:
            cache[key] = html
            return html

        env.globals.update(casebook_nav_key=cache_key, casebook_nav_cache=cache, casebook_nav_remember=remember)
        self.frames.install(env)
        self.page_count.begin(WRITTEN)  # every page is converted (by this process): MkDocs now writes them
        return env

    def on_pre_page(self, page: Any, config: Any, files: Any) -> Any:
        if not self.owns(page):
            # Skip Python-Markdown for a page another process renders: building a
            # Markdown converter alone costs about 0.6 ms, for thousands of stubs.
            # The page keeps its front matter (read_source), so its title is known.
            def render_nothing(config: Any, files: Any) -> None:
                page.content = ""

            page.render = render_nothing
        elif self.html_pages is not None:
            # Pages our templates wrote as HTML skip Python-Markdown (site_html.py).
            html_pages, render_markdown = self.html_pages, page.render

            def render(config: Any, files: Any) -> None:
                if is_html_page(page):
                    html_pages.render(page)
                else:
                    render_markdown(config, files)

            page.render = render
        return page

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        if self.owns(page):
            return markdown
        page.meta["template"] = SKIP_TEMPLATE
        return ""

    def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
        if self.owns(page):
            self.page_count.add(CONVERTED)
            if bulk_page(page.file.src_uri) and self.frames.wanted(page):
                page.meta["template"] = FRAME_TEMPLATE  # page_frames.py: the same page, made faster
            if splits(page.file.src_uri):
                # MkDocs converts every page before it writes any, and keeps each one's source
                # twice (the file's text and the page's Markdown) beside its HTML: at 100,000
                # records about 0.5 GB a process. Converted, a split page needs neither (its
                # title is in its front matter, kept in page.meta).
                page.markdown = ""
                page.file.content_string = ""
        return html

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        if self.mark is not None and output:
            output = self.mark(output)
        if self.owns(page):
            extracted = page_text(output)
            if extracted is not None:
                self.texts[page.url] = extracted
            self.written.append(page.file.dest_uri)
            self.page_count.add(WRITTEN)
            if splits(page.file.src_uri):
                page.content = ""  # written next (no other page shows it): not kept to the end of the build
        return output


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _mkdocs_message(error: Exception, collector: _WarningCollector) -> str:
    details = "\n".join(f"  {m}" for m in collector.messages[:20])
    return f"MkDocs 构建失败：{error}\n{details}".rstrip()
