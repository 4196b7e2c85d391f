"""Similar cases kept between builds: the next build re-scores only the documents that changed.

A full similar-case pass at 10,000 records costs about 20 s (vectors 10 s, all pairs 5–10 s,
reasons 10 s). After an edit, almost all of it would come out the same, so the build keeps, in
its cache folder, what the pass made: every document's vector (full and pruned), the document
frequencies, every top-5 list with its exact scores and reasons. The next build then:

1. re-weighs only the documents whose text changed (C), and those holding a word whose
   document frequency — hence idf — changed with them (D ⊇ C);
2. scores the D rows against everything (as a full pass would) and every other row against
   the D columns only, merging those scores into the row's kept top 5;
3. computes reasons only for pairs that involve a D document.

**Exact, not approximate**: the result equals a full pass bit for bit, which tests prove over
random edit sequences. What makes it so:
- idf comes from the whole df array in the full pass's own expression, so every value is the
  one a full pass computes;
- a sparse product sums each score over the left row's stored entries in their stored order,
  whatever the right-hand matrix holds besides, so a row scored against D columns alone gets
  the same float32 scores as in the full product;
- a kept list is merged only when that is provably its new top 5: if one of its members
  (changed) scores lower now, the sixth-best document is unknown and the row is scored in full.
A different set of documents (added, removed, renamed: idf moves for every word), other
neighbourhoods (a 问题领域, 类案 or 具体问题 changed: see similar.Neighbourhoods), another
segmenter (domain words, protected names), another generator, or more than 60 % of the
documents to rescore (a common word added to one text moves its idf everywhere): a full pass.

Kept as JSON and .npy arrays read with allow_pickle=False: reading a cache never runs code.
"""

from __future__ import annotations

import io
import math
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np
from scipy import sparse

from .. import cache_json
from ..contract import CaseClass, CaseRecord
from ..dependencies import code_digest
from ..state import key_of
from ..workdir import write_atomically
from .classify import NEIGHBOUR_FLOOR, NEIGHBOURS, Classifier, Suggestion
from .similar import (
    GROUPS,
    CaseText,
    Grouped,
    Match,
    Neighbourhoods,
    Segmenter,
    SimilarityIndex,
    Weights,
    classify_order,
    prune,
    raw_features,
    record_text,
    related_order,
    shown_text,
    sort_key,
    weigh,
)

FOLDER = "similar"
META_FILE = "meta.json"
ARRAYS_FILE = "arrays.npz"
FORMAT = 4  # 2: the neighbourhoods kept with the lists; 3: the lists as arrays and two tables; 4: CRC-32
# Above this share of rescored documents a full pass costs as much (10,000 records, one summary
# given a common word: 5,111 rescored, the update 24 s against 30 s for a full pass).
FULL_PASS_FROM = 0.6


# ── vectors as arrays ───────────────────────────────────────────────────────


@dataclass(frozen=True)
class RowArrays:
    """Grouped vectors as CSR-like arrays, each row's entries in the vector's own dict order.

    That order is the order a sparse product sums a row in, so it is kept exactly."""

    indptr: np.ndarray  # int64, rows + 1
    indices: np.ndarray  # int32 column of each entry
    values: np.ndarray  # float64 weight of each entry (unit length per group, unscaled)

    @classmethod
    def of(cls, vectors: Sequence[Grouped], columns: dict[str, dict[str, int]]) -> RowArrays:
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for vector in vectors:
            for group, features in vector.items():
                known = columns[group]
                indices += [known[f] for f in features]
                values += features.values()
            indptr.append(len(indices))
        return cls(
            np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int32), np.array(values, dtype=np.float64)
        )

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.values[start:end]

    def rows_holding(self, columns: np.ndarray) -> np.ndarray:
        """Rows with an entry in any of `columns`, ascending."""
        if not len(columns) or not len(self.indices):
            return np.array([], dtype=np.int64)
        hit = np.flatnonzero(np.isin(self.indices, columns))  # the owner of each hit, not of every entry
        return np.unique(np.searchsorted(self.indptr, hit, side="right") - 1).astype(np.int64)

    def spliced(self, remap: np.ndarray | None, replaced: dict[int, tuple[np.ndarray, np.ndarray]]) -> RowArrays:
        """These rows with columns renumbered by `remap` (old → new) and some rows replaced whole."""
        indices = remap[self.indices] if remap is not None else self.indices
        if not replaced:
            return RowArrays(self.indptr, indices.astype(np.int32), self.values)
        index_parts: list[np.ndarray] = []
        value_parts: list[np.ndarray] = []
        lengths = np.diff(self.indptr)
        start = 0
        for row in sorted(replaced):
            kept_end = int(self.indptr[row])
            index_parts += [indices[int(self.indptr[start]) : kept_end], replaced[row][0]]
            value_parts += [self.values[int(self.indptr[start]) : kept_end], replaced[row][1]]
            lengths[row] = len(replaced[row][0])
            start = row + 1
        index_parts.append(indices[int(self.indptr[start]) :])
        value_parts.append(self.values[int(self.indptr[start]) :])
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return RowArrays(indptr, np.concatenate(index_parts).astype(np.int32), np.concatenate(value_parts))

    def matrix(self, column_groups: np.ndarray, width: int, weights: Weights) -> sparse.csr_matrix:
        """The rows scaled by √weight of their group: the same matrix `similar.stack` makes."""
        factors = np.array([math.sqrt(weights.of(g)) for g in GROUPS], dtype=np.float64)
        entry_factor = factors[column_groups[self.indices]] if len(self.indices) else np.array([], dtype=np.float64)
        keep = entry_factor != 0
        if keep.all():  # no group weighs 0 (the default): every entry stays, the rows as they are
            data = (self.values * entry_factor).astype(np.float32)
            indices = self.indices.astype(np.int32)  # a copy: scipy may sort a matrix's indices in place
            return sparse.csr_matrix((data, indices, self.indptr.astype(np.int64)), shape=(len(self), width))
        data = (self.values * entry_factor)[keep].astype(np.float32)
        owners = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.indptr))
        lengths = np.bincount(owners[keep], minlength=len(self))
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return sparse.csr_matrix((data, self.indices[keep].astype(np.int32), indptr), shape=(len(self), width))


