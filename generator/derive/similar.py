"""Similar-case retrieval (类案检索): documents → weighted sparse vectors → related lists and free-text queries.

Takes the records and typical entries one audience may see and gives, for each of them, the most
similar others with the reasons a reader can check (同属类案、共同关键词、同一依据 …); and, for a
free-text case description, the closest entries. An index is built from exactly the documents it
may return, once per audience: nothing hidden is ever linked, and no word of a hidden document
enters the vocabulary or the idf (so `export_client_model` cannot leak one either).

Why it is built this way (measured on the sample library and tests/data/similar_eval.yaml; the
floors are held by tests/test_similar.py, the 10,000-record timing by `casebook bench`):
- Words come from jieba, with the library's own terms added (class names, topics, tags, entry
  keywords, matching rules, units, subjects) so that 不动产权证 or 农民工工资 stay whole in the
  reasons and in the browser's vocabulary; each long word also yields the shorter words inside it
  (不动产权证 → 不动产、权证), so texts that write 不动产证 and 不动产权证 still share 不动产.
  jieba is the cost of a cold build (about 1 s per 1,000 records); a sentence seen before is not
  cut again.
- A document is one sparse vector of feature groups — text words, 具体问题, tags, 类案, policy
  articles, mechanisms, 问题领域 — each group of unit length and scaled by √weight, so a dot
  product is the weighted sum of the per-group cosines. Text words weigh (1 + ln tf) · idf.
  precision@5 (same class in the top 5, sample records), text group alone / all groups but 类案:
  raw tf 0.83 / 0.95, (1 + ln tf) 0.87 / 0.975, BM25 (k1 1.2–2) 0.86–0.87 / 0.97–0.98; BM25 is
  not symmetric and gains nothing here, so the simpler weighting stays.
- Pairs come from a sparse matrix product in row blocks and a partition per row (numpy/scipy),
  on vectors pruned to their `KEEP_TERMS` strongest words. A document is compared with its
  neighbourhood, not with every other (`Neighbourhoods`): the documents near it in the order
  问题领域 → 类案 → 具体问题 → id, at most 3 × NEIGHBOURHOOD of them. All pairs grow with the
  square (100,000 records: 950 s, against 3.5 s at 10,000), a neighbourhood does not; up to
  2 × NEIGHBOURHOOD documents every neighbourhood is the whole library, so small libraries
  are compared all with all. What it misses is a document alike in words but of another
  问题领域, 类案 and 具体问题 — which those three features (1.0 of the 2.5 a score can reach)
  rank low anyway.
- Output is deterministic: documents are ordered by (kind, id), scores rounded before ranking
  so equal scores are broken by id, and each library gets its own copy of jieba's dictionary.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy import sparse

from ..contract import CaseRecord, TypicalEntry
from ..library import Library
from .facts import LazyRecord
from .jieba_words import PartialTokenizer, word_table

Kind = Literal["record", "typical", "text"]
KIND_ORDER = {"typical": 0, "record": 1, "text": 2}

# Function words and the boilerplate of every petition text: they would make any two records
# look alike. idf lowers them too, but dropping them keeps the reasons shown to readers clean.
_STOP_WORDS = """
的 了 和 与 及 或 在 对 被 将 把 为 是 有 等 并 于 其 该 已 未 也 又 再 就 都 而 但 后 前 中 时 由
向 从 到 以 按 给 让 使 从而 以及 并且 或者 因为 所以 由于 如果 虽然 但是 还是 这个 那个 这些 那些
一个 一些 其中 之后 之前 期间 目前 至今 已经 仍然 还有 没有 不是 不能 可以 需要 应当 进行 开展 提出
认为 表示 称 要求 反映 信访人 信访 问题 情况 有关 相关 方面 工作 部分 多次 一直 经过 通过 根据 按照
依据 此外 同时 另外 近期 当年 今年 去年 某 某某 张某 李某 王某 张某某 李某某 王某某 年 月 日 号 户
人 名 元 万元 亩 平方米
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
# Single characters are noise except these, which carry the matter on their own in petition Chinese.
MEANINGFUL_SINGLES = frozenset("房地证薪税费林田桥路")
_CJK_OR_LETTER = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]")
_DIGIT = re.compile(r"\d")
# jieba's HMM guesses words missing from its dictionary (a 楼盘's name); it costs little next to
# jieba's dictionary lookups (measured: same build time with it off).
HMM = True
_SENTENCE = re.compile(r"[。！？；\n]+")
# Characters of new sentences cut reading jieba's dictionary a word at a time (jieba_words.py);
# beyond, the whole dictionary is loaded (1–1.5 s), quicker than some 50,000 lookups.
PARTIAL_UP_TO = 20_000

Grouped = dict[str, dict[str, float]]
GROUPS = ("text", "topic", "tag", "class", "policy", "mechanism", "domain")


