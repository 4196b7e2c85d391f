"""Hard-link the published record and entry pages into the next site while the build computes.

An incremental build publishes a whole new tree, and at 10,000 records a
third of its files are record pages that did not change: a folder and a hard
link each, about a second of system calls. Which pages are reused is known
only once MkDocs has keyed them, but nearly all are, and a link costs no
copy: a small process of its own (no imports but the standard library's, so
it starts in a few hundredths of a second, and no share of this process's
GIL) links them all, as the state records them, while load, validate and
derive keep this process busy; the build then removes the few it did not
reuse (`adopt`).

A link shares the published file's inode, so nothing may ever write into it:
the new site's writers write into folders of their own (MkDocs' output, the
search data), and files are moved over a link with os.replace, which
replaces the folder entry, not the file. The published site stays
byte-identical until the swap; a build that fails or is killed leaves only
its staging folder.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import BuildState


class PreLinker:
    """The linking process; `result()` waits for it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def start(cls, published: Path, tree: Path, state: BuildState, pages: Iterable[str]) -> PreLinker:
        """Link into `tree` the published file of each of `pages` (source paths) that the state knows."""
        lines = []
        for dest in sorted(state.pages[src][0] for src in pages if src in state.pages):
            record = state.files.get(dest)
            if record is not None and "\n" not in dest:
                lines.append(f"{record.size} {record.mtime_ns} {dest}\n")
        # This very file as a script: standard library only, no site-packages (-S), no environment (-I).
        command = [sys.executable, "-I", "-S", os.path.abspath(__file__), os.fspath(published), os.fspath(tree)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert process.stdin is not None
        process.stdin.write("".join(lines).encode("utf-8", "surrogateescape"))
        process.stdin.close()  # the process reads it all before it writes a byte: no deadlock
        return cls(process)

    def result(self) -> set[str]:
        """Destination paths of the pages linked (each published file as the state records it).

        Empty when the process failed (a file system without hard links, a full disk): the
        build then links what it reuses itself, where a failure names its path."""
        assert self._process.stdout is not None
        output = self._process.stdout.read()
        if self._process.wait() != 0:
            return set()
        return set(output.decode("utf-8", "surrogateescape").splitlines())

    def cancel(self) -> None:
        """Stop linking (the build failed); the tree goes with the staging folder."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def link_all(published: str, tree: str, lines: Iterable[str]) -> Iterable[str]:
    """The linking process's work: each line `size mtime_ns path`; yields the paths linked.

    A published file that is not the one the state describes (other size or
    mtime, not a regular file, gone) is not linked, so it is never reused; nor is
    a path that would leave the site (absolute, or with a `..`: a damaged state)."""
    made_folders: set[str] = set()
    for line in lines:
        size, mtime, dest = line.rstrip("\n").split(" ", 2)
        if dest.startswith("/") or ".." in dest.split("/"):
            continue
        source = os.path.join(published, dest)
        try:
            found = os.lstat(source)
        except OSError:
            continue
        if found.st_size != int(size) or found.st_mtime_ns != int(mtime) or not S_ISREG(found.st_mode):
            continue
        link = os.path.join(tree, dest)
        folder = os.path.dirname(link)
        if folder not in made_folders:
            os.makedirs(folder, exist_ok=True)
            made_folders.add(folder)
        os.link(source, link)
        yield dest


def adopt(tree: str, linked: Iterable[str], reused: Iterable[str]) -> None:
    """Remove from `tree` the `linked` pages (destination paths) that are not `reused`.

    A folder left empty (a removed record's) goes too, so the tree holds
    what a full build's would."""
    for dest in sorted(set(linked) - set(reused)):
        path = os.path.join(tree, dest)
        os.unlink(path)
        with contextlib.suppress(OSError):  # other files are in it
            os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    done = "".join(f"{dest}\n" for dest in link_all(sys.argv[1], sys.argv[2], text.splitlines()))
    sys.stdout.buffer.write(done.encode("utf-8", "surrogateescape"))
