"""Ledgers → pages: the ledger index, one 类案台账 page per class, the 督办 page.

Pages link each record (`../records/XF-….md`) and the ledger's workbook
(`../downloads/ledger-….xlsx`) by their source paths, so that MkDocs in
strict mode checks every one of them: the build must have written the
workbooks (office.workbook.ledger_workbooks) into the docs folder first.
The class ledgers and 督办 grow with the library (a class of 1,500 records
is a 700 KB page), so they are written as HTML (ledger.html.j2,
supervision.html.j2; site_html.py resolves their links) from rows made
ready to print here; the small ledger index stays Markdown. The deadline
state is an inline label with the record pages' cb-state-* colours.
Nothing here touches the disk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..contract import date_text
from ..derive.ledger import (
    LEDGER_STATES,
    OUTCOMES,
    UNCLASSIFIED,
    BatchGroup,
    Ledger,
    LedgerRow,
    Supervision,
    Tally,
)
from ..derive.site import SiteModel
from ..state import key_of
from .pages import RenderMemo, render, render_html
from .text import join_lines

LEDGER_INDEX = "ledgers/index.md"
SUPERVISION_PAGE = "supervision.md"
NONE = "—"  # an empty cell


def ledger_page_path(ledger: Ledger) -> str:
    return f"ledgers/{ledger.key}.md"


class ShownRow(NamedTuple):
    """A ledger row's cells as the pages print them: plain text (the template escapes it),
    wrapped lines joined, "—" for what is not there."""

    id: str
    title: str
    received: str
    region: str  # without the city: 城西区/长安街道
    assist: str
    stage: str  # 环节（日期）
    clock: str
    due: str
    days: str  # 剩余 N 日 / 超期 N 日
    state: str
    outcome: str
    rating: str  # 对责任单位 / 对信访部门
    lead: str
    procedure: str
    class_id: str | None
    class_label: str


def shown_row(row: LedgerRow) -> ShownRow:
    days = row.days_left
    if days is None:
        left = NONE
    elif days >= 0:
        left = f"剩余 {days} 日"
    else:
        left = f"超期 {-days} 日"
    return ShownRow(
        id=row.id,
        title=join_lines(row.title) + (f"（涉及 {row.households:,} 户）" if row.households else ""),
        received=date_text(row.received, row.date_precision),
        region=join_lines(row.region.split("/", 1)[-1]),
        assist=join_lines("、".join(row.assist_units)) if row.assist_units else NONE,
        stage=f"{row.stage}（{date_text(row.stage_date, row.date_precision)}）" if row.stage else NONE,
        clock=row.clock or NONE,
        due=str(row.due) if row.due else NONE,
        days=left,
        state=row.state,
        outcome=row.outcome,
        rating=f"{row.unit_rating} / {row.office_rating}" if row.unit_rating else NONE,
        lead=join_lines(row.lead_official) if row.lead_official else NONE,
        procedure=join_lines(row.procedure),
        class_id=row.class_id,
        class_label=join_lines(row.class_label),
    )


@dataclass(frozen=True)
class ShownUnit:
    """One 责任单位's rows on a page; with its 逾期 and 临期 counts on the 督办 page."""

    unit: str
    rows: list[ShownRow]
    overdue: int = 0
    due_soon: int = 0


@dataclass(frozen=True)
class ShownGroup:
    key: str
    tally: Tally
    units: list[ShownUnit]


def shown_groups(groups: Sequence[BatchGroup]) -> list[ShownGroup]:
    return [
        ShownGroup(g.key, g.tally, [ShownUnit(u.unit, [shown_row(r) for r in u.rows]) for u in g.units]) for g in groups
    ]


def ledger_pages(
    site: SiteModel,
    ledgers: Sequence[Ledger],
    supervision: Supervision,
    library: Ledger,
    memo: RenderMemo | None = None,
    shared: str = "",
    inputs: Mapping[str, str] | None = None,
    figures: Mapping[str, list[tuple[str, str]]] | None = None,
) -> Iterator[tuple[str, str]]:
    """(relative source path, text) of every ledger page, in a fixed order.

    With `memo` (an incremental build; `shared`: its key of what every page shares), a class
    ledger made from the same inputs as the published page (derive/ledger.py inputs_key) is
    not rendered: its stub is the page's front matter alone, which the nav reads, so the site
    around it is the same (a 10,000-row class ledger took 1 s to render). `inputs`: the ledgers'
    inputs keys by ledger key (derive/guide.py GuideExtras.ledger_inputs); a ledger without one
    is always rendered. `figures`: each class's figures to date (statistics_pages.class_figures),
    made from the same records as its ledger, so its inputs key covers them too."""
    common = {"site": site, "as_of": site.as_of.isoformat(), "states": LEDGER_STATES, "outcomes": OUTCOMES}
    unclassified = [group for group in library.groups if group.key == UNCLASSIFIED]
    yield (
        LEDGER_INDEX,
        render("ledger_index.md.j2", ledgers=ledgers, library=library, unclassified=unclassified, **common),
    )
    for ledger in ledgers:
        uri = ledger_page_path(ledger)
        made = inputs.get(ledger.key) if inputs is not None else None
        if memo is not None and made is not None and memo.unchanged(uri, key_of(shared, "ledger", made)):
            yield uri, render_html("ledger_front.html.j2", ledger=ledger)
            continue
        shown = (figures or {}).get(ledger.key, [])
        yield (
            uri,
            render_html("ledger.html.j2", ledger=ledger, groups=shown_groups(ledger.groups), figures=shown, **common),
        )
    yield SUPERVISION_PAGE, supervision_page(site, supervision, library)


def supervision_page(site: SiteModel, supervision: Supervision, library: Ledger) -> str:
    units = [ShownUnit(u.unit, [shown_row(r) for r in u.rows], u.overdue, u.due_soon) for u in supervision.units]
    return render_html(
        "supervision.html.j2",
        site=site,
        as_of=site.as_of.isoformat(),
        supervision=supervision,
        units=units,
        library=library,
    )
