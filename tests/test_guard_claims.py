"""The guard's work shared by two processes through claims (guard.SiteCheck).

Each file must be checked exactly once, whichever process is free first, and every
leak must be reported whatever the cut: a claim lost or taken twice would either
miss a leak or report it twice.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from generator import guard
from generator.guard import SiteCheck, _ClaimFolder, _claims, _cost, check_claimed, check_file

PHONE = "联系电话 1380013{:04d}"


def planted_site(root: Path, pages: int, leaky: set[int]) -> Path:
    """`pages` small pages, those in `leaky` with a mobile number, and one large JSON file."""
    site = root / "site"
    for number in range(pages):
        text = PHONE.format(number) if number in leaky else f"第 {number} 页"
        page = site / f"p{number:03d}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<html><head></head><article><p>{text}</p></article></html>", encoding="utf-8")
    (site / "big.json").write_text('{"x": "' + "甲" * 600_000 + " 13900139000" + '"}', encoding="utf-8")
    return site


def test_claims_cover_every_file_once_costliest_first() -> None:
    files = [Path(f"f{n}") for n in range(7)]
    costs = [10, 3_000_000, 400_000, 400_000, 400_000, 0, 1_200_000]
    claims = _claims(files, costs)
    assert claims == [[Path("f1")], [Path("f6")], [Path("f2"), Path("f3"), Path("f4")], [Path("f0"), Path("f5")]]
    assert sorted(path for claim in claims for path in claim) == sorted(files)


def test_a_claim_is_taken_once(tmp_path: Path) -> None:
    claims = _ClaimFolder(os.fspath(tmp_path), [[Path("a")], [Path("b")]])
    assert claims.take(1) and not claims.take(1) and claims.take(0) and not claims.take(0)


def test_a_workbook_costs_what_it_unpacks_to(tmp_path: Path) -> None:
    book = tmp_path / "ledger.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<c>" * 100_000)
    assert book.stat().st_size < 10_000
    assert _cost(book) == 150_000  # 300,000 bytes of XML, at half a byte of text each


def test_claims_left_by_the_other_process_are_checked_here(tmp_path: Path) -> None:
    """The other process took the odd claims (and found their leaks): this one checks the rest."""
    site = planted_site(tmp_path, 6, {1, 4})
    files = [*sorted(site.rglob("*.html")), site / "big.json"]
    claims = _ClaimFolder(os.fspath(tmp_path / "claims"), [[path] for path in files])
    os.mkdir(claims.folder)
    theirs = [
        leak
        for number in range(1, len(files), 2)
        if claims.take(number)
        for leak in check_file(site, files[number], [])
    ]
    mine = check_claimed(site, claims, [])
    everything = [leak for path in files for leak in check_file(site, path, [])]
    assert sorted(map(str, theirs + mine)) == sorted(map(str, everything))
    assert {leak.output for leak in everything} == {"p001/index.html", "p004/index.html", "big.json"}


@pytest.mark.parametrize("busy", [False, True])
def test_two_processes_report_every_leak_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, busy: bool) -> None:
    """A real second process (spawned), many claims, planted leaks in pages of both halves and in the
    large file: the same leaks as one process checking every file, and no claim folder left."""
    monkeypatch.setattr(guard, "PARALLEL_FROM", 10)
    monkeypatch.setattr(guard, "CLAIM_BYTES", 200)  # a page or two a claim: about 30 claims
    site = planted_site(tmp_path, 40, {0, 7, 19, 20, 33, 39})
    check = SiteCheck.start(site, ["王某某"], busy=busy)
    assert check.theirs.in_background
    leaks = check.finish()
    expected = sorted(
        (leak for path in guard.scanned(site) for leak in check_file(site, path, ["王某某"])),
        key=lambda leak: (leak.output, leak.kind, leak.masked),
    )
    assert leaks == expected and len(leaks) == 7
    assert not os.path.exists(check.claims.folder)


def test_cancel_removes_the_claims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "PARALLEL_FROM", 10)
    check = SiteCheck.start(planted_site(tmp_path, 12, set()), [])
    check.cancel()
    assert not os.path.exists(check.claims.folder)
