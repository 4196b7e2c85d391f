"""The memory of the load+validate stage gives exactly the problems (and models) of a check without it.

check_library with a parse cache and a validation memo kept between runs must
report what a check with no memory reports — the same messages at the same
positions in the same order — and read models equal to a fresh parse, after
any sequence of edits: text, personal data, references, class ids, settings
vocabularies, time limits and protected names, the reference date, files
added, deleted, broken and restored. Damaged or foreign memory files are
read as no memory, never as an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import keyed_lines
from generator.contract import TimeLimits, Vocabularies
from generator.dependencies import tree_digest
from generator.errors import Problem
from generator.file_digests import TABLE_FILE as DIGESTS_FILE
from generator.file_digests import FileDigests
from generator.library import FileReader, Library, read_library, read_text
from generator.parse_cache import CACHE_FILE, ParseCache
from generator.privacy import id_check_digit, luhn_valid
from generator.validate import Inputs, check_library
from generator.validate_memo import MEMO_FILE, ValidateMemo

SAMPLE = Path(__file__).resolve().parent.parent / "cases"
AS_OF = dt.date(2024, 6, 30)
ID_NUMBER = "44030619900307241" + id_check_digit("44030619900307241")
CARD_NUMBER = next(n for n in (f"622202020011223344{d}" for d in "0123456789") if luhn_valid(n))


def small_sample(target: Path) -> Path:
    """The sample library with fewer records (each check runs twice per step): settings, every class,
    five typical entries and their records, the records with an extension, three more."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "settings.yaml", target / "settings.yaml")
    shutil.copytree(SAMPLE / "classes", target / "classes")
    (target / "typical").mkdir()
    (target / "records").mkdir()
    records = {"XF-2021-0006", "XF-2021-0007", "XF-2022-0007", "XF-2024-0001", "XF-2024-0002", "XF-2024-0003"}
    for entry in sorted((SAMPLE / "typical").glob("*.yaml"))[:5]:
        shutil.copy(entry, target / "typical" / entry.name)
        records.update(re.findall(r"^  - (XF-\d{4}-\d{4})$", entry.read_text(encoding="utf-8"), re.M))
    for record in sorted(records):
        shutil.copy(SAMPLE / "records" / f"{record}.yaml", target / "records" / f"{record}.yaml")
    return target


def remembered_check(root: Path, as_of: dt.date, cache_folder: Path) -> tuple[Library, list[Problem]]:
    """A build's load+validate stage: the parse cache, the memo and the file digests read
    (the digests by the fingerprint, as a build does first), used and saved.

    The digests trust a file's stat only once it is older than the racy window; the edits
    here come milliseconds apart, so the window is none and every edit gets a stat of its
    own (`restamp`): what the window ensures for real edits."""
    digests = FileDigests(cache_folder / DIGESTS_FILE, racy_ns=0)
    tree_digest(root, digests)
    parsed, memo = ParseCache(cache_folder / CACHE_FILE), ValidateMemo(cache_folder / MEMO_FILE)
    library, problems = check_library(root, as_of, None, parsed, memo=memo, digests=digests)
    parsed.save()
    memo.save()
    digests.save()
    return library, problems


def restamp(root: Path, state: dict[str, Any]) -> None:
    """Every file whose bytes changed since the last call gets an mtime no file had before."""
    seen: dict[Path, bytes] = state.setdefault("bytes", {})
    for path in sorted(root.rglob("*.yaml")):
        data = path.read_bytes()
        if seen.get(path) != data:
            seen[path] = data
            state["stamp"] = stamp = state.get("stamp", 1_600_000_000_000_000_000) + 1_000_000
            os.utime(path, ns=(stamp, stamp))


def models(library: Library) -> list[Any]:
    documents = [library.settings, *library.records, *library.typical, *library.classes]
    return [(doc.path, doc.model) for doc in documents if doc is not None]


def assert_same_as_without_memory(root: Path, as_of: dt.date, cache_folder: Path) -> list[Problem]:
    library, problems = remembered_check(root, as_of, cache_folder)
    fresh_library, fresh = check_library(root, as_of)
    assert problems == fresh
    assert models(library) == models(fresh_library)
    assert library.unreadable_ids == fresh_library.unreadable_ids
    return problems


