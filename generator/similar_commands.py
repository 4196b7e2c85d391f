"""`casebook classify` and `casebook similar`: the similar-case engine from the command line.

Both read the whole library (every record and typical entry, as the internal
edition does): they are tools for the office's own staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .derive.classify import Suggestion, suggest_classes, write_patch
from .derive.similar import Match, SimilarityIndex, library_segmenter, library_texts
from .errors import InvalidLibrary
from .library import Library
from .validate import check_library


@dataclass
class Loaded:
    library: Library
    index: SimilarityIndex


def load_index(library_path: Path) -> Loaded:
    library, problems = check_library(library_path)
    if problems:
        raise InvalidLibrary(problems)
    return Loaded(library, SimilarityIndex.build(library_texts(library), library_segmenter(library)))


def classify(library_path: Path, write_to: Path | None, min_confidence: float) -> tuple[list[Suggestion], Path | None]:
    """Suggestions for unclassed and doubtfully classed records; the patch file if asked for."""
    loaded = load_index(library_path)
    suggestions = suggest_classes(loaded.library, loaded.index)
    patch = write_patch(loaded.library, suggestions, write_to, min_confidence=min_confidence) if write_to else None
    return suggestions, patch


def similar(library_path: Path, text: str, top: int) -> tuple[list[Match], dict[str, str], int]:
    """The typical entries closest to a description, class id → class name for their guides, and
    how many typical entries there are (to say why fewer than `top` came back)."""
    loaded = load_index(library_path)
    names = {doc.model.id: doc.model.name for doc in loaded.library.classes}
    return loaded.index.query(text, top_k=top, kinds=("typical",)), names, len(loaded.library.typical)