@dataclass(frozen=True)
class Weights:
    """How much each feature group counts; a score is Σ weight · cosine of that group."""

    text: float = 1.0
    topic: float = 0.25
    tag: float = 0.25
    class_: float = 0.6
    policy: float = 0.2
    mechanism: float = 0.05
    domain: float = 0.15

    def of(self, group: str) -> float:
        return self.class_ if group == "class" else float(getattr(self, group))


DEFAULT_WEIGHTS = Weights()
# Text words per document in the all-pairs product (see `prune`): precision@5 0.975 against
# 0.981 with all words, and `related` for 10,000 records in 3.5 s instead of 5.5 s.
KEEP_TERMS = 48
# Every page lists its 5 most similar documents scoring at least 0.1.
RELATED_TOP = 5
RELATED_FLOOR = 0.1
QUERY_FLOOR = 0.05  # a free-text query (casebook similar) lists nothing less similar than this
# Documents per slice of the neighbourhood order; a document is compared with its slice and the two
# beside it (see `Neighbourhoods`).
NEIGHBOURHOOD = 512


# ── segmentation ────────────────────────────────────────────────────────────

_BASE_LOCK = threading.Lock()
_base_tokenizer: Any = None


def _jieba_base() -> Any:
    """jieba's default dictionary, loaded once per process (it takes about a second)."""
    global _base_tokenizer
    with _BASE_LOCK:
        if _base_tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.dt.initialize()
            _base_tokenizer = jieba.dt
        return _base_tokenizer


class Segmenter:
    """jieba with one library's domain words, on a private copy of the dictionary.

    A copy (8 ms) rather than jieba.add_word on the shared tokenizer: segmenting one library must
    not depend on which other libraries the same process loaded before (tests, bench), or two
    builds of the same input could differ. Cut sentences are kept in `cache`; a build that saves
    it (under `fingerprint`, which changes with the domain words) segments only new text next time.
    """

    def __init__(
        self, words: Iterable[str], cache: dict[str, list[str]] | None = None, blocked: Iterable[str] = ()
    ) -> None:
        """`cache` (sentence → terms) may come from an earlier build with the same `fingerprint`.

        `blocked` words (settings.yaml's protected names) are cut whole and never kept, so no
        reason shown to readers can name a person even when a text slipped one through.
        """
        # jieba, made when a sentence is not in `cache` (see _tokenizers)
        self._partial: tuple[Any, Any] | None = None
        self._full: tuple[Any, Any] | None = None
        self._may_go_partial = True
        self._inner_words: dict[str, list[str]] | None = None
        self._domain = sorted(w for w in {w.strip().lower() for w in words if w} if len(w) >= 2 and keep_term(w))
        self._blocked = frozenset(w.strip().lower() for w in blocked if w.strip())
        self._emit: dict[str, tuple[str, ...]] = {}
        self.cache: dict[str, list[str]] = cache if cache is not None else {}
        self.used: dict[str, list[str]] = {}  # what this segmenter cut or took from `cache`: what to keep
        self.fingerprint = hashlib.sha256(
            "\n".join(
                [metadata.version("jieba"), str(HMM), *sorted(STOP_WORDS), *self._domain, *sorted(self._blocked)]
            ).encode()
        ).hexdigest()[:16]

    @property
    def _jieba(self) -> Any:
        """jieba with the domain words and protected names added."""
        return self._tokenizers()[0]

    @property
    def _base(self) -> Any:
        """jieba with its own dictionary only (for the words inside a word, `expand`)."""
        return self._tokenizers()[1]

    def _tokenizers(self) -> tuple[Any, Any]:
        """(jieba with the library's words, jieba without), made when a sentence must be cut.

        While little text is cut (an update), both read jieba's dictionary a word at a time
        (jieba_words.py: the same cuts, without loading 350,000 words); past PARTIAL_UP_TO
        characters the whole dictionary is loaded and copied, which is quicker from there."""
        if self._partial is not None and self._partial[0].characters + self._partial[1].characters > PARTIAL_UP_TO:
            self._partial = None
        if self._partial is not None:
            return self._partial
        if self._full is None and self._may_go_partial:
            self._may_go_partial = False
            table = word_table()
            if table is not None:
                with_words = PartialTokenizer(table)
                for word in self._added_words():
                    with_words.add_word(word)
                with_words.characters = 0  # the library's words are fetched once: count the sentences
                self._partial = (with_words, PartialTokenizer(table))
                return self._partial
        if self._full is None:
            import jieba

            base = _jieba_base()
            tokenizer = jieba.Tokenizer()
            tokenizer.FREQ = dict(base.FREQ)
            tokenizer.total = base.total
            tokenizer.initialized = True
            for word in self._added_words():
                tokenizer.add_word(word)
            self._full = (tokenizer, base)
        return self._full

    def _added_words(self) -> list[str]:
        return [*self._domain, *sorted(self._blocked)]

    @property
    def _inner(self) -> dict[str, list[str]]:
        """Each domain word → the other domain words inside it (all pairs: made only when cutting)."""
        if self._inner_words is None:
            self._inner_words = {w: [d for d in self._domain if d != w and d in w] for w in self._domain}
        return self._inner_words

    def expand(self, word: str) -> tuple[str, ...]:
        """What one jieba word contributes: nothing, or itself and the shorter words inside it.

        The inner words are jieba's own cut of it and the library's words it contains:
        不动产权证 → 不动产、权证; 拖欠农民工工资 → 拖欠、农民工、工资、农民工工资. Cached per word.
        """
        found = self._emit.get(word)
        if found is None:
            found = ()
            normal = word.strip().lower()
            if keep_term(normal) and normal not in self._blocked:
                pieces: list[str] = []
                if len(normal) >= 3:
                    pieces = self._base.lcut(normal, HMM=False)
                    if len(pieces) == 1:
                        pieces = self._base.lcut_for_search(normal, HMM=False)
                pieces += self._inner.get(normal, [])
                found = (normal, *dict.fromkeys(p for p in pieces if p != normal and keep_term(p)))
            self._emit[word] = found
        return found

    def terms(self, text: str) -> list[str]:
        """The kept words of `text`, in order, each followed by its parts (see `expand`)."""
        out: list[str] = []
        for sentence in _SENTENCE.split(text):
            cached = self.cache.get(sentence)
            if cached is None:
                cached = [term for word in self._jieba.cut(sentence, HMM=HMM) for term in self.expand(word)]
                self.cache[sentence] = cached
            self.used[sentence] = cached
            out.extend(cached)
        return out


