"""Issue 13: personal data is found whatever its spelling, wherever it is written, and stops every output.

Each test plants personal data the way a user really writes it (full-width digits,
an ID number in groups, a mobile number with dots; an image's alt text, an HTML
comment, front matter, a tel: link and a file name in a hand-written page; a
phone number in a file that also has a contract error) and checks each command:
validate names it file:line:column, the build refuses and leaves the old site as
it was, redact masks it in place and exits 0 only when nothing is left.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.guard import check_site
from generator.validate import check_library
from tests.conftest import AS_OF, MINI, REPO, Scratch, build_site, config_with_hook, copy_library, run_cli, snapshot

TYPICAL = "typical/2023-01-2-001.yaml"  # public in the mini library
SPELLINGS = "约300户业主无法办证，联系电话１３８１２３４５６７８，身份证 440306 19900307 2411，手机 138.1234.5678。"
SPELLING_PROBLEMS = [
    f"{TYPICAL}:8:29: background: 含有手机号码（*******５６７８），请删除或脱敏",
    f"{TYPICAL}:8:45: background: 含有身份证号码（****** ******** 2411），请删除或脱敏",
    f"{TYPICAL}:8:69: background: 含有手机号码（***.****.5678），请删除或脱敏",
]


def plant_spellings(library: Scratch) -> None:
    library.replace(TYPICAL, "background: 约300户业主无法办证。", f"background: {SPELLINGS}")


# ── finding 3: full width, spaces, dots ─────────────────────────────────────────


def test_validate_locates_every_spelling(mini: Scratch) -> None:
    plant_spellings(mini)
    _, problems = check_library(mini.root)
    assert [str(problem) for problem in problems] == SPELLING_PROBLEMS


def test_public_build_refuses_every_spelling_and_keeps_the_old_site(mini: Scratch, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = build_site(mini.root, out, "--audience", "public")
    assert first.exit_code == 0, first.stdout + first.stderr
    before = snapshot(out)
    plant_spellings(mini)
    run = build_site(mini.root, out, "--audience", "public")
    assert run.exit_code == 1
    messages = [line for line in run.stderr.splitlines() if not line.startswith("  ")]  # stage timings aside
    assert (run.stdout.splitlines(), messages) == (
        SPELLING_PROBLEMS,
        ["错误：发现 3 个问题，未生成网站"],
    )
    assert snapshot(out) == before


def test_redact_masks_every_spelling_in_place_and_exits_0_when_clean(mini: Scratch, tmp_path: Path) -> None:
    plant_spellings(mini)
    out = tmp_path / "masked"
    run = run_cli("redact", mini.root, "--out", out)
    assert run.exit_code == 0, run.stdout
    assert run.stdout.splitlines()[1:4] == [
        f"{TYPICAL}:8:29 手机号码 *******５６７８→１３８****５６７８",
        f"{TYPICAL}:8:45 身份证号码 ****** ******** 2411→4403** ******** 2411",
        f"{TYPICAL}:8:69 手机号码 ***.****.5678→138.****.5678",
    ]
    masked = (out / TYPICAL).read_text(encoding="utf-8").splitlines()[7]
    assert (
        masked
        == "background: 约300户业主无法办证，联系电话１３８****５６７８，身份证 4403** ******** 2411，手机 138.****.5678。"
    )
    assert check_library(out)[1] == []


def test_redact_exits_1_when_something_is_left_that_it_cannot_mask(mini: Scratch, tmp_path: Path) -> None:
    """A number written as YAML escapes (no digit in the raw text) in a file whose id is malformed,
    and a YAML file that is not UTF-8: redact cannot mask either, so it lists both and exits 1."""
    mini.replace("records/XF-2023-0002.yaml", "id: XF-2023-0002", "id: XF-2023-02")
    escaped = "\\u0031\\u0033\\u0039\\u0031\\u0032\\u0033\\u0034\\u0035\\u0036\\u0037\\u0038"
    mini.replace("records/XF-2023-0002.yaml", "summary: 业主询问首批办证名单。", f'summary: "电话{escaped}"')
    mini.write("records/XF-2023-0003.yaml", "summary: 电话13812345678\n".encode("gb18030"))
    run = run_cli("redact", mini.root, "--out", tmp_path / "masked")
    assert run.exit_code == 1
    assert run.stdout.splitlines()[-3:] == [
        "以下 2 处个人信息未能自动脱敏，请人工处理：",
        "records/XF-2023-0002.yaml:11:13: summary: 含有手机号码（*******5678），请删除或脱敏",
        "records/XF-2023-0003.yaml: 不是 UTF-8 文本，未能检查和脱敏，原样保留；请另存为 UTF-8 后重新运行",
    ]


# ── finding 4: a file with a contract error is still scanned ───────────────────


def test_a_malformed_id_and_a_phone_number_are_both_listed(mini: Scratch) -> None:
    mini.replace("records/XF-2023-0002.yaml", "id: XF-2023-0002", "id: XF-2023-02")
    mini.replace(
        "records/XF-2023-0002.yaml",
        "summary: 业主询问首批办证名单。",
        "summary: 业主询问首批办证名单，电话13912345678。",
    )
    problems = [str(problem) for problem in check_library(mini.root)[1]]
    assert problems == [
        "records/XF-2023-0002.yaml:1:5: id: 格式不符（写的是 “XF-2023-02”）：XF-年份-四位序号，例如：XF-2023-0001；一经确定不再更改",
        "records/XF-2023-0002.yaml:11:23: summary: 含有手机号码（*******5678），请删除或脱敏",
    ]


def test_a_file_that_is_no_valid_yaml_is_scanned_line_by_line(mini: Scratch) -> None:
    mini.write("records/XF-2023-0009.yaml", "id: XF-2023-0009\ntitle: [未闭合\nsummary: 电话 138 1234 5678\n")
    problems = [str(problem) for problem in check_library(mini.root)[1]]
    assert "records/XF-2023-0009.yaml:3:13: 含有手机号码（*** **** 5678），请删除或脱敏" in problems


# ── finding 4: hand-written pages, every byte of them ───────────────────────────

LEAK_PAGE = """\
---
description: 联系电话 13600000001
---
# 联系方式

