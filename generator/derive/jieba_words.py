"""jieba's dictionary read a word at a time, for builds that cut only a few new sentences.

Loading jieba's dictionary (its 350,000 words and their prefixes) costs 1–1.5 s in every new
process, while a one-record update cuts a handful of sentences. jieba reads the dictionary only
at substrings of what it cuts: the DAG walks the prefixes that start at each character, the route
weighs the words found, `add_word` and `suggest_freq` look inside the added word. The dictionary
holds every prefix of every word, so each substring it holds is reached by walking from its first
character. A tokenizer whose dictionary holds, before each cut, every substring of that text that
the whole dictionary holds, with the same frequencies and total, therefore cuts exactly as one
holding the whole dictionary (tests/test_jieba_words.py compares the two).

The words are kept in an SQLite file made once from jieba's own dict.txt, beside the generator's
compiled code (`generator/__pycache__/jieba/`, named by jieba's version and the dictionary's
digest): data, never executed. Where it cannot be made, the whole dictionary is loaded as before.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent.parent / "__pycache__" / "jieba"
_LOCK = threading.Lock()
_OPENED: dict[Path, WordTable | None] = {}


class WordTable:
    """jieba's prefix dictionary (word → frequency, 0 for a bare prefix) and its total, on disk."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        row = self._connection.execute("SELECT freq FROM words WHERE word = ''").fetchone()
        if row is None:
            raise sqlite3.DatabaseError("no total")
        self.total = int(row[0])
        self._query = "SELECT freq FROM words WHERE word = ?"

    def frequency(self, word: str) -> int | None:
        row = self._connection.execute(self._query, (word,)).fetchone()
        return None if row is None else int(row[0])

    def found_in(self, text: str, known: dict[str, int], seen: dict[str, bool]) -> None:
        """Put in `known` every substring of `text` the dictionary holds, unless `known` has it
        already (an added word keeps its own frequency). `seen`: substrings already asked about."""
        for start in range(len(text)):
            for end in range(start + 1, len(text) + 1):
                fragment = text[start:end]
                present = seen.get(fragment)
                if present is None:
                    frequency = self.frequency(fragment)
                    present = seen[fragment] = frequency is not None
                    if frequency is not None and fragment not in known:
                        known[fragment] = frequency
                if not present:  # every word's prefixes are held: nothing longer from here is
                    break


def word_table(folder: Path = FOLDER) -> WordTable | None:
    """The table for the installed jieba, made on first use; None where it cannot be made or read."""
    with _LOCK:
        if folder not in _OPENED:
            _OPENED[folder] = _opened(folder)
        return _OPENED[folder]


def _opened(folder: Path) -> WordTable | None:
    try:
        import jieba

        with jieba.dt.get_dict_file() as source:  # jieba opens it; closed here
            data = source.read()
        name = f"{metadata.version('jieba')}-{hashlib.sha256(data).hexdigest()[:16]}.sqlite"
        path = folder / name
        if not path.is_file():
            _make(path, data)
        return WordTable(path)
    except (OSError, sqlite3.Error, ValueError):
        return None


def _make(path: Path, data: bytes) -> None:
    """The table from dict.txt's bytes, as jieba's own gen_pfdict reads them, written atomically."""
    import io

    import jieba

    frequencies, total = jieba.Tokenizer.gen_pfdict(io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        with sqlite3.connect(temporary) as connection:
            connection.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID")
            connection.executemany("INSERT INTO words VALUES (?, ?)", [("", total), *sorted(frequencies.items())])
        connection.close()
        os.chmod(temporary, 0o644)  # as readable as the code beside it
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


class PartialTokenizer:
    """A jieba Tokenizer that fetches the words of each text from a WordTable before using it."""

    def __init__(self, table: WordTable) -> None:
        import jieba

        self.table = table
        self.inner: Any = jieba.Tokenizer()
        self.inner.FREQ = {}
        self.inner.total = table.total
        self.inner.initialized = True
        self.seen: dict[str, bool] = {}
        self.characters = 0  # of the texts fetched for: past some size, loading everything is quicker

    def _fetch(self, text: str) -> None:
        self.characters += len(text)
        self.table.found_in(text, self.inner.FREQ, self.seen)

    def add_word(self, word: str) -> None:
        self._fetch(word)
        self.inner.add_word(word)

    def cut(self, sentence: str, HMM: bool = True) -> list[str]:
        self._fetch(sentence)
        return list(self.inner.cut(sentence, HMM=HMM))

    def lcut(self, sentence: str, HMM: bool = True) -> list[str]:
        return self.cut(sentence, HMM)

    def lcut_for_search(self, sentence: str, HMM: bool = True) -> list[str]:
        self._fetch(sentence)
        return self.inner.lcut_for_search(sentence, HMM=HMM)
