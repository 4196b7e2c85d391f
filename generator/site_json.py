"""The JSON files the site publishes (changes.json, the search data's docs.json and meta rows).

Their bytes are the standard library's `json.dumps(value, sort_keys=True,
ensure_ascii=False, separators=(",", ":"))`, which at 100,000 records took
1 s a build for changes.json and the meta rows. orjson writes the same bytes
for what these files hold (text, integers, booleans, null, lists and maps
with text keys; tests/test_site_json.py) in a tenth of the time. It writes
some floats differently (1e-05 as 0.00001), so data with floats keeps the
standard library (`similar_model_json`).
"""

from __future__ import annotations

from typing import Any

import orjson

from .cache_json import as_list


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys and text as it is (not \\u-escaped): json.dumps's bytes."""
    return dumps_bytes(value).decode("utf-8")


def dumps_bytes(value: Any) -> bytes:
    """dumps(value) as UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=as_list)
