"""The change log (本次更新): what changed since the previously published build of a site.

Users ask "what changed"; the answer is the difference between this build and
the site that was at `--out` before it. That site carries its own state in
`changes.json`, so the comparison needs no cache elsewhere and "previous" is
exactly what readers saw:

- `snapshot(site, previous)` condenses an edition's SiteModel into short hashes: per
  record, entry and class a hash of each field as the edition shows it, plus
  the record's 办结 date, the entry's review status and the class's version.
  It is made from the SiteModel, which `derive_site` has already cut down to the
  edition (excluded documents, internal-only fields and ids of excluded documents
  removed), so a training or public log cannot mention what the edition leaves out.
- `compare(previous, current, as_of)` gives a ChangeSet: records added, changed
  (with the Chinese titles of the changed fields), closed and removed; entries
  published, added, revised and removed; guides added, revised (old → new version)
  and removed. No previous snapshot (the first build, or one of another edition)
  gives a ChangeSet that says so instead of listing every document as new.
- `next_history` keeps the last N change sets (settings `changes.keep_builds`),
  newest first; a build that changed nothing adds nothing.
- `changes_json` / `read_previous` write and read `changes.json`: the history and
  the snapshot, as deterministic bytes. Anything unreadable reads as "no previous
  build", never as an error: the log then starts again.

In an edition that does not include every document, an id that has left the
edition (made internal, deleted) is never named again, in this build's change
set or in older ones: it is counted as withheld (`visible_history`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import to_json

from .. import cache_json, site_json
from ..contract import CLASS_ID_PATTERN, RECORD_ID_PATTERN, TYPICAL_ID_PATTERN, CaseClass, CaseRecord, TypicalEntry
from ..edition import EDITIONS, Content
from .facts import closed_on as closed_on  # the change log's own notion, used by its tests
from .facts import iso_date, model_of
from .site import SiteModel

if TYPE_CHECKING:
    from ..memo import HashMemo

CHANGES_FILE = "changes.json"  # at the root of the published site
FORMAT = "casebook-changes"
FORMAT_VERSION = 1
HASH_BYTES = 6  # a field's change is missed with odds of 1 in 2^48
HASH_LETTERS = 2 * HASH_BYTES

Snapshot = dict[str, Any]

# The three kinds of document a snapshot holds: its key, the contract model (for field titles), the id pattern.
KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "records": (CaseRecord, RECORD_ID_PATTERN),
    "entries": (TypicalEntry, TYPICAL_ID_PATTERN),
    "classes": (CaseClass, CLASS_ID_PATTERN),
}


@dataclass(frozen=True)
class ListKind:
    """One list of a change set: which documents, and how the home line and the page name it."""

    key: str  # "records.added" …: the key in changes.json
    kind: str  # a key of KINDS
    short: str  # in the home line: 新增 12 件
    heading: str  # on the page: 新增的案例记录（12 件）
    unit: str  # 件 / 份


LISTS: tuple[ListKind, ...] = (
    ListKind("records.added", "records", "新增", "新增的案例记录", "件"),
    ListKind("records.changed", "records", "修改", "修改的案例记录", "件"),
    ListKind("records.closed", "records", "办结", "办结的案例记录", "件"),
    ListKind("records.removed", "records", "移除", "移除的案例记录", "件"),
    ListKind("entries.published", "entries", "发布典型案例", "发布的典型案例", "件"),
    ListKind("entries.added", "entries", "新增待发布典型案例", "新增的待发布典型案例", "件"),
    ListKind("entries.revised", "entries", "典型案例修订", "修订的典型案例", "件"),
    ListKind("entries.removed", "entries", "移除典型案例", "移除的典型案例", "件"),
    ListKind("classes.added", "classes", "新增指引", "新增的类案指引", "份"),
    ListKind("classes.revised", "classes", "指引修订", "修订的类案指引", "份"),
    ListKind("classes.removed", "classes", "移除指引", "移除的类案指引", "份"),
)
LIST_KEYS = tuple(kind.key for kind in LISTS)


@dataclass(frozen=True)
class Change:
    """One document in one list of a change set."""

    id: str
    fields: tuple[str, ...] = ()  # Chinese titles of the changed fields, in contract order
    closed: dt.date | None = None  # records.closed: the 办结 date
    version_from: str | None = None  # classes.revised: the version before
    version: str | None = None  # classes.added / revised: the version now

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.fields:
            data["fields"] = list(self.fields)
        if self.closed is not None:
            data["closed"] = self.closed.isoformat()
        if self.version_from is not None:
            data["from"] = self.version_from
        if self.version is not None:
            data["version"] = self.version
        return data

    @classmethod
    def from_json(cls, data: Any, id_pattern: str) -> Change:
        """Raises ValueError on anything `to_json` does not write (a foreign or damaged file)."""
        data = _mapping(data, {"id", "fields", "closed", "from", "version"})
        id_ = _text(data.get("id"))
        if not re.fullmatch(id_pattern, id_):
            raise ValueError(f"not an id: {id_!r}")
        fields = data.get("fields", [])
        if not isinstance(fields, list):
            raise ValueError("fields must be a list")
        closed = data.get("closed")
        return cls(
            id=id_,
            fields=tuple(_text(name) for name in fields),
            closed=None if closed is None else dt.date.fromisoformat(_text(closed)),
            version_from=None if data.get("from") is None else _text(data["from"]),
            version=None if data.get("version") is None else _text(data["version"]),
        )


@dataclass(frozen=True)
class ChangeList:
    """The documents of one list, plus those counted but no longer named (`withheld`)."""

    items: tuple[Change, ...] = ()
    withheld: int = 0  # changes of documents this edition no longer includes: counted, never named

    @property
    def count(self) -> int:
        return len(self.items) + self.withheld


@dataclass(frozen=True)
class ChangeSet:
    """What one build changed, compared with the site published before it."""

    date: dt.date  # the build's --as-of
    first: bool = False  # no previous build of this edition to compare with
    totals: Mapping[str, int] = field(default_factory=dict)  # records / entries / classes in this build
    lists: Mapping[str, ChangeList] = field(default_factory=dict)  # keys from LIST_KEYS; empty lists left out

    def list_of(self, key: str) -> ChangeList:
        return self.lists.get(key, ChangeList())

    @property
    def empty(self) -> bool:
        """Compared with a previous build and found nothing changed."""
        return not self.first and not any(change_list.count for change_list in self.lists.values())

    def to_json(self) -> dict[str, Any]:
        lists: dict[str, Any] = {}
        for key in LIST_KEYS:
            change_list = self.list_of(key)
            if change_list.count:
                entry: dict[str, Any] = {"items": [change.to_json() for change in change_list.items]}
                if change_list.withheld:
                    entry["withheld"] = change_list.withheld
                lists[key] = entry
        return {"date": self.date.isoformat(), "first": self.first, "totals": dict(self.totals), "lists": lists}

    @classmethod
    def from_json(cls, data: Any) -> ChangeSet:
        """Raises ValueError on anything `to_json` does not write (a foreign or damaged file)."""
        data = _mapping(data, {"date", "first", "totals", "lists"})
        first = data.get("first")
        if not isinstance(first, bool):
            raise ValueError("first must be true or false")
        totals = _mapping(data.get("totals"), set(KINDS))
        lists: dict[str, ChangeList] = {}
        kinds = {kind.key: kind.kind for kind in LISTS}
        for key, value in _mapping(data.get("lists"), set(LIST_KEYS)).items():
            value = _mapping(value, {"items", "withheld"})
            items = value.get("items", [])
            if not isinstance(items, list):
                raise ValueError("items must be a list")
            pattern = KINDS[kinds[key]][1]
            lists[key] = ChangeList(
                tuple(Change.from_json(item, pattern) for item in items), _count(value.get("withheld", 0))
            )
        return cls(
            date=dt.date.fromisoformat(_text(data.get("date"))),
            first=first,
            totals={kind: _count(n) for kind, n in totals.items()},
            lists=lists,
        )


# ── the snapshot ────────────────────────────────────────────────────────────


# Hash digits are letters a–p, not 0–9a–f: the output guard scans changes.json like every
# file, and among 200,000 hex hashes some read as phone numbers (a13812345678).
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def short_hash(data: bytes) -> str:
    """12 letters (48 bits of blake2b): enough to see a change, too short to hold one."""
    return hashlib.blake2b(data, digest_size=HASH_BYTES).hexdigest().translate(_LETTERS)


@cache
def field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields a snapshot hashes, in contract order: all but the id."""
    return tuple(name for name in model.model_fields if name != "id")