class RowVectors(Sequence[Grouped]):
    """`SimilarityIndex.vectors` read from RowArrays: a row becomes a dict only when asked for."""

    def __init__(self, arrays: RowArrays, names: list[str], column_groups: np.ndarray) -> None:
        self.arrays = arrays
        self.names = names
        self.column_groups = column_groups
        self._made: dict[int, Grouped] = {}

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, i: int) -> Grouped:  # type: ignore[override]
        found = self._made.get(i)
        if found is None:
            found = {}
            indices, values = self.arrays.row(i)
            for column, value in zip(indices.tolist(), values.tolist(), strict=True):
                found.setdefault(GROUPS[self.column_groups[column]], {})[self.names[column]] = value
            self._made[i] = found
        return found

    def __iter__(self) -> Iterator[Grouped]:
        return (self[i] for i in range(len(self)))


def column_layout(columns: dict[str, dict[str, int]]) -> tuple[list[str], np.ndarray]:
    """Every column's feature name and group number, in column order."""
    names: list[str] = []
    groups: list[int] = []
    for number, group in enumerate(GROUPS):
        ordered = sorted(columns.get(group, {}).items(), key=lambda item: item[1])
        names += [name for name, _ in ordered]
        groups += [number] * len(ordered)
    return names, np.array(groups, dtype=np.int16)


# ── what one build keeps ────────────────────────────────────────────────────


@dataclass
class Kept:
    """One build's similar-case pass, as the next build reads it."""

    settings: str  # key of everything besides the documents that the pass depends on
    keys: list[str]  # document keys in index order
    digests: list[str]  # per document, of its CaseText
    names: list[str]  # feature name of every column
    column_groups: np.ndarray  # group number of every column
    df: np.ndarray  # document frequency of every column
    vectors: RowArrays
    strongest: RowArrays
    top_rows: np.ndarray  # (documents, top_k) int32, -1 where a list is shorter
    top_scores: np.ndarray  # (documents, top_k) float32, the scores as the product gave them
    matches: Sequence[list[Match]]  # a list, or MatchRows (read back, read a list at a time)
    related_slices: np.ndarray  # Neighbourhoods.slice_of of the related lists
    classify_slices: np.ndarray  # … and of the class suggestions
    # per document, key_of(similar.shown_text(its list)): a list carried over unchanged keeps its
    # key, so the pages' keys need not spell 500,000 matches out again (2.5 s at 100,000 records)
    shown: list[str] = field(default_factory=list)


def pass_settings(segmenter: Segmenter, weights: Weights, keep_terms: int | None, top_k: int, min_score: float) -> str:
    return key_of(code_digest(), segmenter.fingerprint, repr(weights), repr(keep_terms), str(top_k), repr(min_score))


def text_digest(text: CaseText) -> str:
    return key_of(repr(text))


def shown_key(matches: Sequence[Match]) -> str:
    """The key of what a page shows of a list (similar.shown_text)."""
    return key_of(shown_text(matches))


def _checksum(data: bytes) -> str:
    """Length and CRC-32 of the arrays: they catch a damaged or half-written file (the meta names
    them) at a fraction of a cryptographic digest's cost (243 MB at 100,000 records: 0.5 s)."""
    return f"{len(data)}-{zlib.crc32(data):08x}"


def save_kept(folder: Path | None, kept: Kept) -> None:
    """Write the pass for the next build (atomically, two files under one meta digest)."""
    if folder is None:
        return
    arrays = {
        "column_groups": kept.column_groups,
        "df": kept.df,
        "top_rows": kept.top_rows,
        "top_scores": kept.top_scores,
        "related_slices": kept.related_slices,
        "classify_slices": kept.classify_slices,
    }
    for name, rows in (("vectors", kept.vectors), ("strongest", kept.strongest)):
        arrays |= {f"{name}_indptr": rows.indptr, f"{name}_indices": rows.indices, f"{name}_values": rows.values}
    tables, match_arrays = matches_encoded(kept.matches)
    arrays |= match_arrays
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    meta = {
        "format": FORMAT,
        "settings": kept.settings,
        "arrays": _checksum(data),
        "keys": kept.keys,
        "digests": kept.digests,
        "names": kept.names,
        "shown": kept.shown,
        **tables,
    }
    write_atomically(folder / FOLDER / ARRAYS_FILE, data)
    write_atomically(folder / FOLDER / META_FILE, cache_json.dumps(meta))


