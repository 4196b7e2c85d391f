"""Class suggestion (类案推荐): the most likely 类案 of a record, with a confidence and the reasons.

Takes the classes (their matching rules, written from the 识别要点) and a SimilarityIndex of the
library; gives, for each record without a class — and for each record whose class its own text
does not support (a doubtful assignment) — a Suggestion, and the text of a reviewable patch that
adds `class: LA-xxx` to those record files without touching them.

Two kinds of evidence, because each fails where the other holds:
- the rules (具体问题 listed, keywords, exclusion words, 问题领域) are what trainers wrote and can
  explain, but a record phrased in other words scores nothing;
- the neighbours (the most similar classified records and entries, class feature ignored) catch
  the phrasing the rules missed, but follow the surface wording across a class boundary
  (安置房办证 reads like 问题楼盘办证; the exclusion words are what separate them).
A class is suggested only when the evidence is strong enough: most records of a library belong to
no class, and a wrong suggestion costs a reviewer more than a missing one.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..contract import CaseClass
from ..library import Library
from .similar import CaseText, SimilarityIndex, positions_in, record_text, top_rows

# Rule evidence, summed and clipped to [0, 1].
TOPIC_LISTED = 0.4
KEYWORD_HIT = 0.12
MAX_KEYWORD_HITS = 4
SAME_DOMAIN = 0.12
EXCLUDE_HIT = 0.25
# Neighbour evidence: the k most similar classified documents vote with their similarity; a vote
# counts fully from REFERENCE_SIMILARITY on (about what two records of one class score).
NEIGHBOURS = 7
NEIGHBOUR_FLOOR = 1e-9  # a neighbour must share something
REFERENCE_SIMILARITY = 0.5
RULE_SHARE = 0.5
# Below this combined score no class is suggested; a different class than the assigned one is
# reported as doubtful only from DOUBT_CONFIDENCE on.
SUGGEST_FROM = 0.3
DOUBT_CONFIDENCE = 0.4


@dataclass(frozen=True)
class Suggestion:
    """The class suggested for one record (None: no class fits) and why."""

    record_id: str
    class_id: str | None
    class_name: str | None
    confidence: float
    reasons: tuple[str, ...]
    current: str | None = None  # the class the record has now

    @property
    def doubtful(self) -> bool:
        """The record has a class, and its text points to another one."""
        return self.current is not None and self.class_id is not None and self.class_id != self.current

    def line(self) -> str:
        """`XF-2024-0017 -> LA-001 问题楼盘办证 (0.82, 具体问题“逾期办证”属本类；…)`, as `casebook classify` prints."""
        if self.class_id is None:
            return f"{self.record_id} -> 无匹配类案 ({self.confidence:.2f}, {'；'.join(self.reasons) or '证据不足'})"
        now = f"，现归 {self.current}" if self.doubtful else ""
        why = "；".join(self.reasons)
        return f"{self.record_id} -> {self.class_id} {self.class_name} ({self.confidence:.2f}{now}, {why})"


@dataclass(frozen=True)
class ClassScore:
    class_id: str
    score: float
    reasons: tuple[str, ...]


def rule_evidence(text: CaseText, case_class: CaseClass) -> tuple[float, list[str]]:
    """Score in [0, 1] from the class's matching rules, with what matched."""
    rules = case_class.matching
    body = text.full_text
    score = 0.0
    reasons: list[str] = []
    if text.topic and text.topic in rules.topics:
        score += TOPIC_LISTED
        reasons.append(f"具体问题“{text.topic}”属本类")
    hits = [k for k in rules.keywords_any if k in body]
    if hits:
        score += KEYWORD_HIT * min(len(hits), MAX_KEYWORD_HITS)
        reasons.append(f"命中关键词：{'、'.join(hits[:MAX_KEYWORD_HITS])}")
    if rules.keywords_all:
        missing = [k for k in rules.keywords_all if k not in body]
        if missing:
            return 0.0, [f"缺少必备关键词：{'、'.join(missing)}"]
    if text.domain and text.domain == case_class.domain:
        score += SAME_DOMAIN
    excluded = [k for k in rules.exclude if k in body]
    if excluded:
        score -= EXCLUDE_HIT * min(len(excluded), 2)
        reasons.append(f"含排除词：{'、'.join(excluded)}")
    return min(max(score, 0.0), 1.0), reasons