def field_hashes(document: BaseModel) -> str:
    """The hash of each field (field_names order) as the edition shows it, run together.

    pydantic writes each value's JSON in Rust in its declared order, a third of the
    time of model_dump and json.dumps; the letters are made once per document. An
    empty field is hashed like any other, so one filled in or emptied shows as changed.
    About 0.1 ms a record of the sample; `snapshot` skips it for unchanged documents."""
    values = document.__dict__
    digests = b"".join(
        hashlib.blake2b(to_json(values[name]), digest_size=HASH_BYTES).digest() for name in field_names(type(document))
    )
    return digests.hex().translate(_LETTERS)


def snapshot(site: SiteModel, previous: Snapshot | None = None, memo: HashMemo | None = None) -> Snapshot:
    """The state of one edition's build that the next build compares with: hashes of what its pages show.

    Per document a hash of the whole ("hash") and one string of field hashes ("hashes";
    the field names once, under "fields"), about 320 bytes a record: 3.3 MB at 10,000
    records. Given the `previous` snapshot (read_previous), a document whose whole hash
    is unchanged keeps its field hashes from there instead of hashing each field again
    (the sample's records repeated to 10,000, on the shared 2-core machine: 0.5 s instead
    of 1.2 s). With `memo`, a record the edition shows as it was read takes its whole hash
    from there, by its file's key (site.source_keys), instead of writing all of it as JSON
    again. The result is the same either way."""
    reuse = {
        kind: previous[kind] if previous is not None and previous["fields"][kind] == list(field_names(model)) else {}
        for kind, (model, _) in KINDS.items()
    }

    source_keys = site.source_keys

    def state(kind: str, document: Content, extra: str, value: str | None) -> dict[str, Any]:
        """A document's hashes, and `extra` when it has a value (positional: no keyword dict
        per document)."""
        source = source_keys.get(document.id) if kind == "records" else None
        if memo is not None and source is not None:  # a LazyRecord builds its model only when the memo lacks it
            whole = memo.get(source, lambda: short_hash(to_json(model_of(document))))
        else:
            whole = short_hash(to_json(model_of(document)))
        old = reuse[kind].get(document.id)
        hashes = old["hashes"] if old is not None and old["hash"] == whole else field_hashes(model_of(document))
        return {"hash": whole, "hashes": hashes} if value is None else {"hash": whole, "hashes": hashes, extra: value}

    # 100,000 records through a state(**more) with a dict comprehension each took 1 s
    records = {
        view.record.id: state("records", view.record, "closed", iso_date(view.facts.closed)) for view in site.records
    }
    entries = {view.entry.id: state("entries", view.entry, "status", view.entry.review.status) for view in site.entries}
    classes = {
        view.case_class.id: state("classes", view.case_class, "version", view.case_class.version)
        for view in site.classes
    }
    return {
        "edition": site.audience,
        "complete": site.edition.complete,
        "fields": {kind: list(field_names(model)) for kind, (model, _) in KINDS.items()},
        "records": {id_: records[id_] for id_ in sorted(records)},
        "entries": {id_: entries[id_] for id_ in sorted(entries)},
        "classes": dict(sorted(classes.items())),
    }


