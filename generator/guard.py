"""The last check before a site is published: no personal data in any output file.

Validation already refuses personal data in the YAML, field by field. This
guard looks at what the build actually wrote (pages, search data, JSON,
sitemap, Word and Excel files), because a leak can also come from a
template, a generated sentence or a hand-written page. On any hit the build
stops before the new site replaces the old one, naming the output file and
the source it came from.

What is read: every byte of every file the build generated that a reader can
get at, not only what a browser shows. For pages (and XML, SVG): the text
with tags dropped and entities decoded, so a number split by markup is still
seen; and, each on its own, every attribute value (alt, title, href, src,
content of a meta tag …), every comment and every inline script, entities
decoded. Anything holding percent escapes (a `tel:%2B86…` link, a sitemap
URL) is read percent-decoded as well. Word and Excel files are zip archives of
XML in which Chinese may be written as character references, so their text
is unzipped and unescaped first. The path of every output file, whatever its
kind (an image copied from docs/ named after a phone number), is read
percent-decoded too. The theme's own scripts, styles and images are not data
and are skipped; so is the geometry of inline SVG icons (d, points, viewBox:
numbers that are no one's).
"""

from __future__ import annotations

import gzip
import html
import os
import re
import shutil
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .errors import CasebookError
from .parallel import Background
from .privacy import find_personal_data, mask_name
from .progress import NO_BAR, Bar
from .state import site_files
from .workdir import new_scratch_folder

PARALLEL_FROM = 2_000  # files; below this one process is quicker than starting a second
# ... unless they weigh this much (unpacked) and this process has other work meanwhile
# (SiteCheck.start): starting the second process costs about 0.3 s of the other core,
# reading 1 MB about 0.15 s.
SECOND_FOR_FEW_FROM_BYTES = 2_000_000

THEME_ASSETS = ("assets/javascripts/", "assets/stylesheets/", "assets/images/", "assets/casebook/casebook.")
TEXT_SUFFIXES = (".html", ".json", ".txt", ".xml", ".svg", ".js", ".css", ".md")
ZIP_SUFFIXES = (".docx", ".xlsx")
FULL_PAGES = ("index.html", "404.html")  # read whole: they carry the frame every page shares
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
# What a page carries besides its text: comments, inline scripts and attribute values.
# Attributes are found anywhere in the markup, not tag by tag: quicker, and a name="value"
# in the text itself is only read twice.
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.+?)</script>", re.S)
_ATTRIBUTE = re.compile(r"""\s([^\s=/>"'<]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
# SVG geometry: lists of coordinates, no one's data (and many digits in a row).
GEOMETRY = frozenset({"d", "points", "viewbox", "transform", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r"})
# An ASCII value can only hold an e-mail address, an escaped character or a number.
_MAY_HOLD_DATA = re.compile(r"[@%&]|(?:\d[ .\-()+]?){7}")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
# What ends a URL or path in text, markup or JSON.
_URL_END = re.compile(r"""[\s"'<>]+""")
# html.unescape's own pattern of a character reference (html/__init__.py, _charref).
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


@dataclass(frozen=True)
class Leak:
    output: str  # path inside the site
    source: str  # the YAML file (or generated item) it came from
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.output}: 含有{self.kind}（{self.masked}），来源：{self.source}"


class OutputLeak(CasebookError):
    """Personal data found in the built site: nothing is published."""

    exit_code = 1


def source_of(output: str) -> str:
    """Which library file an output file was generated from (best effort, for the message)."""
    parts = output.split("/")
    if parts[0] in ("records", "typical", "classes") and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}.yaml"
    match = re.match(r"downloads/(?:guide|ledger)-(LA-\d{3})", output)
    if match:
        return f"classes/{match.group(1)}.yaml 及其类案记录"
    if output.startswith("assets/casebook/data/"):
        return "检索数据（由各页面文字生成）"
    return "生成的页面或 docs/ 手写页面"


def readable_text(path: Path) -> str:
    """The text a reader (or a search engine) could get out of one output file."""
    name = path.name
    if name.endswith(ZIP_SUFFIXES):
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.endswith((".xml", ".rels")))
            parts = {n: archive.read(n).decode("utf-8", "replace") for n in names}
        # The parts' text; and the relationships' targets, where a document's links (tel:, mailto:) are.
        text = unescape(_TAG.sub(" ", "\n".join(v for n, v in parts.items() if n.endswith(".xml"))))
        return text + "\n" + markup_views("\n".join(v for n, v in parts.items() if n.endswith(".rels")))
    data = path.read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8", "replace")
    if name.endswith((".html", ".xml", ".svg", ".gz")):
        return markup_views(text)
    return with_decoded_urls(text)


