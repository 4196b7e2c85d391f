"""Document templates filled from a record: lookup, placeholders, reports, and `casebook doc`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest

from generator.errors import UsageProblem
from generator.office.fill import (
    PLACEHOLDERS,
    Missing,
    builtin_templates,
    chinese_date,
    find_template,
    layout,
    placeholders,
    record_values,
    template_problems,
)
from generator.validate import check_library
from tests.conftest import AS_OF, SAMPLE, Scratch, run_cli

OPEN_RECORD = "XF-2024-0001"  # LA-003, overdue on 2024-06-30, due 2024-05-28
CLOSED_RECORD = "XF-2022-0016"  # LA-006, closed, no subject


@pytest.fixture(scope="module")
def sample():
    library, problems = check_library(SAMPLE)
    assert problems == []
    return library


def case_class(library, class_id: str):
    return next(document.model for document in library.classes if document.model.id == class_id)


def record(library, record_id: str):
    return next(document.model for document in library.records if document.model.id == record_id)


def docx_text(path: Path) -> list[str]:
    return [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]


def test_builtin_templates_cover_the_notices_and_the_three_letters() -> None:
    names = [template.name for template in builtin_templates()]
    assert names == ["受理告知书", "信访处理意见书", "督办函", "风险提醒函", "问责建议函"]
    for template in builtin_templates():
        assert set(placeholders(template.body)) <= set(PLACEHOLDERS), template.name
        assert template.body.splitlines()[0].endswith(("书", "函"))


def test_sample_templates_use_only_known_placeholders(sample) -> None:
    for document in sample.classes:
        assert template_problems(document.model) == [], document.path


def test_template_problems_name_unknown_placeholders_with_a_guess(sample) -> None:
    broken = case_class(sample, "LA-003").model_copy(deep=True)
    broken.templates[0].body += "涉及{subjekt}和{经办人}"
    problems = template_problems(broken)
    assert problems[0] == "文书模板“受理告知书”：未知占位符 {subjekt}，是否应为 {subject}？"
    assert problems[1].startswith("文书模板“受理告知书”：未知占位符 {经办人}；可用占位符见")


def test_lookup_prefers_the_class_then_builtins_and_accepts_part_of_a_name(sample) -> None:
    wages = case_class(sample, "LA-003")
    found = find_template("告知书", wages)
    assert (found.template.name, found.source) == ("受理告知书", "类案 LA-003 拖欠农民工工资")
    assert find_template("处理意见书", wages).template.name == "信访处理意见书"
    builtin = find_template("问责建议函", wages)
    assert (builtin.template.name, builtin.source) == ("问责建议函", "通用模板")
    assert find_template("督办函", None).source == "通用模板"


def test_lookup_reports_ambiguous_and_unknown_names(sample) -> None:
    with pytest.raises(UsageProblem, match=r"“告知书”不明确.*转送告知书、司法救助告知书"):
        find_template("告知书", case_class(sample, "LA-006"))
    with pytest.raises(UsageProblem) as error:
        find_template("听证笔录", case_class(sample, "LA-003"))
    message = error.value.format_message()
    assert "没有名为“听证笔录”的文书模板" in message
    assert "通用模板：受理告知书、信访处理意见书、督办函、风险提醒函、问责建议函" in message


def test_every_placeholder_is_a_value_or_a_reason_for_every_record(sample) -> None:
    settings = sample.settings.model
    as_of = dt.date(2024, 6, 30)
    for document in sample.records:
        item = document.model
        owner = case_class(sample, item.class_) if item.class_ else None
        values = record_values(item, settings, owner, as_of)
        assert set(values) == set(PLACEHOLDERS)
        for name, compute in values.items():
            value = compute()
            assert isinstance(value, str | Missing), (item.id, name)
            assert "{" not in str(value)


def test_values_read_like_an_official_document(sample) -> None:
    item = record(sample, OPEN_RECORD)
    values = {
        name: compute()
        for name, compute in record_values(
            item, sample.settings.model, case_class(sample, "LA-003"), dt.date(2024, 6, 30)
        ).items()
    }
    assert values["received"] == "2024年3月26日"
    assert values["deadline"] == "2024年5月28日"
    assert values["region"] == "某市临河县城关镇"
    assert values["demands"].count("；") == 1 and not values["demands"].endswith("。")
    assert values["units_assist"] == "临河县人社局、临河县信访局、城关镇人民政府"
    assert values["organization"] == "某市信访局"
    assert values["class_name"] == "拖欠农民工工资"
    assert values["policy_basis"].startswith("《保障农民工工资支付条例》第二十九条、")
    assert isinstance(values["decision"], Missing)
    assert chinese_date(dt.date(2024, 1, 5)) == "2024年1月5日"


def test_layout_joins_wrapped_lines_and_keeps_listed_lines(sample) -> None:
    found = find_template("责令改正通知书", case_class(sample, "LA-005"))
    document = layout(found.template.body, found)
    assert document.title == "责令改正通知书"
    assert document.addressee == "{subject}原物业服务企业："
    # "…责令你单位于{deadline}前" ends without a stop and is long: it runs on.
    assert any("{deadline}前完成移交" in paragraph for paragraph in document.paragraphs)
    listed = find_template("双向交办单", case_class(sample, "LA-001"))
    lines = layout(listed.template.body, listed, lambda text: text.replace("{demands}", "诉求" * 40)).paragraphs
    assert lines[:3] == [
        "事项：{title}（涉及项目：{subject}）",
        "信访人：{petitioners_kind}{petitioners_count}人",
        "诉求：" + "诉求" * 40,
    ]


# ── casebook doc ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("template", "title", "expected"),
    [
        ("督办函", "信访事项督办函", "应于2024年5月28日前办结"),
        ("告知书", "受理告知书", "你（们）于2024年3月26日反映的"),
        ("风险提醒函", "信访风险提醒函", "城关镇某安置小区三期项目欠薪问题涉及农民工12人"),
        ("问责建议函", "信访工作问责建议函", "由临河县人民政府牵头办理"),
    ],
)
def test_doc_command_writes_a_filled_official_document(
    tmp_path: Path, template: str, title: str, expected: str
) -> None:
    out = tmp_path / "out.docx"
    run = run_cli("doc", OPEN_RECORD, "--template", template, "--out", out, "--library", SAMPLE, "--as-of", AS_OF)
    assert run.exit_code == 0, run.stderr
    assert run.stdout.strip() == out.as_posix()
    paragraphs = docx.Document(str(out)).paragraphs
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Title", title)
    text = [paragraph.text for paragraph in paragraphs]
    assert any(expected in line for line in text), text
    assert text[-2:] == ["某市信访局", "2024年6月30日"]
    assert not any("{" in line or "}" in line for line in text)
    assert docx.Document(str(out)).sections[0].page_width.mm == pytest.approx(210, abs=0.1)


def test_doc_command_addresses_the_lead_unit_flush_left(tmp_path: Path) -> None:
    out = tmp_path / "督办函.docx"
    run_cli("doc", OPEN_RECORD, "--template", "督办函", "--out", out, "--library", SAMPLE, "--as-of", AS_OF)
    addressee = docx.Document(str(out)).paragraphs[1]
    assert (addressee.style.name, addressee.text) == ("Addressee", "临河县人民政府：")


def test_doc_command_is_byte_identical_and_names_the_file_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = run_cli("doc", OPEN_RECORD, "--template", "督办函", "--library", SAMPLE, "--as-of", AS_OF)
    assert first.stdout.strip() == f"{OPEN_RECORD}-督办函.docx"
    data = (tmp_path / f"{OPEN_RECORD}-督办函.docx").read_bytes()
    again = run_cli("doc", OPEN_RECORD, "--template", "督办函", "--library", SAMPLE, "--as-of", AS_OF, "--force")
    assert again.exit_code == 0, again.stderr  # without --force the existing file is kept (test_publish_safety)
    assert (tmp_path / f"{OPEN_RECORD}-督办函.docx").read_bytes() == data


def test_no_running_time_limit_is_reported_not_printed(tmp_path: Path) -> None:
    out = tmp_path / "x.docx"
    run = run_cli("doc", CLOSED_RECORD, "--template", "督办函", "--out", out, "--library", SAMPLE, "--as-of", AS_OF)
    assert run.exit_code == 1
    assert (
        "文书模板“督办函”（通用模板）：占位符 {deadline}（办理期限的到期日）无法填写："
        f"{CLOSED_RECORD} 截至2024年6月30日该事项没有正在计算的办理时限（已办结）"
    ) in run.stderr
    assert "未生成文书（1 个占位符无法填写）" in run.stderr
    assert not out.exists()


def test_missing_record_field_is_reported(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.replace(f"records/{OPEN_RECORD}.yaml", "subject: 城关镇某安置小区三期项目\n", "")
    out = tmp_path / "x.docx"
    run = run_cli(
        "doc", OPEN_RECORD, "--template", "督办函", "--out", out, "--library", sample_copy.root, "--as-of", AS_OF
    )
    assert run.exit_code == 1
    assert (
        "文书模板“督办函”（类案 LA-003 拖欠农民工工资）：占位符 {subject}（涉及项目）无法填写："
        f"{OPEN_RECORD} 记录未填写“涉及项目”"
    ) in run.stderr
    assert not out.exists()


def test_unknown_placeholder_in_a_class_template_is_reported(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.replace("classes/LA-003.yaml", "应于{deadline}前办结，", "应于{dedline}前办结，")
    run = run_cli(
        "doc", OPEN_RECORD, "--template", "督办函", "--out", tmp_path / "x.docx", "--library", sample_copy.root
    )
    assert run.exit_code == 1
    # validate already reports it, located (classes/LA-003.yaml:line:col: templates[…].body: …)
    assert "未知占位符 {dedline}，是否应为 {deadline}？" in run.stdout + run.stderr
    assert "classes/LA-003.yaml:" in run.stdout + run.stderr


def test_unknown_record_and_template_are_usage_errors(tmp_path: Path) -> None:
    run = run_cli("doc", "XF-2024-0100", "--template", "督办函", "--library", SAMPLE)
    assert run.exit_code == 2
    assert "案例库中没有信访事项 XF-2024-0100" in run.stderr
    run = run_cli("doc", OPEN_RECORD, "--template", "会议纪要", "--library", SAMPLE)
    assert run.exit_code == 2
    assert "没有名为“会议纪要”的文书模板" in run.stderr


def test_record_with_problems_writes_nothing(sample_copy: Scratch, tmp_path: Path) -> None:
    sample_copy.replace(f"records/{OPEN_RECORD}.yaml", "received: 2024-03-26", "received: 2024-13-26")
    out = tmp_path / "x.docx"
    run = run_cli("doc", OPEN_RECORD, "--template", "督办函", "--out", out, "--library", sample_copy.root)
    assert run.exit_code == 1
    assert f"records/{OPEN_RECORD}.yaml:" in run.stdout + run.stderr
    assert "未生成文书" in run.stderr
    assert not out.exists()