def hashes_of(current: Snapshot, kind: str, state: Mapping[str, Any]) -> dict[str, str]:
    """Field name → hash of one document of a snapshot."""
    digits = state["hashes"]
    names = current["fields"][kind]
    return {name: digits[i * HASH_LETTERS : (i + 1) * HASH_LETTERS] for i, name in enumerate(names)}


# ── comparing two snapshots ─────────────────────────────────────────────────


def compare(previous: Snapshot | None, current: Snapshot, as_of: dt.date) -> ChangeSet:
    """What changed from `previous` (the published site's snapshot, None if there is none) to `current`."""
    totals = {kind: len(current[kind]) for kind in KINDS}
    if previous is None or previous.get("edition") != current["edition"]:
        return ChangeSet(date=as_of, first=True, totals=totals)
    named = bool(current["complete"])  # an edition without every document never names what it dropped
    lists: dict[str, list[Change]] = {key: [] for key in LIST_KEYS}
    withheld: dict[str, int] = {}
    same_fields = {kind: previous["fields"][kind] == current["fields"][kind] for kind in KINDS}

    def changed(
        kind: str, old: Mapping[str, Any], state: Mapping[str, Any], skip: Iterable[str] = ()
    ) -> tuple[str, ...]:
        if old["hash"] == state["hash"] or (same_fields[kind] and old["hashes"] == state["hashes"]):
            return ()  # nearly every document of a large library: no need to split its hashes
        before, after = hashes_of(previous, kind, old), hashes_of(current, kind, state)
        return changed_fields(KINDS[kind][0], before, after, skip)

    def removed(kind: str) -> None:
        gone = sorted(set(previous[kind]) - set(current[kind]))
        if named:
            lists[f"{kind}.removed"] = [Change(id_) for id_ in gone]
        elif gone:
            withheld[f"{kind}.removed"] = len(gone)

    for id_, state in sorted(current["records"].items()):
        old = previous["records"].get(id_)
        if old is None:
            lists["records.added"].append(Change(id_))
        elif state.get("closed") is not None and old.get("closed") is None:
            lists["records.closed"].append(Change(id_, closed=dt.date.fromisoformat(state["closed"])))
        elif fields := changed("records", old, state):
            lists["records.changed"].append(Change(id_, fields=fields))
    removed("records")

    for id_, state in sorted(current["entries"].items()):
        old = previous["entries"].get(id_)
        if state["status"] == "published" and (old is None or old["status"] != "published"):
            lists["entries.published"].append(Change(id_))
        elif old is None:
            lists["entries.added"].append(Change(id_))
        elif fields := changed("entries", old, state):
            lists["entries.revised"].append(Change(id_, fields=fields))
    removed("entries")

    for id_, state in sorted(current["classes"].items()):
        old = previous["classes"].get(id_)
        if old is None:
            lists["classes.added"].append(Change(id_, version=state["version"]))
            continue
        # The version is reported as old → new, not as one more changed field.
        fields = changed("classes", old, state, skip={"version"})
        if fields or old["version"] != state["version"]:
            lists["classes.revised"].append(
                Change(id_, fields=fields, version_from=old["version"], version=state["version"])
            )
    removed("classes")

    return ChangeSet(
        date=as_of,
        totals=totals,
        lists={
            key: ChangeList(tuple(lists[key]), withheld.get(key, 0))
            for key in LIST_KEYS
            if lists[key] or withheld.get(key)
        },
    )


