"""The build state: what every file of the published site was made from.

An incremental build must give the same bytes as a full build of the same
input, so reuse is decided by keys, never by timestamps: every output file
is recorded with the key of its inputs (dependencies.py says which inputs
each kind of output has) and the size, mtime and digest it was published
with. The next build reuses a file when its key is unchanged and the
published file is still the one recorded (same size and mtime: a file
edited on the server is made again, not trusted).

Where it lives: in a cache folder beside the site, `.<site>.casebook-cache/`
(the site itself is served, and the state names every input). Each state is
a file `state-<build id>.json`, written before the site is swapped in; the
site's marker (.casebook-site.json) names the build id it belongs to. So a
build killed at any point leaves a published site whose marker still names
a complete state, and a state is only ever read for the site it describes:
a missing, corrupt or foreign state falls back to a full build, with one
line saying why. JSON rather than pickle: reading the cache must never run
code, whoever could write beside the site.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any, NamedTuple

from . import cache_json
from .workdir import write_atomically

STATE_FORMAT = 3
CACHE_SUFFIX = ".casebook-cache"
CACHE_MARKER = ".casebook-cache.json"  # says the folder is ours, so we may delete in it
STATE_PREFIX = "state-"


def digest(data: bytes) -> str:
    """The digest recorded for a file's content (and used for keys): blake2b, 20 bytes, hex."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def key_of(*parts: str | bytes) -> str:
    """One key for several inputs; parts are length-prefixed, so ("ab", "c") ≠ ("a", "bc")."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        raw = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(raw).to_bytes(8, "little"))
        hasher.update(raw)
    return hasher.hexdigest()


class FileRecord(NamedTuple):
    """A published file as the build left it: a later change on disk is noticed by size and mtime.

    A tuple: 300,000 of them are read and written per build at 100,000 records, and JSON
    writes a tuple as the array it keeps (no list made per file first)."""

    size: int
    mtime_ns: int
    digest: str


@dataclass
class BuildState:
    """Everything the next build needs to know about the site this build published."""

    build_id: str
    identity: dict[str, str]  # format, generator code, edition: a state of another kind is foreign
    fingerprint: str  # every input at once: equal means there is nothing to build
    files: dict[str, FileRecord] = field(default_factory=dict)  # site-relative path → record
    # MkDocs page source path → [dest path, page key, render key ("" for pages always rendered)]
    pages: dict[str, list[str]] = field(default_factory=dict)
    frame_key: str = ""  # dependencies.site_key of this build: what every page's frame was made from
    # page url → [title on the page, title in the index ("" if not indexed), content_key of the
    # indexed text, its length]: a page taken over next time is indexed by these, unread
    texts: dict[str, list[Any]] = field(default_factory=dict)
    guard_key: str = ""  # the guard's inputs (protected names, its code): files it passed need no rescan

    def to_json(self) -> bytes:
        """The state as JSON; built field by field (dataclasses.asdict deep-copies 60,000 records: 2 s).

        The maps are made in sorted order (build.py), so the keys are not sorted again here."""
        data = {
            "build_id": self.build_id,
            "fingerprint": self.fingerprint,
            "files": self.files,
            "frame_key": self.frame_key,
            "guard_key": self.guard_key,
            "identity": dict(sorted(self.identity.items())),
            "pages": self.pages,
            "texts": self.texts,
        }
        return cache_json.dumps(data)

    @classmethod
    def from_json(cls, text: bytes | str) -> BuildState:
        return cls.from_data(cache_json.loads(text))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> BuildState:
        """The state from its JSON data; anything not of the written shape raises ValueError
        (a damaged state: the build says so and builds in full). Checked a column at a time,
        then taken as it is: converting every value cost a second at 100,000 records."""
        files, pages, texts = data["files"], data["pages"], data["texts"]
        if not (
            all(type(v) is list and len(v) == 3 for v in files.values())
            and all(type(s) is int and type(m) is int and type(d) is str for s, m, d in files.values())
            and all(type(v) is list and len(v) == 3 and all(type(x) is str for x in v) for v in pages.values())
            and all(
                type(v) is list and len(v) == 4 and type(v[0]) is type(v[1]) is type(v[2]) is str and type(v[3]) is int
                for v in texts.values()
            )
        ):
            raise ValueError("构建状态的格式不对")
        record = tuple.__new__
        return cls(
            build_id=str(data["build_id"]),
            identity={str(k): str(v) for k, v in data["identity"].items()},
            fingerprint=str(data["fingerprint"]),
            files={path: record(FileRecord, value) for path, value in files.items()},
            pages=pages,
            frame_key=str(data["frame_key"]),
            texts=texts,
            guard_key=str(data["guard_key"]),
        )

    def unchanged_on_disk(self, site: Path, relative: str) -> FileRecord | None:
        """The record of `relative` if the published file is still exactly as this build left it."""
        record = self.files.get(relative)
        if record is None:
            return None
        try:
            found = os.lstat(os.path.join(site, relative))  # strings: 20,000 pages are asked about per build
        except OSError:
            return None
        if found.st_size != record.size or found.st_mtime_ns != record.mtime_ns or not S_ISREG(found.st_mode):
            return None
        return record

    def published_pages(self, site: Path, linked: Collection[str] = ()) -> dict[str, str]:
        """Page source path → key, for the pages whose published file is as this build left it.

        `linked`: destination paths already found so and linked (prelink.py), not asked again."""
        return {
            src: key
            for src, (dest, key, _) in self.pages.items()
            if dest in linked or self.unchanged_on_disk(site, dest)
        }

    def render_keys(self, published: dict[str, str]) -> dict[str, str]:
        """Source path → render key of the `published` pages that have one (record and entry pages)."""
        return {src: self.pages[src][2] for src in published if self.pages[src][2]}


class StateStore:
    """The cache folder beside a site: its states, and scratch space that belongs with them."""

    def __init__(self, site: Path) -> None:
        site = site.absolute()
        self.site = site
        self.folder = site.parent / f".{site.name}{CACHE_SUFFIX}"

    def usable(self) -> str | None:
        """None if the folder is ours (or absent); else why it is not used."""
        if not os.path.lexists(self.folder):
            return None
        if self.folder.is_symlink() or not self.folder.is_dir():
            return f"{self.folder} 不是 Casebook 的缓存文件夹"
        if not (self.folder / CACHE_MARKER).is_file():
            return f"{self.folder} 已存在，但不是 Casebook 的缓存文件夹（没有 {CACHE_MARKER}）"
        return None

    def load(self, build_id: str | None, identity: dict[str, str]) -> tuple[BuildState | None, str]:
        """The state of the published site, or None and the reason a full build is needed."""
        if build_id is None:
            return None, "网站没有构建编号（首次构建或旧版本生成）"
        problem = self.usable()
        if problem is not None:
            return None, problem
        path = self.folder / f"{STATE_PREFIX}{build_id}.json"
        try:
            data = cache_json.loads(path.read_bytes())
            identity_found = data.get("identity") if isinstance(data, dict) else None
            if not isinstance(identity_found, dict) or identity_found.get("format") != str(STATE_FORMAT):
                return None, "构建状态来自另一版本的生成器"
            state = BuildState.from_data(data)
        except FileNotFoundError:
            return None, "构建状态缺失"
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
            return None, "构建状态文件损坏"
        if state.build_id != build_id:
            return None, "构建状态与网站不符"
        if state.identity != identity:
            names = identity.keys() | state.identity.keys()
            changed = sorted(k for k in names if identity.get(k) != state.identity.get(k))
            return None, f"生成器或设置已变（{', '.join(changed)}）"
        return state, ""

    def prepare(self) -> Path:
        """The cache folder, made and marked as ours if it was not there."""
        if (problem := self.usable()) is not None:
            raise FileExistsError(problem)
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / CACHE_MARKER
        if not marker.exists():
            marker.write_text('{"generator": "casebook"}\n', encoding="utf-8")
        return self.folder

    def save(self, state: BuildState) -> Path:
        """Write the state atomically; the site is swapped in only after this returns."""
        self.prepare()
        path = self.folder / f"{STATE_PREFIX}{state.build_id}.json"
        write_atomically(path, state.to_json())
        return path

    def prune(self, keep: str) -> None:
        """Remove every state but `keep` (the published site's), once that site is in place."""
        if self.usable() is not None or not self.folder.is_dir():
            return
        for path in self.folder.glob(f"{STATE_PREFIX}*.json"):
            if path.name != f"{STATE_PREFIX}{keep}.json":
                path.unlink(missing_ok=True)


def site_files(site: Path) -> Iterator[tuple[str, str]]:
    """(path relative to the site with "/", full path) of every file of a site, in no set order.

    os.scandir on strings, each folder's prefix made once: pathlib's cost per path
    was seconds at 30,000 files, and os.walk's relpath per folder most of the rest
    (10,000 record folders)."""
    root = os.fspath(site)
    folders = [(root, "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, prefix + entry.name + "/"))
                else:
                    yield prefix + entry.name, entry.path
