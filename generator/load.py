"""YAML text → plain data plus the source position of every value.

PyYAML's own constructors lose positions, silently keep the last of two
duplicate keys and turn `0123` into 123 and `no` into False (YAML 1.1).
So we let PyYAML compose the node graph and build the data ourselves:

* every plain scalar stays a string, except `null`/`~`/empty (None) and
  `true`/`false` (bool); the contract converts strings to ints and dates
  where a field asks for one, so codes and ids never change shape;
* a duplicate key is a problem located at the second occurrence;
* a character that a YAML file may not hold raw, made by an escape in a
  double-quoted scalar (a surrogate `"\\ud800"`, a control character
  `"\\x01"`, `"\\0"`, a non-character `"\\uffff"`), is a problem located at
  its escape: a surrogate cannot be printed or written as UTF-8 at all, and
  HTML, Word and Excel files may not contain the others;
* positions are kept per path (`("stages", 2, "date")`) for values and keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

NULLS = {"", "~", "null", "Null", "NULL"}
TRUES = {"true", "True", "TRUE"}
FALSES = {"false", "False", "FALSE"}
# Explicit core tags we accept; anything else (!!python/object, !custom) is refused.
PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:value",  # PyYAML's implicit tag for a plain "="
}
# Aliases can expand a small file into an enormous tree ("billion laughs").
MAX_NODES = 200_000
MAX_DEPTH = 64
# YAML 1.2's c-printable (PyYAML's reader refuses anything else in a file), negated.
NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Escapes that can make such a character; a file without any needs no search of its strings.
MAYBE_NOT_PRINTABLE = re.compile(r"\\[0abefvxuU]|" + NOT_PRINTABLE.pattern)
ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)
CONTROL_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "v": "\v", "f": "\f", "e": "\x1b"}
BEYOND_UNICODE = re.compile(r"\\U([0-9a-fA-F]{8})")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Span:
    """Where a value starts (1-based) and how its scalar was written."""

    line: int
    column: int
    style: str | None = None  # None plain, "'" '"' "|" ">" for scalars


@dataclass(frozen=True)
class YamlIssue:
    """A problem found while reading YAML, before any contract check."""

    line: int
    column: int
    field: str
    message: str


@dataclass
class LoadedYaml:
    """The data of one YAML document and where each part of it was written."""

    data: Any
    # (line, column, style) tuples, made into Spans only when asked: a library of
    # 10,000 files has a million values, and most never need their position.
    values: dict[Path, tuple[int, int, str | None]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int, str | None]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def span(self, path: Path, *, key: bool = False) -> Span:
        """The span of `path`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return Span(*table[probe])
            if not key and probe in self.keys:
                return Span(*self.keys[probe])
            probe = probe[:-1]
        return Span(*self.values.get((), (1, 1, None)))

    def text_position(self, path: Path, offset: int) -> tuple[int, int]:
        """Line and column of character `offset` inside the string at `path`.

        Exact for single-line scalars and literal blocks (`|`), the two ways
        our files write text; for folded or multi-line plain scalars the
        scalar's start is the honest answer.
        """
        span = self.span(path)
        if path not in self.values:
            return span.line, span.column
        if span.style == "|":
            text_line = span.line + 1 + _count_header_blank(self.lines, span.line)
            before = self.data_at(path)[:offset]
            row = text_line + before.count("\n")
            source = self.lines[row - 1] if 0 < row <= len(self.lines) else ""
            indent = len(source) - len(source.lstrip(" "))
            return row, indent + len(before) - (before.rfind("\n") + 1) + 1
        value = self.data_at(path)
        if isinstance(value, str) and "\n" not in value:
            quote = 1 if span.style in ("'", '"') else 0
            return span.line, span.column + quote + offset
        return span.line, span.column

    def data_at(self, path: Path) -> Any:
        value = self.data
        for part in path:
            value = value[part]
        return value


def _count_header_blank(lines: list[str], header_line: int) -> int:
    """Blank lines between a `|` header and the first text line (usually 0)."""
    count = 0
    row = header_line  # 1-based header line → index of the next line
    while row < len(lines) and not lines[row].strip():
        count += 1
        row += 1
    return count


