"""Digests of input files, remembered by their stat from one build to the next.

A build's fingerprint (dependencies.fingerprint) covers the bytes of every
library file: reading and hashing 10,000 files took 1.3 s of every build, most
of a build with nothing changed, and a one-record edit paid it before loading
the library. Like git's index, a file whose size, mtime, ctime, inode and device
are the ones recorded is taken to hold the bytes recorded with them. ctime
cannot be set from user space, so a tool that puts an old mtime back (cp -p,
rsync -t, tar) is still seen.

Racy files: a file written again within the clock tick of the recorded write
could keep its stat. A digest is therefore remembered only for files whose
mtime and ctime were at least RACY_NS old when the table was begun; a file
changed just before a build is read again by the next one, and remembered then.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import cache_json
from .state import digest
from .workdir import write_atomically

TABLE_FILE = "digests.json"
RACY_NS = 2_000_000_000  # far above any filesystem's timestamp granularity
FORMAT = 1


def read_digest(path: str) -> str:
    """The digest of a file's bytes, or an error mark (the build itself will say what is wrong)."""
    try:
        with open(path, "rb") as stream:
            return digest(stream.read())
    except OSError as error:
        return f"error:{error.errno}"


class FileDigests:
    """path → digest of its bytes, read only when the file's stat is not the one recorded."""

    def __init__(self, table: Path | None, racy_ns: int = RACY_NS) -> None:
        self.table = table
        self.started = time.time_ns()
        self.racy_ns = racy_ns
        self.known: dict[str, list[int | str]] = self._load(table)
        self.seen: dict[str, list[int | str]] = {}
        self.read = 0  # files read this time (for tests and the bench)

    @staticmethod
    def _load(table: Path | None) -> dict[str, list[int | str]]:
        if table is None:
            return {}
        try:
            data = cache_json.loads(table.read_bytes())
        except (OSError, UnicodeDecodeError, ValueError):
            return {}  # absent or damaged: every file is read, as without a table
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return {
            path: entry
            for path, entry in data["files"].items()
            if isinstance(entry, list) and len(entry) == 6 and isinstance(entry[5], str)
        }

    def of(self, path: str) -> str:
        try:
            found = os.stat(path)
        except OSError as error:
            return f"error:{error.errno}"
        signature: list[int | str] = [
            found.st_size,
            found.st_mtime_ns,
            found.st_ctime_ns,
            found.st_ino,
            found.st_dev,
        ]
        entry = self.known.get(path)
        if entry is not None and entry[:5] == signature:
            self.seen[path] = entry
            return str(entry[5])
        self.read += 1
        file_digest = read_digest(path)
        settled = max(found.st_mtime_ns, found.st_ctime_ns) < self.started - self.racy_ns
        if settled and not file_digest.startswith("error:"):
            self.seen[path] = [*signature, file_digest]
        return file_digest

    def unchanged(self, path: str, found: os.stat_result) -> str | None:
        """The digest this build found for `path`, if `found` (its lstat, taken since) is the stat
        it was found with, and the file was settled then: its bytes are still those. A link's
        own stat is never its target's, so a link is never taken for the file it leads to."""
        entry = self.seen.get(path)
        if entry is None:
            return None
        signature = [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev]
        return str(entry[5]) if entry[:5] == signature else None

    def save(self) -> None:
        """Keep the files seen this time (a file no longer read is forgotten); atomically."""
        if self.table is None or self.seen == self.known:
            return
        data = {"format": FORMAT, "files": {path: self.seen[path] for path in sorted(self.seen)}}
        write_atomically(self.table, cache_json.dumps(data))
        self.known = dict(self.seen)  # saved: a second call has nothing to write
