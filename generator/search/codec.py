"""Binary encoding of the search index: unsigned LEB128 varints and FNV-1a shard hashing.

Both are a few lines in the browser too (assets/casebook.js), which is why
they were chosen over a general compressor: the script decodes exactly what
it needs, with no library.
"""

from __future__ import annotations


def fnv1a(data: bytes) -> int:
    """32-bit FNV-1a: which shard a term's postings live in."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def varints(values: list[int]) -> bytes:
    """Concatenated unsigned LEB128 encodings; the common all-small case stays in C."""
    if not values or max(values) < 0x80:
        return bytes(values)
    out = bytearray()
    for value in values:
        while value >= 0x80:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out)


def deltas(sorted_values: list[int]) -> list[int]:
    """[3, 5, 9] → [3, 2, 4]."""
    return [b - a for a, b in zip([0, *sorted_values], sorted_values, strict=False)]


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    """(value, next offset): used by tests and the query simulator."""
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7