def unescape(text: str) -> str:
    """html.unescape(text), exactly, in a fraction of the time when references repeat.

    openpyxl writes every Chinese character of a workbook as a reference (`&#32534;`):
    ledger-all.xlsx holds a million of them at 10,000 records, and html.unescape calls
    a Python function for each (3.5 s for that one file). Here the text is split at the
    same references, each distinct one (a few thousand) is decoded once by html.unescape
    itself, and the pieces are joined: the same result, with one dict lookup a reference."""
    if "&" not in text:
        return text
    pieces = _CHARREF.split(text)  # text, reference, text, …: the group leaves out the "&"
    references = pieces[1::2]
    decoded = {reference: html.unescape("&" + reference) for reference in set(references)}
    pieces[1::2] = map(decoded.__getitem__, references)
    return "".join(pieces)


def markup_text(markup: str) -> str:
    """HTML or XML reduced to what a reader sees: scripts and tags dropped, entities decoded."""
    return unescape(_TAG.sub("", _SCRIPT.sub("", markup)))


def markup_views(markup: str) -> str:
    """Everything a reader can get out of some markup: its text, then each comment, inline
    script and attribute value on a line of its own (so that no two of them join into one
    number), entities decoded; and all of it percent-decoded where it holds escapes."""
    hidden = _COMMENT.findall(markup) + _INLINE_SCRIPT.findall(markup)
    hidden += [
        "".join(values) for name, *values in _ATTRIBUTE.findall(markup) if name.lower() not in GEOMETRY and any(values)
    ]
    # Most values are the theme's: class names, relative links, repeated on every page.
    wanted = [value for value in dict.fromkeys(hidden) if not value.isascii() or _MAY_HOLD_DATA.search(value)]
    text = markup_text(markup)
    if wanted:
        text += "\n" + unescape("\n".join(value.replace("\n", " ") for value in wanted))
    return with_decoded_urls(text)


def with_decoded_urls(text: str) -> str:
    """`text`, then each URL in it that holds percent escapes, decoded (tel:%2B86…, /%E5%BC%A0…)."""
    if not _PERCENT.search(text):
        return text
    return "\n".join([text, *(unquote(url) for url in _URL_END.split(text) if _PERCENT.search(url))])


# The search data's text slices are cut from the pages' article text, which is read
# itself; the .bin shards hold only bigram keys and numbers.
DERIVED = ("assets/casebook/data/text/",)


def scanned(site: Path, skip: Collection[str] = frozenset(), listed: Iterable[str] | None = None) -> list[Path]:
    """Every output file but the theme's own and those in `skip`: each is read by its path, most by
    their content too. `listed`: the site's files, when the caller has just listed them."""
    every = listed if listed is not None else (relative for relative, _ in site_files(site))
    found = [r for r in every if not r.startswith(THEME_ASSETS) and r not in skip]
    return [site / relative for relative in sorted(found)]


def content_is_read(relative: str) -> bool:
    """The search data's text slices and .bin shards are read by their path only (see DERIVED)."""
    if relative.startswith(DERIVED) or relative.endswith(".bin"):
        return False
    return relative.endswith((*TEXT_SUFFIXES, *ZIP_SUFFIXES, ".gz"))


_FRAME = re.compile(r"<head\b.*?</head>|<article\b.*?</article>", re.S)


def page_content(text: str) -> str:
    """A generated page's own part: its head (title, meta description, links) and article.
    The rest is the theme's frame (header, nav, footer), the same on every page but for
    the links to the pages before and after (checked on those pages) and checked in full
    on the home page."""
    return "\n".join(match.group() for match in _FRAME.finditer(text))


def check_file(site: Path, path: Path, protected: list[str]) -> list[Leak]:
    relative = path.relative_to(site).as_posix()
    text = unquote(relative)
    if content_is_read(relative) and path.suffix == ".html" and relative not in FULL_PAGES:
        text += "\n" + markup_views(page_content(path.read_text(encoding="utf-8", errors="replace")))
    elif content_is_read(relative):
        text += "\n" + readable_text(path)
    leaks = [Leak(relative, source_of(relative), f.kind, f.masked) for f in find_personal_data(text)]
    leaks += [Leak(relative, source_of(relative), "受保护姓名", mask_name(name)) for name in protected if name in text]
    return leaks


def check_site(
    site: Path,
    protected_names: list[str],
    skip: Collection[str] = frozenset(),
    bar: Bar = NO_BAR,
    listed: Iterable[str] | None = None,
) -> list[Leak]:
    """Every leak in every generated file of a built site, sorted by file.

    `skip`: site-relative paths of files this guard has passed before, byte for
    byte, with the same protected names (an incremental build: build.record_files).
    `bar` counts the files checked. `listed`: every file of the site (relative paths),
    when the caller has just listed them (build.record_files)."""
    return SiteCheck.start(site, protected_names, skip, listed).finish(bar=bar)