def changed_fields(
    model: type[BaseModel], before: Mapping[str, str], after: Mapping[str, str], skip: Iterable[str] = ()
) -> tuple[str, ...]:
    """The Chinese titles of the fields whose hashes differ, in the contract's order.

    A field the contract no longer has (an older snapshot) is named as it was
    written, after the others, rather than dropped."""
    names = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)} - set(skip)
    known = [name for name in model.model_fields if name in names]
    return tuple(model.model_fields[name].title or name for name in known) + tuple(sorted(names - set(known)))


# ── history ─────────────────────────────────────────────────────────────────


def next_history(history: Sequence[ChangeSet], changeset: ChangeSet, keep: int) -> list[ChangeSet]:
    """The history after this build: `changeset` first, then the older ones, at most `keep` in all.

    A first build starts a new history (there was none, or it was of another
    edition). A build that changed nothing adds nothing: the history, and so
    changes.json, the page and the home line, stay byte for byte as they were,
    which is what an incremental build that finds nothing to do leaves published."""
    if changeset.first:
        return [changeset]
    older = [entry for entry in history if not entry.empty]  # written by older versions
    if changeset.empty:
        return older[: max(keep, 1)]
    return [changeset, *older][: max(keep, 1)]


def visible_history(history: Sequence[ChangeSet], present: Mapping[str, Iterable[str]] | None) -> list[ChangeSet]:
    """`history` naming only documents in `present` (kind → ids this build includes); None: name everything.

    An edition without every document passes what it includes: a record that was
    added to the training edition last month and made internal since is then
    counted ("另有 1 件") and no longer named. An edition with every document
    passes None, since the ids it names of deleted documents were all its own."""
    if present is None:
        return list(history)
    ids = {kind: frozenset(values) for kind, values in present.items()}
    kinds = {kind.key: kind.kind for kind in LISTS}
    out = []
    for changeset in history:
        lists = {}
        for key, change_list in changeset.lists.items():
            kept = tuple(change for change in change_list.items if change.id in ids.get(kinds[key], ()))
            lists[key] = ChangeList(kept, change_list.withheld + len(change_list.items) - len(kept))
        out.append(ChangeSet(date=changeset.date, first=changeset.first, totals=changeset.totals, lists=lists))
    return out


