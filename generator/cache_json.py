"""JSON for the build's own caches and state, read and written with orjson.

The state beside a site, the memos and the caches' tables are JSON (reading a
cache never runs code), and at 100,000 records they are tens of megabytes a
build: the build state alone, 55 MB, took 0.8 s to write with the standard
library and 0.1 s with orjson. The files the site publishes keep the standard
library's json (their bytes are the site's); these are read only by the
generator, which accepts either writer's JSON.
"""

from __future__ import annotations

from typing import Any

import orjson

DecodeError = orjson.JSONDecodeError  # a ValueError, as json's is


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; raises TypeError for what JSON cannot hold. Keys keep their order;
    a named tuple is a list, as json writes it."""
    return orjson.dumps(value, default=as_list)


def as_list(value: Any) -> list[Any]:
    """orjson's `default`: a tuple (a named tuple too) as the list json writes; anything else refused."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def loads(data: bytes | str) -> Any:
    """The value of JSON text; raises ValueError (DecodeError) for anything else."""
    return orjson.loads(data)