class SiteCheck:
    """The guard over the files a site has now, part of it in a second process, and the
    files written later (`finish`) here.

    Regular expressions hold the GIL, so a second process checks files too. The files are
    cut into claims (`_claims`: the costliest first, each large file a claim of its own, the
    pages in runs of about a megabyte) that either process takes when it is free: the second
    from the start, this one once it has done its own work (`busy`: a build writes the search
    data meanwhile) and the files written later. Neither waits on a share fixed in advance,
    which left this one the whole-library workbook to read after the search data (6.6 s of
    a one-record rebuild at 100,000 records) while the other had finished long before."""

    def __init__(self, site: Path, names: list[str], claims: _ClaimFolder, theirs: Background) -> None:
        self.site, self.names, self.claims, self.theirs = site, names, claims, theirs

    @classmethod
    def start(
        cls,
        site: Path,
        protected_names: list[str],
        skip: Collection[str] = frozenset(),
        listed: Iterable[str] | None = None,
        busy: bool = False,
    ) -> SiteCheck:
        names = sorted({name for name in protected_names if name})
        files = scanned(site, skip, listed)
        costs = [_cost(path) for path in files]
        # A second process costs about 0.3 s of the other core to start: worth it for many
        # files, or for a few large ones while this process has other work (an incremental build:
        # the whole-library ledger, the change log, the tag page).
        wanted = len(files) >= PARALLEL_FROM or (busy and sum(costs) >= SECOND_FOR_FEW_FROM_BYTES)
        claims = _ClaimFolder.make(_claims(files, costs))
        return cls(site, names, claims, Background.start(check_claimed, site, claims, names, wanted=wanted))

    def finish(self, later: Iterable[str] = (), skip: Collection[str] = frozenset(), bar: Bar = NO_BAR) -> list[Leak]:
        """The leaks of all files: those given at the start, and `later` (relative paths of
        files written since, but those in `skip`). `bar` counts the files checked here."""
        try:
            files = scanned(self.site, skip, later)
            bar.count(len(files) + self.claims.files, "个文件已检查")
            leaks: list[Leak] = []
            for path in files:
                leaks += check_file(self.site, path, self.names)
                bar.advance()
            leaks += check_claimed(self.site, self.claims, self.names, bar)
            leaks += self.theirs.result()
        finally:
            self.claims.remove()
        return sorted(leaks, key=lambda leak: (leak.output, leak.kind, leak.masked))

    def cancel(self) -> None:
        """Stop the second process (the build failed before `finish`)."""
        self.theirs.cancel()
        self.claims.remove()


CLAIM_BYTES = 1_000_000  # pages are claimed in runs of about this many bytes: a claim is one file made


def _cost(path: Path) -> int:
    """What checking a file costs, roughly: its bytes; a zip's, unpacked (a workbook of 8 MB
    holds 114 MB of XML). A file that vanished costs nothing: check_file reports it."""
    try:
        if path.name.endswith(ZIP_SUFFIXES):
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist()) // 2
        return path.stat().st_size
    except (OSError, zipfile.BadZipFile):
        return 0


def _claims(files: list[Path], costs: list[int]) -> list[list[Path]]:
    """`files` cut into claims, the costliest first: a large file alone, the rest in runs of
    about CLAIM_BYTES (in path order among equals, so the cut is the same every time)."""
    claims: list[list[Path]] = []
    run: list[Path] = []
    weight = 0
    for cost, path in sorted(zip(costs, files, strict=True), key=lambda item: (-item[0], item[1])):
        run.append(path)
        weight += cost
        if weight >= CLAIM_BYTES:
            claims.append(run)
            run, weight = [], 0
    if run:
        claims.append(run)
    return claims


@dataclass(frozen=True)
class _ClaimFolder:
    """Claims shared by two processes: a claim is taken by creating its file, which only one
    process can do (O_EXCL), so each claim is checked exactly once, by whichever is free first."""

    folder: str
    claims: list[list[Path]]

    @classmethod
    def make(cls, claims: list[list[Path]]) -> _ClaimFolder:
        # In the build's staging folder (workdir.scratch_root); removed by finish or cancel.
        return cls(os.fspath(new_scratch_folder("guard-claims-")), claims)

    @property
    def files(self) -> int:
        return sum(len(claim) for claim in self.claims)

    def take(self, number: int) -> bool:
        try:
            os.close(os.open(os.path.join(self.folder, str(number)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def check_claimed(site: Path, claims: _ClaimFolder, protected: list[str], bar: Bar = NO_BAR) -> list[Leak]:
    """The leaks of every claim this process takes (all that are left when the other is busy or gone)."""
    leaks: list[Leak] = []
    for number, claim in enumerate(claims.claims):
        if claims.take(number):
            for path in claim:
                leaks += check_file(site, path, protected)
                bar.advance()
        else:
            bar.advance(len(claim))
    return leaks


def refuse_on_leaks(leaks: list[Leak], limit: int = 50) -> None:
    if not leaks:
        return
    shown = "\n".join(f"  {leak}" for leak in leaks[:limit])
    more = f"\n  …另有 {len(leaks) - limit} 处" if len(leaks) > limit else ""
    raise OutputLeak(f"生成的网站中发现个人信息 {len(leaks)} 处，未发布（原网站保持不变）：\n{shown}{more}")