def parse_yaml(text: str) -> tuple[LoadedYaml | None, list[YamlIssue]]:
    """Parse one YAML document; return its data with positions, or the issues
    (the first spec rule PyYAML does not enforce that the text breaks, conformance.py, included)."""
    fast = _compose_fast(text)
    try:
        documents = fast if fast is not None else list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = error.problem or error.context or "无法解析"
        return None, [YamlIssue(line, column, "", f"YAML 语法错误：{explain_yaml_error(what)}")]
    except yaml.YAMLError as error:  # reader errors: control characters, bad encoding
        mark = getattr(error, "problem_mark", None) or getattr(error, "mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [YamlIssue(line, column, "", f"YAML 读取错误：{_reader_reason(error)}")]
    except RecursionError:
        return None, [YamlIssue(1, 1, "", f"YAML 嵌套超过 {MAX_DEPTH} 层")]
    except ValueError:  # PyYAML's chr() on an escape beyond U+10FFFF
        return None, [_beyond_unicode(text)]
    documents = [d for d in documents if d is not None]
    if not documents:
        return None, [YamlIssue(1, 1, "", "文件没有内容")]
    if len(documents) > 1:
        second = documents[1].start_mark
        return None, [YamlIssue(second.line + 1, second.column + 1, "", "一个文件只能写一个 YAML 文档（发现多个 ---）")]
    from .conformance import conformance_issues  # it reuses YamlIssue from here

    strict = conformance_issues(text, fast=fast is not None)
    if strict:
        return None, strict[:1]
    builder = _Builder(text if MAYBE_NOT_PRINTABLE.search(text) else None)
    data = builder.build(documents[0], ())
    loaded = LoadedYaml(data, builder.values, builder.keys, text.splitlines())
    return loaded, builder.issues


_STR, _SEQ, _MAP, _MERGE = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map", "merge"))


class _TextLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml with a resolver that says only what `_Builder` reads of a tag.

    The builder keeps every scalar as text (true/false/null aside, by their spelling), so
    PyYAML's implicit resolution — a regular expression per scalar for int, float, timestamp
    and the rest, and two path-resolver calls per node, all in Python — decided nothing but
    cost a fifth of a cold load (15 of 75 s for 20,000 records). A plain `<<` is still the
    merge key, which the builder refuses with its own message; explicit tags never reach here."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _MERGE if implicit[0] and value == "<<" else _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


def _compose_fast(text: str) -> list[Any] | None:
    """Compose with libyaml when available: about 10x faster on the valid files that
    make up nearly every library. Any error falls back to the pure-Python parser,
    whose messages (and their Chinese hints) are the ones users see."""
    if not hasattr(yaml, "CSafeLoader"):
        return None
    try:
        return list(yaml.compose_all(text, Loader=_TextLoader))
    except Exception:  # any libyaml complaint: let the reference parser explain it
        return None


# PyYAML's messages name parser internals; users need to know what to fix.
YAML_ERROR_HINTS = (
    ("expected <block end>", "缩进不一致，请检查本行及上一行的空格数"),
    ("mapping values are not allowed", "此处不能出现“: ”，值中含冒号请加引号，或检查缩进"),
    ("cannot start any token", "不能用 Tab 缩进或以该字符开头，请改用空格或加引号"),
    ("could not find expected ':'", "缺少“: ”，或上一行的引号、括号没有闭合"),
    ("found undefined alias", "使用了未定义的别名 *"),
    ("found unexpected end of stream", "文件意外结束，引号或括号没有闭合"),
    ("expected ',' or ']'", "流式列表缺少“,”或“]”"),
    ("expected ',' or '}'", "流式映射缺少“,”或“}”"),
    ("found unknown escape character", "双引号文本中有无效的转义字符 \\"),
    ("expected <document start>", "文档结构错误，请检查顶层的缩进"),
    ("expected a comment or a line break", "此处应为换行或注释"),
    ("while scanning a simple key", "键没有以“: ”结束"),
)


def explain_yaml_error(problem: str) -> str:
    """A Chinese hint for PyYAML's message, keeping the original for experts."""
    for needle, hint in YAML_ERROR_HINTS:
        if needle in problem:
            return f"{hint}（{problem}）"
    return problem


def _beyond_unicode(text: str) -> YamlIssue:
    for match in BEYOND_UNICODE.finditer(text):
        if int(match.group(1), 16) > 0x10FFFF:
            line, column = _line_column(text, match.start())
            return YamlIssue(
                line, column, "", f"YAML 语法错误：转义 {match.group()} 超出 Unicode 范围（最大 \\U0010FFFF）"
            )
    return YamlIssue(1, 1, "", "YAML 语法错误：无法解析")


def _line_column(text: str, index: int) -> tuple[int, int]:
    """1-based position of `index`, counting line breaks as PyYAML's reader does."""
    before = text[:index]
    breaks = list(re.finditer("\r\n|[\n\r\x85\u2028\u2029]", before))
    if not breaks:
        return 1, index + 1
    return len(breaks) + 1, index - breaks[-1].end() + 1


def invalid_character_message(value: str, at: int) -> str:
    """Why the string cannot be used, naming the code point (and the character a surrogate pair meant)."""
    first = ord(value[at])
    following = ord(value[at + 1]) if at + 1 < len(value) else 0
    if 0xD800 <= first <= 0xDBFF and 0xDC00 <= following <= 0xDFFF:
        meant = value[at : at + 2].encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        return f"含有无效字符（代理项对 U+{first:04X} U+{following:04X}；请直接写 “{meant}” 或 \\U{ord(meant):08X}）"
    if 0xD800 <= first <= 0xDFFF:
        return f"含有无效字符（单独的代理项 U+{first:04X}）"
    if first in (0xFFFE, 0xFFFF):
        return f"含有无效字符（非字符 U+{first:04X}）"
    return f"含有无效字符（控制字符 U+{first:04X}）"


def _escape_of_invalid(text: str, start: int, end: int) -> int | None:
    """Index of the first escape in text[start:end] that makes a character YAML may not hold raw."""
    for match in ESCAPE.finditer(text, start, end):
        digits = match.group(1) or match.group(2) or match.group(3)
        if digits:
            code = int(digits, 16)
            char = chr(code) if code <= 0x10FFFF else ""
        else:
            char = CONTROL_ESCAPES.get(match.group(4), "")
        if char and NOT_PRINTABLE.match(char):
            return match.start()
    return None


def _reader_reason(error: yaml.YAMLError) -> str:
    reason = getattr(error, "reason", None)
    return str(reason) if reason else str(error).splitlines()[0]


class _Builder:
    """Walks a composed node graph into plain data, recording spans and issues."""

    def __init__(self, text: str | None = None) -> None:
        # The source text when an escape may have made a character YAML may not hold
        # raw (nearly never): only then is every string searched for one.
        self.text = text
        self.values: dict[Path, tuple[int, int, str | None]] = {}
        self.keys: dict[Path, tuple[int, int, str | None]] = {}
        self.issues: list[YamlIssue] = []
        self._active: set[int] = set()
        self._built = 0

    def build(self, node: Node, path: Path) -> Any:
        mark = node.start_mark
        if type(node) is ScalarNode and node.tag in PLAIN_TAGS and len(path) <= MAX_DEPTH and self._built < MAX_NODES:
            # Most nodes: a plain scalar cannot form a cycle, so skip the checks below.
            self._built += 1
            self.values[path] = (mark.line + 1, mark.column + 1, node.style or None)
            if self.text is not None and self._has_invalid_character(node, path):
                return None
            return self._scalar(node)
        span = Span(mark.line + 1, mark.column + 1, getattr(node, "style", None) or None)
        self.values[path] = (span.line, span.column, span.style)
        if len(path) > MAX_DEPTH or id(node) in self._active:
            self._issue(span, path, "引用自身或嵌套过深（锚点与别名形成了循环）")
            return None
        self._built += 1
        if self._built > MAX_NODES:
            if self._built == MAX_NODES + 1:
                self._issue(span, path, f"展开后超过 {MAX_NODES} 个值（别名展开过多）")
            return None
        if node.tag not in PLAIN_TAGS:
            self._issue(span, path, f"不支持的 YAML 标签 {node.tag}")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, ScalarNode):
                if self.text is not None and self._has_invalid_character(node, path):
                    return None
                return self._scalar(node)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return None
        finally:
            self._active.discard(id(node))

    @staticmethod
    def _scalar(node: ScalarNode) -> Any:
        value = node.value
        if not node.style:  # plain: None from PyYAML's parser, "" from libyaml's
            if value in NULLS:
                return None
            if value in TRUES:
                return True
            if value in FALSES:
                return False
        return value

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_mark = key_node.start_mark
            key_span = (key_mark.line + 1, key_mark.column + 1, None)
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self._issue(Span(*key_span), path, "键必须是简单文本（不支持复杂键和 << 合并）")
                continue
            key = key_node.value
            if self.text is not None and self._has_invalid_character(key_node, path, key=True):
                continue
            if key in first_seen:
                self._issue(
                    Span(*key_span),
                    (*path, key),
                    f"重复的键（第一次出现在第 {first_seen[key]} 行）；YAML 只会保留其中一个",
                )
                continue
            first_seen[key] = key_span[0]
            self.keys[(*path, key)] = key_span
            result[key] = self.build(value_node, (*path, key))
        return result

    def _has_invalid_character(self, node: ScalarNode, path: Path, *, key: bool = False) -> bool:
        """Record an issue at the escape that made an invalid character in this scalar, if any.

        A key's issue is reported on its mapping: the key itself cannot be
        printed as a field name."""
        found = NOT_PRINTABLE.search(node.value)
        if found is None or self.text is None:
            return False
        at = _escape_of_invalid(self.text, node.start_mark.index, node.end_mark.index)
        if at is not None:
            line, column = _line_column(self.text, at)
        else:  # the character itself, in text that did not come from a file
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        message = invalid_character_message(node.value, found.start())
        self._issue(Span(line, column), path, f"键{message}" if key else message)
        return True

    def _issue(self, span: Span, path: Path, message: str) -> None:
        self.issues.append(YamlIssue(span.line, span.column, format_path(path), message))


def format_path(path: Path) -> str:
    """`("stages", 2, "date")` → `stages[2].date`, the form messages use."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
