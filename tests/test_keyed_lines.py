"""The cache files of key → JSON line (keyed_lines.py): a few new entries go to a delta beside
the file, which is read only with the very file it adds to; past a share, the file is whole again."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import keyed_lines
from generator.keyed_lines import delta_path, read_lines, read_store, save_store, write_lines

KIND = "parsed"


def key(number: int) -> str:
    return f"{number:040x}"


def entries(numbers: range, tag: str = "v") -> dict[str, bytes]:
    return {key(n): f'{{"{tag}":{n}}}'.encode() for n in numbers}


@pytest.fixture
def small_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyed_lines, "DELTA_FROM", 10)


def test_a_few_new_entries_go_to_a_delta_and_the_file_is_left_alone(tmp_path: Path, small_delta: None) -> None:
    path = tmp_path / "parsed.jsonl"
    write_lines(path, KIND, entries(range(100)))
    stamp = path.stat().st_mtime_ns
    used = {**entries(range(95)), **entries(range(100, 110))}  # 5 unused, 10 new: 15 of 105, under a quarter
    save_store(path, KIND, read_store(path, KIND), used)
    assert path.stat().st_mtime_ns == stamp and delta_path(path).is_file()
    store = read_store(path, KIND)
    assert store.entries == {**entries(range(100)), **entries(range(100, 110))}  # the unused stay until rewritten
    assert store.delta == entries(range(100, 110))
    delta_stamp = delta_path(path).stat().st_mtime_ns
    save_store(path, KIND, store, used)  # the same use again: nothing written
    assert delta_path(path).stat().st_mtime_ns == delta_stamp and path.stat().st_mtime_ns == stamp


def test_a_changed_value_is_new_and_the_delta_keeps_only_what_was_used(tmp_path: Path, small_delta: None) -> None:
    path = tmp_path / "parsed.jsonl"
    write_lines(path, KIND, entries(range(100)))
    save_store(path, KIND, read_store(path, KIND), {**entries(range(100)), **entries(range(100, 105))})
    used = {**entries(range(99)), **entries(range(99, 100), "w"), **entries(range(103, 106))}
    save_store(path, KIND, read_store(path, KIND), used)
    store = read_store(path, KIND)
    assert store.delta == {**entries(range(99, 100), "w"), **entries(range(103, 106))}
    assert {k: store.entries[k] for k in used} == used


def test_past_a_quarter_the_file_is_written_whole_and_the_delta_removed(tmp_path: Path, small_delta: None) -> None:
    path = tmp_path / "parsed.jsonl"
    write_lines(path, KIND, entries(range(100)))
    save_store(path, KIND, read_store(path, KIND), {**entries(range(100)), **entries(range(100, 110))})
    used = entries(range(60, 140))  # 60 unused, 30 new
    save_store(path, KIND, read_store(path, KIND), used)
    assert not delta_path(path).exists()
    assert read_lines(path, KIND) == used


def test_a_delta_is_read_only_with_the_file_it_adds_to_and_only_whole(tmp_path: Path, small_delta: None) -> None:
    path = tmp_path / "parsed.jsonl"
    write_lines(path, KIND, entries(range(100)))
    save_store(path, KIND, read_store(path, KIND), {**entries(range(100)), **entries(range(100, 105))})
    delta = delta_path(path).read_bytes()
    write_lines(path, KIND, entries(range(50)))  # the file rewritten by someone else: the delta is not its own
    assert read_lines(path, KIND) == entries(range(50))
    write_lines(path, KIND, entries(range(100)))  # the very file again: the delta applies
    assert read_lines(path, KIND) == entries(range(105))
    delta_path(path).write_bytes(delta.replace(b'"v":101', b'"v":999'))  # damaged: not read
    assert read_lines(path, KIND) == entries(range(100))
    delta_path(path).write_bytes(delta[:-5])  # cut short: not read
    assert read_lines(path, KIND) == entries(range(100))


def test_a_small_file_is_always_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "parsed.jsonl"
    write_lines(path, KIND, entries(range(100)))
    save_store(path, KIND, read_store(path, KIND), entries(range(101)))
    assert not delta_path(path).exists() and read_lines(path, KIND) == entries(range(101))


def test_values_used_as_read_are_kept_without_being_copied_out(
    tmp_path: Path, small_delta: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build marks what it used as AS_READ (the value the store read, from the file or its delta):
    saving keeps those values, and the file stays as it is while the delta is small."""
    path = tmp_path / "parsed.jsonl"
    write_lines(path, KIND, entries(range(100)))
    save_store(path, KIND, read_store(path, KIND), {**entries(range(100)), **entries(range(100, 105))})
    store = read_store(path, KIND)
    assert isinstance(store.entries, keyed_lines.Lines) and store.entries.in_file(key(3))
    assert not store.entries.in_file(key(101))  # from the delta
    stamp = path.stat().st_mtime_ns
    used = {k: keyed_lines.AS_READ for k in [*entries(range(98)), *entries(range(100, 105))]}
    used[key(200)] = b'{"v":200}'
    save_store(path, KIND, store, used)
    assert path.stat().st_mtime_ns == stamp
    again = read_store(path, KIND)
    assert again.delta == {**entries(range(100, 105)), key(200): b'{"v":200}'}
    monkeypatch.setattr(keyed_lines, "DELTA_SHARE", 0.0)  # now written whole: every value as read
    save_store(path, KIND, again, {k: keyed_lines.AS_READ for k in [*entries(range(98)), *entries(range(100, 105))]})
    assert read_lines(path, KIND) == {**entries(range(98)), **entries(range(100, 105))}
    assert not delta_path(path).exists()
