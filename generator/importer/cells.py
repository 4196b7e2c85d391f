"""One cell as offices fill it in: dates in five spellings or as Excel serial numbers, numbers
stored as text ("5人", "１２"), full-width letters in case numbers, stray spaces.

Each parser returns the value or None and never raises: the caller (convert.py) says
which cell held what it could not read."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# Excel's day 0 is 1899-12-30 (its 1900 leap-year bug is before every date that matters here).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = (20_000, 80_000)  # 1954 … 2119: a plain number outside is not a date
_DATE_TEXT = re.compile(
    r"(?P<y>\d{4})\s*(?:年|[-./])\s*(?P<m>\d{1,2})\s*(?:月|[-./])\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[T ]?\d{1,2}:\d{2}(?::\d{2})?)?"
)
_COMPACT_DATE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_INT_TEXT = re.compile(r"(?P<n>\d+)\s*(?:人|名|户|位|件)?")
_SPACES = re.compile(r"[\s\u3000]+")


def text_of(value: object) -> str:
    """A cell's value as text, trimmed (ASCII and full-width spaces); "" for an empty cell.

    Whole numbers stored as numbers read without ".0" (an id or a count typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not text.isprintable():  # control characters (a stray _x001F_ in an export) are no text: dropped
        text = "".join(ch for ch in text if ch == "\n" or ch.isprintable() or ch in "\u3000\xa0 ")
    lines = [line.strip(" \u3000\xa0") for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def half_width(text: str) -> str:
    """Full-width letters, digits and signs as ASCII (ＸＪ２０２４ → XJ2024); Chinese text is kept."""
    return "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)


def key_text(value: object) -> str:
    """A value compared as a key (a case number, a vocabulary word): half-width, no spaces at all."""
    return _SPACES.sub("", half_width(text_of(value)))


def date_of(value: object) -> dt.date | None:
    """A date cell, an Excel serial number, or text: 2024年5月6日, 2024.5.6, 2024/05/06, 2024-05-06,
    2024年05月06日, 20240506 (a time after it is ignored). None when it is none of these or no real day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value < _SERIAL_RANGE[1] and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = key_text(value)
    if not text:
        return None
    if text.isdigit() and len(text) == 5:  # a serial number stored as text
        return date_of(int(text))
    match = _DATE_TEXT.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def int_of(value: object) -> int | None:
    """A whole number written as a number or as text ("5", " 12 ", "５人"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    match = _INT_TEXT.fullmatch(key_text(value))
    return int(match["n"]) if match else None


_LIST_SPLIT = re.compile(r"[、，,；;／/\n]+|\s{2,}")
_NUMBERED = re.compile(r"(?<![\d.．])[（(]?\d{1,2}[)）.、．](?!\d)")


def items_of(value: object) -> list[str]:
    """A list cell: 集体访、重复访 / a；b / one per line → the items, trimmed, empty ones dropped."""
    text = text_of(value)
    return [item.strip(" \u3000") for item in _LIST_SPLIT.split(text) if item.strip(" \u3000")]


def sentences_of(value: object) -> list[str]:
    """A demands cell: "1.…2.…", "（1）…（2）…", items split by ；, or one per line → the items."""
    text = text_of(value)
    if not text:
        return []
    parts = _NUMBERED.split(text)
    if len(parts) <= 1:
        parts = re.split(r"[；;\n]+", text)
    items = [part.strip(" \u3000；;。\n") for part in parts]
    return [item for item in items if item]