class Classifier:
    """Class suggestion over one index: its classified documents are the neighbours that vote."""

    def __init__(self, index: SimilarityIndex, classes: Iterable[CaseClass]) -> None:
        self.index = index
        self.classes = sorted(classes, key=lambda c: c.id)
        self.names = {c.id: c.name for c in self.classes}
        self.labelled = np.array([t.class_id is not None for t in index.texts], dtype=bool)

    def suggest(
        self,
        text: CaseText,
        current: str | None = None,
        scores: np.ndarray | None = None,
        columns: np.ndarray | None = None,
    ) -> Suggestion:
        """The best class for one record or text, or None when no class is supported well enough.

        `scores` (similarity to the indexed documents `columns`, by default every one, class
        feature ignored) are computed when not given. Confidence = best score × its share of the
        best two: high only when the evidence is strong and points to one class.
        """
        if scores is None:
            row = self.index.position.get(text.key)
            vector = self.index.vectors[row] if row is not None else self.index.vector(text)
            scores = self.index.scores(vector, ignore_class=True)
        rows, values = self.neighbour_list(text, scores, columns)
        return self.suggest_from(text, current, rows, values)

    def suggest_from(self, text: CaseText, current: str | None, rows: Sequence[int], values: np.ndarray) -> Suggestion:
        """`suggest` given the neighbour list (`neighbour_list`): all it reads of the scores."""
        ranked = self.class_scores(text, self.votes(rows, values))
        if not ranked:
            return Suggestion(text.id, None, None, 0.0, (), current)
        best = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        confidence = round(best.score * best.score / (best.score + second), 2) if best.score > 0 else 0.0
        if best.score < SUGGEST_FROM:
            return Suggestion(text.id, None, None, confidence, (), current)
        return Suggestion(text.id, best.class_id, self.names[best.class_id], confidence, best.reasons, current)

    def suggest_many(self, texts: Sequence[CaseText], current: Sequence[str | None]) -> list[Suggestion]:
        """`suggest` for indexed documents, their scores computed in blocks (a whole library in seconds)."""
        rows = [self.index.position[t.key] for t in texts]
        by_row = dict(zip(rows, zip(texts, current, strict=True), strict=True))
        found: dict[int, Suggestion] = {}
        for scored in self.index.all_pairs(rows, ignore_class=True, near=self.index.classify_near):
            for row, line in scored.lines():
                text, now = by_row[row]
                found[row] = self.suggest(text, now, line, scored.columns)
        return [found[row] for row in rows]

    def class_scores(self, text: CaseText, neighbours: dict[str, tuple[float, list[str]]]) -> list[ClassScore]:
        """Every class's combined score for `text` given its neighbours' votes, best first (ties by class id)."""
        out = []
        for case_class in self.classes:
            rule, reasons = rule_evidence(text, case_class)
            near, voters = neighbours.get(case_class.id, (0.0, []))
            if voters:
                reasons = [*reasons, f"相似案例：{'、'.join(voters[:3])}"]
            out.append(ClassScore(case_class.id, RULE_SHARE * rule + (1 - RULE_SHARE) * near, tuple(reasons)))
        return sorted(out, key=lambda s: (-s.score, s.class_id))

    def neighbour_list(
        self, text: CaseText, scores: np.ndarray, columns: np.ndarray | None = None
    ) -> tuple[list[int], np.ndarray]:
        """The NEIGHBOURS most similar classified documents (rows) and their scores (float32).

        `scores` are against the documents `columns` (ascending rows), by default every one.
        `text` itself never votes, so an assigned record is judged as if its class were unknown."""
        everything = np.arange(len(self.index.texts)) if columns is None else columns
        values = np.where(self.labelled[everything], scores, -1.0)
        row = self.index.position.get(text.key)
        at = top_rows(values, NEIGHBOURS, NEIGHBOUR_FLOOR, positions_in(everything, [row] if row is not None else []))
        return everything[at].tolist(), values[at]

    def votes(self, rows: Sequence[int], values: np.ndarray) -> dict[str, tuple[float, list[str]]]:
        """class → (score in [0, 1], ids of the neighbours that voted for it): each votes its similarity."""
        votes: dict[str, float] = defaultdict(float)
        voters: dict[str, list[str]] = defaultdict(list)
        for other, value in zip(rows, values, strict=True):
            neighbour = self.index.texts[other]
            class_id = neighbour.class_id or ""
            votes[class_id] += float(value)
            voters[class_id].append(neighbour.id)
        scale = NEIGHBOURS * REFERENCE_SIMILARITY
        return {c: (min(v / scale, 1.0), voters[c]) for c, v in votes.items()}