def matches_encoded(matches: Sequence[list[Match]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every document's list as arrays of numbers, and two tables: the documents named (kind, id,
    title, class) and the reasons given, each once.

    As JSON, a list of 5 matches per document each spelling out its document and reasons was
    235 MB at 100,000 records, 5.9 s to read back and 4.6 s to write every build. Lists read
    back and carried over unchanged (MatchRows) are copied as they were stored, a run of rows
    at a time: only the lists given anew are spelled out (2.6 s less at 100,000 records)."""
    if isinstance(matches, MatchRows):
        return matches.stored.encoded_with(matches.given)
    return _Encoder([], []).encoded(matches)


class _Encoder:
    """Lists into the arrays of matches_encoded, the tables growing as new documents and reasons come."""

    def __init__(self, labels: list[list[Any]], reasons: list[str]) -> None:
        self.labels, self.reasons = labels, reasons
        self.label_ids: dict[tuple[Any, ...], int] = {tuple(label): i for i, label in enumerate(labels)}
        self.reason_ids: dict[str, int] = {reason: i for i, reason in enumerate(reasons)}

    def rows(self, rows: Iterable[list[Match]]) -> dict[str, np.ndarray]:
        counts: list[int] = []
        label_ids: list[int] = []
        scores: list[float] = []
        reason_counts: list[int] = []
        reason_ids: list[int] = []
        for row in rows:
            counts.append(len(row))
            for match in row:
                label = (match.kind, match.id, match.title, match.class_id)
                number = self.label_ids.get(label)
                if number is None:
                    number = self.label_ids[label] = len(self.labels)
                    self.labels.append(list(label))
                label_ids.append(number)
                scores.append(match.score)
                reason_counts.append(len(match.reasons))
                for reason in match.reasons:
                    found = self.reason_ids.get(reason)
                    if found is None:
                        found = self.reason_ids[reason] = len(self.reasons)
                        self.reasons.append(reason)
                    reason_ids.append(found)
        return {
            "match_counts": np.array(counts, dtype=np.int32),
            "match_labels": np.array(label_ids, dtype=np.int32),
            "match_scores": np.array(scores, dtype=np.float64),
            "reason_counts": np.array(reason_counts, dtype=np.int32),
            "reason_ids": np.array(reason_ids, dtype=np.int32),
        }

    def encoded(self, matches: Sequence[list[Match]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = self.rows(matches)
        return {"labels": self.labels, "reasons": self.reasons}, arrays


RELABEL_FROM = 1_000  # documents in the table: past twice this and twice those still named, all is encoded anew
MATCH_ARRAYS = ("match_counts", "match_labels", "match_scores", "reason_counts", "reason_ids")


class StoredMatches:
    """The arrays and tables of matches_encoded, checked whole, read a list at a time."""

    def __init__(self, tables: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        labels, reasons = tables["labels"], tables["reasons"]
        if not isinstance(labels, list) or not all(
            isinstance(label, list)
            and len(label) == 4
            and all(isinstance(part, str) for part in label[:3])
            and (label[3] is None or isinstance(label[3], str))
            for label in labels
        ):
            raise ValueError("similar-case documents of the wrong shape")
        if not isinstance(reasons, list) or not all(isinstance(reason, str) for reason in reasons):
            raise ValueError("similar-case reasons of the wrong shape")
        self.labels = [[sys.intern(kind), id_, title, class_] for kind, id_, title, class_ in labels]
        self.reasons: list[str] = reasons
        counts, label_ids, scores, reason_counts, reason_ids = (arrays[name] for name in MATCH_ARRAYS)
        if any(len(array) and array.min() < 0 for array in (counts, label_ids, reason_counts, reason_ids)):
            raise ValueError("a negative count or index")  # a list would take it from its end
        if int(counts.sum()) != len(label_ids) or len(scores) != len(label_ids) or len(reason_counts) != len(label_ids):
            raise ValueError("similar-case lists do not add up")
        if int(reason_counts.sum()) != len(reason_ids):
            raise ValueError("similar-case reasons do not add up")
        if (len(label_ids) and label_ids.max() >= len(labels)) or (
            len(reason_ids) and reason_ids.max() >= len(reasons)
        ):
            raise ValueError("an index past its table")
        self.arrays = {name: arrays[name] for name in MATCH_ARRAYS}
        self.starts = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        self.reason_starts = np.concatenate(([0], np.cumsum(reason_counts, dtype=np.int64)))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def row(self, row: int) -> list[Match]:
        first, last = int(self.starts[row]), int(self.starts[row + 1])
        label_ids = self.arrays["match_labels"][first:last].tolist()
        scores = self.arrays["match_scores"][first:last].tolist()
        bounds = self.reason_starts[first : last + 1].tolist()
        reason_ids = self.arrays["reason_ids"][bounds[0] : bounds[-1]].tolist() if bounds else []
        found = []
        for number, (label, score) in enumerate(zip(label_ids, scores, strict=True)):
            kind, id_, title, class_ = self.labels[label]
            said = tuple(
                self.reasons[i] for i in reason_ids[bounds[number] - bounds[0] : bounds[number + 1] - bounds[0]]
            )
            found.append(Match(kind, id_, title, class_, score, said))
        return found

    def encoded_with(self, given: dict[int, list[Match]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """These lists, those in `given` replaced: runs of stored rows copied, the given ones encoded.

        The tables keep every document and reason stored before; when most of them are no longer
        named by any list (documents retitled many times over), everything is encoded afresh."""
        encoder = _Encoder(list(self.labels), list(self.reasons))
        parts: dict[str, list[np.ndarray]] = {name: [] for name in MATCH_ARRAYS}
        at = 0
        for row in [*sorted(given), len(self)]:
            if row > at:  # stored rows at..row-1, as they are
                first, last = int(self.starts[at]), int(self.starts[row])
                parts["match_counts"].append(self.arrays["match_counts"][at:row])
                for name in ("match_labels", "match_scores", "reason_counts"):
                    parts[name].append(self.arrays[name][first:last])
                parts["reason_ids"].append(
                    self.arrays["reason_ids"][self.reason_starts[first] : self.reason_starts[last]]
                )
            if row < len(self):
                for name, array in encoder.rows([given[row]]).items():
                    parts[name].append(array)
            at = row + 1
        arrays = {
            name: np.concatenate(chunks).astype(self.arrays[name].dtype, copy=False)
            if chunks
            else self.arrays[name][:0]
            for name, chunks in parts.items()
        }
        named = np.unique(arrays["match_labels"]).size
        if len(encoder.labels) > 2 * max(named, RELABEL_FROM):
            return _Encoder([], []).encoded(MatchRows(self, given))
        return {"labels": encoder.labels, "reasons": encoder.reasons}, arrays


class MatchRows(Sequence[list[Match]]):
    """Every document's list: read from the stored arrays when asked for (a build reads a few),
    or as given anew by this build's update."""

    def __init__(self, stored: StoredMatches, given: dict[int, list[Match]]) -> None:
        self.stored, self.given = stored, given
        self.size = len(stored)

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, row: int) -> list[Match]: ...
    @overload
    def __getitem__(self, row: slice) -> list[list[Match]]: ...
    def __getitem__(self, row: int | slice) -> list[Match] | list[list[Match]]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(self.size))]
        if row < 0:
            row += self.size
        if not 0 <= row < self.size:
            raise IndexError(row)
        found = self.given.get(row)
        return found if found is not None else self.stored.row(row)

    def with_given(self, given: dict[int, list[Match]]) -> MatchRows:
        return MatchRows(self.stored, {**self.given, **given})


