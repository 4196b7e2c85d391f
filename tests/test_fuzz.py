"""Property tests: whatever bytes or characters a case file holds, validation
answers with located, printable messages and an exit code of 1 or 2, never an
exception."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import cli
from generator.errors import CasebookError
from generator.load import NOT_PRINTABLE
from generator.validate import check_library
from tests.conftest import MINI

TARGET = "records/XF-2023-0001.yaml"
VALID = (MINI / TARGET).read_text(encoding="utf-8")
YAML_NOISE = [*":-[]{}#&*!|>'\"%@`,? \t\n0123456789年月日业主", "\ufeff", "\x00", "\u2028", "---", "..."]


def validate_bytes(payload: bytes) -> tuple[list, int]:
    """Write `payload` as a record of a fresh mini library and validate it."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "lib"
        shutil.copytree(MINI, root)
        (root / TARGET).write_bytes(payload)
        _, problems = check_library(root)
        try:
            cli.main(["validate", str(root)], standalone_mode=False)
            exit_code = 0
        except SystemExit as stop:
            exit_code = int(stop.code or 0)
        except CasebookError as error:
            exit_code = error.exit_code
        return problems, exit_code


def assert_well_reported(problems: list, exit_code: int) -> None:
    if problems:
        assert exit_code in (1, 2)
    else:
        assert exit_code == 0
    for problem in problems:
        assert problem.path, problem
        assert problem.message, problem
        assert str(problem).startswith(problem.path)
        str(problem).encode("utf-8")  # printable: no surrogate from a value, a key or a file name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes(payload: bytes) -> None:
    problems, exit_code = validate_bytes(payload)
    assert problems, "random bytes are never a valid record"
    assert exit_code in (1, 2)
    assert_well_reported(problems, exit_code)


@st.composite
def mutated_record(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate line", "indent", "swap lines"]))
        if action == "insert":
            text = text[:position] + draw(st.sampled_from(YAML_NOISE)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 12)) :]
        else:
            lines = text.split("\n")
            row = draw(st.integers(0, len(lines) - 1))
            if action == "duplicate line":
                lines.insert(row, lines[row])
            elif action == "indent":
                lines[row] = draw(st.sampled_from([" ", "  ", "\t", ""])) + lines[row].lstrip(" ")
            else:
                other = draw(st.integers(0, len(lines) - 1))
                lines[row], lines[other] = lines[other], lines[row]
            text = "\n".join(lines)
    return text


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_record())
def test_mutated_valid_record(text: str) -> None:
    problems, exit_code = validate_bytes(text.encode("utf-8", "surrogatepass"))
    assert_well_reported(problems, exit_code)


# Every code point, surrogates included (st.text() leaves them out, so lists of characters)
# and drawn often enough: they are 2,048 of 1.1 million.
ANY_CHARACTER = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
)


def double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar: what cannot be written raw becomes an escape,
    so a surrogate reaches the parser the only way a UTF-8 file can carry one."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF or code in (0xFEFF, 0xFFFE, 0xFFFF):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(ANY_CHARACTER, max_size=40).map("".join), st.sampled_from(["title", "subject", "topic", "key", "flags"])
)
def test_any_characters_in_a_value_or_key(text: str, where: str) -> None:
    """A surrogate from an escape once crashed validate with UnicodeEncodeError; control
    characters from escapes reached the pages."""
    quoted = double_quoted(text)
    if where == "key":
        record = VALID + f"{quoted}: x\n"
    elif where == "flags":
        record = VALID.replace("flags: [集体访]", f"flags: [集体访, {quoted}]")
    else:
        record = "\n".join(f"{where}: {quoted}" if line.startswith(f"{where}:") else line for line in VALID.split("\n"))
    problems, exit_code = validate_bytes(record.encode("utf-8"))
    assert_well_reported(problems, exit_code)
    if NOT_PRINTABLE.search(text):
        assert any("含有无效字符" in problem.message for problem in problems), problems


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANY_CHARACTER, max_size=200).map("".join))
def test_any_characters_written_raw(text: str) -> None:
    """Raw text in a block scalar; surrogates written as bytes make the file invalid UTF-8."""
    body = "\n".join("  " + line for line in text.splitlines()) or "  x"
    record = VALID.replace("summary: |\n", f"summary: |\n{body}\n", 1)
    problems, exit_code = validate_bytes(record.encode("utf-8", "surrogatepass"))
    assert_well_reported(problems, exit_code)