def keep_term(word: str) -> bool:
    """A word worth comparing: has a Chinese character or letter, no digit, not a stop word."""
    if not word or word in STOP_WORDS or _DIGIT.search(word) or not _CJK_OR_LETTER.search(word):
        return False
    return len(word) > 1 or word in MEANINGFUL_SINGLES


def import_jieba() -> None:
    """Import jieba now, with the cycle collector on and nothing large on the stack.

    Its first import raises and catches exceptions inside pkg_resources; each traceback keeps
    the frames below it alive in a cycle. Imported lazily during the similar pass, those frames
    held the pass's texts (10,250 at 10,000 records) until the stage's sweep, which walked
    everything derive made to find them (1.75 s at 100,000 records). build.py calls this first.

    SIGTERM and Ctrl+C wait until the import is done: code inside it (pkg_resources, its
    pyparsing) catches what is raised there, so the build's Terminated was once swallowed and
    the build went on to publish (tests/test_publish_safety.py, stopped in derive)."""
    import signal

    held = {signal.SIGTERM, signal.SIGINT}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held) if hasattr(signal, "pthread_sigmask") else None
    try:
        import jieba  # noqa: F401
    finally:
        if before is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def library_segmenter(library: Library) -> Segmenter:
    """A Segmenter that knows the library's own vocabulary and never keeps a protected name."""
    blocked = library.settings.model.protected_names if library.settings is not None else []
    return Segmenter(domain_words(library), blocked=blocked)


def domain_words(library: Library) -> set[str]:
    """The library's own vocabulary, added to jieba so these terms are never cut apart."""
    words: set[str] = set()
    for doc in library.classes:
        c = doc.model
        words |= {c.name, *c.matching.topics, *c.matching.keywords_any, *c.matching.keywords_all}
        words |= set(c.matching.exclude)
    for doc in library.records:
        r = doc.model
        words |= {r.topic, *r.tags, *r.mechanisms}
        if r.subject:
            words.add(r.subject)
    for doc in library.typical:
        e = doc.model
        words |= {*e.keywords, *e.tags, *e.mechanisms}
    if library.settings is not None:
        v = library.settings.model.vocabularies
        words |= {*v.units, *v.mechanisms, *v.petitioner_kinds, *v.flags, *(d.name for d in v.domains)}
    return words


# ── documents ───────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CaseText:
    """What similarity looks at in one record, typical entry or free-text description."""

    kind: Kind
    id: str
    title: str
    body: str
    domain: str | None = None
    topic: str | None = None
    tags: tuple[str, ...] = ()
    class_id: str | None = None
    policies: tuple[tuple[str, str | None], ...] = ()
    mechanisms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # a typical entry's source records

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def full_text(self) -> str:
        """Title, 具体问题, tags and body: what keyword rules look in."""
        return "\n".join([self.title, self.topic or "", "、".join(self.tags), self.body])


_TEXT_FIELDS = tuple(f.name for f in dataclasses.fields(CaseText))