def present_in(current: Snapshot) -> dict[str, list[str]] | None:
    """What `visible_history` may name for the build of `current`."""
    return None if current["complete"] else {kind: list(current[kind]) for kind in KINDS}


# ── changes.json ────────────────────────────────────────────────────────────


def changes_json(history: Sequence[ChangeSet], current: Snapshot) -> str:
    """The content of the site's changes.json: the history (newest first) and this build's snapshot.

    Deterministic: sorted keys, no whitespace, no build time (the dates are --as-of)."""
    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "history": [changeset.to_json() for changeset in visible_history(history, present_in(current))],
        "snapshot": current,
    }
    return site_json.dumps(data) + "\n"


def read_previous(site_dir: Path) -> tuple[Snapshot | None, list[ChangeSet]]:
    """The snapshot and history in `site_dir`/changes.json; (None, []) when it is missing, unreadable,
    damaged or not ours, so that the log starts again instead of the build failing."""
    try:
        data = cache_json.loads((site_dir / CHANGES_FILE).read_bytes())
        data = _mapping(data, {"format", "version", "history", "snapshot"})
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise ValueError("not a casebook changes.json of this version")
        current = _snapshot(data.get("snapshot"))
        history = data.get("history")
        if not isinstance(history, list):
            raise ValueError("history must be a list")
        return current, [ChangeSet.from_json(item) for item in history]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, RecursionError):
        return None, []


def _snapshot(data: Any) -> Snapshot:
    """`data` if it is a snapshot as `snapshot` writes it; ValueError otherwise."""
    data = _mapping(data, {"edition", "complete", "fields", *KINDS})
    if data.get("edition") not in EDITIONS or not isinstance(data.get("complete"), bool):
        raise ValueError("unknown edition")
    fields = _mapping(data.get("fields"), set(KINDS))
    for kind, (_, pattern) in KINDS.items():
        names = fields.get(kind)
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ValueError("field names must be a list of text")
        length = HASH_LETTERS * len(names)
        extra = {"records": "closed", "entries": "status", "classes": "version"}[kind]
        states = _mapping(data.get(kind), None)
        # checked a kind at a time, in C where it can be (ids by one regex over all of them, hashes
        # by deleting their letters): a regex per field of 100,000 records took 1 s of every build
        if not _all_ids(pattern, states):
            raise ValueError("not an id")
        allowed = {"hash", "hashes", extra}
        wholes, parts = [], []
        for state in states.values():
            if not isinstance(state, dict) or not state.keys() <= allowed:
                raise ValueError("expected hashes")
            wholes.append(state.get("hash"))
            parts.append(state.get("hashes"))
            if kind == "records":
                if state.get("closed") is not None:
                    dt.date.fromisoformat(_text(state["closed"]))
            else:
                _text(state.get(extra))
        if not _hash_letters(wholes, HASH_LETTERS):
            raise ValueError("not a hash")
        if not _hash_letters(parts, length):
            raise ValueError("hashes do not match the field names")
    return data


_NO_HASH_LETTERS = str.maketrans("", "", "abcdefghijklmnop")  # what short_hash writes (_LETTERS)


def _all_ids(pattern: str, ids: Iterable[str]) -> bool:
    """Whether every one of `ids` matches `pattern` (an anchored id pattern) whole."""
    listed = list(ids)
    if not listed:
        return True
    body = pattern.removeprefix("^").removesuffix("$")
    joined = "\n".join(listed)
    if joined.count("\n") != len(listed) - 1:  # an id with a line break of its own
        return False
    return re.fullmatch(f"(?:{body}\n)+", joined + "\n") is not None


def _hash_letters(values: list[Any], length: int) -> bool:
    """Whether every value is text of `length` letters a–p."""
    return all(type(v) is str and len(v) == length for v in values) and not "".join(values).translate(_NO_HASH_LETTERS)


def _mapping(data: Any, keys: set[str] | None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("expected an object")
    if keys is not None and not set(data) <= keys:
        raise ValueError(f"unexpected keys: {sorted(set(data) - keys)}")
    return data


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected a count")
    return value