def suggest_classes(library: Library, index: SimilarityIndex, *, check_assigned: bool = True) -> list[Suggestion]:
    """Suggestions for the library's unclassified records and its doubtful ones, sorted by record id.

    A classified record is judged as if it had no class and reported only when another class
    wins with at least DOUBT_CONFIDENCE. `index` must hold the library's records.
    """
    classifier = Classifier(index, (d.model for d in library.classes))
    records = sorted((d.model for d in library.records if check_assigned or not d.model.class_), key=lambda r: r.id)
    found = classifier.suggest_many([record_text(r) for r in records], [r.class_ for r in records])
    return [s for s in found if s.current is None or (s.doubtful and s.confidence >= DOUBT_CONFIDENCE)]


# ── the patch ───────────────────────────────────────────────────────────────

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
# A new `class:` line goes before the first of these top-level keys (the order the contract lists).
_INSERT_BEFORE = ("tags", "visibility")


def patch_text(library: Library, suggestions: Iterable[Suggestion], *, min_confidence: float = 0.0) -> str:
    """A unified diff (paths a/records/… b/records/… from the library root) setting each suggested class.

    Apply with `patch -p1 -d <library>` or `git apply --directory=<library>` after review. The
    files are read, never written; a line before each file's diff says what is proposed and why.
    """
    paths = {d.model.id: d.path for d in library.records}
    chunks = []
    for s in sorted(suggestions, key=lambda s: s.record_id):
        if s.class_id is None or s.confidence < min_confidence or s.record_id not in paths:
            continue
        relative = paths[s.record_id]
        old = (library.root / relative).read_text(encoding="utf-8")
        new = with_class(old, s.class_id)
        if new == old:
            continue
        header = f"# {s.line()}\n"
        diff = difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{relative}", f"b/{relative}"
        )
        chunks.append(header + "".join(_ended(line) for line in diff))
    return "".join(chunks)


def with_class(text: str, class_id: str) -> str:
    """The YAML text with its top-level `class:` set to class_id; every other line unchanged."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    entry = f"class: {class_id}{newline}"
    for i, line in enumerate(lines):
        match = _TOP_KEY.match(line)
        if match and match.group(1) == "class":
            lines[i] = entry
            return "".join(lines)
    for key in _INSERT_BEFORE:
        for i, line in enumerate(lines):
            match = _TOP_KEY.match(line)
            if match and match.group(1) == key:
                lines.insert(i, entry)
                return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    return "".join([*lines, entry])


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def write_patch(
    library: Library, suggestions: Iterable[Suggestion], folder: Path, *, min_confidence: float = 0.0
) -> Path | None:
    """Write the patch to folder/casebook-classify.patch; None when there is nothing to propose."""
    text = patch_text(library, suggestions, min_confidence=min_confidence)
    if not text:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "casebook-classify.patch"
    target.write_text(text, encoding="utf-8")
    return target