class _LazyBodyText(CaseText):
    """A LazyRecord's CaseText: its body (the summary and demands, most of a record's text) is
    taken from the record only when read, which builds its model. A similar pass over unchanged
    records reads only their digests (from the memo), titles and keys."""

    @property  # type: ignore[override]
    def body(self) -> str:
        record = self.__dict__["_record"]
        return "\n".join([record.summary, *record.demands, record.subject or ""])

    def __repr__(self) -> str:  # a CaseText's own, which the similar pass's digests are made of
        return repr(CaseText(**{name: getattr(self, name) for name in _TEXT_FIELDS}))


def record_text(record: CaseRecord) -> CaseText:
    if isinstance(record, LazyRecord):
        facts = record.facts
        text = object.__new__(_LazyBodyText)  # the dataclass __init__ would set the body
        text.__dict__.update(
            kind="record",
            id=record.id,
            title=record.title,
            domain=record.domain,
            topic=record.topic,
            tags=tuple(record.tags),
            class_id=record.class_,
            policies=tuple((law, article) for law, article, _ in facts.policy),
            mechanisms=tuple(record.mechanisms),
            sources=(),
            _record=record,
        )
        return text
    return CaseText(
        kind="record",
        id=record.id,
        title=record.title,
        body="\n".join([record.summary, *record.demands, record.subject or ""]),
        domain=record.domain,
        topic=record.topic,
        tags=tuple(record.tags),
        class_id=record.class_,
        policies=tuple((p.law, p.article) for p in record.policy_basis),
        mechanisms=tuple(record.mechanisms),
    )


def entry_text(entry: TypicalEntry) -> CaseText:
    return CaseText(
        kind="typical",
        id=entry.id,
        title=entry.title,
        body="\n".join(
            [entry.subtitle or "", entry.background, *entry.difficulties, *entry.method, *entry.applicability]
        ),
        domain=entry.domain,
        tags=tuple(dict.fromkeys([*entry.keywords, *entry.tags])),
        class_id=entry.class_,
        policies=tuple((p.law, p.article) for p in entry.policy_basis),
        mechanisms=tuple(entry.mechanisms),
        sources=tuple(entry.records),
    )


def free_text(text: str, id: str = "query") -> CaseText:
    """A case description typed by a user: text only, no structured fields."""
    return CaseText(kind="text", id=id, title="", body=text)


def library_texts(library: Library) -> list[CaseText]:
    """Every record and typical entry of a library, ordered by (kind, id)."""
    texts = [record_text(d.model) for d in library.records] + [entry_text(d.model) for d in library.typical]
    return sorted(texts, key=sort_key)


def sort_key(text: CaseText) -> tuple[int, str]:
    return KIND_ORDER[text.kind], text.id


# ── neighbourhoods ──────────────────────────────────────────────────────────


def related_order(text: CaseText) -> tuple[str, str, str, int, str]:
    """Where a document stands among those it is compared with for its related list."""
    return text.domain or "", text.class_id or "", text.topic or "", KIND_ORDER[text.kind], text.id


def classify_order(text: CaseText) -> tuple[str, str, int, str]:
    """The same without the 类案: class suggestions must meet the neighbours of other classes."""
    return text.domain or "", text.topic or "", KIND_ORDER[text.kind], text.id


@dataclass(frozen=True)
class Neighbourhoods:
    """Which documents each document is compared with: a linear number, not all of them.

    The documents are put in an order that brings likely matches together (`related_order`), cut
    into slices of `size`; a document is compared with every document of its slice and of the
    slice on either side, so with at least `size` documents on each side of it in that order.
    Which slice a document is in depends only on the documents' order keys, never on their text:
    an edit that keeps 问题领域, 类案 and 具体问题 leaves every neighbourhood as it was, which is
    what lets the next build update the lists instead of making them anew (similar_update.py).
    """

    slice_of: np.ndarray  # row → its slice number (int32)
    members: tuple[np.ndarray, ...]  # slice → its rows, ascending

    @classmethod
    def of(cls, texts: Sequence[CaseText], order: Any, size: int | None = None) -> Neighbourhoods:
        """`size` documents a slice, by default NEIGHBOURHOOD (read when called, so tests can lower it)."""
        size = size or NEIGHBOURHOOD
        ranked = np.array(sorted(range(len(texts)), key=lambda i: order(texts[i])), dtype=np.int64)
        slice_of = np.empty(len(texts), dtype=np.int32)
        slice_of[ranked] = np.arange(len(texts), dtype=np.int64) // size
        members = tuple(np.sort(ranked[start : start + size]) for start in range(0, len(ranked), size))
        return cls(slice_of, members)

    def window(self, number: int) -> np.ndarray:
        """The rows a document of slice `number` is compared with, ascending."""
        return np.sort(np.concatenate(self.members[max(0, number - 1) : number + 2]))

    def near(self, rows: Sequence[int] | np.ndarray, columns: Sequence[int] | np.ndarray) -> np.ndarray:
        """Mask (rows × columns): which of `columns` each of `rows` is compared with."""
        left = self.slice_of[np.asarray(rows, dtype=np.int64)].astype(np.int64)
        right = self.slice_of[np.asarray(columns, dtype=np.int64)].astype(np.int64)
        return np.abs(left[:, None] - right[None, :]) <= 1