<!-- 备注：身份证 110101199003074514 -->

![合影](../img/13700000002.png "电话 15900000003")

<img src="a.png" alt="手机 18600000004" title="座机 0571-87650005">

[打电话](tel:+86%20135%200000%200006) · <a href="mailto:zhang&#64;example.com">写信</a>
"""
DOCS_PROBLEMS = [
    "docs/help/leak.md:2:19: 含有手机号码（*******0001），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:6:13: 含有身份证号码（**************4514），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:8:14: 含有手机号码（*******0002），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:8:34: 含有手机号码（*******0003），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:10:26: 含有手机号码（*******0004），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:10:49: 含有固定电话（****-****0005），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:12:11: 含有手机号码（+** *** **** 0006），请删除或脱敏（手写页面同样会发布）",
    "docs/help/leak.md:12:54: 含有电子邮箱（z***@example.com），请删除或脱敏（手写页面同样会发布）",
    "docs/img/13700000002.png: 文件名: 含有手机号码（*******0002），请删除或脱敏（手写页面同样会发布）",
]


def project_with_leaky_docs(tmp_path: Path) -> Path:
    """A project folder as `casebook new` lays it out: the library, mkdocs.yml and docs/ side by side."""
    library = copy_library(MINI, tmp_path / "cases").root
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    (tmp_path / "docs" / "help" / "leak.md").write_text(LEAK_PAGE, encoding="utf-8")
    (tmp_path / "docs" / "img").mkdir()
    (tmp_path / "docs" / "img" / "13700000002.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return library


def test_validate_reads_every_part_of_the_hand_written_pages(tmp_path: Path) -> None:
    library = project_with_leaky_docs(tmp_path)
    run = run_cli("validate", library)
    assert run.exit_code == 1
    assert run.stdout.splitlines() == DOCS_PROBLEMS
    assert "13600000001" not in run.stdout + run.stderr


# An MkDocs hook puts the same leaks into the built site behind validate's back, as a
# template, a theme override or a plugin could: the guard over the output must stop them.
LEAK_HOOK = f"""
from pathlib import Path

# (absolute image path: MkDocs' strict mode would stop at a relative link to a file it does not know)
LEAK = {LEAK_PAGE.split("---", 2)[2].replace("../img/", "/img/")!r}


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "help/staff.md":
        page.meta["description"] = "联系电话 13600000001"
        return markdown + LEAK
    return markdown


def on_post_build(config):
    image = Path(config["site_dir"]) / "img" / "13700000002.png"
    image.parent.mkdir(exist_ok=True)
    image.write_bytes(b"PNG")
"""


@pytest.mark.parametrize("second_process", ["none", "by count", "by weight"])
def test_the_guard_reads_attributes_comments_meta_links_and_file_names(
    mini: Scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second_process: str
) -> None:
    """Also with most pages checked by a second process while the search data is written
    (guard.SiteCheck): interleaved by count, as a large site's are, or the largest files, as
    an incremental build's few are. Every leak is still listed, and nothing is published."""
    if second_process == "by count":
        monkeypatch.setattr("generator.guard.PARALLEL_FROM", 1)
    elif second_process == "by weight":
        monkeypatch.setattr("generator.guard.SECOND_FOR_FEW_FROM_BYTES", 1)
    out = tmp_path / "site"
    first = build_site(mini.root, out)
    assert first.exit_code == 0, first.stdout + first.stderr
    before = snapshot(out)
    config = config_with_hook(tmp_path, LEAK_HOOK)
    run = run_cli("build", mini.root, "--out", out, "--as-of", AS_OF, "--config", config)
    assert run.exit_code == 1
    lines = run.stderr.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("错误：")) :]  # after the stage timings
    assert lines[0] == "错误：生成的网站中发现个人信息 9 处，未发布（原网站保持不变）："
    assert sorted(lines[1:]) == sorted(
        [
            f"  help/staff/index.html: 含有{kind}（{masked}），来源：生成的页面或 docs/ 手写页面"
            for kind, masked in [
                ("手机号码", "*******0001"),  # <meta name="description">
                ("身份证号码", "**************4514"),  # <!-- comment -->
                ("手机号码", "*******0002"),  # <img src>
                ("手机号码", "*******0003"),  # <img title>
                ("手机号码", "*******0004"),  # <img alt>
                ("固定电话", "****-****0005"),  # <img title>
                ("手机号码", "+** *** **** 0006"),  # <a href="tel:…%20…">
                ("电子邮箱", "z***@example.com"),  # <a href="mailto:zhang&#64;…">
            ]
        ]
        + ["  img/13700000002.png: 含有手机号码（*******0002），来源：生成的页面或 docs/ 手写页面"]
    )
    assert "13600000001" not in run.stdout + run.stderr
    assert snapshot(out) == before


def test_the_guard_does_not_flag_the_sample_site(sample_site: Path) -> None:
    assert check_site(sample_site, []) == []
