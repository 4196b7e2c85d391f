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

import bisect

import yaml
from yaml import tokens as t

from .load import YamlIssue


def conformance_issues(text: str, fast: bool = False) -> list[YamlIssue]:
    """Spec violations PyYAML let through; empty for every well-formed file.

    `fast` scans with libyaml (same tokens and marks, much faster); any
    error there falls back to the pure-Python scanner. The rules share one
    walk over the tokens (a record has about 350), and the comment rule looks
    only at the file's `#` characters: at 10,000 records the rules took 8 s
    as five walks and a gap list, on top of the 4.5 s scan."""
    stream = _libyaml_tokens(text) if fast and hasattr(yaml, "CSafeLoader") else None
    if stream is None:
        try:
            stream = list(yaml.scan(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            return []  # the parser reports these itself
    issues = _comments_without_space(text, stream) if "#" in text else []
    issues += _token_rules(text, text.splitlines(), stream)
    return sorted(dict.fromkeys(issues), key=lambda issue: (issue.line, issue.column))


def _libyaml_tokens(text: str) -> list[t.Token] | None:
    """libyaml's tokens of `text` (None on any error), taken straight from its scanner.

    yaml.scan is a Python generator around the same calls: one Python frame a token, a
    third of the rules' time at 10,000 records. `get_token` gives None after the last one."""
    loader = yaml.CSafeLoader(text)
    try:
        return list(iter(loader.get_token, None))
    except Exception:
        return None
    finally:
        loader.dispose()


WHITE = " \t\n\r"
COMMENT_NEEDS_SPACE = "YAML 语法错误：注释符 # 前必须有空格"


def _comments_without_space(text: str, stream: list[t.Token]) -> list[YamlIssue]:
    """A `#` that starts a comment (the first one on its line between two tokens) glued to what precedes it.

    Token starts never decrease, so the gap that may hold a `#` at `p` is the
    one after the last token starting at or before `p`."""
    issues = []
    starts = [token.start_mark.index for token in stream]
    hash_at = text.find("#", 1)
    while hash_at != -1:
        if text[hash_at - 1] not in WHITE:
            before = bisect.bisect_right(starts, hash_at) - 1
            gap_start = stream[before].end_mark.index if before >= 0 else 0
            in_gap = before + 1 < len(stream) and gap_start <= hash_at
            line_start = text.rfind("\n", 0, hash_at) + 1
            if in_gap and text.find("#", max(gap_start, line_start), hash_at) == -1:
                line = text.count("\n", 0, hash_at) + 1
                issues.append(YamlIssue(line, hash_at - line_start + 1, "", COMMENT_NEEDS_SPACE))
        hash_at = text.find("#", hash_at + 1)
    return issues


BLOCK_STARTS = (t.BlockMappingStartToken, t.BlockSequenceStartToken)
FLOW_STARTS = (t.FlowSequenceStartToken, t.FlowMappingStartToken)
FLOW_ENDS = (t.FlowSequenceEndToken, t.FlowMappingEndToken)


def _token_rules(text: str, lines: list[str], stream: list[t.Token]) -> list[YamlIssue]:
    """The rules that follow the token stream, in one walk.

    * a comment glued to a block scalar header (`key: >#c`: libyaml accepts it);
    * a lone `-` as a plain scalar inside a flow collection;
    * continuation lines of a flow collection or a quoted scalar indented no
      deeper than the block they sit in;
    * leading empty lines of a block scalar with more spaces than its first line."""
    issues: list[YamlIssue] = []
    blocks: list[int] = []  # the columns of the open block collections
    flow_depth = 0
    flow_first_line = 0
    scalar = t.ScalarToken
    for token in stream:
        kind = type(token)
        if kind is scalar:
            style = token.style
            if not style:  # plain: None from PyYAML's scanner, '' from libyaml's
                if flow_depth and token.plain and token.value == "-":
                    mark = token.start_mark
                    issues.append(
                        YamlIssue(mark.line + 1, mark.column + 1, "", "YAML 语法错误：流式集合中不能有单独的 -")
                    )
            elif style == '"' or style == "'":
                if flow_depth == 0 and token.start_mark.line != token.end_mark.line:
                    issues += _check_span(lines, token.start_mark.line, token.end_mark.line, blocks)
            elif style == "|" or style == ">":
                issues += _block_scalar_header_comment(text, token)
                issues += _block_scalar_leading_lines(lines, token)
        elif kind in BLOCK_STARTS:
            blocks.append(token.start_mark.column)
        elif kind is t.BlockEndToken:
            if blocks:
                blocks.pop()
        elif kind in FLOW_STARTS:
            if flow_depth == 0:
                flow_first_line = token.start_mark.line
            flow_depth += 1
        elif kind in FLOW_ENDS:
            flow_depth -= 1
            if flow_depth == 0:
                issues += _check_span(lines, flow_first_line, token.end_mark.line, blocks)
    return issues


def _block_scalar_header_comment(text: str, token: t.ScalarToken) -> list[YamlIssue]:
    start = token.start_mark.index
    line_end = text.find("\n", start)
    header = text[start : line_end if line_end != -1 else len(text)]
    rest = header[1:].lstrip("+-0123456789")
    if not rest.startswith("#"):
        return []
    column = token.start_mark.column + len(header) - len(rest) + 1  # of the '#', 1-based
    return [YamlIssue(token.start_mark.line + 1, column, "", COMMENT_NEEDS_SPACE)]


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


def _block_scalar_leading_lines(lines: list[str], token: t.ScalarToken) -> list[YamlIssue]:
    issues = []
    row = token.start_mark.line + 1
    blank: list[tuple[int, int]] = []
    while row < len(lines) and not lines[row].strip():
        blank.append((row, len(lines[row])))
        row += 1
    if row >= len(lines):
        return []
    content_indent = len(lines[row]) - len(lines[row].lstrip(" "))
    for blank_row, spaces in blank:
        if spaces > content_indent:
            issues.append(YamlIssue(blank_row + 1, 1, "", "YAML 语法错误：块文本开头的空行缩进不能多于第一行正文"))
    return issues