def positions_in(columns: np.ndarray, rows: Iterable[int]) -> list[int]:
    """Where each of `rows` stands in the ascending `columns`, skipping those not in it."""
    wanted = np.array(sorted(set(rows)), dtype=np.int64)
    if not len(wanted) or not len(columns):
        return []
    at = np.searchsorted(columns, wanted)
    inside = at < len(columns)
    at, wanted = at[inside], wanted[inside]
    return at[columns[at] == wanted].tolist()


class Scored(NamedTuple):
    """Rows scored against the documents they are compared with (`columns`, ascending)."""

    rows: list[int]
    columns: np.ndarray
    scores: np.ndarray  # len(rows) × len(columns)

    def lines(self) -> Iterator[tuple[int, np.ndarray]]:
        return zip(self.rows, self.scores, strict=True)

    def top(
        self, line: np.ndarray, top_k: int, min_score: float, excluded: Iterable[int]
    ) -> tuple[list[int], np.ndarray]:
        """`top_rows` of one line, as rows of the index, and their scores."""
        at = top_rows(line, top_k, min_score, positions_in(self.columns, excluded))
        return self.columns[at].tolist(), line[at]


# ── the index ───────────────────────────────────────────────────────────────


class Match(NamedTuple):
    """One similar document and why it is similar (a tuple: 50,000 of them are read back per build)."""

    kind: Kind
    id: str
    title: str
    class_id: str | None
    score: float
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


def shown_text(matches: Sequence[Match]) -> str:
    """What a page shows of a list of matches, as one text (render/pages.py shows exactly these
    fields: the score to two places, as printed, so a score moving in the fourth place does
    not make every page anew; the reasons joined). Plain tuples: their repr is made in C."""
    return repr([(m.kind, m.id, m.title, float(f"{m.score:.2f}"), "；".join(m.reasons)) for m in matches])


