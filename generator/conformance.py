"""YAML 1.2 rules that PyYAML's scanner does not enforce.

PyYAML accepts a few inputs that the YAML spec (and the yaml-test-suite)
says a parser must reject. A trainer who writes one of them gets data that
differs from what another tool would read, so we refuse them too. Each rule
works on PyYAML's own token stream, after a successful parse:

* a comment `#` must follow white space (`"value"# x` is an error);
* a lone `-` is not a plain scalar inside a flow collection (`[-]`);
* continuation lines of a flow collection or quoted scalar must be indented
  deeper than the block they sit in (`key: [a,⏎b]` with `b` at column 0);
* leading empty lines of a block scalar may not hold more spaces than its
  first non-empty line.
"""

from __future__ import annotations

import itertools

import yaml
from yaml import tokens as t

from .load import YamlIssue


def conformance_issues(text: str, fast: bool = False) -> list[YamlIssue]:
    """Spec violations PyYAML let through; empty for every well-formed file.

    `fast` scans with libyaml (same tokens and marks, much faster); any
    error there falls back to the pure-Python scanner."""
    stream = None
    if fast and hasattr(yaml, "CSafeLoader"):
        try:
            stream = list(yaml.scan(text, Loader=yaml.CSafeLoader))
        except Exception:
            stream = None
    if stream is None:
        try:
            stream = list(yaml.scan(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            return []  # the parser reports these itself
    lines = text.splitlines()
    issues: list[YamlIssue] = []
    issues += _comments_without_space(text, stream)
    issues += _block_scalar_header_comments(text, stream)
    issues += _dash_in_flow(stream)
    issues += _under_indented_continuations(lines, stream)
    issues += _block_scalar_leading_lines(lines, stream)
    return sorted(set(issues), key=lambda issue: (issue.line, issue.column))


def _comments_without_space(text: str, stream: list[t.Token]) -> list[YamlIssue]:
    issues = []
    gaps = [(a.end_mark.index, b.start_mark.index) for a, b in itertools.pairwise(stream)]
    for start, end in gaps:
        position = start
        while position < end:
            line_end = text.find("\n", position, end)
            line_end = end if line_end == -1 else line_end
            hash_at = text.find("#", position, line_end)
            if hash_at > 0 and text[hash_at - 1] not in " \t\n\r":
                line = text.count("\n", 0, hash_at) + 1
                column = hash_at - (text.rfind("\n", 0, hash_at) + 1) + 1
                issues.append(YamlIssue(line, column, "", "YAML 语法错误：注释符 # 前必须有空格"))
            position = line_end + 1
    return issues


def _block_scalar_header_comments(text: str, stream: list[t.Token]) -> list[YamlIssue]:
    """`key: >#c`: libyaml accepts a comment glued to a block scalar header; the spec does not."""
    issues = []
    for token in stream:
        if isinstance(token, t.ScalarToken) and token.style in ("|", ">"):
            start = token.start_mark.index
            line_end = text.find("\n", start)
            header = text[start : line_end if line_end != -1 else len(text)]
            rest = header[1:].lstrip("+-0123456789")
            if rest.startswith("#"):
                column = token.start_mark.column + len(header) - len(rest) + 1  # of the '#', 1-based
                issues.append(YamlIssue(token.start_mark.line + 1, column, "", "YAML 语法错误：注释符 # 前必须有空格"))
    return issues


def _dash_in_flow(stream: list[t.Token]) -> list[YamlIssue]:
    issues = []
    depth = 0
    for token in stream:
        if isinstance(token, t.FlowSequenceStartToken | t.FlowMappingStartToken):
            depth += 1
        elif isinstance(token, t.FlowSequenceEndToken | t.FlowMappingEndToken):
            depth -= 1
        elif isinstance(token, t.ScalarToken) and depth and token.plain and token.value == "-":
            mark = token.start_mark
            issues.append(YamlIssue(mark.line + 1, mark.column + 1, "", "YAML 语法错误：流式集合中不能有单独的 -"))
    return issues


def _under_indented_continuations(lines: list[str], stream: list[t.Token]) -> list[YamlIssue]:
    issues = []
    blocks: list[int] = []
    flow_depth = 0
    flow_start: t.Token | None = None
    for token in stream:
        if isinstance(token, t.BlockMappingStartToken | t.BlockSequenceStartToken):
            blocks.append(token.start_mark.column)
        elif isinstance(token, t.BlockEndToken) and blocks:
            blocks.pop()
        elif isinstance(token, t.FlowSequenceStartToken | t.FlowMappingStartToken):
            if flow_depth == 0:
                flow_start = token
            flow_depth += 1
        elif isinstance(token, t.FlowSequenceEndToken | t.FlowMappingEndToken):
            flow_depth -= 1
            if flow_depth == 0 and flow_start is not None:
                issues += _check_span(lines, flow_start.start_mark.line, token.end_mark.line, blocks)
        elif isinstance(token, t.ScalarToken) and token.style in ('"', "'") and flow_depth == 0:
            issues += _check_span(lines, token.start_mark.line, token.end_mark.line, blocks)
    return issues


def _check_span(lines: list[str], first: int, last: int, blocks: list[int]) -> list[YamlIssue]:
    """Lines first+1..last (0-based) must be indented deeper than the enclosing block."""
    if not blocks:
        return []
    needed = blocks[-1]
    issues = []
    for row in range(first + 1, min(last, len(lines) - 1) + 1):
        line = lines[row]
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent <= needed:
            issues.append(
                YamlIssue(
                    row + 1, indent + 1, "", f"YAML 语法错误：续行缩进不足（应多于 {needed} 个空格，Tab 不算缩进）"
                )
            )
    return issues


def _block_scalar_leading_lines(lines: list[str], stream: list[t.Token]) -> list[YamlIssue]:
    issues = []
    for token in stream:
        if not (isinstance(token, t.ScalarToken) and token.style in ("|", ">")):
            continue
        row = token.start_mark.line + 1
        blank: list[tuple[int, int]] = []
        while row < len(lines) and not lines[row].strip():
            blank.append((row, len(lines[row])))
            row += 1
        if row >= len(lines):
            continue
        content_indent = len(lines[row]) - len(lines[row].lstrip(" "))
        for blank_row, spaces in blank:
            if spaces > content_indent:
                issues.append(YamlIssue(blank_row + 1, 1, "", "YAML 语法错误：块文本开头的空行缩进不能多于第一行正文"))
    return issues