def rows_with(matches: Sequence[list[Match]], given: dict[int, list[Match]]) -> Sequence[list[Match]]:
    """`matches` with the lists of `given` put in their rows."""
    if isinstance(matches, MatchRows):
        return matches.with_given(given)
    return [given.get(row, found) for row, found in enumerate(matches)]


class RelatedLists(Mapping[str, list[Match]]):
    """Document key → its list, over MatchRows: a list is read when asked for."""

    def __init__(self, keys: list[str], rows: Sequence[list[Match]]) -> None:
        self.keys_in_order, self.rows = keys, rows
        self.position = {key: row for row, key in enumerate(keys)}

    def __getitem__(self, key: str) -> list[Match]:
        return self.rows[self.position[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_in_order)

    def __len__(self) -> int:
        return len(self.keys_in_order)


def matches_decoded(tables: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[list[Match]]:
    """matches_encoded, read back: the same lists, each document's and reason's strings shared."""
    stored = StoredMatches(tables, arrays)
    return [stored.row(row) for row in range(len(stored))]


def load_kept(folder: Path | None, settings: str) -> Kept | None:
    """The last pass if it was made under the same settings and is whole; None otherwise."""
    if folder is None:
        return None
    try:
        meta = cache_json.loads((folder / FOLDER / META_FILE).read_bytes())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("settings") != settings:
            return None
        data = (folder / FOLDER / ARRAYS_FILE).read_bytes()
        if _checksum(data) != meta.get("arrays"):
            return None
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        rows = {
            name: RowArrays(arrays[f"{name}_indptr"], arrays[f"{name}_indices"], arrays[f"{name}_values"])
            for name in ("vectors", "strongest")
        }
        matches = MatchRows(StoredMatches(meta, arrays), {})
        kept = Kept(
            settings=settings,
            keys=list(meta["keys"]),
            digests=list(meta["digests"]),
            names=list(meta["names"]),
            column_groups=arrays["column_groups"],
            df=arrays["df"],
            vectors=rows["vectors"],
            strongest=rows["strongest"],
            top_rows=arrays["top_rows"],
            top_scores=arrays["top_scores"],
            matches=matches,
            related_slices=arrays["related_slices"],
            classify_slices=arrays["classify_slices"],
            shown=[str(key) for key in meta["shown"]],
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, EOFError, IndexError):
        return None
    n = len(kept.keys)
    if not (len(kept.digests) == len(kept.matches) == len(kept.vectors) == len(kept.strongest) == len(kept.shown) == n):
        return None
    if len(kept.names) != len(kept.df) or len(kept.column_groups) != len(kept.df) or len(kept.top_rows) != n:
        return None
    return kept


# ── the update ──────────────────────────────────────────────────────────────


@dataclass
class Pass:
    """The index and the top lists of one build, and how much of it was made anew."""

    index: SimilarityIndex
    related: Mapping[str, list[Match]]  # a dict, or RelatedLists over the kept lists
    kept: Kept
    rescored_rows: list[int]  # documents whose vector was made again (all of them in a full pass)
    full: bool

    @property
    def rescored(self) -> int:
        return len(self.rescored_rows)

    @property
    def unchanged(self) -> bool:
        """Nothing differs from the kept pass: it need not be written again."""
        return not self.full and not self.rescored_rows


def similar_pass(
    texts: Sequence[CaseText],
    segmenter: Segmenter,
    kept: Kept | None,
    *,
    settings: str,
    weights: Weights,
    keep_terms: int | None,
    top_k: int,
    min_score: float,
    digest_of: Callable[[CaseText], str] = text_digest,
) -> Pass:
    """`SimilarityIndex.build(texts).related(top_k)`, updated from `kept` where that is exact.

    `digest_of`: text_digest, or what gives the same (a memo of it: derive/site.py)."""
    ordered = sorted(texts, key=sort_key)
    keys = [t.key for t in ordered]
    digests = [digest_of(t) for t in ordered]
    if kept is not None and kept.keys == keys and kept.settings == settings:
        changed = [i for i, (old, new) in enumerate(zip(kept.digests, digests, strict=True)) if old != new]
        near = (Neighbourhoods.of(ordered, related_order), Neighbourhoods.of(ordered, classify_order))
        same_near = np.array_equal(near[0].slice_of, kept.related_slices) and np.array_equal(
            near[1].slice_of, kept.classify_slices
        )
        if same_near and len(changed) <= FULL_PASS_FROM * len(ordered):
            return _updated(ordered, digests, changed, segmenter, kept, near, weights, keep_terms, top_k, min_score)
    index = SimilarityIndex.build(ordered, segmenter, weights, keep_terms)
    related, top = _related_full(index, top_k, min_score)
    names, column_groups = column_layout(index.columns)
    return Pass(
        index=index,
        related=related,
        kept=Kept(
            settings=settings,
            keys=keys,
            digests=digests,
            names=names,
            column_groups=column_groups,
            df=_document_frequencies(index, len(names)),
            vectors=RowArrays.of(index.vectors, index.columns),
            strongest=RowArrays.of(index.strongest, index.columns),
            top_rows=top[0],
            top_scores=top[1],
            matches=[related[key] for key in keys],
            related_slices=index.related_near.slice_of,
            classify_slices=index.classify_near.slice_of,
            shown=[shown_key(related[key]) for key in keys],
        ),
        rescored_rows=list(range(len(ordered))),
        full=True,
    )


def _document_frequencies(index: SimilarityIndex, width: int) -> np.ndarray:
    df = np.zeros(width, dtype=np.int64)
    for vector in index.vectors:
        for group, features in vector.items():
            known = index.columns[group]
            df[[known[f] for f in features]] += 1
    return df


def _related_full(index: SimilarityIndex, top_k: int, min_score: float) -> tuple[dict[str, list[Match]], tuple]:
    """`index.related` that also returns every list's rows and float32 scores, for the next build."""
    n = len(index.texts)
    rows_out = np.full((n, top_k), -1, dtype=np.int32)
    scores_out = np.zeros((n, top_k), dtype=np.float32)
    related: dict[str, list[Match]] = {}
    for row, picked, values, matches in index.top_lists(range(n), top_k, min_score):
        rows_out[row, : len(picked)] = picked
        scores_out[row, : len(picked)] = values
        related[index.texts[row].key] = matches
    return {t.key: related[t.key] for t in index.texts}, (rows_out, scores_out)


def _updated(
    ordered: list[CaseText],
    digests: list[str],
    changed: list[int],
    segmenter: Segmenter,
    kept: Kept,
    near: tuple[Neighbourhoods, Neighbourhoods],
    weights: Weights,
    keep_terms: int | None,
    top_k: int,
    min_score: float,
) -> Pass:
    n = len(ordered)
    old_names = kept.names
    # 1. document frequencies after the change: the changed documents' old features out, new ones in
    raw = {i: raw_features(ordered[i], segmenter) for i in changed}
    delta: Counter[tuple[int, str]] = Counter()
    for i in changed:
        for column in kept.vectors.row(i)[0].tolist():
            delta[(int(kept.column_groups[column]), old_names[column])] -= 1
        for group, features in raw[i].items():
            for feature in features:
                delta[(GROUPS.index(group), feature)] += 1
    delta = Counter({k: v for k, v in delta.items() if v})
    frequency = {
        (int(g), name): int(f)
        for g, name, f in zip(kept.column_groups.tolist(), old_names, kept.df.tolist(), strict=True)
    }
    for feature, change in delta.items():
        frequency[feature] = frequency.get(feature, 0) + change
    layout = sorted((g, name) for (g, name), f in frequency.items() if f > 0)
    if layout == [(int(g), name) for g, name in zip(kept.column_groups.tolist(), old_names, strict=True)]:
        remap = None
        names, column_groups = old_names, kept.column_groups
    else:
        position = {feature: i for i, feature in enumerate(layout)}
        remap = np.array(
            [position.get((int(g), name), -1) for g, name in zip(kept.column_groups.tolist(), old_names, strict=True)]
        )
        names = [name for _, name in layout]
        column_groups = np.array([g for g, _ in layout], dtype=np.int16)
    df = np.array([frequency[feature] for feature in layout], dtype=np.int64)
    columns: dict[str, dict[str, int]] = {g: {} for g in GROUPS}
    for i, (g, name) in enumerate(layout):
        columns[GROUPS[g]][name] = i
    # the full pass's own expression over the whole array: the same idf, value for value
    idf = np.log((n + 1) / (df.astype(np.float64) + 1)) + 1.0

    # 2. documents whose vector changes: the changed ones and every holder of a word whose df moved
    moved = np.array([i for i, (g, name) in enumerate(layout) if (g, name) in delta], dtype=np.int64)
    # the rows that hold a moved word, found among the kept rows' own columns (not all renumbered)
    moved_before = moved if remap is None else np.flatnonzero(np.isin(remap, moved))
    holders = kept.vectors.rows_holding(moved_before) if len(moved) else np.array([], dtype=np.int64)
    rescored = sorted(set(changed) | set(holders.tolist()))
    if len(rescored) > FULL_PASS_FROM * n:
        return similar_pass(
            ordered,
            segmenter,
            None,
            settings=kept.settings,
            weights=weights,
            keep_terms=keep_terms,
            top_k=top_k,
            min_score=min_score,
        )
    new_vectors: dict[int, Grouped] = {}
    new_strongest: dict[int, Grouped] = {}
    for i in rescored:
        counts = raw[i] if i in raw else raw_features(ordered[i], segmenter)
        new_vectors[i] = weigh(counts, columns, idf)
        new_strongest[i] = prune(new_vectors[i], keep_terms) if keep_terms else new_vectors[i]
    vector_rows = kept.vectors.spliced(remap, {i: _row(v, columns) for i, v in new_vectors.items()})
    strongest_rows = kept.strongest.spliced(remap, {i: _row(v, columns) for i, v in new_strongest.items()})
    width = len(names)
    vectors = RowVectors(vector_rows, names, column_groups)
    strongest = RowVectors(strongest_rows, names, column_groups)
    vectors._made.update(new_vectors)
    strongest._made.update(new_strongest)
    index = SimilarityIndex(
        texts=ordered,
        segmenter=segmenter,
        weights=weights,
        keep_terms=keep_terms,
        columns=columns,
        idf=idf,
        vectors=vectors,  # type: ignore[arg-type]
        strongest=strongest,  # type: ignore[arg-type]
        matrix=vector_rows.matrix(column_groups, width, weights),
        pruned=strongest_rows.matrix(column_groups, width, weights),
        position={t.key: i for i, t in enumerate(ordered)},
        related_near=near[0],
        classify_near=near[1],
    )

    # 3. the top lists: rescored rows in full, the others merged with their scores against the rescored
    top_rows_new = kept.top_rows.copy()
    top_scores_new = kept.top_scores.copy()
    given: dict[int, list[Match]] = {}  # rows given a list anew (their shown keys are made again)
    sources = index._source_rows()
    marked = Rescored(rescored, n)
    in_rescored = marked.position >= 0
    redo: list[int] = list(rescored)
    if rescored:
        others = np.flatnonzero(~in_rescored).tolist()
        against = index.pruned[rescored].T.tocsr()
        for start in range(0, len(others), 1024):
            chunk = others[start : start + 1024]
            # a row is compared with its neighbourhood only: the other rescored score nothing for it
            block = (index.pruned[chunk] @ against).toarray() * index.related_near.near(chunk, rescored)
            quiet = untouched_rows(chunk, block, kept, in_rescored, top_k, min_score)
            for row, line, stays in zip(chunk, block, quiet.tolist(), strict=True):
                if stays:
                    continue
                old = [int(r) for r in kept.top_rows[row].tolist() if r >= 0]
                merged = _merged(
                    old, kept.top_scores[row][: len(old)], marked, line, [row, *sources.get(row, ())], top_k, min_score
                )
                if merged is None:
                    redo.append(row)
                    continue
                picked, scores = merged
                if picked == old and not any(in_rescored[p] for p in picked):
                    continue
                top_rows_new[row] = -1
                top_rows_new[row, : len(picked)] = picked
                top_scores_new[row] = 0
                top_scores_new[row, : len(picked)] = scores
                reusable = {m_row: m for m_row, m in zip(old, kept.matches[row], strict=True)}
                probe, vector = ordered[row], strongest[row]
                given[row] = [
                    reusable[p] if p in reusable and not in_rescored[p] else index.match(probe, vector, p, s, strongest)
                    for p, s in zip(picked, scores, strict=True)
                ]
    for row, picked, values, found in index.top_lists(redo, top_k, min_score):
        top_rows_new[row] = -1
        top_rows_new[row, : len(picked)] = picked
        top_scores_new[row] = 0
        top_scores_new[row, : len(picked)] = values
        given[row] = found
    keys = [t.key for t in ordered]
    matches = rows_with(kept.matches, given)  # the others as they were kept, read only when asked for
    shown = list(kept.shown)
    for row, found in given.items():
        shown[row] = shown_key(found)
    return Pass(
        index=index,
        related=RelatedLists(keys, matches),
        kept=Kept(
            settings=kept.settings,
            keys=keys,
            digests=digests,
            names=names,
            column_groups=column_groups,
            df=df,
            vectors=vector_rows,
            strongest=strongest_rows,
            top_rows=top_rows_new,
            top_scores=top_scores_new,
            matches=matches,
            related_slices=near[0].slice_of,
            classify_slices=near[1].slice_of,
            shown=shown,
        ),
        rescored_rows=rescored,
        full=False,
    )


def _row(vector: Grouped, columns: dict[str, dict[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """One vector's (columns, weights) in its dict order, as RowArrays holds a row."""
    arrays = RowArrays.of([vector], columns)
    return arrays.indices, arrays.values


class Rescored:
    """The rescored rows, as a list for scoring and as lookups for merging (built once per pass)."""

    def __init__(self, rows: list[int], n: int) -> None:
        self.rows = rows
        self.array = np.array(rows, dtype=np.int64)
        self.position = np.full(n, -1, dtype=np.int64)  # row → its column among the rescored, or -1
        self.position[self.array] = np.arange(len(rows))

    def __contains__(self, row: int) -> bool:
        return bool(self.position[row] >= 0)


def untouched_rows(
    chunk: list[int], block: np.ndarray, kept: Kept, in_rescored: np.ndarray, top_k: int, min_score: float
) -> np.ndarray:
    """Which rows of `chunk` keep their top list as it was, known from their scores against the
    rescored documents (`block`) alone: no member of the list was rescored, and no rescored
    document reaches the list (below its last score, or below `min_score` while it has room).

    _merged would find the same for each of them, one row at a time in Python (1.3 s of a
    one-record edit at 10,000 records): here it is a few array operations for the block,
    and _merged is left the rows a rescored document may enter or leave. Strictly below the
    last score: at an equal score the order by row could let a rescored document in."""
    top = kept.top_rows[chunk]
    if top.shape[1] != top_k:  # kept for another list length: every row goes through _merged
        return np.zeros(len(chunk), dtype=bool)
    filled = top >= 0
    holds_rescored = (filled & in_rescored[np.where(filled, top, 0)]).any(axis=1)
    full = filled.sum(axis=1) == top_k
    last = np.round(kept.top_scores[chunk, top_k - 1].astype(np.float32), 6)
    threshold = np.where(full, last, min_score)
    best = np.round(block, 6).max(axis=1) if block.shape[1] else np.full(len(chunk), -np.inf)
    return ~holds_rescored & (best < threshold)


def _merged(
    old_rows: Sequence[int],
    old_scores: np.ndarray,
    rescored: Rescored,
    line: np.ndarray,
    excluded: Sequence[int],
    top_k: int,
    min_score: float,
    barred: np.ndarray | None = None,
) -> tuple[list[int], np.ndarray] | None:
    """A row's new top list from its kept one and its scores against the rescored documents (`line`).

    None when that cannot be known without scoring the row in full: a rescored member of a
    full list scores lower now (or is excluded), so a document below the list could enter it.
    `barred` (a mask over `line`) excludes rescored documents for every row alike. Ranking is
    `top_rows`' own: scores rounded to 6 places in float32, ties by row."""
    members = [(int(r), s) for r, s in zip(old_rows, old_scores, strict=True) if r >= 0]
    shut = set(excluded)
    rounded = np.round(line, 6)
    if len(members) == top_k:
        for member, score in members:
            j = rescored.position[member]
            if j >= 0 and (
                member in shut or (barred is not None and barred[j]) or rounded[j] < np.round(np.float32(score), 6)
            ):
                return None
    passing = rounded >= min_score
    if barred is not None:
        passing &= ~barred
    for row in shut:
        if rescored.position[row] >= 0:
            passing[rescored.position[row]] = False
    hits = np.flatnonzero(passing)
    if len(hits) > top_k:  # only the best top_k of them can enter (ties at the cut kept: ranked below)
        kth = np.partition(rounded[hits], len(hits) - top_k)[len(hits) - top_k]
        hits = hits[rounded[hits] >= kth]
    rows = [m for m, _ in members if rescored.position[m] < 0] + rescored.array[hits].tolist()
    scores = [np.float32(s) for m, s in members if rescored.position[m] < 0] + list(line[hits])
    if not rows:
        return [], np.array([], dtype=np.float32)
    row_array = np.array(rows, dtype=np.int64)
    score_array = np.array(scores, dtype=np.float32)
    values = np.round(score_array, 6)
    keep = np.flatnonzero(values >= min_score)
    order = keep[np.lexsort((row_array[keep], -values[keep]))][:top_k]
    return [int(r) for r in row_array[order]], score_array[order]


def changed_rows(kept: Kept | None, texts: Sequence[CaseText]) -> list[int] | None:
    """Rows whose text differs from the kept pass; None when the document set itself differs."""
    ordered = sorted(texts, key=sort_key)
    if kept is None or kept.keys != [t.key for t in ordered]:
        return None
    return [i for i, t in enumerate(ordered) if kept.digests[i] != text_digest(t)]


def describe(kept: Kept | None) -> dict[str, Any]:
    return {"documents": len(kept.keys) if kept else 0}


# ── class suggestions over the pass ─────────────────────────────────────────

SUGGESTIONS_FILE = "suggestions.json"


@dataclass
class KeptSuggestions:
    """Per record key: its neighbour rows, their float32 scores and the suggestion made of them."""

    settings: str
    by_key: dict[str, tuple[list[int], np.ndarray, Suggestion]]


def suggestions_settings(result: Pass, classes: Sequence[CaseClass]) -> str:
    """The suggestions read the pass and the classes' rules and names, nothing else."""
    return key_of(result.kept.settings, *sorted(repr(c) for c in classes))


def suggestions_pass(
    result: Pass,
    classes: Sequence[CaseClass],
    records: Sequence[CaseRecord],
    kept: KeptSuggestions | None,
) -> tuple[list[Suggestion], KeptSuggestions]:
    """`Classifier.suggest_many` for `records` (sorted by id), updated from `kept` where that is exact.

    A record whose text and neighbour list are unchanged keeps its suggestion; one whose list may
    have changed gets its neighbour scores against the rescored documents merged into the list,
    as `similar_pass` does for the top 5; the rest are scored in full."""
    index = result.index
    classifier = Classifier(index, classes)
    settings = suggestions_settings(result, classes)
    texts = [record_text(r) for r in records]
    rows = [index.position[t.key] for t in texts]
    rescored = result.rescored_rows
    usable = kept if kept is not None and kept.settings == settings and not result.full else None
    by_key: dict[str, tuple[list[int], np.ndarray, Suggestion]] = {}
    by_row = {row: (text, record.class_) for row, text, record in zip(rows, texts, records, strict=True)}
    marked = Rescored(rescored, len(index.texts))
    in_rescored = marked.position >= 0
    merge_rows = [
        row for row in rows if usable is not None and not in_rescored[row] and index.texts[row].key in usable.by_key
    ]
    redo = sorted(set(rows) - set(merge_rows))
    if merge_rows and rescored:
        # A row compared with no rescored document scores 0 against each (below NEIGHBOUR_FLOOR),
        # and none is on its list (a list holds only documents it is compared with): _merged would
        # give the list back as it was, so it is kept without scoring (most rows: one edit rescores
        # a few neighbourhoods of 512 documents; 1 s at 100,000 records).
        merge_rows, quiet = _near_rescored(merge_rows, rescored, index.classify_near)
        for row in quiet:
            key = index.texts[row].key
            by_key[key] = usable.by_key[key]  # type: ignore[union-attr]
    if merge_rows and rescored:
        class_mask = sparse.diags(index._class_mask())  # applied to the rows scored, not to every row
        against = index.matrix[rescored].T.tocsr()
        unlabelled = ~classifier.labelled[marked.array]  # they cannot vote
        for start in range(0, len(merge_rows), 1024):
            chunk = merge_rows[start : start + 1024]
            block = (index.matrix[chunk] @ class_mask @ against).toarray() * index.classify_near.near(chunk, rescored)
            for row, line in zip(chunk, block, strict=True):
                text, current = by_row[row]
                old_rows, old_scores, old_suggestion = usable.by_key[text.key]  # type: ignore[union-attr]
                merged = _merged(old_rows, old_scores, marked, line, [row], NEIGHBOURS, NEIGHBOUR_FLOOR, unlabelled)
                if merged is None:
                    redo.append(row)
                    continue
                picked, scores = merged
                # the neighbours vote with their class: a rescored one may have another now
                same = picked == old_rows and np.array_equal(scores, old_scores)
                same = same and not any(in_rescored[p] for p in picked)
                suggestion = old_suggestion if same else classifier.suggest_from(text, current, picked, scores)
                by_key[text.key] = (picked, scores, suggestion)
    elif merge_rows:
        for row in merge_rows:
            key = index.texts[row].key
            by_key[key] = usable.by_key[key]  # type: ignore[union-attr]
    for scored in index.all_pairs(redo, ignore_class=True, near=index.classify_near):
        for row, line in scored.lines():
            text, current = by_row[row]
            picked, scores = classifier.neighbour_list(text, line, scored.columns)
            by_key[text.key] = (picked, scores, classifier.suggest_from(text, current, picked, scores))
    return [by_key[t.key][2] for t in texts], KeptSuggestions(settings, by_key)


def _near_rescored(rows: list[int], rescored: list[int], near: Neighbourhoods) -> tuple[list[int], list[int]]:
    """(the rows compared with some rescored document, those compared with none)."""
    slices = np.unique(near.slice_of[np.asarray(rescored, dtype=np.int64)].astype(np.int64))
    own = near.slice_of[np.asarray(rows, dtype=np.int64)].astype(np.int64)
    close = np.zeros(len(rows), dtype=bool)
    for step in (-1, 0, 1):  # a row's slice or one on either side holds a rescored document
        wanted = own + step
        found = np.searchsorted(slices, wanted)
        close |= (found < len(slices)) & (slices[np.minimum(found, len(slices) - 1)] == wanted)
    chosen = np.asarray(rows)
    return chosen[close].tolist(), chosen[~close].tolist()


def save_suggestions(folder: Path | None, kept: KeptSuggestions) -> None:
    if folder is None:
        return
    data = {
        "format": FORMAT,
        "settings": kept.settings,
        "records": {
            key: [rows, [float(s) for s in scores], _suggestion_fields(suggestion)]
            for key, (rows, scores, suggestion) in sorted(kept.by_key.items())
        },
    }
    write_atomically(folder / FOLDER / SUGGESTIONS_FILE, cache_json.dumps(data))


def _suggestion_fields(s: Suggestion) -> dict[str, Any]:
    return {
        "record_id": s.record_id,
        "class_id": s.class_id,
        "class_name": s.class_name,
        "confidence": s.confidence,
        "reasons": list(s.reasons),
        "current": s.current,
    }


def load_suggestions(folder: Path | None) -> KeptSuggestions | None:
    if folder is None:
        return None
    try:
        data = cache_json.loads((folder / FOLDER / SUGGESTIONS_FILE).read_bytes())
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        by_key = {}
        for key, (rows, scores, fields) in data["records"].items():
            fields["reasons"] = tuple(fields["reasons"])
            by_key[key] = ([int(r) for r in rows], np.array(scores, dtype=np.float32), Suggestion(**fields))
        return KeptSuggestions(str(data["settings"]), by_key)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