@dataclass
class SimilarityIndex:
    """Feature vectors of a fixed set of documents, ready for all-pairs top-k and queries."""

    texts: list[CaseText]
    segmenter: Segmenter
    weights: Weights
    keep_terms: int | None
    columns: dict[str, dict[str, int]]  # group → feature → matrix column
    idf: np.ndarray  # by column
    vectors: list[Grouped] = field(repr=False)  # per text: group → feature → weight, unit length per group
    strongest: list[Grouped] = field(repr=False)  # the same with `keep_terms` text words (see `prune`)
    matrix: sparse.csr_matrix = field(repr=False)  # rows = vectors, each group scaled by √weight
    pruned: sparse.csr_matrix = field(repr=False)  # rows = strongest, for all pairs
    position: dict[str, int] = field(repr=False)  # key → row
    related_near: Neighbourhoods = field(repr=False)  # whom each document is compared with for its list
    classify_near: Neighbourhoods = field(repr=False)  # … and for class suggestions

    @classmethod
    def build(
        cls,
        texts: Iterable[CaseText],
        segmenter: Segmenter,
        weights: Weights = DEFAULT_WEIGHTS,
        keep_terms: int | None = KEEP_TERMS,
        neighbourhood: int | None = None,
    ) -> SimilarityIndex:
        """Index `texts`, the only documents it will ever return.

        One Segmenter can serve the indexes of all audiences of a library: it remembers the
        sentences it has cut. `neighbourhood` (default NEIGHBOURHOOD) at least the number of texts
        compares all pairs.
        """
        ordered = sorted(texts, key=sort_key)
        raw = [raw_features(t, segmenter) for t in ordered]
        df: dict[str, Counter[str]] = {g: Counter() for g in GROUPS}
        for counts in raw:
            for group, features in counts.items():
                df[group].update(features.keys())
        columns: dict[str, dict[str, int]] = {}
        frequencies: list[int] = []
        for group in GROUPS:
            names = sorted(df[group])
            columns[group] = {name: len(frequencies) + i for i, name in enumerate(names)}
            frequencies += [df[group][name] for name in names]
        idf = np.log((len(ordered) + 1) / (np.array(frequencies, dtype=np.float64) + 1)) + 1.0
        vectors = [weigh(counts, columns, idf) for counts in raw]
        strongest = [prune(v, keep_terms) for v in vectors] if keep_terms else vectors
        return cls(
            texts=ordered,
            segmenter=segmenter,
            weights=weights,
            keep_terms=keep_terms,
            columns=columns,
            idf=idf,
            vectors=vectors,
            strongest=strongest,
            matrix=stack(vectors, columns, weights),
            pruned=stack(strongest, columns, weights),
            position={t.key: i for i, t in enumerate(ordered)},
            related_near=Neighbourhoods.of(ordered, related_order, neighbourhood),
            classify_near=Neighbourhoods.of(ordered, classify_order, neighbourhood),
        )

    def vector(self, text: CaseText) -> Grouped:
        """Weights of a document outside the index, against the index's vocabulary and idf."""
        return weigh(raw_features(text, self.segmenter), self.columns, self.idf)

    def related(
        self,
        top_k: int = RELATED_TOP,
        *,
        min_score: float = RELATED_FLOOR,
        ignore_class: bool = False,
        block: int | None = None,
    ) -> dict[str, list[Match]]:
        """For every document (by key), the `top_k` most similar others, best first.

        A typical entry never lists its own source records: its page shows them already.
        `ignore_class` leaves the 类案 feature out of the scores: what the content alone says,
        for measuring it and for checking assigned classes.
        """
        out = {
            self.texts[row].key: matches
            for row, _, _, matches in self.top_lists(range(len(self.texts)), top_k, min_score, ignore_class, block)
        }
        return {t.key: out[t.key] for t in self.texts}

    def top_lists(
        self, rows: Iterable[int], top_k: int, min_score: float, ignore_class: bool = False, block: int | None = None
    ) -> Iterator[tuple[int, list[int], np.ndarray, list[Match]]]:
        """Each of `rows` (in slice order) with its `top_k` most similar documents of its neighbourhood:
        (row, their rows, their float32 scores, the matches with reasons), on the pruned vectors.
        A typical entry never lists its own source records."""
        sources = self._source_rows()
        for scored in self.all_pairs(rows, ignore_class=ignore_class, pruned=True, block=block):
            for row, line in scored.lines():
                picked, values = scored.top(line, top_k, min_score, [row, *sources.get(row, ())])
                probe, vector = self.texts[row], self.strongest[row]
                matches = [self.match(probe, vector, o, v, self.strongest) for o, v in zip(picked, values, strict=True)]
                yield row, picked, values, matches

    def all_pairs(
        self,
        rows: Iterable[int],
        *,
        ignore_class: bool = False,
        pruned: bool = False,
        block: int | None = None,
        near: Neighbourhoods | None = None,
    ) -> Iterator[Scored]:
        """`rows` scored against their neighbourhoods (`related_near` unless `near` is given),
        one sparse product per block of rows of the same slice.

        `pruned` uses the vectors cut to `keep_terms` words (fast, for all pairs); otherwise the
        full vectors, the same that `scores` uses for a single document. `block`: rows a
        product, by default as many as keep its dense result near BLOCK_CELLS numbers. A score
        is the same float32 number whichever other columns its product holds: a sparse product
        sums over the left row's entries in their stored order.
        """
        near = near or self.related_near
        matrix = self.pruned if pruned else self.matrix
        left = matrix @ sparse.diags(self._class_mask()) if ignore_class else matrix
        by_slice: dict[int, list[int]] = {}
        for row in sorted(set(rows)):
            by_slice.setdefault(int(near.slice_of[row]), []).append(row)
        for number, wanted in sorted(by_slice.items()):
            columns = near.window(number)
            right = matrix[columns].T.tocsr()
            size = block or rows_per_block(len(columns))
            for start in range(0, len(wanted), size):
                chunk = wanted[start : start + size]
                yield Scored(chunk, columns, (left[chunk] @ right).toarray())

    def query(
        self,
        text: str | CaseText,
        top_k: int = 10,
        *,
        kinds: Iterable[Kind] = ("typical",),
        min_score: float = QUERY_FLOOR,
    ) -> list[Match]:
        """The documents of the given kinds closest to a free-text description (or any CaseText)."""
        probe = free_text(text) if isinstance(text, str) else text
        vector = self.vector(probe)
        scores = self.scores(vector)
        wanted = set(kinds)
        excluded = [i for i, t in enumerate(self.texts) if t.kind not in wanted or t.key == probe.key]
        picked = top_rows(scores, top_k, min_score, excluded)
        return [self.match(probe, vector, other, scores[other]) for other in picked]

    def scores(self, vector: Grouped, *, ignore_class: bool = False) -> np.ndarray:
        """Similarity of one weighted vector to every indexed document."""
        kept = {g: v for g, v in vector.items() if not (ignore_class and g == "class")}
        return (self.matrix @ stack([kept], self.columns, self.weights).T).toarray().ravel()

    def match(
        self, probe: CaseText, vector: Grouped, other: int, score: float, vectors: Sequence[Grouped] | None = None
    ) -> Match:
        target = self.texts[other]
        return Match(
            kind=target.kind,
            id=target.id,
            title=target.title,
            class_id=target.class_id,
            score=round(float(score), 4),
            reasons=interned(reasons(probe, vector, target, (vectors or self.vectors)[other])),
        )

    def _class_mask(self) -> np.ndarray:
        """1 for every feature column except the 类案 ones."""
        mask = np.ones(len(self.idf), dtype=np.float32)
        mask[list(self.columns["class"].values())] = 0.0
        return mask

    def _source_rows(self) -> dict[int, list[int]]:
        rows: dict[int, list[int]] = {}
        for i, t in enumerate(self.texts):
            found = [self.position[f"record:{s}"] for s in t.sources if f"record:{s}" in self.position]
            if found:
                rows[i] = found
        return rows


