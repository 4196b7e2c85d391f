"""The search index built the slow, obvious way: a Python loop over every character.

generator/search/postings.py builds the same bytes with array operations;
tests/test_search_index.py checks that the two agree, so the fast code can
be trusted to mean what this code plainly says.
"""

from __future__ import annotations

from collections import defaultdict

from generator.search.codec import deltas, varints
from generator.search.text import TERM_RUN


def ngram_positions(texts: list[str], n: int) -> dict[str, dict[int, list[int]]]:
    """n-gram → page → positions, n-grams made only of letters and digits."""
    found: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for number, text in enumerate(texts):
        for run in TERM_RUN.finditer(text):
            word, start = run.group(), run.start()
            for offset in range(len(word) - n + 1):
                found[word[offset : offset + n]].setdefault(number, []).append(start + offset)
    return found


def positional(postings: dict[int, list[int]]) -> bytes:
    parts = [varints([len(postings)])]
    previous = 0
    for number in sorted(postings):
        found = postings[number]
        parts.append(varints([number - previous, len(found), *deltas(found)]))
        previous = number
    return b"".join(parts)


def doc_level(postings: dict[int, list[int]]) -> bytes:
    values = [len(postings)]
    previous = 0
    for number in sorted(postings):
        values += [number - previous, len(postings[number]), postings[number][0]]
        previous = number
    return varints(values)


def doc_list(postings: dict[int, list[int]]) -> bytes:
    return varints([len(postings), *deltas(sorted(postings))])