# ── edits ───────────────────────────────────────────────────────────────────

FRAGMENTS = [
    "（修订）",
    "，联系电话 13812345678",
    "，联系电话１３８ １２３４ ５６７８",
    f"，身份证号 {ID_NUMBER}",
    f"，银行卡 {CARD_NUMBER}",
    "，详见javascript:alert(1)",
    "，信访人王建国反映",
    "，业主李明华称",
    "，张某",
]


def files_in(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).glob("*.yaml"))


def substitute(path: Path, pattern: str, replacement: str) -> None:
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(pattern, replacement, text, count=1, flags=re.M), encoding="utf-8")


def edit_title(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A new title, often with personal data or a link in it."""
    folder = data.draw(st.sampled_from(["records", "typical", "classes"]))
    files = files_in(root, folder)
    if files:
        path = data.draw(st.sampled_from(files))
        fragment = data.draw(st.sampled_from(FRAGMENTS))
        substitute(path, r"^(title|name): (.*)$", lambda m: f"{m.group(1)}: {m.group(2)}{fragment}")


def break_reference(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A record's class or an entry's source record changed to one that may not exist."""
    if data.draw(st.booleans()) and files_in(root, "records"):
        path = data.draw(st.sampled_from(files_in(root, "records")))
        target = data.draw(st.sampled_from(["LA-001", "LA-003", "LA-099"]))
        substitute(path, r"^class: .*$", f"class: {target}")
    elif files_in(root, "typical"):
        path = data.draw(st.sampled_from(files_in(root, "typical")))
        records = [p.stem for p in files_in(root, "records")] + ["XF-2099-0001"]
        substitute(path, r"^  - XF-\d{4}-\d{4}$", f"  - {data.draw(st.sampled_from(records))}")


def rename_class(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A class's id changed (its file name then disagrees), sometimes its file renamed too."""
    classes = files_in(root, "classes")
    if classes:
        path = data.draw(st.sampled_from(classes))
        new_id = f"LA-{data.draw(st.integers(8, 12)):03d}"
        substitute(path, r"^id: .*$", f"id: {new_id}")
        if data.draw(st.booleans()) and not (root / "classes" / f"{new_id}.yaml").exists():
            path.rename(root / "classes" / f"{new_id}.yaml")


def edit_vocabulary(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A value dropped from one of settings.yaml's lists (a domain, region, unit, channel …)."""
    path = root / "settings.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if line.startswith("time_limits:"))
    listed = [i for i, line in enumerate(lines[:end]) if line.startswith("    - ")]
    if listed:
        del lines[data.draw(st.sampled_from(listed))]
        path.write_text("".join(lines), encoding="utf-8")


def edit_time_limits(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    days = data.draw(st.sampled_from([0, 15, 30, 45]))
    substitute(root / "settings.yaml", r"^      extension_days: \d+$", f"      extension_days: {days}")


def edit_protected_names(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A protected name added (often one that some record's text holds) or the list emptied."""
    path = root / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    if data.draw(st.integers(0, 3)) == 0:
        path.write_text(re.sub(r"^protected_names:\n(  - .*\n)*", "protected_names: []\n", text, flags=re.M), "utf-8")
        return
    name = data.draw(st.sampled_from(["王建国", "李明华", "农民工", "补偿款", "临河县", "拖欠工资"]))
    text = re.sub(r"^protected_names: \[\]$", "protected_names:", text, flags=re.M)
    path.write_text(text.replace("protected_names:\n", f"protected_names:\n  - {name}\n"), encoding="utf-8")


def change_as_of(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    state["as_of"] = data.draw(st.sampled_from([AS_OF, dt.date(2023, 6, 30), dt.date(2022, 1, 1)]))


def add_record(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A copy of a record under a new file name, with its id changed to match or not."""
    records = files_in(root, "records")
    if records:
        source = data.draw(st.sampled_from(records))
        number = data.draw(st.integers(1, 3))
        new_id = f"XF-{source.stem[3:7]}-09{number:02d}"
        text = source.read_text(encoding="utf-8")
        if data.draw(st.booleans()):
            text = re.sub(r"^id: .*$", f"id: {new_id}", text, count=1, flags=re.M)
        (root / "records" / f"{new_id}.yaml").write_text(text, encoding="utf-8")


def delete_file(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    folder = data.draw(st.sampled_from(["records", "records", "typical", "classes"]))
    files = files_in(root, folder)
    if files:
        data.draw(st.sampled_from(files)).unlink()


def break_file(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A file that no longer loads (a YAML error, a missing field), with personal data in it or not."""
    folder = data.draw(st.sampled_from(["records", "typical", "classes"]))
    files = files_in(root, folder)
    if files:
        path = data.draw(st.sampled_from(files))
        text = path.read_text(encoding="utf-8")
        how = data.draw(st.sampled_from(["yaml", "field", "phone"]))
        if how == "yaml":
            text += "broken: [unclosed\n"
        elif how == "field":
            text = re.sub(r"^title: .*\n", "", text, count=1, flags=re.M)
        else:
            text = re.sub(r"^id: (.*)$", r"id: \1-x\nnote: 电话 13812345678", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")


def future_date(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    records = files_in(root, "records")
    if records:
        path = data.draw(st.sampled_from(records))
        substitute(path, r"^received: .*$", f"received: {data.draw(st.sampled_from(['2030-01-01', '2023-12-31']))}")


def restore(root: Path, data: st.DataObject, state: dict[str, Any]) -> None:
    """A file back as the sample has it (its old results may still be remembered), or all of settings.yaml."""
    if data.draw(st.booleans()):
        shutil.copy(SAMPLE / "settings.yaml", root / "settings.yaml")
        return
    folder = data.draw(st.sampled_from(["records", "typical", "classes"]))
    originals = sorted(p.name for p in (state["original"] / folder).glob("*.yaml"))
    name = data.draw(st.sampled_from(originals))
    shutil.copy(state["original"] / folder / name, root / folder / name)


EDITS: list[Callable[[Path, st.DataObject, dict[str, Any]], None]] = [
    edit_title,
    break_reference,
    rename_class,
    edit_vocabulary,
    edit_time_limits,
    edit_protected_names,
    change_as_of,
    add_record,
    delete_file,
    break_file,
    future_date,
    restore,
]


@pytest.mark.parametrize("delta_from", [keyed_lines.DELTA_FROM, 0], ids=["whole-files", "deltas"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_sequence_of_edits_reports_what_a_check_without_memory_reports(
    delta_from: int, data: st.DataObject
) -> None:
    """With deltas (keyed_lines.py) from the first entry on, as well as with whole files only."""
    saved, keyed_lines.DELTA_FROM = keyed_lines.DELTA_FROM, delta_from
    try:
        check_edit_sequence(data)
    finally:
        keyed_lines.DELTA_FROM = saved


def check_edit_sequence(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        original = small_sample(Path(scratch) / "original")
        root = Path(scratch) / "library"
        shutil.copytree(original, root)
        cache_folder = Path(scratch) / "cache"
        cache_folder.mkdir()
        state: dict[str, Any] = {"as_of": AS_OF, "original": original}
        restamp(root, state)
        assert_same_as_without_memory(root, AS_OF, cache_folder)
        for _ in range(data.draw(st.integers(1, 4), label="steps")):
            for edit in data.draw(st.lists(st.sampled_from(EDITS), min_size=1, max_size=3), label="edits"):
                edit(root, data, state)
            restamp(root, state)
            assert_same_as_without_memory(root, state["as_of"], cache_folder)


def test_the_sample_is_clean_and_each_input_the_edits_touch_makes_problems(tmp_path: Path) -> None:
    """The property above is only as strong as its edits: the sample starts without problems, and an
    edit of each input (text, settings' lists, time limits and names, the date, references) shows."""
    root = small_sample(tmp_path)
    assert check_library(root, AS_OF)[1] == []
    record = root / "records" / "XF-2024-0001.yaml"
    substitute(record, r"^title: (.*)$", rf"title: \1，身份证号 {ID_NUMBER}，详见javascript:alert(1)")
    substitute(record, r"^class: .*$", "class: LA-099")
    substitute(root / "settings.yaml", r"^      extension_days: 30$", "      extension_days: 15")
    substitute(root / "settings.yaml", r"^    - 市信访局\n", "")
    substitute(root / "settings.yaml", r"^protected_names:$", "protected_names:\n  - 农民工")
    messages = "\n".join(str(p) for p in check_library(root, AS_OF)[1])
    assert f"**************{ID_NUMBER[-4:]}" in messages
    assert "不允许 javascript: 链接" in messages
    assert "类案 LA-099 不存在" in messages
    assert "延期 30 天超过“普通程序”允许的 15 天" in messages
    assert "“市信访局” 不在 settings.yaml 的 units 词表中" in messages
    assert "受保护" in messages
    assert any("晚于统计日期 2022-01-01" in p.message for p in check_library(root, dt.date(2022, 1, 1))[1])


# ── damaged and foreign memory ──────────────────────────────────────────────


def damaged_copies(good: bytes) -> list[bytes]:
    middle = len(good) // 2
    flipped = good[:middle] + bytes([good[middle] ^ 0x01]) + good[middle + 1 :]
    return [
        b"",
        b"\x00\xff" * 100,
        b"not json\n",
        good[:middle],
        flipped,
        good.replace(b"\n", b"\r\n"),
        b'{"format": 1}\n' + good.partition(b"\n")[2],
        good + b'["0000000000000000000000000000000000000000",[]]\n',
    ]


@pytest.mark.parametrize("name", [CACHE_FILE, MEMO_FILE])
def test_a_damaged_memory_file_is_read_as_no_memory(tmp_path: Path, name: str) -> None:
    root = small_sample(tmp_path / "library")
    substitute(root / "records" / "XF-2024-0001.yaml", r"^title: (.*)$", r"title: \1，联系电话 13812345678")
    cache_folder = tmp_path / "cache"
    cache_folder.mkdir()
    expected = assert_same_as_without_memory(root, AS_OF, cache_folder)
    assert expected and (cache_folder / name).is_file()
    good = (cache_folder / name).read_bytes()
    for damaged in damaged_copies(good):
        (cache_folder / name).write_bytes(damaged)
        assert assert_same_as_without_memory(root, AS_OF, cache_folder) == expected
        assert (cache_folder / name).read_bytes() == good  # rewritten whole by the save
    (cache_folder / name).unlink()
    (cache_folder / name).mkdir()  # not even a file: read as nothing, the save fails as a build's would
    parsed, memo = ParseCache(cache_folder / CACHE_FILE), ValidateMemo(cache_folder / MEMO_FILE)
    assert check_library(root, AS_OF, None, parsed, memo=memo)[1] == expected


def test_entries_of_the_wrong_shape_are_checked_again(tmp_path: Path) -> None:
    """An intact file (checksum right) whose entries are not problem rows: each is a miss."""
    root = small_sample(tmp_path / "library")
    substitute(root / "records" / "XF-2024-0001.yaml", r"^title: (.*)$", r"title: \1，联系电话 13812345678")
    cache_folder = tmp_path / "cache"
    cache_folder.mkdir()
    expected = assert_same_as_without_memory(root, AS_OF, cache_folder)
    keys = list(keyed_lines.read_lines(cache_folder / MEMO_FILE, "validated"))
    wrong = [b"{}", b'[["1",2,"f","m","error"]]', b'[[1,2,"f","m","fatal"]]', b"[[true,2,3]]", b"[1]", b"not json"]
    entries = {key: wrong[i % len(wrong)] for i, key in enumerate(keys)}
    keyed_lines.write_lines(cache_folder / MEMO_FILE, "validated", entries)
    assert assert_same_as_without_memory(root, AS_OF, cache_folder) == expected
    parsed_keys = list(keyed_lines.read_lines(cache_folder / CACHE_FILE, "parsed"))
    keyed_lines.write_lines(cache_folder / CACHE_FILE, "parsed", dict.fromkeys(parsed_keys, b'{"id": 3}'))
    assert assert_same_as_without_memory(root, AS_OF, cache_folder) == expected


def test_memory_written_by_another_generator_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries under the very keys of this library, with a problem no check makes, in files whose
    header names another code digest: not one of them is used."""
    root = small_sample(tmp_path / "library")
    cache_folder = tmp_path / "cache"
    cache_folder.mkdir()
    assert assert_same_as_without_memory(root, AS_OF, cache_folder) == []
    memo_keys = list(keyed_lines.read_lines(cache_folder / MEMO_FILE, "validated"))
    parsed_keys = list(keyed_lines.read_lines(cache_folder / CACHE_FILE, "parsed"))
    assert memo_keys and parsed_keys
    monkeypatch.setattr(keyed_lines, "code_digest", lambda: "another generator")
    invented = '[[1,1,"id","另一版本写下的问题","error"]]'.encode()
    keyed_lines.write_lines(cache_folder / MEMO_FILE, "validated", dict.fromkeys(memo_keys, invented))
    keyed_lines.write_lines(cache_folder / CACHE_FILE, "parsed", dict.fromkeys(parsed_keys, b'{"id": 3}'))
    monkeypatch.undo()
    assert ValidateMemo(cache_folder / MEMO_FILE).entries == {}
    assert ParseCache(cache_folder / CACHE_FILE).entries == {}
    assert assert_same_as_without_memory(root, AS_OF, cache_folder) == []
    # The same entries under this generator's header would be used: the header is what kept them out.
    keyed_lines.write_lines(cache_folder / MEMO_FILE, "validated", dict.fromkeys(memo_keys, invented))
    parsed, memo = ParseCache(cache_folder / CACHE_FILE), ValidateMemo(cache_folder / MEMO_FILE)
    assert any(p.message == "另一版本写下的问题" for p in check_library(root, AS_OF, None, parsed, memo=memo)[1])


def test_memory_keeps_what_the_latest_check_used_and_is_not_rewritten_without_change(tmp_path: Path) -> None:
    root = small_sample(tmp_path / "library")
    cache_folder = tmp_path / "cache"
    cache_folder.mkdir()
    (cache_folder / "parsed.json").write_text("{}", encoding="utf-8")  # an earlier version's parse cache
    remembered_check(root, AS_OF, cache_folder)
    assert not (cache_folder / "parsed.json").exists()
    files = 1 + sum(len(files_in(root, folder)) for folder in ("records", "typical", "classes"))
    for name, kind in ((MEMO_FILE, "validated"), (CACHE_FILE, "parsed")):
        assert len(keyed_lines.read_lines(cache_folder / name, kind)) == files
    stamps = {name: (cache_folder / name).stat().st_mtime_ns for name in (MEMO_FILE, CACHE_FILE)}
    remembered_check(root, AS_OF, cache_folder)
    assert {name: (cache_folder / name).stat().st_mtime_ns for name in (MEMO_FILE, CACHE_FILE)} == stamps
    files_in(root, "records")[0].unlink()
    remembered_check(root, dt.date(2023, 12, 31), cache_folder)  # another date: every memo key is new
    for name, kind in ((MEMO_FILE, "validated"), (CACHE_FILE, "parsed")):
        assert len(keyed_lines.read_lines(cache_folder / name, kind)) == files - 1


def test_without_a_folder_nothing_is_kept(tmp_path: Path) -> None:
    parsed, memo = ParseCache(None), ValidateMemo(None)
    _, problems = check_library(small_sample(tmp_path), AS_OF, None, parsed, memo=memo)
    parsed.save()
    memo.save()
    assert parsed.used == {} and memo.used == {} and problems == []


# ── the key of the per-document checks ──────────────────────────────────────


def test_every_input_of_the_document_checks_is_in_their_key(tmp_path: Path) -> None:
    """check_document reads a document and an Inputs: a change in any field of Inputs changes the digest."""
    library, _ = read_library(small_sample(tmp_path))
    inputs = Inputs.of(library, AS_OF)
    assert inputs.vocabularies is not None and inputs.time_limits is not None
    vocabularies = inputs.vocabularies.model_dump()
    time_limits = inputs.time_limits.model_dump()
    vocabularies["units"] = vocabularies["units"][:-1]
    time_limits["procedures"]["普通程序"]["extension_days"] = 29
    changed = {
        "as_of": AS_OF + dt.timedelta(days=1),
        "vocabularies": Vocabularies.model_validate(vocabularies),
        "time_limits": TimeLimits.model_validate(time_limits),
        "protected_names": (*inputs.protected_names, "李明华"),
    }
    assert set(changed) == {f.name for f in dataclasses.fields(Inputs)}
    for name, value in changed.items():
        assert dataclasses.replace(inputs, **{name: value}).digest != inputs.digest, name
    assert dataclasses.replace(inputs, vocabularies=None).digest != inputs.digest
    assert (
        dataclasses.replace(inputs, protected_names=("王建", "国")).digest
        != dataclasses.replace(inputs, protected_names=("王", "建国")).digest
    )
    assert Inputs.of(library, AS_OF).digest == inputs.digest


# ── the fast reader ─────────────────────────────────────────────────────────


def test_the_library_reader_reads_every_file_as_read_text_does(tmp_path: Path) -> None:
    """FileReader takes a short way for plain files; for everything else it must say what read_text says."""
    import os

    root = tmp_path / "library"
    (root / "records" / "sub").mkdir(parents=True)
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: x\n", encoding="utf-8")
    files = {
        "records/plain.yaml": b"id: x\n",
        "records/bom.yaml": b"\xef\xbb\xbfid: x\n",
        "records/empty.yaml": b"  \n",
        "records/utf16.yaml": "id: x\n".encode("utf-16"),
        "records/gbk.yaml": "标题: 测试\n".encode("gb18030"),
        "records/binary.yaml": b"id\x00x",
        "records/large.yaml": b"#" * (3 * 1024 * 1024),
        "records/sub/deep.yaml": b"id: y\n",
    }
    for relative, raw in files.items():
        (root / relative).write_bytes(raw)
    os.symlink(outside, root / "records" / "out.yaml")
    os.symlink(root / "records" / "plain.yaml", root / "records" / "in.yaml")
    os.symlink(root / "records" / "missing.yaml", root / "records" / "dangling.yaml")
    os.symlink(root / "records" / "sub", root / "records" / "linked")
    os.mkfifo(root / "records" / "pipe.yaml")
    (root / "records" / "folder.yaml").mkdir()
    names = [*files, "records/out.yaml", "records/in.yaml", "records/dangling.yaml", "records/linked/deep.yaml"]
    names += ["records/pipe.yaml", "records/folder.yaml", "records/absent.yaml"]
    reader = FileReader(root)
    for relative in names:
        slow: list[Problem] = []
        fast: list[Problem] = []
        assert reader.read(relative, fast) == read_text(root, relative, slow), relative
        assert fast == slow, relative


def test_the_collector_is_on_again_after_a_library_is_read() -> None:
    import gc

    from generator.parse_cache import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused(keep=True):  # found it off: leaves it to the outer block
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(ValueError), collector_paused():
        raise ValueError
    assert gc.isenabled()
    kept = [object.__new__(type("Kept", (), {}))]
    try:
        with collector_paused(keep=True):
            kept.append([kept])
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_files_known_unchanged_are_not_read_and_a_message_about_one_still_finds_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the digests know unchanged comes from the cache unread (FileReader.known); when a
    message needs a position in it (a record it cites is deleted), it is read then."""
    root = small_sample(tmp_path / "library")
    cache_folder = tmp_path / "cache"
    cache_folder.mkdir()
    state: dict[str, Any] = {}
    restamp(root, state)
    remembered_check(root, AS_OF, cache_folder)
    reads: list[str] = []
    read = FileReader.read

    def counted(self: FileReader, relative: str, problems: list[Problem]) -> str | None:
        reads.append(relative)
        return read(self, relative, problems)

    monkeypatch.setattr(FileReader, "read", counted)
    library, problems = remembered_check(root, AS_OF, cache_folder)
    assert not problems
    assert len(library.records) > 5
    assert [r for r in reads if r != "settings.yaml"] == []
    entry = sorted((root / "typical").glob("*.yaml"))[0]
    cited = re.findall(r"^  - (XF-\d{4}-\d{4})$", entry.read_text(encoding="utf-8"), re.M)[0]
    (root / "records" / f"{cited}.yaml").unlink()
    reads.clear()
    _, problems = remembered_check(root, AS_OF, cache_folder)
    assert f"typical/{entry.name}" in reads  # read for the message's position, not before
    _, fresh = check_library(root, AS_OF)
    assert problems == fresh
    located = [p for p in problems if p.path == f"typical/{entry.name}"]
    assert located and all(p.line > 0 and p.column > 0 for p in located)
