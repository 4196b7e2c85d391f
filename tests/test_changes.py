"""The change log (derive/changes.py, render/changes.py): what one build changed since the published one.

Snapshots are taken of SiteModels derived from the sample library and then
edited by hand (deriving the internal edition costs seconds; editing its
views costs nothing), and, for the editions that leave things out, of
libraries edited in memory and derived again, since the edition is applied
in derive_site and the log must inherit exactly that.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import markdown
import pytest

from generator.derive.changes import (
    CHANGES_FILE,
    Change,
    ChangeList,
    ChangeSet,
    changes_json,
    closed_on,
    compare,
    next_history,
    read_previous,
    snapshot,
)
from generator.derive.site import RecordView, SiteModel, derive_site, record_view
from generator.guard import check_site
from generator.library import Library
from generator.render.changes import ITEM_LIMIT, home_line, render_changes_page
from generator.validate import check_library
from tests.conftest import SAMPLE, Scratch

AS_OF = dt.date(2024, 6, 30)
LATER = dt.date(2024, 7, 5)
LIBRARY, PROBLEMS = check_library(SAMPLE)
SITE = derive_site(LIBRARY, "internal", AS_OF)
BEFORE = snapshot(SITE)
TRAINING = derive_site(LIBRARY, "training", AS_OF)
PUBLIC = derive_site(LIBRARY, "public", AS_OF)

OPEN_RECORD = "XF-2024-0001"  # 未化解, no closed date
INTERNAL_RECORD = "XF-2021-0001"
TRAINING_RECORD = "XF-2021-0002"
INTERNAL_ENTRY = "2022-04-1-001"  # draft
REVIEWED_ENTRY = "2023-10-1-001"  # internal, 待审
INTERNAL_CLASS = "LA-006"
HOSTILE = "<script>alert(1)</script> **x** [a](javascript:1) {: onclick=alert(1)}"


def test_the_sample_is_what_these_tests_assume() -> None:
    assert PROBLEMS == []
    records = {v.record.id: v.record for v in SITE.records}
    assert records[OPEN_RECORD].resolution is not None and closed_on(records[OPEN_RECORD]) is None
    assert records[INTERNAL_RECORD].visibility == "internal"
    assert records[TRAINING_RECORD].visibility == "training" and records[TRAINING_RECORD].lead_official
    entries = {v.entry.id: v.entry for v in SITE.entries}
    assert entries[INTERNAL_ENTRY].visibility == "internal"
    assert (entries[REVIEWED_ENTRY].visibility, entries[REVIEWED_ENTRY].review.status) == ("internal", "pending")
    assert {v.case_class.id: v.case_class.visibility for v in SITE.classes}[INTERNAL_CLASS] == "internal"


# ── hand-made sites ─────────────────────────────────────────────────────────


def edited_view(site: SiteModel, view: RecordView, **update: Any) -> RecordView:
    """The view of an edited record: its facts (the closed date among them) follow the edit."""
    return record_view(view.record.model_copy(update=update), site.settings, site.as_of, view.case_class)


def with_record(site: SiteModel, id_: str, **update: Any) -> SiteModel:
    views = [edited_view(site, v, **update) if v.record.id == id_ else v for v in site.records]
    assert views != site.records
    return replace(site, records=views)


def without_record(site: SiteModel, id_: str) -> SiteModel:
    return replace(site, records=[v for v in site.records if v.record.id != id_])


def plus_record(site: SiteModel, id_: str, title: str = "新增的一件信访事项") -> SiteModel:
    view = site.records[0]
    return replace(site, records=[*site.records, edited_view(site, view, id=id_, title=title)])


def with_entry(site: SiteModel, id_: str, **update: Any) -> SiteModel:
    views = [replace(v, entry=v.entry.model_copy(update=update)) if v.entry.id == id_ else v for v in site.entries]
    assert views != site.entries
    return replace(site, entries=views)


def with_class(site: SiteModel, id_: str, **update: Any) -> SiteModel:
    views = [
        replace(v, case_class=v.case_class.model_copy(update=update)) if v.case_class.id == id_ else v
        for v in site.classes
    ]
    assert views != site.classes
    return replace(site, classes=views)


def edited_library(edits: dict[str, dict[str, Any]]) -> Library:
    """The sample library with the documents named in `edits` changed (field → value), in memory."""

    def apply(documents: list[Any]) -> list[Any]:
        return [
            replace(doc, model=doc.model.model_copy(update=edits[doc.model.id])) if doc.model.id in edits else doc
            for doc in documents
        ]

    return replace(
        LIBRARY, records=apply(LIBRARY.records), typical=apply(LIBRARY.typical), classes=apply(LIBRARY.classes)
    )


def lists(changeset: ChangeSet) -> dict[str, list[dict[str, Any]]]:
    """The named changes of each non-empty list, as changes.json writes them."""
    return {key: [c.to_json() for c in change_list.items] for key, change_list in changeset.lists.items()}


# ── compare ─────────────────────────────────────────────────────────────────


def test_first_build_says_so_instead_of_listing_everything_as_new() -> None:
    changeset = compare(None, BEFORE, AS_OF)
    assert changeset.first and not changeset.empty and changeset.lists == {}
    assert dict(changeset.totals) == {"records": 100, "entries": 19, "classes": 7}
    assert home_line(changeset) == "2024-06-30 首次生成"
    page = render_changes_page([changeset], SITE)
    assert "首次生成：案例记录 100 件，典型案例 19 件，类案指引 7 份。" in page
    assert "XF-" not in page


def test_a_rebuild_without_changes_is_empty() -> None:
    changeset = compare(BEFORE, snapshot(SITE), LATER)
    assert changeset.empty and changeset.lists == {}
    assert home_line(changeset) == "2024-07-05 更新：无变化"
    assert "与上一次发布的网站相比没有变化。" in render_changes_page([changeset], SITE)


def test_an_edited_record_names_its_changed_fields_in_contract_order() -> None:
    site = with_record(SITE, INTERNAL_RECORD, summary="改写的基本情况。", title="改过的标题", tags=["新标签"])
    changeset = compare(BEFORE, snapshot(site), LATER)
    assert lists(changeset) == {"records.changed": [{"id": INTERNAL_RECORD, "fields": ["标题", "基本情况", "标签"]}]}
    assert home_line(changeset) == "2024-07-05 更新：修改 1 件"
    page = render_changes_page([changeset], site)
    assert f"- [{INTERNAL_RECORD} 改过的标题](records/{INTERNAL_RECORD}.md)：标题、基本情况、标签\n" in page


def test_an_emptied_or_filled_in_field_is_a_change() -> None:
    filled = with_record(SITE, OPEN_RECORD, subject="新填写的项目名称")
    assert lists(compare(BEFORE, snapshot(filled), LATER)) == {
        "records.changed": [{"id": OPEN_RECORD, "fields": ["涉及项目"]}]
    }
    emptied = with_record(filled, OPEN_RECORD, subject=None)
    assert lists(compare(snapshot(filled), snapshot(emptied), LATER)) == {
        "records.changed": [{"id": OPEN_RECORD, "fields": ["涉及项目"]}]
    }


def test_a_closed_record_is_listed_as_closed_with_its_date() -> None:
    record = next(v.record for v in SITE.records if v.record.id == OPEN_RECORD)
    assert record.resolution is not None
    resolution = record.resolution.model_copy(update={"closed": dt.date(2024, 7, 2), "outcome": "已化解"})
    site = with_record(SITE, OPEN_RECORD, resolution=resolution)
    changeset = compare(BEFORE, snapshot(site), LATER)
    assert lists(changeset) == {"records.closed": [{"id": OPEN_RECORD, "closed": "2024-07-02"}]}
    assert home_line(changeset) == "2024-07-05 更新：办结 1 件"
    assert "（办结日期 2024-07-02）" in render_changes_page([changeset], site)
    # Reopened: no longer closed, which is a change of its 办理结果.
    reopened = compare(snapshot(site), BEFORE, LATER)
    assert lists(reopened) == {"records.changed": [{"id": OPEN_RECORD, "fields": ["办理结果"]}]}


def test_a_termination_stage_closes_a_record_too() -> None:
    record = next(v.record for v in SITE.records if v.record.id == OPEN_RECORD)
    stages = [*record.stages, record.stages[-1].model_copy(update={"stage": "终结", "date": dt.date(2024, 6, 29)})]
    assert closed_on(record.model_copy(update={"stages": stages})) == dt.date(2024, 6, 29)


def test_added_and_removed_records() -> None:
    site = plus_record(without_record(SITE, INTERNAL_RECORD), "XF-2024-0999")
    changeset = compare(BEFORE, snapshot(site), LATER)
    assert lists(changeset) == {
        "records.added": [{"id": "XF-2024-0999"}],
        "records.removed": [{"id": INTERNAL_RECORD}],
    }
    assert dict(changeset.totals) == {"records": 100, "entries": 19, "classes": 7}
    assert home_line(changeset) == "2024-07-05 更新：新增 1 件，移除 1 件"
    page = render_changes_page([changeset], site)
    assert "- [XF-2024-0999 新增的一件信访事项](records/XF-2024-0999.md)\n" in page
    # The internal edition has every document: a deleted record is named, without a link to a page it no longer has.
    assert f"- {INTERNAL_RECORD}\n" in page and f"records/{INTERNAL_RECORD}.md" not in page


def test_entries_published_added_and_revised() -> None:
    entry = next(v.entry for v in SITE.entries if v.entry.id == REVIEWED_ENTRY)
    published = entry.review.model_copy(update={"status": "published"})
    site = with_entry(SITE, REVIEWED_ENTRY, review=published, lessons=[*entry.lessons, "新增一条经验启示"])
    site = with_entry(site, "2023-02-1-001", results="改写的化解成效。")
    draft = site.entries[0].entry.model_copy(update={"id": "2024-13-1-099", "review": entry.review})
    site = replace(site, entries=[*site.entries, replace(site.entries[0], entry=draft)])
    changeset = compare(BEFORE, snapshot(site), LATER)
    assert lists(changeset) == {
        "entries.published": [{"id": REVIEWED_ENTRY}],  # published now: not also "revised"
        "entries.added": [{"id": "2024-13-1-099"}],  # added, not yet published
        "entries.revised": [{"id": "2023-02-1-001", "fields": ["化解成效"]}],
    }
    assert home_line(changeset) == "2024-07-05 更新：发布典型案例 1 件，新增待发布典型案例 1 件，典型案例修订 1 件"


def test_a_guide_revision_reports_old_and_new_version() -> None:
    case_class = next(v.case_class for v in SITE.classes if v.case_class.id == "LA-002")
    steps = [case_class.steps[0].model_copy(update={"days": 3}), *case_class.steps[1:]]
    site = with_class(SITE, "LA-002", version="1.2", steps=steps)
    site = with_class(site, "LA-003", checklist=[*case_class.checklist, "新增一项核对"])  # no new version
    changeset = compare(BEFORE, snapshot(site), LATER)
    assert lists(changeset) == {
        "classes.revised": [
            {"id": "LA-002", "fields": ["办理流程"], "from": "1.1", "version": "1.2"},
            {"id": "LA-003", "fields": ["检查清单"], "from": "1.1", "version": "1.1"},
        ]
    }
    assert home_line(changeset) == "2024-07-05 更新：指引修订 2 份"
    page = render_changes_page([changeset], site)
    assert "- [LA-002 集体土地征收补偿](classes/LA-002.md)：版本 1.1 → 1.2；办理流程\n" in page
    assert "(classes/LA-003.md)：版本仍为 1.1；检查清单\n" in page


def test_the_home_line_of_the_brief() -> None:
    changeset = ChangeSet(
        date=LATER,
        lists={
            "records.added": ChangeList(tuple(Change(f"XF-2024-{n:04d}") for n in range(100, 112))),
            "records.closed": ChangeList(tuple(Change(f"XF-2023-{n:04d}", closed=LATER) for n in range(1, 9))),
            "classes.revised": ChangeList((Change("LA-001", version_from="1.2", version="1.3"),)),
        },
    )
    assert home_line(changeset) == "2024-07-05 更新：新增 12 件，办结 8 件，指引修订 1 份"


def test_a_snapshot_of_another_edition_is_no_previous_build() -> None:
    changeset = compare(snapshot(PUBLIC), BEFORE, LATER)
    assert changeset.first and changeset.lists == {}


# ── the editions that leave things out ──────────────────────────────────────


@pytest.mark.parametrize("audience", ["training", "public"])
def test_what_an_edition_leaves_out_never_reaches_its_log(audience: str) -> None:
    base = TRAINING if audience == "training" else PUBLIC
    edits = {
        INTERNAL_RECORD: {"title": "内部记录改了标题"},
        TRAINING_RECORD: {"lead_official": "另一位包案领导"},  # a training record's internal-only field
        INTERNAL_ENTRY: {"results": "内部典型案例改了成效"},
        INTERNAL_CLASS: {"version": "9.9"},
        # the control: a change this edition does show
        "2021-08-1-001": {"title": "公开的典型案例改了标题"},
    }
    library = edited_library(edits)
    site = derive_site(library, audience, AS_OF)
    changeset = compare(snapshot(base), snapshot(site), LATER)
    assert lists(changeset) == {"entries.revised": [{"id": "2021-08-1-001", "fields": ["标题"]}]}
    # The internal edition of the same library shows every one of them.
    internal = snapshot(
        with_class(
            with_entry(
                with_record(
                    with_record(SITE, INTERNAL_RECORD, **edits[INTERNAL_RECORD]),
                    TRAINING_RECORD,
                    **edits[TRAINING_RECORD],
                ),
                INTERNAL_ENTRY,
                **edits[INTERNAL_ENTRY],
            ),
            INTERNAL_CLASS,
            **edits[INTERNAL_CLASS],
        )
    )
    assert set(lists(compare(BEFORE, internal, LATER))) == {"records.changed", "entries.revised", "classes.revised"}


def test_a_document_that_leaves_an_edition_is_counted_never_named() -> None:
    # Last build, XF-2021-0002 was added to the training edition; now it is internal.
    earlier = ChangeSet(date=AS_OF, lists={"records.added": ChangeList((Change(TRAINING_RECORD),))})
    site = derive_site(edited_library({TRAINING_RECORD: {"visibility": "internal"}}), "training", AS_OF)
    current = snapshot(site)
    changeset = compare(snapshot(TRAINING), current, LATER)
    assert changeset.lists["records.removed"] == ChangeList((), withheld=1)
    # The entry built on it no longer cites it, and its text writes （未收录的信访事项）: that is a revision.
    assert lists(changeset) == {
        "records.removed": [],
        "entries.revised": [{"id": "2021-02-2-001", "fields": ["来源案例", "基本情况"]}],
    }
    assert home_line(changeset) == "2024-07-05 更新：移除 1 件，典型案例修订 1 件"
    history = next_history([earlier], changeset, 20)
    page = render_changes_page(history, site)
    text = changes_json(history, current)
    for output in (page, text):
        assert TRAINING_RECORD not in output
    assert "- 均已不在培训版中，不列出编号\n" in page
    assert page.count("均已不在培训版中") == 2  # removed now, added last time
    assert json.loads(text)["history"][1]["lists"] == {"records.added": {"items": [], "withheld": 1}}


def test_the_internal_edition_names_what_it_deleted_in_older_builds() -> None:
    earlier = ChangeSet(date=AS_OF, lists={"records.added": ChangeList((Change(INTERNAL_RECORD),))})
    site = without_record(SITE, INTERNAL_RECORD)
    history = next_history([earlier], compare(BEFORE, snapshot(site), LATER), 20)
    page = render_changes_page(history, site)
    assert f"- {INTERNAL_RECORD}（现已移除）\n" in page  # the earlier build's list, no link
    assert f"- {INTERNAL_RECORD}\n" in page  # this build's removal


# ── history, changes.json ───────────────────────────────────────────────────


def changed_on(day: int) -> ChangeSet:
    return ChangeSet(date=dt.date(2024, 7, day), lists={"records.added": ChangeList((Change(OPEN_RECORD),))})


def test_history_keeps_the_newest_n_and_lets_no_change_builds_push_nothing_out() -> None:
    history = next_history([], compare(None, BEFORE, AS_OF), 3)
    for day in (1, 2, 3):
        history = next_history(history, changed_on(day), 3)
    assert [c.date.day for c in history] == [3, 2, 1]
    # A build without changes adds nothing: the published log stays byte for byte.
    before = list(history)
    history = next_history(history, ChangeSet(date=dt.date(2024, 7, 4)), 3)
    assert history == before
    history = next_history(history, changed_on(6), 3)
    assert [c.date.day for c in history] == [6, 3, 2]
    # An empty entry written by an older version is dropped.
    history = next_history([ChangeSet(date=dt.date(2024, 7, 7)), *history], changed_on(8), 3)
    assert [c.date.day for c in history] == [8, 6, 3]
    assert next_history(history, compare(None, BEFORE, LATER), 3) == [compare(None, BEFORE, LATER)]


def test_changes_json_round_trips_through_the_published_site(tmp_path: Path) -> None:
    site = with_class(plus_record(SITE, "XF-2024-0999"), "LA-001", version="1.3")
    current = snapshot(site)
    history = next_history([compare(None, BEFORE, AS_OF)], compare(BEFORE, current, LATER), 20)
    (tmp_path / CHANGES_FILE).write_text(changes_json(history, current), encoding="utf-8")
    assert read_previous(tmp_path) == (current, history)
    # The next build compares with it.
    assert compare(read_previous(tmp_path)[0], current, LATER).empty


def test_rebuilding_without_changes_writes_the_same_bytes() -> None:
    history = next_history([], compare(None, BEFORE, AS_OF), 20)
    first = changes_json(history, BEFORE), render_changes_page(history, SITE)
    current = snapshot(SITE)
    again = next_history(history, compare(BEFORE, current, AS_OF), 20)
    again = next_history(again, compare(current, current, AS_OF), 20)
    assert (changes_json(again, current), render_changes_page(again, SITE)) == (
        changes_json(next_history(history, compare(BEFORE, current, AS_OF), 20), current),
        render_changes_page(next_history(history, compare(BEFORE, current, AS_OF), 20), SITE),
    )
    # Nothing changed since the first build: no entry is added, the head still says 首次生成.
    assert (changes_json(again, current), render_changes_page(again, SITE)) == first


def test_a_snapshot_made_with_the_previous_one_reuses_only_what_is_unchanged() -> None:
    site = with_record(SITE, INTERNAL_RECORD, title="改过的标题")
    assert snapshot(site, BEFORE) == snapshot(site)
    # Marked field hashes show which documents took theirs from the previous snapshot.
    marked = json.loads(json.dumps(BEFORE))
    for state in marked["records"].values():
        state["hashes"] = "a" * len(state["hashes"])
    again = snapshot(site, marked)
    assert {id_ for id_, state in again["records"].items() if set(state["hashes"]) != {"a"}} == {INTERNAL_RECORD}
    # Field hashes made for other field names are never taken.
    marked["fields"]["records"] = marked["fields"]["records"][::-1]
    assert snapshot(site, marked) == snapshot(site)


def test_snapshot_and_file_do_not_depend_on_the_order_of_the_model() -> None:
    shuffled = random.Random(7)
    records, entries, classes = list(SITE.records), list(SITE.entries), list(SITE.classes)
    for items in (records, entries, classes):
        shuffled.shuffle(items)
    other = replace(SITE, records=records, entries=entries, classes=classes)
    assert snapshot(other) == BEFORE
    history = [compare(None, BEFORE, AS_OF)]
    text = changes_json(history, BEFORE)
    assert changes_json(history, snapshot(other)).encode() == text.encode()
    assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_hashes_are_short_letters_that_no_number_detector_can_mistake(tmp_path: Path) -> None:
    """The guard scans changes.json: hex digits would sooner or later read as a phone number."""
    text = changes_json([compare(None, BEFORE, AS_OF)], BEFORE)
    for kind in ("records", "entries", "classes"):
        names = BEFORE["fields"][kind]
        for state in BEFORE[kind].values():
            assert re.fullmatch(f"[a-p]{{{12 * len(names)}}}", state["hashes"])
            assert re.fullmatch("[a-p]{12}", state["hash"])
    (tmp_path / CHANGES_FILE).write_text(text, encoding="utf-8")
    assert check_site(tmp_path, SITE.settings.protected_names) == []
    assert len(text.encode()) < 400 * len(SITE.records) + 20_000  # about 330 bytes a record


@pytest.mark.parametrize(
    "content",
    [
        None,  # no file
        b"",
        b"{not json",
        b"\xff\xfe{\x00}\x00",  # UTF-16
        b"[]",
        b'{"format": "casebook-changes", "version": 2, "history": [], "snapshot": {}}',
        b'{"site_name": "another tool\'s changes.json"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["missing", "empty", "broken", "utf16", "list", "newer", "foreign", "deep"],
)
def test_an_unreadable_changes_json_means_no_previous_build(tmp_path: Path, content: bytes | None) -> None:
    if content is not None:
        (tmp_path / CHANGES_FILE).write_bytes(content)
    assert read_previous(tmp_path) == (None, [])


def damaged(mutate: Any) -> bytes:
    data = json.loads(changes_json([compare(None, BEFORE, AS_OF), changed_on(1)], BEFORE))
    mutate(data)
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["snapshot"]["records"].update({"<script>": d["snapshot"]["records"][OPEN_RECORD]}),
        lambda d: d["snapshot"]["records"].update(
            {"XF-2020-0001\nXF-2020-0002": d["snapshot"]["records"][OPEN_RECORD]}
        ),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].update({"hash": "abcdefghijkq"}),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].update({"hash": 12}),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].update({"hashes": "abc"}),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].update({"hash": "abcdef"}),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].pop("hash"),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].update({"hashes": "0" * 12 * 23}),
        lambda d: d["snapshot"]["records"][OPEN_RECORD].update({"closed": "soon"}),
        lambda d: d["snapshot"].update({"edition": "everyone"}),
        lambda d: d["snapshot"]["fields"].update({"records": "title"}),
        lambda d: d["history"][1]["lists"]["records.added"]["items"][0].update({"id": "[x](javascript:1)"}),
        lambda d: d["history"][1]["lists"].update({"records.stolen": {"items": []}}),
        lambda d: d["history"][0].update({"first": "yes"}),
        lambda d: d["history"][0].update({"date": "2024-13-01"}),
        lambda d: d["history"][1]["lists"]["records.added"].update({"withheld": -1}),
        lambda d: d.update({"history": {}}),
    ],
)
def test_a_damaged_changes_json_means_no_previous_build(tmp_path: Path, mutate: Any) -> None:
    (tmp_path / CHANGES_FILE).write_bytes(damaged(lambda d: None))
    assert read_previous(tmp_path)[0] == BEFORE  # undamaged, it reads
    (tmp_path / CHANGES_FILE).write_bytes(damaged(mutate))
    assert read_previous(tmp_path) == (None, [])


def test_a_folder_named_changes_json_means_no_previous_build(tmp_path: Path) -> None:
    (tmp_path / CHANGES_FILE).mkdir()
    assert read_previous(tmp_path) == (None, [])


# ── the page ────────────────────────────────────────────────────────────────


def html_of(page: str) -> str:
    body = page.split("---\n", 2)[2]
    return markdown.markdown(body, extensions=["tables", "attr_list", "md_in_html", "admonition", "def_list"])


def test_data_in_the_page_is_text_never_markup() -> None:
    record = next(v.record for v in SITE.records if v.record.id == OPEN_RECORD)
    site = with_record(SITE, OPEN_RECORD, title=HOSTILE)
    site = with_class(site, "LA-001", name=HOSTILE, version="<b>2</b>")
    older = ChangeSet(
        date=AS_OF,
        lists={"records.changed": ChangeList((Change(INTERNAL_RECORD, fields=("<img src=x onerror=alert(1)>",)),))},
    )
    history = next_history([older], compare(BEFORE, snapshot(site), LATER), 20)
    page = render_changes_page(history, site)
    html = html_of(page)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "javascript:" not in html.replace("javascript&#58;", "")
    assert 'href="javascript' not in html and "onclick" not in re.sub(r"[^<]*", "", html)
    assert "<strong>x</strong>" not in html
    assert html.count("<a href=") == 3  # the record and the class, the older build's record: none from data
    assert f'<a href="records/{OPEN_RECORD}.md">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert record.title not in page


def test_long_lists_are_counted_past_the_limit() -> None:
    many = tuple(Change(f"XF-2030-{n:04d}") for n in range(ITEM_LIMIT + 50))
    page = render_changes_page([ChangeSet(date=LATER, lists={"records.removed": ChangeList(many)})], SITE)
    assert page.count("\n- XF-2030-") == ITEM_LIMIT
    assert f"**移除的案例记录（{ITEM_LIMIT + 50} 件）**" in page
    assert "- 另有 50 件未列出，完整清单在网站的 changes.json 中\n" in page


def test_the_page_is_the_same_whatever_the_order_of_the_model() -> None:
    history = [compare(BEFORE, snapshot(plus_record(SITE, "XF-2024-0999")), LATER)]
    site = plus_record(SITE, "XF-2024-0999")
    reversed_site = replace(site, records=site.records[::-1], entries=site.entries[::-1])
    assert render_changes_page(history, site) == render_changes_page(history, reversed_site)


# ── settings ────────────────────────────────────────────────────────────────


def test_keep_builds_defaults_to_20_and_must_be_at_least_1(mini: Scratch) -> None:
    assert SITE.settings.changes.keep_builds == 20
    assert "保留最近 20 次有变化的生成" in render_changes_page([], SITE)
    text = mini.read("settings.yaml")
    mini.write("settings.yaml", text + "changes:\n  keep_builds: 0\n")
    line = text.count("\n") + 2
    assert [p for p in mini.problems() if "keep_builds" in p] == [
        f"settings.yaml:{line}:16: changes.keep_builds: 应不小于 1"
    ]
    mini.write("settings.yaml", text + "changes:\n  keep_builds: 3\n")
    assert mini.problems() == []


def test_several_builds_of_one_day_are_numbered_under_their_date() -> None:
    """Administrators rebuild more than once a day: each build keeps its own section, told apart."""
    history = [changed_on(6), changed_on(5), changed_on(5), changed_on(4)]  # newest first
    headings = re.findall(r"^## (.+)$", render_changes_page(history, SITE), re.M)
    assert headings == ["2024-07-06", "2024-07-05（当日第 2 次）", "2024-07-05（当日第 1 次）", "2024-07-04"]


def test_a_records_hash_is_taken_from_the_memo_by_its_files_key(tmp_path: Path) -> None:
    """HashMemo: a record shown as read is hashed once per file content; the snapshot is the same,
    and the remembered hash is what it uses (a wrong one shows: the memo is read, not decorative)."""
    from generator.memo import HashMemo

    first = HashMemo(tmp_path)
    assert snapshot(SITE, None, first) == BEFORE
    first.save()
    again = HashMemo(tmp_path)
    assert len(again.hashes) == len(SITE.source_keys) == len(SITE.records)
    assert snapshot(SITE, BEFORE, again) == BEFORE
    edited = with_record(SITE, INTERNAL_RECORD, title="改过的标题")  # the model no longer as read
    edited.source_keys = {k: v for k, v in SITE.source_keys.items() if k != INTERNAL_RECORD}
    assert snapshot(edited, BEFORE, HashMemo(tmp_path)) == snapshot(edited, BEFORE)
    poisoned = HashMemo(tmp_path)
    poisoned.hashes[SITE.source_keys[OPEN_RECORD]] = "abcdefghijkl"
    assert snapshot(SITE, BEFORE, poisoned)["records"][OPEN_RECORD]["hash"] == "abcdefghijkl"
