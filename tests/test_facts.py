"""Record facts (derive/facts.py): kept between builds, and records read without a model.

The facts a build keeps must be what `record_facts` makes of the same file, settings and
date; a LazyRecord must answer like its model; and a rebuild after one edit must build
no model for records that did not change (that is the point: 10.8 s at 100,000 records).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.contract import FROM_JSON, CaseRecord
from generator.derive import facts as facts_module
from generator.derive.facts import (
    FIELDS,
    FactsStore,
    LazyRecord,
    decode,
    encoded_facts,
    facts_context,
    record_facts,
)
from generator.keyed_lines import encode
from generator.validate import check_library
from tests.conftest import SAMPLE

AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def sample_records() -> tuple[list[CaseRecord], object]:
    library, problems = check_library(SAMPLE, AS_OF)
    assert not problems and library.settings is not None
    return [doc.model for doc in library.records], library.settings.model


@pytest.mark.parametrize("as_of", [dt.date(2021, 3, 1), AS_OF, dt.date(2030, 1, 1)])
def test_kept_facts_read_back_as_made(sample_records: tuple[list[CaseRecord], object], as_of: dt.date) -> None:
    """Every sample record on three dates (before it was received, open, long after): JSON and back."""
    records, settings = sample_records
    for record in records:
        made = record_facts(record, settings, as_of)  # type: ignore[arg-type]
        text = encode(encoded_facts(made))
        assert text is not None
        assert decode(json.loads(text)) == made
        assert repr(decode(json.loads(text)).deadline) == repr(made.deadline)  # page keys read its fields as text


def test_a_lazy_record_answers_like_its_model(sample_records: tuple[list[CaseRecord], object]) -> None:
    records, settings = sample_records
    record = next(r for r in records if r.resolution is not None and r.policy_basis and r.subject)
    lazy = LazyRecord(record_facts(record, settings, AS_OF), record.model_dump_json(by_alias=True).encode())  # type: ignore[arg-type]
    for name in FIELDS:
        assert getattr(lazy, name) == getattr(record, name), name
    assert lazy._model is None  # the fields came from the facts
    assert lazy.stages == record.stages and lazy.summary == record.summary
    assert lazy._model is not None and lazy.model == CaseRecord.model_validate_json(
        record.model_dump_json(by_alias=True), context=FROM_JSON
    )
    assert lazy == record and lazy.model_dump_json() == record.model_dump_json()


def test_facts_of_another_shape_are_not_used(tmp_path: Path) -> None:
    store = FactsStore(tmp_path)
    store.lines.store.entries["a" * 40] = b'[["too","short"]]'
    store.lines.store.entries["b" * 40] = b"{}"
    assert store.get("a" * 40) is None and store.get("b" * 40) is None


def test_facts_depend_on_the_settings_file_and_the_date() -> None:
    assert len({facts_context(s, d) for s in ("s1", "s2") for d in (AS_OF, AS_OF + dt.timedelta(1))}) == 4


def test_an_edit_builds_no_model_of_an_unchanged_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample built, one record edited, built again: the other records are LazyRecords, and
    only what must read a record whole (its page, a class suggestion's keyword rules) builds its model."""
    library = tmp_path / "cases"
    shutil.copytree(SAMPLE, library)
    options = BuildOptions(library, tmp_path / "site", as_of=AS_OF)
    build(options)
    made: collections.Counter[str] = collections.Counter()
    lazy: list[LazyRecord] = []
    real_init, real_model = LazyRecord.__init__, LazyRecord.model.fget

    def init(self: LazyRecord, *args: object) -> None:
        real_init(self, *args)  # type: ignore[arg-type]
        lazy.append(self)

    def model(self: LazyRecord) -> CaseRecord:
        if self._model is None:
            made[self.facts.fields["id"]] += 1
        return real_model(self)  # type: ignore[misc]

    monkeypatch.setattr(LazyRecord, "__init__", init)
    monkeypatch.setattr(LazyRecord, "model", property(model))
    edited = sorted((library / "records").rglob("*.yaml"))[3]
    edited.write_text(edited.read_text(encoding="utf-8").replace("title: ", "title: 改过的", 1), encoding="utf-8")
    report = build(options)
    assert report.reason == ""
    records = len(list((library / "records").rglob("*.yaml")))
    assert len(lazy) == records - 1
    assert sum(made.values()) <= 10, made  # the pages made again and the class suggestions that changed
    assert edited.stem not in {record.facts.fields["id"] for record in lazy}


def test_a_new_date_reads_every_record_as_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Facts are of one date: with another --as-of none is found, and the build is a plain one."""
    library = tmp_path / "cases"
    shutil.copytree(SAMPLE, library)
    build(BuildOptions(library, tmp_path / "site", as_of=AS_OF))
    found: list[object] = []
    real_get = FactsStore.get
    monkeypatch.setattr(FactsStore, "get", lambda self, key: found.append(real_get(self, key)) or found[-1])
    build(BuildOptions(library, tmp_path / "site", as_of=AS_OF + dt.timedelta(days=1)))
    assert found and not any(found)
    assert facts_module.FACTS_FILE in {p.name for p in tmp_path.rglob("*.jsonl")}
