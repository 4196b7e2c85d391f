"""Which inputs each kind of output is made from: the one place that says so.

An incremental build reuses a published file only when the key of its inputs
is unchanged (state.py), so a key that forgets an input makes an incremental
site differ from a full build. The property test (tests/test_incremental.py)
builds both after random edits and compares every byte; this table is what it
checks.

- Anything at all: `identity`, the generator's own files (code, templates,
  assets, defaults), the versions of MkDocs, Material, Markdown,
  pymdown-extensions, jieba, openpyxl and pandoc, and the edition. A change
  means no state is reused: a full build.
- The whole site: `fingerprint`, identity plus every library file (path and
  bytes), mkdocs.yml, every file under docs_dir, the theme's custom_dir and
  hooks, and `--as-of`. Equal to the published site's: the build stops at once.
  A file whose stat is the one recorded is not read again (file_digests.py).
- An HTML page made by MkDocs: `page_key`, the site key (mkdocs.yml, every
  file under docs_dir, the theme's custom_dir, hooks and INHERIT; site name,
  copyright, the generated nav, the front matter (titles) of the generated
  pages that are in the nav, banner, noindex, extra CSS and scripts) plus the
  page's path and source. A hand-written page also depends on the list of all
  pages (its links are checked against it); a generated page's links come
  from the same model as its text, so its text changes with them.
- A record or entry page's text: its render key (render/pages.py
  record_page_key, entry_page_key: the record or entry, its deadline, year,
  district, procedure (for a record read from its file: the file's key and
  the settings file's, which name them), class id and name, the entries
  citing it or the records it cites, its similar cases as printed, `--as-of`,
  the edition, the hand-written pages, the generator). Its template gets nothing else. Same
  render key and same site key as the published page: not even rendered.
- Search data: remade from the pages' texts each build, the postings of
  unchanged pages kept and only changed shards encoded again (search/cache.py).
  Sitemap, 404 page, theme assets, downloads: made anew by every build (Word
  guides and Excel ledgers from a memo keyed by their content, memo.py).
- The guard's verdict on a file: the file's digest and `guard_key` (the
  library's protected names, the generator's code).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from .file_digests import FileDigests, read_digest
from .state import STATE_FORMAT, digest, key_of

PACKAGE = Path(__file__).resolve().parent
VERSIONED = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jieba", "openpyxl", "pypandoc-binary")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@cache
def code_digest() -> str:
    """The generator's own files and the versions of what renders: any change, a full build."""
    parts: list[str] = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            parts += [path.relative_to(PACKAGE).as_posix(), digest(path.read_bytes())]
    for name in VERSIONED:
        try:
            parts += [name, metadata.version(name)]
        except metadata.PackageNotFoundError:
            parts += [name, "-"]
    return key_of(*parts)


def identity(edition: str) -> dict[str, str]:
    """What a reusable state must share with this build (state.StateStore.load compares it)."""
    return {"format": str(STATE_FORMAT), "code": code_digest(), "edition": edition}


def tree_digest(root: Path, digests: FileDigests | None = None) -> str:
    """Every file under `root` (path and bytes, links not followed into), or "-" when absent.

    `digests`: a table of digests remembered by stat (file_digests.py), so that
    files unchanged since the last build are not read again."""
    digest_of = digests.of if digests is not None else read_digest
    if not root.is_dir():
        return key_of("-", str(root.is_file()), digest_of(os.fspath(root)) if root.is_file() else "")
    parts: list[str] = []
    top = os.fspath(root)
    for folder, dirnames, filenames in os.walk(top):
        dirnames.sort()
        prefix = os.path.relpath(folder, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(filenames):
            parts += [prefix + name, digest_of(os.path.join(folder, name))]
    return key_of(*parts)


def fingerprint(
    edition: str, as_of: str, library: Path, read_paths: Iterable[Path], digests: FileDigests | None = None
) -> str:
    """Every input of a build at once (see the table above)."""
    parts = [*identity(edition).values(), as_of, tree_digest(library, digests)]
    for path in sorted({p.absolute() for p in read_paths}):
        parts += [str(path), tree_digest(path, digests)]
    return key_of(*parts)


def site_key(project_digests: Iterable[str], job_fields: Iterable[str], nav_titles: Iterable[str]) -> str:
    """What every MkDocs page shares: its frame (header, nav, footer) and the build's settings.

    `project_digests`: tree_digest of each of build.input_paths (mkdocs.yml, docs/, the theme's
    custom_dir, hooks, INHERIT)."""
    return key_of(*project_digests, "|", *job_fields, "|", *nav_titles)


def page_key(site: str, src_uri: str, source: bytes, all_pages: str | None) -> str:
    """One MkDocs page: the site key, its path and its source (and the page list, if hand-written)."""
    return key_of(site, src_uri, source, all_pages or "")


def front_matter(text: str) -> str:
    """The front matter of a generated page (its title lives there), or "" without one."""
    match = _FRONT_MATTER.match(text)
    return match.group(1) if match else ""
