"""Issue 16 (first part): the trainer's commands for real cases — a record of an earlier year, an
entry from the records it is written from, a 督查 stage, and `similar` saying why it found fewer."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import SAMPLE, Scratch, copy_library, run_cli, snapshot


def new(library: Path, *args: str) -> str:
    run = run_cli("new", *args[:1], library, *args[1:])
    assert run.exit_code == 0, run.stderr
    return run.stdout.strip()


def errors(library: Scratch) -> list[str]:
    return [p for p in library.problems() if "警告" not in p]


def test_a_record_of_an_earlier_year_gets_its_year_in_the_id_and_dates(sample_copy: Scratch) -> None:
    path = Path(new(sample_copy.root, "record", "--received", "2021-03-05"))
    assert path.name == "XF-2021-0016.yaml"  # the sample's 2021 records end at 0015
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert str(data["received"]) == "2021-03-05" and str(data["stages"][0]["date"]) == "2021-03-05"
    # No complaint about the year: only the blanks a record must have filled in (it has no draft state).
    assert errors(sample_copy) and all("（待填写）" in p for p in errors(sample_copy))


def test_an_entry_from_one_record_takes_its_id_parts_region_class_and_steps(sample_copy: Scratch) -> None:
    path = Path(new(sample_copy.root, "typical", "--from", "XF-2021-0001"))
    assert path.name == "2021-02-1-001.yaml"  # 2021, 征地拆迁 (02), 个案 (1)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["records"] == ["XF-2021-0001"]
    assert (data["region"], data["class"], data["outcome"]) == ("某市/临河县/河口乡", "LA-002", "已化解")
    steps = data["process"]
    assert str(steps[0]["date"]) == "2021-03-09" and steps[0]["action"].startswith("登记：河口乡排查后")
    assert steps[1]["action"] == "受理：（待填写）"  # a stage without a note: a placeholder to write
    assert errors(sample_copy) == []


def test_an_entry_from_several_records_is_a_batch_in_the_region_they_share(sample_copy: Scratch) -> None:
    library, _ = __import__("generator.library", fromlist=["read_library"]).read_library(SAMPLE)
    regions = {doc.model.id: doc.model.region for doc in library.records}
    path = Path(new(sample_copy.root, "typical", "--from", "XF-2021-0001", "--from", "XF-2021-0004"))
    assert re.fullmatch(r"2021-02-2-\d{3}\.yaml", path.name)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["records"] == ["XF-2021-0001", "XF-2021-0004"]
    shared = regions["XF-2021-0001"].split("/")
    other = regions["XF-2021-0004"].split("/")
    common = "/".join(a for a, b in zip(shared, other, strict=False) if a == b)
    assert data["region"] == common
    assert errors(sample_copy) == []


def test_unknown_records_and_options_of_another_kind_are_refused(sample_copy: Scratch) -> None:
    before = sorted(p.name for p in sample_copy.root.rglob("*.yaml"))
    run = run_cli("new", "typical", sample_copy.root, "--from", "XF-2099-0001")
    assert run.exit_code == 2 and "案例库中没有这些记录（或它们有错误）：XF-2099-0001" in run.stderr
    run = run_cli("new", "class", sample_copy.root, "--from", "XF-2021-0001")
    assert run.exit_code == 2 and "--from 只用于 new typical" in run.stderr
    run = run_cli("new", "typical", sample_copy.root, "--received", "2021-01-01")
    assert run.exit_code == 2 and "--received 只用于 new record" in run.stderr
    assert sorted(p.name for p in sample_copy.root.rglob("*.yaml")) == before


def test_an_inspection_is_a_stage_of_its_own(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    library.replace(
        "records/XF-2021-0001.yaml",
        "  - stage: 答复\n    date: 2021-04-20\n",
        "  - stage: 督查\n    date: 2021-04-01\n    unit: 临河县信访局\n    note: 县信访局到现场督查兑付进度\n"
        "  - stage: 答复\n    date: 2021-04-20\n",
    )
    assert errors(library) == []
    out = tmp_path / "site"
    run = run_cli("build", library.root, "--out", out, "--as-of", "2024-06-30")
    assert run.exit_code == 0, run.stderr
    page = (out / "records" / "XF-2021-0001" / "index.html").read_text(encoding="utf-8")
    assert "督查" in page and "县信访局到现场督查兑付进度" in page


def test_similar_says_why_it_lists_fewer_than_asked() -> None:
    run = run_cli("similar", "开发商逾期交房，业主要求赔偿违约金", "--library", SAMPLE, "--top", "30")
    assert run.exit_code == 0
    listed = len(re.findall(r"^\d+\. ", run.stdout, re.M))
    assert run.stderr.splitlines()[0] == (
        f"要求列出 30 件，只找到 {listed} 件：案例库只有 19 件典型案例，其余 {19 - listed} 件与这段描述的相似度低于 0.05，不列出。"
    )
    run = run_cli("similar", "小区物业费上涨", "--library", SAMPLE, "--top", "10")
    listed = len(re.findall(r"^\d+\. ", run.stdout, re.M))
    assert listed < 10 and run.stderr.splitlines()[0].startswith(
        f"要求列出 10 件，只找到 {listed} 件：其余 {19 - listed} 件"
    )
    run = run_cli("similar", "不动产权证办理", "--library", SAMPLE, "--top", "1")
    assert run.stderr == ""  # as many as asked: nothing to explain


def test_renumber_changes_the_id_the_file_name_and_every_reference(sample_copy: Scratch) -> None:
    sample_copy.replace("records/XF-2021-0002.yaml", "summary: |\n", "summary: |\n  另见 XF-2021-00012 号批复。\n")
    run = run_cli("renumber", "XF-2021-0001", "XF-2021-0099", "--library", sample_copy.root, "--as-of", "2024-06-30")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        "records/XF-2021-0001.yaml → records/XF-2021-0099.yaml",
        "  records/XF-2021-0001.yaml：1 处",
        "  typical/2021-02-2-001.yaml：2 处",
    ]
    assert not sample_copy.path("records/XF-2021-0001.yaml").exists()
    assert sample_copy.read("records/XF-2021-0099.yaml").startswith("id: XF-2021-0099\n")
    entry = sample_copy.read("typical/2021-02-2-001.yaml")
    assert "XF-2021-0099" in entry and not re.search(r"XF-2021-0001(?!\d)", entry)
    assert "另见 XF-2021-00012 号批复" in sample_copy.read("records/XF-2021-0002.yaml")  # a longer id: untouched
    assert errors(sample_copy) == []


def test_renumber_a_class_moves_its_records_and_entries(sample_copy: Scratch) -> None:
    before = sum(1 for p in sample_copy.root.glob("records/*.yaml") if "class: LA-002" in p.read_text(encoding="utf-8"))
    run = run_cli("renumber", "LA-002", "LA-009", "--library", sample_copy.root, "--as-of", "2024-06-30")
    assert run.exit_code == 0, run.stderr
    after = sum(1 for p in sample_copy.root.glob("records/*.yaml") if "class: LA-009" in p.read_text(encoding="utf-8"))
    assert before > 0 and after == before
    assert errors(sample_copy) == []


def test_renumber_writes_nothing_when_the_result_or_the_request_is_wrong(sample_copy: Scratch) -> None:
    before = snapshot(sample_copy.root)
    run = run_cli("renumber", "XF-2021-0002", "XF-2022-0099", "--library", sample_copy.root, "--as-of", "2024-06-30")
    assert run.exit_code == 1
    assert run.stdout == "records/XF-2022-0099.yaml:1:5: id: 编号年份应与收到日期的年份 2021 一致\n"
    assert run.stderr == "改号后校验发现 1 个问题，未改动任何文件\n"
    for args, message in [
        (("XF-2021-0002", "XF-2021-0003"), "XF-2021-0003 已被使用，未改动任何文件"),
        (("XF-2021-0002", "LA-009"), "LA-009 不是记录的编号格式"),
        (("XF-2099-0001", "XF-2099-0002"), "records/ 中没有 XF-2099-0001"),
    ]:
        run = run_cli("renumber", *args, "--library", sample_copy.root, "--as-of", "2024-06-30")
        assert run.exit_code == 2 and message in run.stderr
    sample_copy.replace("records/XF-2021-0003.yaml", "domain: 征地拆迁", "domain: 征地拆签")
    before = snapshot(sample_copy.root)
    run = run_cli("renumber", "XF-2021-0002", "XF-2021-0099", "--library", sample_copy.root, "--as-of", "2024-06-30")
    assert run.exit_code == 1 and run.stderr == "改号前校验发现 1 个问题，未改动任何文件\n"
    assert snapshot(sample_copy.root) == before


def test_renumber_carries_an_imported_records_provenance(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    export = Path(__file__).resolve().parent / "data" / "import" / "ledger-2024-05.xlsx"
    assert run_cli("import", export, "--library", library.root).exit_code == 0
    run = run_cli("renumber", "XF-2024-0021", "XF-2024-0999", "--library", library.root, "--as-of", "2024-06-30")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "XF-2024-0999" in library.read(".casebook-imports.json")
    run = run_cli("import", export, "--library", library.root)  # the moved record is still the import's
    assert run.exit_code == 0 and "新增 0 件，更新 0 件，未变 220 件，跳过 3 行" in run.stdout


def test_a_batch_entry_may_cite_one_trigger_record_and_its_totals(tmp_path: Path) -> None:
    library = copy_library(SAMPLE, tmp_path / "cases")
    entry = "typical/2021-02-2-001.yaml"
    text = library.read(entry)
    listed = re.search(r"^records:\n((?:  - .*\n)+)", text, re.M)
    assert listed is not None
    one = "records:\n  - XF-2021-0001\n"
    library.write(entry, text.replace(listed[0], one))
    assert [p for p in errors(library) if entry in p] == [
        f"{entry}:9:3: records: 批量案例（编号第三段为 2）应对应 2 件以上来源案例，或在 batch.records_total 写明信访事项总数"
    ]
    library.write(
        entry, text.replace(listed[0], one + "batch:\n  projects: 75\n  households: 1260\n  records_total: 80\n")
    )
    assert [p for p in errors(library) if entry in p] == []
    out = tmp_path / "site"
    run = run_cli("build", library.root, "--out", out, "--as-of", "2024-06-30")
    assert run.exit_code == 0, run.stdout + run.stderr
    page = (out / "typical" / "2021-02-2-001" / "index.html").read_text(encoding="utf-8")
    assert "本批量案例涉及 75 个项目、1,260 户、信访事项 80 件，下列为据以整理的来源案例。" in page


def test_an_individual_entry_has_no_batch_totals(sample_copy: Scratch) -> None:
    entry = next(p for p in sorted(sample_copy.root.glob("typical/*-1-*.yaml")))
    relative = entry.relative_to(sample_copy.root).as_posix()
    sample_copy.write(relative, entry.read_text(encoding="utf-8") + "batch:\n  households: 12\n")
    assert any(
        p.startswith(f"{relative}:") and "个案（编号第三段为 1）不写批量总量 batch" in p for p in errors(sample_copy)
    )


def test_a_new_class_stays_out_of_the_training_edition_until_a_trainer_opens_it(
    sample_copy: Scratch, tmp_path: Path
) -> None:
    path = Path(new(sample_copy.root, "class", "--date", "2024-06-01"))
    assert path.name == "LA-008.yaml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["visibility"] == "internal"
    out = tmp_path / "site"
    run = run_cli("build", sample_copy.root, "--out", out, "--as-of", "2024-06-30", "--audience", "training")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert (out / "classes" / "LA-001" / "index.html").is_file() and not (out / "classes" / "LA-008").exists()