BLOCK_CELLS = 16_000_000  # 128 MB of float64 scores (and as much again for the sparse product)


def rows_per_block(documents: int) -> int:
    """Rows of one all-pairs product: 1,024 up to 15,000 documents, fewer beyond, so that a
    block's dense scores stay near BLOCK_CELLS (1,024 rows of 100,000 took 3 GB at once)."""
    return max(32, min(1024, BLOCK_CELLS // max(1, documents)))


def top_rows(scores: np.ndarray, top_k: int, min_score: float, excluded: Sequence[int]) -> list[int]:
    """Indices of the `top_k` highest scores ≥ min_score, ties broken by index (= by kind and id)."""
    values = np.round(scores, 6)
    if len(excluded):
        values[np.asarray(excluded, dtype=np.int64)] = -1.0
    if top_k <= 0 or len(values) == 0:
        return []
    if len(values) > top_k:
        kth = np.partition(values, len(values) - top_k)[len(values) - top_k]
        candidates = np.flatnonzero(values >= max(kth, min_score))
    else:
        candidates = np.flatnonzero(values >= min_score)
    order = np.lexsort((candidates, -values[candidates]))
    return [int(candidates[i]) for i in order[:top_k]]


# ── features ────────────────────────────────────────────────────────────────


def raw_features(text: CaseText, segmenter: Segmenter) -> dict[str, Counter[str]]:
    """Group → feature → count: text words, 具体问题, tags, 类案, policy (law, law|article), mechanisms, 问题领域."""
    words = segmenter.terms(text.title) * 2 + segmenter.terms(text.body)
    for tag in (*text.tags, text.topic or ""):
        words += segmenter.terms(tag)
    counts: dict[str, Counter[str]] = {
        "text": Counter(words),
        "topic": Counter([text.topic] if text.topic else []),
        "tag": Counter(set(text.tags)),
        "class": Counter([text.class_id] if text.class_id else []),
        "policy": Counter({law for law, _ in text.policies} | {f"{law}|{a}" for law, a in text.policies if a}),
        "mechanism": Counter(set(text.mechanisms)),
        "domain": Counter([text.domain] if text.domain else []),
    }
    return {group: features for group, features in counts.items() if features}


Columns = Mapping[str, Mapping[str, int]]


def weigh(counts: Mapping[str, Mapping[str, int]], columns: Columns, idf: np.ndarray) -> Grouped:
    """(1 + ln tf) · idf per feature, each group of unit length; features unknown to `columns` are dropped."""
    out: Grouped = {}
    for group, features in counts.items():
        known = columns[group]
        weighted = {f: (1.0 + math.log(c)) * float(idf[known[f]]) for f, c in features.items() if f in known}
        if weighted:
            out[group] = unit(weighted)
    return out


def prune(vector: Grouped, keep_terms: int) -> Grouped:
    """Only the `keep_terms` strongest text words, renormalised.

    The dropped words are the commonest (lowest idf): they change a ranking least and cost most
    in the all-pairs product, whose work grows with the square of a word's document frequency.
    """
    text = vector.get("text", {})
    if len(text) <= keep_terms:
        return vector
    strongest = sorted(text.items(), key=lambda item: (-item[1], item[0]))[:keep_terms]
    return {**vector, "text": unit(dict(strongest))}


def unit(weighted: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in weighted.values()))
    return {k: v / norm for k, v in weighted.items()}


def stack(vectors: Sequence[Grouped], columns: Columns, weights: Weights) -> sparse.csr_matrix:
    """Rows of a CSR matrix, each group multiplied by √weight so dot products weigh groups by `weights`."""
    factors = {g: math.sqrt(weights.of(g)) for g in GROUPS}
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for vector in vectors:
        for group, features in vector.items():
            factor = factors[group]
            if factor:
                known = columns[group]
                indices += [known[f] for f in features]
                data += [v * factor for v in features.values()]
        indptr.append(len(indices))
    width = sum(len(c) for c in columns.values())
    return sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(vectors), width),
    )


# ── reasons ─────────────────────────────────────────────────────────────────

