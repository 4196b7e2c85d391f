"""How good similar-case retrieval and class suggestion are, on a labelled evaluation set.

Takes a library and an evaluation set (tests/data/similar_eval.yaml: the true class of each
sample record, and held-out record texts written for the purpose, many of them near misses
between neighbouring classes) and gives the figures `casebook bench` reports and the tests hold
to a floor: precision@5 of related entries and the accuracy of class suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..library import Library
from .classify import Classifier
from .similar import CaseText, SimilarityIndex, library_segmenter, library_texts

NO_CLASS = "none"


@dataclass(frozen=True)
class HeldOut:
    """A short record text with its true class (None: belongs to no class)."""

    id: str
    true_class: str | None
    text: CaseText
    near: str | None = None  # the class it is easily mistaken for


@dataclass
class EvalSet:
    sample: dict[str, str | None] = field(default_factory=dict)  # record id → true class
    held_out: list[HeldOut] = field(default_factory=list)


def load_eval_set(path: Path) -> EvalSet:
    """Read the YAML evaluation set; `none` means no class."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sample = {str(k): (None if v == NO_CLASS else str(v)) for k, v in (data.get("sample") or {}).items()}
    held = []
    for item in data.get("held_out") or []:
        text = CaseText(
            kind="text",
            id=item["id"],
            title=item["title"],
            body="\n".join([item["summary"], *item.get("demands", [])]),
            domain=item.get("domain"),
            topic=item.get("topic"),
            tags=tuple(item.get("tags", [])),
        )
        true_class = None if item["class"] == NO_CLASS else item["class"]
        held.append(HeldOut(item["id"], true_class, text, item.get("near")))
    return EvalSet(sample, held)


def evaluate(
    library: Library, eval_set: EvalSet, *, index: SimilarityIndex | None = None, top_k: int = 5
) -> dict[str, Any]:
    """The quality figures, each a fraction in [0, 1] with the count it is over, plus the misses.

    - precision_at_5: over sample records with a true class, the share of their related entries
      (records and typical entries, top 5, a short list counting as misses) of that class;
      `precision_at_5_text` is the same with the class feature switched off, i.e. what the text,
      topic, tags, policy basis and mechanisms alone achieve.
    - suggestion_accuracy: held-out texts whose suggested class (or none) is the true one.
    - unassigned_accuracy: the same for the library's records that have no class in their YAML.
    - leave_one_out_accuracy: records with a class, suggested as if their class were unknown.
    """
    index = index or SimilarityIndex.build(library_texts(library), library_segmenter(library))
    truth = {f"record:{doc.model.id}": doc.model.class_ for doc in library.records}
    truth |= {f"record:{rid}": cls for rid, cls in eval_set.sample.items()}
    truth |= {f"typical:{doc.model.id}": doc.model.class_ for doc in library.typical}

    precision, queries = _precision(index, truth, top_k, ignore_class=False)
    precision_text, _ = _precision(index, truth, top_k, ignore_class=True)

    classifier = Classifier(index, (d.model for d in library.classes))
    misses: list[str] = []

    def accuracy(texts: list[CaseText], expected: list[str | None], *, indexed: bool) -> float:
        if indexed:
            found = classifier.suggest_many(texts, [None] * len(texts))
        else:
            found = [classifier.suggest(t) for t in texts]
        for text, want, got in zip(texts, expected, found, strict=True):
            if got.class_id != want:
                misses.append(f"{text.id}: 应为 {want or '无'}，推荐 {got.class_id or '无'}")
        return sum(g.class_id == w for g, w in zip(found, expected, strict=True)) / len(texts) if texts else 0.0

    held = [h.text for h in eval_set.held_out]
    unassigned = [t for t in index.texts if t.kind == "record" and not t.class_id]
    assigned = [t for t in index.texts if t.kind == "record" and t.class_id]
    return {
        "precision_at_5": round(precision, 4),
        "precision_at_5_text": round(precision_text, 4),
        "precision_queries": queries,
        "suggestion_accuracy": round(accuracy(held, [h.true_class for h in eval_set.held_out], indexed=False), 4),
        "held_out": len(held),
        "unassigned_accuracy": round(accuracy(unassigned, [truth.get(t.key) for t in unassigned], indexed=True), 4),
        "unassigned": len(unassigned),
        "leave_one_out_accuracy": round(accuracy(assigned, [t.class_id for t in assigned], indexed=True), 4),
        "assigned": len(assigned),
        "misses": misses,
    }


def _precision(
    index: SimilarityIndex, truth: dict[str, str | None], top_k: int, *, ignore_class: bool
) -> tuple[float, int]:
    related = index.related(top_k, ignore_class=ignore_class)
    shares = []
    for text in index.texts:
        expected = truth.get(text.key)
        if text.kind != "record" or not expected:
            continue
        hits = sum(truth.get(f"{m.kind}:{m.id}") == expected for m in related[text.key])
        shares.append(hits / top_k)
    return (sum(shares) / len(shares) if shares else 0.0), len(shares)
