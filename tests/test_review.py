"""Issue 16, items 4 and 5: drafts are caught, and entries and guides go 草稿 → 待审 → 已发布.

A skeleton's （待填写） is an error in anything that is not a draft; only 已发布 entries and guides
reach the training and public editions; the internal edition marks the others and lists them on
its 待审 page; `casebook submit` and `casebook publish` change the review block and nothing else."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.conftest import AS_OF, Scratch, build_site, run_cli, snapshot


def new(library: Path, kind: str) -> Path:
    run = run_cli("new", kind, library, "--date", "2024-06-01")
    assert run.exit_code == 0, run.stderr
    return Path(run.stdout.strip())


def errors(library: Scratch) -> list[str]:
    return [p for p in library.problems() if "警告" not in p]


def test_a_new_class_skeleton_is_refused_in_every_edition(sample_copy: Scratch, tmp_path: Path) -> None:
    skeleton = new(sample_copy.root, "class")
    relative = skeleton.relative_to(sample_copy.root).as_posix()
    class_id = skeleton.stem
    # Even opened to the public by mistake, a draft stays out of the training and public editions.
    sample_copy.replace(relative, "visibility: internal", "visibility: public")
    assert errors(sample_copy) == []  # a draft may hold its blanks
    for audience in ("training", "public"):
        out = tmp_path / audience
        assert build_site(sample_copy.root, out, "--audience", audience).exit_code == 0
        assert not (out / "classes" / class_id).exists()
        assert (
            class_id not in (out / "search" / "search_index.json").read_text(encoding="utf-8")
            if (out / "search" / "search_index.json").exists()
            else True
        )
    internal = tmp_path / "internal"
    assert build_site(sample_copy.root, internal).exit_code == 0
    page = (internal / "classes" / class_id / "index.html").read_text(encoding="utf-8")
    assert "草稿" in page and "未经审核发布" in page
    review_page = (internal / "review" / "index.html").read_text(encoding="utf-8")
    assert class_id in review_page
    # Said to be published while still blank: every blank is a located error, and publish refuses.
    sample_copy.replace(relative, "  status: draft", "  status: published\n  reviewer: 处长\n  date: 2024-06-01")
    found = errors(sample_copy)
    assert found and all("（待填写）" in p and p.startswith(f"{relative}:") for p in found)
    assert any(p.startswith(f"{relative}:4:7: name:") for p in found), found[:3]


def test_publish_refuses_a_blank_guide_and_writes_nothing(sample_copy: Scratch) -> None:
    new(sample_copy.root, "class")
    before = snapshot(sample_copy.root)
    run = run_cli("publish", "LA-008", "--reviewer", "市信访局分管副局长", "--library", sample_copy.root)
    assert run.exit_code == 1
    assert "classes/LA-008.yaml:" in run.stdout and "（待填写）" in run.stdout
    assert "发布后校验发现" in run.stderr and "未改动任何文件" in run.stderr
    assert snapshot(sample_copy.root) == before


def test_publish_changes_the_review_block_and_nothing_else(sample_copy: Scratch) -> None:
    relative = "typical/2023-10-1-001.yaml"  # 待审 in the sample
    sample_copy.replace(relative, "review:\n  status: pending\n", "review:  # 送审记录\n  status: pending  # 待审\n")
    before = sample_copy.read(relative)
    publish = ("publish", "2023-10-1-001", "--reviewer", "市信访局业务指导处处长", "--date", AS_OF)
    run = run_cli(*publish, "--library", sample_copy.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "typical/2023-10-1-001.yaml：待审 → 已发布" in run.stdout
    after = sample_copy.read(relative)
    expected = before.replace(
        "  status: pending  # 待审\n",
        f"  status: published  # 待审\n  reviewer: 市信访局业务指导处处长\n  date: {AS_OF}\n",
    )
    assert after == expected
    assert errors(sample_copy) == []
    # Again: nothing to change, nothing written.
    again = run_cli(*publish, "--library", sample_copy.root)
    assert again.exit_code == 0 and "已是已发布，未改动" in again.stdout
    assert sample_copy.read(relative) == expected


def test_publish_adds_a_missing_review_block_before_visibility_and_rewrites_a_flow_one(sample_copy: Scratch) -> None:
    relative = "classes/LA-006.yaml"  # 待审 in the sample
    sample_copy.replace(relative, "review:\n  status: pending\n", "")
    run = run_cli(
        "publish", "LA-006", "--reviewer", "市委政法委执法监督科科长", "--date", AS_OF, "--library", sample_copy.root
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    text = sample_copy.read(relative)
    assert text.endswith(
        f"review:\n  status: published\n  reviewer: 市委政法委执法监督科科长\n  date: {AS_OF}\nvisibility: internal\n"
    )
    sample_copy.replace(
        relative,
        f"review:\n  status: published\n  reviewer: 市委政法委执法监督科科长\n  date: {AS_OF}\n",
        "review: {status: draft}\n",
    )
    assert run_cli("submit", "LA-006", "--library", sample_copy.root).exit_code == 0
    assert "review: {status: pending}\n" in sample_copy.read(relative)
    assert errors(sample_copy) == []


def test_submit_refuses_a_published_entry_and_records_have_no_review(sample_copy: Scratch) -> None:
    before = snapshot(sample_copy.root)
    run = run_cli("submit", "2021-02-2-001", "--library", sample_copy.root)
    assert run.exit_code == 2 and "已发布，不能送审" in run.stderr
    run = run_cli("publish", "XF-2021-0001", "--reviewer", "处长", "--library", sample_copy.root)
    assert run.exit_code == 2 and "没有审核状态" in run.stderr
    run = run_cli("publish", "2099-01-1-001", "--reviewer", "处长", "--library", sample_copy.root)
    assert run.exit_code == 2 and "typical/ 中没有 2099-01-1-001" in run.stderr
    assert snapshot(sample_copy.root) == before


def test_published_needs_a_reviewer_and_a_date(sample_copy: Scratch) -> None:
    sample_copy.replace("classes/LA-006.yaml", "  status: pending\n", "  status: published\n")
    found = errors(sample_copy)
    assert len(found) == 1
    assert found[0].startswith("classes/LA-006.yaml:") and "review.status" in found[0]
    assert "审核人职务 reviewer、审核日期 date" in found[0]


def test_a_record_with_a_blank_is_an_error_where_the_blank_is(sample_copy: Scratch) -> None:
    sample_copy.replace("records/XF-2021-0001.yaml", "demands:\n", "demands:\n  - （待 填写）\n")
    found = errors(sample_copy)
    assert len(found) == 1 and found[0].startswith("records/XF-2021-0001.yaml:") and "demands[0]" in found[0]
    assert "请填写实际内容" in found[0] and "草稿" not in found[0]


def test_only_published_documents_reach_the_training_edition(sample_copy: Scratch, tmp_path: Path) -> None:
    # 2022-02-2-002 is a published training entry in the sample; make it 待审.
    sample_copy.replace("typical/2022-02-2-002.yaml", "  status: published\n", "  status: pending\n")
    out = tmp_path / "training"
    run = build_site(sample_copy.root, out, "--audience", "training")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert not (out / "typical" / "2022-02-2-002").exists()
    assert (out / "typical" / "2021-02-2-001" / "index.html").exists()
    assert not (out / "review").exists()  # the 待审 page is the office's own
    everything = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "2022-02-2-002" not in everything


def test_the_internal_edition_marks_what_awaits_review(sample_site: Path) -> None:
    review = (sample_site / "review" / "index.html").read_text(encoding="utf-8")
    pending, draft = review.split("<h2", 2)[1:]
    assert "2023-10-1-001" in pending and "LA-006" in pending and "2022-05-1-002" in pending
    assert "2022-04-1-001" in draft and "2021-02-2-001" not in review
    entry = (sample_site / "typical" / "2023-10-1-001" / "index.html").read_text(encoding="utf-8")
    assert "等待审核" in entry
    guide = (sample_site / "classes" / "LA-006" / "index.html").read_text(encoding="utf-8")
    assert "等待审核" in guide
    docx = next((sample_site / "downloads").glob("guide-LA-006-*.docx"))
    with zipfile.ZipFile(docx) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert "待审，未经审核发布" in body
    listing = (sample_site / "typical" / "index.html").read_text(encoding="utf-8")
    assert "2022-04-1-001 · " in listing and "· 草稿" in listing
