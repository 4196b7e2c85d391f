"""Similar cases on the built site (issue 6): related pages with reasons, class suggestions, the 类案检索 box."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator.validate import check_library
from tests.conftest import SAMPLE, build_site


def similar_section(html: str) -> str:
    start = html.find('id="相似案例"')
    if start == -1:
        return ""
    end = html.find("<h2", start + 10)
    return html[start : end if end != -1 else html.find("</article>", start)]


def test_every_record_and_entry_page_lists_five_similar_cases_with_reasons(sample_site: Path) -> None:
    """At most five, each above a minimum similarity (an outlier may have fewer), each with its reason."""
    library, _ = check_library(SAMPLE)
    counts = []
    classed = {d.model.id for d in [*library.records, *library.typical] if d.model.class_}
    for folder, ids in (
        ("records", [d.model.id for d in library.records]),
        ("typical", [d.model.id for d in library.typical]),
    ):
        for page_id in ids:
            section = similar_section((sample_site / folder / page_id / "index.html").read_text(encoding="utf-8"))
            links = re.findall(r'<li>.*?<a href="([^"]+)"', section)
            assert 1 <= len(links) <= 5, (folder, page_id)
            assert section.count('class="cb-reason"') == len(links)
            assert f"/{page_id}/" not in " ".join(links), "a page is not similar to itself"
            counts.append(len(links))
            if page_id in classed:
                assert len(links) == 5, page_id  # members of a class always have five neighbours


def test_a_typical_entry_never_lists_its_own_source_records_as_similar(sample_site: Path) -> None:
    library, _ = check_library(SAMPLE)
    for doc in library.typical:
        section = similar_section((sample_site / "typical" / doc.model.id / "index.html").read_text(encoding="utf-8"))
        for record_id in doc.model.records:
            assert f"records/{record_id}/" not in section


def test_unclassed_records_get_the_class_they_belong_to(sample_site: Path) -> None:
    html = (sample_site / "similar" / "index.html").read_text(encoding="utf-8")
    rows = dict(
        re.findall(
            r"<td><a href=\"\.\./records/(XF-\d{4}-\d{4})/\">.*?</td>\s*<td>.*?</td>\s*<td><a href=\"\.\./classes/(LA-\d{3})/\"",
            html,
            re.S,
        )
    )
    assert rows == {
        "XF-2024-0017": "LA-001",
        "XF-2024-0018": "LA-003",
        "XF-2024-0019": "LA-005",
        "XF-2024-0020": "LA-007",
    }


def test_training_and_public_editions_only_link_what_they_contain(tmp_path: Path) -> None:
    for audience in ("training", "public"):
        out = tmp_path / audience
        assert build_site(SAMPLE, out, "--audience", audience).exit_code == 0
        included = {p.parent.name for p in (out / "typical").glob("*/index.html")}
        records = {p.parent.name for p in (out / "records").glob("XF-*/index.html")}
        for page in [*(out / "typical").glob("*/index.html"), *(out / "records").glob("XF-*/index.html")]:
            section = similar_section(page.read_text(encoding="utf-8"))
            for folder, target in re.findall(r'href="(?:\.\./)+(?:(typical|records)/)?([^"/]+)/"', section):
                assert target in (records if folder == "records" or target.startswith("XF-") else included), (
                    audience,
                    page,
                    target,
                )
        model = json.loads((out / "assets" / "casebook" / "similar.json").read_text(encoding="utf-8"))
        assert {e["id"] for e in model["entries"]} == included
        assert "待归类" not in (out / "similar" / "index.html").read_text(encoding="utf-8")


def test_casebook_classify_prints_suggestions_and_writes_a_patch_without_touching_records(tmp_path: Path) -> None:
    from tests.conftest import copy_library, run_cli

    library = copy_library(SAMPLE, tmp_path / "cases")
    before = {p: p.read_bytes() for p in library.root.rglob("*.yaml")}
    run = run_cli("classify", library.root, "--write-to", tmp_path / "out")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "XF-2024-0017 -> LA-001 问题楼盘办证 (" in run.stdout
    assert "XF-2024-0020 -> LA-007" in run.stdout
    patch = (tmp_path / "out" / "casebook-classify.patch").read_text(encoding="utf-8")
    assert "+++ b/records/XF-2024-0018.yaml" in patch and "+class: LA-003" in patch
    assert {p: p.read_bytes() for p in library.root.rglob("*.yaml")} == before


def test_casebook_similar_lists_typical_entries_with_their_guide() -> None:
    from tests.conftest import run_cli

    run = run_cli(
        "similar", "某工地农民工被拖欠三个月工资，总包单位称建设单位未付工程款", "--library", SAMPLE, "--top", "3"
    )
    assert run.exit_code == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert 1 <= len(lines) <= 3
    assert "LA-003 拖欠农民工工资" in lines[0]


def test_a_record_pages_key_holds_exactly_what_the_page_shows_of_its_similar_cases() -> None:
    """similar.shown_text (the page key's part) is made without the ShownMatch the page gets: it must
    still say the same, score rounded as printed and reasons joined as shown."""
    import dataclasses

    from hypothesis import given
    from hypothesis import strategies as st

    from generator.derive.similar import Match, shown_text
    from generator.render.pages import shown_matches

    match = st.builds(
        Match,
        st.sampled_from(["record", "typical"]),
        st.text(max_size=12),
        st.text(max_size=20),
        st.none() | st.text(max_size=6),
        st.floats(min_value=0, max_value=50, allow_nan=False),
        st.lists(st.text(max_size=8), max_size=3).map(tuple),
    )

    @given(st.lists(match, max_size=6))
    def check(matches: list[Match]) -> None:
        shown = [dataclasses.astuple(m) for m in shown_matches(matches)]
        assert shown_text(matches) == repr(shown)

    check()
