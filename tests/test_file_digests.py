"""Digests remembered by stat (file_digests.py): never a stale digest, and no file read twice for nothing."""

from __future__ import annotations

import os
from pathlib import Path

from generator.dependencies import tree_digest
from generator.file_digests import FileDigests, read_digest


def _table(tmp_path: Path, racy_ns: int = 0) -> FileDigests:
    return FileDigests(tmp_path / "digests.json", racy_ns=racy_ns)


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    source = tmp_path / "a.yaml"
    source.write_text("title: 一\n", encoding="utf-8")
    first = _table(tmp_path)
    assert first.of(str(source)) == read_digest(str(source)) and first.read == 1
    first.save()
    second = _table(tmp_path)
    assert second.of(str(source)) == read_digest(str(source)) and second.read == 0


def test_a_change_that_keeps_size_and_mtime_is_still_seen(tmp_path: Path) -> None:
    """cp -p, rsync -t and tar put the old mtime back; the ctime they cannot."""
    source = tmp_path / "a.yaml"
    source.write_text("title: 一\n", encoding="utf-8")
    before = os.stat(source)
    first = _table(tmp_path)
    first.of(str(source))
    first.save()
    source.write_text("title: 二\n", encoding="utf-8")  # same size
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(source).st_size == before.st_size and os.stat(source).st_mtime_ns == before.st_mtime_ns
    second = _table(tmp_path)
    assert second.of(str(source)) == read_digest(str(source)) != first.known.get(str(source), [""] * 6)[5]
    assert second.read == 1


def test_a_file_written_just_before_the_build_is_read_again_next_time(tmp_path: Path) -> None:
    """Racy files: changed within the clock tick of a recorded write, a file could keep its stat."""
    source = tmp_path / "a.yaml"
    source.write_text("title: 一\n", encoding="utf-8")
    first = FileDigests(tmp_path / "digests.json")  # the real margin: the file is seconds old at most
    first.of(str(source))
    first.save()
    second = FileDigests(tmp_path / "digests.json")
    second.of(str(source))
    assert second.read == 1


def test_a_damaged_or_foreign_table_means_reading_every_file(tmp_path: Path) -> None:
    source = tmp_path / "a.yaml"
    source.write_text("title: 一\n", encoding="utf-8")
    for damage in ("{not json", '{"format": 99, "files": {}}', '{"format": 1, "files": {"x": 3}}', "\xff"):
        (tmp_path / "digests.json").write_text(damage, encoding="utf-8")
        table = _table(tmp_path)
        assert table.of(str(source)) == read_digest(str(source)) and table.read == 1


def test_a_tree_digest_is_the_same_with_and_without_the_table(tmp_path: Path) -> None:
    (tmp_path / "lib" / "records").mkdir(parents=True)
    for number in range(5):
        (tmp_path / "lib" / "records" / f"XF-2024-000{number}.yaml").write_text(f"id: {number}\n", encoding="utf-8")
    without = tree_digest(tmp_path / "lib")
    first = _table(tmp_path)
    assert tree_digest(tmp_path / "lib", first) == without
    first.save()
    second = _table(tmp_path)
    assert tree_digest(tmp_path / "lib", second) == without and second.read == 0
    (tmp_path / "lib" / "records" / "XF-2024-0003.yaml").write_text("id: 33\n", encoding="utf-8")
    third = _table(tmp_path)
    assert tree_digest(tmp_path / "lib", third) == tree_digest(tmp_path / "lib") != without
    assert third.read == 1