MAX_KEYWORDS = 4


def interned(texts: Iterable[str]) -> tuple[str, ...]:
    """One string for each reason however many lists give it (a few hundred distinct reasons
    among 500,000 lists at 100,000 records)."""
    return tuple(sys.intern(text) for text in texts)


def reasons(probe: CaseText, probe_groups: Grouped, target: CaseText, target_groups: Grouped) -> tuple[str, ...]:
    """Why two documents are similar, strongest evidence first, in the words readers use."""

    def shared(group: str, limit: int) -> list[str]:
        a, b = probe_groups.get(group), target_groups.get(group)
        if not a or not b:
            return []
        if len(b) < len(a):  # look up the shorter one's names in the longer: no set is made
            a, b = b, a  # (-x)·y is -(x·y) and x·y is y·x exactly, so the products are the same
        return [k for _, k in sorted([(-a[k] * b[k], k) for k in a if k in b])[:limit]]

    out: list[str] = []
    shown: list[str] = []  # names already given, so no keyword repeats them or a piece of them
    if probe.class_id and probe.class_id == target.class_id:
        out.append(f"同属类案 {probe.class_id}")
    if probe.topic and probe.topic == target.topic:
        out.append(f"同一具体问题：{probe.topic}")
        shown.append(probe.topic)
    tags = shared("tag", 3)
    shown += tags
    words = [w for w in shared("text", 3 * MAX_KEYWORDS) if not any(w in name for name in shown)]
    keywords = distinct_words(words, MAX_KEYWORDS)
    if keywords:
        out.append(f"共同关键词：{'、'.join(keywords)}")
    if tags:
        out.append(f"共同标签：{'、'.join(tags)}")
    articles: dict[str, list[str]] = {}
    for law, _, article in (name.partition("|") for name in shared("policy", 8)):
        if article and sum(map(len, articles.values())) < 2:
            articles.setdefault(law, []).append(article)
    if articles:
        out.append(f"同一依据：{'、'.join(f'《{law}》' + '、'.join(items) for law, items in articles.items())}")
    mechanisms = shared("mechanism", 2)
    if mechanisms:
        out.append(f"共同机制：{'、'.join(mechanisms)}")
    if not out and probe.domain and probe.domain == target.domain:
        out.append(f"同一问题领域：{probe.domain}")
    return tuple(out)


def distinct_words(words: Iterable[str], limit: int) -> list[str]:
    """Up to `limit` words in order, none part of another (权证 beside 不动产权证 is dropped).

    A longer word takes the place of the first of its parts already kept.
    """
    kept: list[str] = []
    for word in words:
        covered = False
        first = -1
        for i, k in enumerate(kept):
            if word in k:
                covered = True
                break
            if k in word:
                if first < 0:
                    first = i
                    kept[i] = word
                else:
                    kept[i] = ""
        if not covered and first < 0:
            kept.append(word)
        kept = [k for k in kept if k]
    return kept[:limit]


# ── the browser model ───────────────────────────────────────────────────────


EMPTY_CLIENT_MODEL: dict[str, Any] = {"version": 1, "maxTermLength": 0, "terms": [], "idf": [], "entries": []}


def export_client_model(
    index: SimilarityIndex,
    pages: Mapping[str, tuple[str, str]],
    class_names: Mapping[str, str] | None = None,
    *,
    digits: int = 4,
) -> dict[str, Any]:
    """A compact JSON-able model for assets/similar.js: the typical entries in `pages` only.

    `pages` maps a typical entry id to (title, url), the url as the page holding the text box
    links it (relative to that page). Entries not in `pages` are left out, and so is every word
    that appears in none of the exported entries. Only the text group is exported: a typed
    description has no tags, class or policy to compare.
    Layout: `terms` and `idf` in parallel; per entry `terms` (indices into them) and `weights`.
    """
    names = class_names or {}
    rows = [(i, t) for i, t in enumerate(index.texts) if t.kind == "typical" and t.id in pages]
    used = sorted({w for i, _ in rows for w in index.vectors[i].get("text", {})})
    position = {w: j for j, w in enumerate(used)}
    entries = []
    for i, t in rows:
        title, url = pages[t.id]
        items = sorted((position[w], v) for w, v in index.vectors[i].get("text", {}).items())
        entries.append(
            {
                "id": t.id,
                "title": title,
                "url": url,
                "class": t.class_id,
                "className": names.get(t.class_id or ""),
                "terms": [j for j, _ in items],
                "weights": [round(v, digits) for _, v in items],
            }
        )
    text_columns = index.columns["text"]
    return {
        "version": 1,
        "maxTermLength": max((len(w) for w in used), default=0),
        "terms": used,
        "idf": [round(float(index.idf[text_columns[w]]), digits) for w in used],
        "entries": entries,
    }
