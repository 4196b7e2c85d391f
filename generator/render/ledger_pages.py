"""Ledgers → Markdown pages: the ledger index, one 类案台账 page per class, the 督办 page.

Pages link each record (`../records/XF-….md`) and the ledger's workbook
(`../downloads/ledger-….xlsx`) with ordinary Markdown links, so MkDocs in
strict mode checks every one of them: the build must have written the
workbooks (office.workbook.ledger_workbooks) into the docs folder first.
Tables are Markdown tables; the deadline state is an inline label with the
record pages' cb-state-* colours. Nothing here touches the disk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..derive.ledger import LEDGER_STATES, OUTCOMES, UNCLASSIFIED, Ledger, Supervision
from ..derive.site import SiteModel
from .pages import render

LEDGER_INDEX = "ledgers/index.md"
SUPERVISION_PAGE = "supervision.md"


def ledger_page_path(ledger: Ledger) -> str:
    return f"ledgers/{ledger.key}.md"


def ledger_pages(
    site: SiteModel, ledgers: Sequence[Ledger], supervision: Supervision, library: Ledger
) -> Iterator[tuple[str, str]]:
    """(relative Markdown path, text) of every ledger page, in a fixed order."""
    common = {"site": site, "as_of": site.as_of.isoformat(), "states": LEDGER_STATES, "outcomes": OUTCOMES}
    unclassified = [group for group in library.groups if group.key == UNCLASSIFIED]
    yield (
        LEDGER_INDEX,
        render("ledger_index.md.j2", ledgers=ledgers, library=library, unclassified=unclassified, **common),
    )
    for ledger in ledgers:
        yield ledger_page_path(ledger), render("ledger.md.j2", ledger=ledger, **common)
    yield SUPERVISION_PAGE, render("supervision.md.j2", supervision=supervision, library=library, **common)
