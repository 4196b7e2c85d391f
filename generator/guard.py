"""The last check before a site is published: no personal data in any output file.

Validation already refuses personal data in the YAML, field by field. This
guard looks at what the build actually wrote (pages, search data, JSON,
sitemap, Word and Excel files), because a leak can also come from a
template, a generated sentence or a hand-written page. On any hit the build
stops before the new site replaces the old one, naming the output file and
the source it came from.

What is read: every file the build generated. Word and Excel files are zip
archives of XML in which Chinese may be written as character references, so
their text is unzipped and unescaped first. The theme's own scripts, styles
and images are not data and are skipped. For pages, the HTML is reduced to
its text (tags dropped, entities decoded), so a number split by markup is
still seen.
"""

from __future__ import annotations

import gzip
import html
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import CasebookError
from .parallel import Background
from .privacy import find_personal_data, mask_name

PARALLEL_FROM = 2_000  # files; below this one process is quicker than starting a second

THEME_ASSETS = ("assets/javascripts/", "assets/stylesheets/", "assets/images/", "assets/casebook/casebook.")
TEXT_SUFFIXES = (".html", ".json", ".txt", ".xml", ".svg", ".js", ".css", ".md")
ZIP_SUFFIXES = (".docx", ".xlsx")
FULL_PAGES = ("index.html", "404.html")  # read whole: they carry the frame every page shares
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


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
            names = sorted(n for n in archive.namelist() if n.endswith(".xml"))
            parts = [archive.read(n).decode("utf-8", "replace") for n in names]
        return html.unescape(_TAG.sub(" ", "\n".join(parts)))
    data = path.read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8", "replace")
    if name.endswith((".html", ".xml", ".svg", ".gz")):
        text = markup_text(text)
    return text


def markup_text(markup: str) -> str:
    """HTML or XML reduced to what a reader sees: scripts and tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", _SCRIPT.sub("", markup)))


# The search data's text slices are cut from the pages' article text, which is read
# itself; the .bin shards hold only bigram keys and numbers.
DERIVED = ("assets/casebook/data/text/",)


def scanned(site: Path) -> list[Path]:
    files = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if not path.is_file() or relative.startswith((*THEME_ASSETS, *DERIVED)) or relative.endswith(".bin"):
            continue
        if path.name.endswith((*TEXT_SUFFIXES, *ZIP_SUFFIXES, ".gz")):
            files.append(path)
    return files


_FRAME = re.compile(r"<title>.*?</title>|<article\b.*?</article>", re.S)


def page_content(text: str) -> str:
    """A generated page's own part: its title and article. The rest is the theme's frame
    (header, nav, footer), the same on every page and checked in full on the home page."""
    return "\n".join(match.group() for match in _FRAME.finditer(text))


def check_file(site: Path, path: Path, protected: list[str]) -> list[Leak]:
    relative = path.relative_to(site).as_posix()
    if path.suffix == ".html" and relative not in FULL_PAGES:
        raw = path.read_text(encoding="utf-8", errors="replace")
        text = markup_text(page_content(raw))
    else:
        text = readable_text(path)
    leaks = [Leak(relative, source_of(relative), f.kind, f.masked) for f in find_personal_data(text)]
    leaks += [Leak(relative, source_of(relative), "受保护姓名", mask_name(name)) for name in protected if name in text]
    return leaks


def check_site(site: Path, protected_names: list[str]) -> list[Leak]:
    """Every leak in every generated file of a built site, sorted by file."""
    names = sorted({name for name in protected_names if name})
    files = scanned(site)
    # Regular expressions hold the GIL: two other processes halve the 10,000-record scan.
    large = len(files) >= PARALLEL_FROM
    halves = [Background.start(check_files, site, files[k::2], names, wanted=large) for k in (0, 1)]
    leaks = [leak for half in halves for leak in half.result()]
    return sorted(leaks, key=lambda leak: (leak.output, leak.kind, leak.masked))


def check_files(site: Path, files: list[Path], protected: list[str]) -> list[Leak]:
    return [leak for path in files for leak in check_file(site, path, protected)]


def refuse_on_leaks(leaks: list[Leak], limit: int = 50) -> None:
    if not leaks:
        return
    shown = "\n".join(f"  {leak}" for leak in leaks[:limit])
    more = f"\n  …另有 {len(leaks) - limit} 处" if len(leaks) > limit else ""
    raise OutputLeak(f"生成的网站中发现个人信息 {len(leaks)} 处，未发布（原网站保持不变）：\n{shown}{more}")
