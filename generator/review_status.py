"""`casebook submit` and `casebook publish`: move an entry or a guide along 草稿 → 待审 → 已发布.

Only the `review` block of the one file changes, as text: each value is replaced where it
stands, a missing key is added as a line of the block, a missing block is added before
`visibility` (the contract's order), so comments, key order and quoting stay as they were and
the change reads as a three-line diff. The changed library is validated in a scratch copy first
(library_check.py): a guide still holding （待填写）, or a 已发布 without a reviewer, is refused and
nothing is written.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .contract import REVIEW_LABELS
from .errors import UsageProblem
from .importer.emit import scalar
from .library_check import ChangeProblems, check_changed, document_file, kind_of
from .workdir import write_atomically

KINDS = ("typical", "class")  # what has a review: records are published as they are written
ORDER = ("status", "reviewer", "date")  # the review block's keys in contract order


@dataclass(frozen=True)
class ReviewChange:
    path: str  # relative to the library
    before: str  # status label before
    after: str
    diff: list[str]  # unified diff lines of the file, for the terminal

    def lines(self) -> list[str]:
        head = f"{self.path}：{self.before} → {self.after}"
        return [head, *self.diff] if self.diff else [f"{self.path}：已是{self.after}，未改动"]


def set_review(root: Path, document_id: str, status: str, as_of: dt.date, reviewer: str | None = None) -> ReviewChange:
    """Set the review of `document_id` to `status` (with reviewer and `as_of` as its date when
    publishing), validated before anything is written; see the module's docstring."""
    kind = kind_of(document_id)
    if kind not in KINDS:
        raise UsageProblem(f"{document_id} 不是典型案例或类案的编号（案例记录没有审核状态）")
    path = document_file(root, kind, document_id)
    relative = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    current = _current_review(text, relative)
    before = REVIEW_LABELS.get(str(current.get("status", "draft")), str(current.get("status")))
    if status == "pending" and current.get("status") == "published":
        raise UsageProblem(f"{document_id} 已发布，不能送审；如需撤回重审，把它的 review.status 改为 pending")
    values: dict[str, object] = {"status": status}
    if status == "published":
        if not reviewer or not reviewer.strip():
            raise UsageProblem("发布须写明审核人职务：--reviewer 市信访局业务指导处处长")
        values |= {"reviewer": reviewer.strip(), "date": as_of}
    if all(current.get(key) == value for key, value in values.items()):
        return ReviewChange(relative, before, REVIEW_LABELS[status], [])
    changed = with_review(text, values)
    errors = [p for p in check_changed(root, {path: changed}, as_of) if p.path == relative]
    if errors:
        raise ChangeProblems({"pending": "送审后", "published": "发布后"}[status], errors)
    write_atomically(path, changed.encode("utf-8"))
    diff = difflib.unified_diff(
        text.splitlines(), changed.splitlines(), f"a/{relative}", f"b/{relative}", n=1, lineterm=""
    )
    return ReviewChange(relative, before, REVIEW_LABELS[status], list(diff))


def _current_review(text: str, where: str) -> dict[str, object]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageProblem(f"{where} 不是有效的 YAML，请先用 casebook validate 查看问题") from error
    review = data.get("review") if isinstance(data, dict) else None
    return review if isinstance(review, dict) else {}


def with_review(text: str, values: dict[str, object]) -> str:
    """`text` with the top-level `review` mapping holding `values` (see the module's docstring)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode)  # _current_review read it as a mapping
    pairs = {key.value: (key, value) for key, value in root.value}
    if "review" not in pairs:
        block = "review:\n" + "".join(f"  {key}: {scalar(values[key])}\n" for key in ORDER if key in values)
        if "visibility" in pairs:
            at = _line_start(text, pairs["visibility"][0].start_mark.index)
        else:
            at = len(text)
            if text and not text.endswith("\n"):
                block = "\n" + block
        return text[:at] + block + text[at:]
    node = pairs["review"][1]
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        merged = {**_current_review(text, ""), **values}
        flow = ", ".join(f"{key}: {scalar(merged[key])}" for key in ORDER if key in merged)
        return text[: node.start_mark.index] + "{" + flow + "}" + text[node.end_mark.index :]
    edits: list[tuple[int, int, str]] = []
    present = {key.value: value for key, value in node.value}
    indent = " " * node.value[0][0].start_mark.column
    after_last = _line_end(text, node.value[-1][1].end_mark.index)
    missing = "".join(
        f"{indent}{key}: {scalar(values[key])}\n" for key in ORDER if key in values and key not in present
    )
    if missing and after_last == len(text) and not text.endswith("\n"):
        missing = "\n" + missing
    if missing:
        edits.append((after_last, after_last, missing))
    for key, value in values.items():
        if key in present:
            edits.append((present[key].start_mark.index, present[key].end_mark.index, scalar(value)))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """The index just after the line that holds `index - 1` (a value's last character)."""
    end = text.find("\n", max(index - 1, 0))
    return len(text) if end < 0 else end + 1
