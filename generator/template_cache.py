"""Compiled Jinja templates, kept the way Python keeps its own compiled modules.

A `casebook build` runs in a new process each time, and compiled about fifty templates (ours
and Material's) on every run: 1.9 s of a one-record update at 10,000 records, more than the
MkDocs conversion of the changed pages. The compiled code is kept in the generator package's
own `__pycache__/` folder, beside the `.pyc` files of the generator itself: it is exactly as
trusted as the code that reads it. Nothing is ever executed from the cache folder beside a
site (state.py), which whoever can write the site can write too.

Jinja checks every entry against the template's source checksum and its own and Python's
versions, and compiles again on any difference. Where the package folder cannot be written
(a read-only system install) the templates are compiled once per process, in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

FOLDER = Path(__file__).resolve().parent / "__pycache__" / "jinja"


class TemplateBytecode(jinja2.BytecodeCache):
    """Compiled templates in memory for this process, and on disk in `folder` when it can be written."""

    def __init__(self, folder: Path | None = FOLDER) -> None:
        self.compiled: dict[str, bytes] = {}
        self.disk: jinja2.FileSystemBytecodeCache | None = None
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self.disk = jinja2.FileSystemBytecodeCache(str(folder))
            except OSError:
                self.disk = None

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.compiled.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
            return
        if self.disk is not None:
            try:
                self.disk.load_bytecode(bucket)
            except Exception:  # a damaged entry (truncated, another format): compile again
                bucket.reset()
            if bucket.code is not None:
                self.compiled[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()
        if self.disk is not None:
            try:
                self.disk.dump_bytecode(bucket)
            except OSError:  # read-only after all: keep to memory
                self.disk = None


_SHARED: TemplateBytecode | None = None


def template_bytecode() -> Any:
    """The one cache of this process (MkDocs makes a new Jinja environment every build)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = TemplateBytecode()
    return _SHARED
