"""Change sets (derive/changes.py) → the 本次更新 page and the home page's one-line summary.

The page links each document to its page when this build has one, and names
documents by their current titles, taken from the SiteModel: the history in
changes.json holds ids and field titles only. Everything from data (titles,
versions, and whatever an older changes.json held) goes through the `md`
filter, so it shows as text.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..derive.changes import LISTS, Change, ChangeSet, ListKind, visible_history
from ..derive.site import SiteModel
from .pages import environment

PAGE = "changes.md"
ITEM_LIMIT = 100  # documents listed under one heading of one build; a 10,000-record import is counted, not listed
PAGE_FOLDERS = {"records": "records", "entries": "typical", "classes": "classes"}
TOTAL_WORDS = {"records": ("案例记录", "件"), "entries": ("典型案例", "件"), "classes": ("类案指引", "份")}


@dataclass(frozen=True)
class ItemView:
    """One document under a heading: its text (escaped by the template), its page if it has one."""

    label: str
    href: str | None
    detail: str


@dataclass(frozen=True)
class SectionView:
    """One list of one build: 新增的案例记录（12 件） and its documents."""

    heading: str
    count: int
    unit: str
    items: list[ItemView]
    more: int  # listed in changes.json, not on the page (ITEM_LIMIT)
    withheld: int  # no longer in this edition: counted only


@dataclass(frozen=True)
class BuildView:
    """One build's part of the page, under its date."""

    date: str
    first: bool
    empty: bool
    summary: str
    totals: str
    sections: list[SectionView]
    heading: str = ""  # the date, and which build of that day it was when there were several


def summary(changeset: ChangeSet) -> str:
    """新增 12 件，办结 8 件，指引修订 1 份: every non-empty list, in LISTS order."""
    return "，".join(
        f"{kind.short} {changeset.list_of(kind.key).count} {kind.unit}"
        for kind in LISTS
        if changeset.list_of(kind.key).count
    )


def home_line(changeset: ChangeSet) -> str:
    """The home page's line about the latest build, as plain text (the template escapes it)."""
    date = changeset.date.isoformat()
    if changeset.first:
        return f"{date} 首次生成"
    if changeset.empty:
        return f"{date} 更新：无变化"
    return f"{date} 更新：{summary(changeset)}"


def render_changes_page(history: Sequence[ChangeSet], site: SiteModel) -> str:
    """changes.md: the builds of `history`, newest first, as this edition may show them."""
    pages = {
        "records": {v.record.id: v.record.title for v in site.records},
        "entries": {v.entry.id: v.entry.title for v in site.entries},
        "classes": {v.case_class.id: v.case_class.name for v in site.classes},
    }
    shown = visible_history(history, None if site.edition.complete else pages)
    builds = with_headings([_build_view(changeset, pages) for changeset in shown])
    return (
        environment()
        .get_template("changes.md.j2")
        .render(
            builds=builds,
            keep=site.settings.changes.keep_builds,
            complete=site.edition.complete,
            label=site.audience_label,
        )
    )


def with_headings(builds: list[BuildView]) -> list[BuildView]:
    """Each build under its date; several builds of one day (newest first) as 第 1 次, 第 2 次 … of that day."""
    per_day = Counter(b.date for b in builds)
    seen: Counter[str] = Counter()
    headed: list[BuildView] = []
    for build in reversed(builds):  # oldest first, to number them in the order they were made
        seen[build.date] += 1
        heading = build.date if per_day[build.date] == 1 else f"{build.date}（当日第 {seen[build.date]} 次）"
        headed.append(dataclasses.replace(build, heading=heading))
    return headed[::-1]


def _build_view(changeset: ChangeSet, pages: dict[str, dict[str, str]]) -> BuildView:
    totals = "，".join(
        f"{words} {changeset.totals[kind]} {unit}"
        for kind, (words, unit) in TOTAL_WORDS.items()
        if changeset.totals.get(kind)
    )
    sections = []
    for kind in LISTS:
        change_list = changeset.list_of(kind.key)
        if not change_list.count:
            continue
        items = [_item_view(kind, change, pages[kind.kind]) for change in change_list.items[:ITEM_LIMIT]]
        sections.append(
            SectionView(
                heading=kind.heading,
                count=change_list.count,
                unit=kind.unit,
                items=items,
                more=len(change_list.items) - len(items),
                withheld=change_list.withheld,
            )
        )
    return BuildView(
        date=changeset.date.isoformat(),
        first=changeset.first,
        empty=changeset.empty,
        summary=summary(changeset),
        totals=totals,
        sections=sections,
    )


def _item_view(kind: ListKind, change: Change, titles: dict[str, str]) -> ItemView:
    details = []
    if change.version_from is not None and change.version is not None:
        if change.version_from == change.version:
            details.append(f"版本仍为 {change.version}")
        else:
            details.append(f"版本 {change.version_from} → {change.version}")
    if change.fields:
        details.append("、".join(change.fields))
    detail = f"：{'；'.join(details)}" if details else ""
    if change.closed is not None:
        detail += f"（办结日期 {change.closed.isoformat()}）"
    elif change.version is not None and change.version_from is None:
        detail += f"（版本 {change.version}）"
    title = titles.get(change.id)
    if title is None:
        # Only an edition with every document names what it no longer has (visible_history).
        gone = "" if kind.key.endswith(".removed") else "（现已移除）"
        return ItemView(label=change.id, href=None, detail=detail + gone)
    return ItemView(label=f"{change.id} {title}", href=f"{PAGE_FOLDERS[kind.kind]}/{change.id}.md", detail=detail)
