"""The contract is the single declaration: documented, and the source of schemas and skeletons."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from generator.contract import KINDS
from generator.library import read_library
from generator.schema import json_schema
from tests.conftest import MINI, SAMPLE, Scratch, run_cli

CJK = re.compile(r"[\u4e00-\u9fff]")


def all_models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}

    def visit(model: type[BaseModel]) -> None:
        if model.__name__ in seen:
            return
        seen[model.__name__] = model
        for info in model.model_fields.values():
            for inner in _models_in(info.annotation):
                visit(inner)

    for model in KINDS.values():
        visit(model)
    return sorted(seen.values(), key=lambda model: model.__name__)


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


@pytest.mark.parametrize("model", all_models(), ids=lambda model: model.__name__)
def test_every_field_is_documented_in_chinese(model: type[BaseModel]) -> None:
    """Datasette's rule: an undocumented field fails the build of the docs, and here the tests."""
    assert model.__doc__, f"{model.__name__} needs a docstring saying why it exists"
    for name, info in model.model_fields.items():
        assert info.title and CJK.search(info.title), f"{model.__name__}.{name} needs a Chinese title"
        assert info.description and CJK.search(info.description), f"{model.__name__}.{name} needs a Chinese description"


def test_contract_covers_domain_md_record_fields() -> None:
    """Every key DOMAIN.md's data contract names for a record is a field (simple_procedure → procedure)."""
    keys = {info.alias or name for name, info in KINDS["record"].model_fields.items()}
    named = {
        "id",
        "title",
        "received",
        "channel",
        "category",
        "domain",
        "topic",
        "region",
        "petitioners",
        "flags",
        "summary",
        "demands",
        "units",
        "lead_official",
        "five_ones",
        "stages",
        "resolution",
        "policy_basis",
        "class",
        "tags",
        "visibility",
    }
    assert named <= keys
    assert "procedure" in keys


def _as_json(value: object) -> object:
    """YAML 1.1 as an editor reads it, with dates as the strings the schema expects."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("library", [MINI, SAMPLE], ids=["mini", "sample"])
def test_schemas_accept_every_shipped_file(library: Path) -> None:
    loaded, _ = read_library(library)
    settings = loaded.settings.model if loaded.settings else None
    folders = {"settings": ["settings.yaml"], "record": ["records"], "typical": ["typical"], "class": ["classes"]}
    checked = 0
    for kind, places in folders.items():
        validator = jsonschema.Draft202012Validator(json_schema(kind, settings))
        for place in places:
            target = library / place
            files = [target] if target.is_file() else sorted(target.rglob("*.yaml"))
            for path in files:
                data = _as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
                errors = [e.message for e in validator.iter_errors(data)]
                assert errors == [], f"{path}: {errors}"
                checked += 1
    assert checked >= 5


def test_schema_enums_come_from_settings() -> None:
    loaded, _ = read_library(MINI)
    schema = json_schema("record", loaded.settings.model)
    assert schema["properties"]["domain"]["enum"] == ["城乡建设", "劳动社保"]
    assert schema["properties"]["flags"]["items"]["enum"] == ["集体访", "重复访"]
    assert schema["title"] == "案例记录"


def test_schema_command_writes_four_files_and_the_import_mappings(tmp_path: Path) -> None:
    result = run_cli("schema", MINI, "--out", tmp_path / "s")
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "class.schema.json",
        "import-mapping.schema.json",
        "record.schema.json",
        "settings.schema.json",
        "typical.schema.json",
    ]
    first = (tmp_path / "s" / "record.schema.json").read_bytes()
    run_cli("schema", MINI, "--out", tmp_path / "s")
    assert (tmp_path / "s" / "record.schema.json").read_bytes() == first
    assert "yaml.schemas" in result.stderr
    json.loads(first)


@pytest.mark.parametrize("kind", ["record", "typical", "class"])
def test_new_writes_a_valid_skeleton(mini: Scratch, kind: str) -> None:
    result = run_cli("new", kind, mini.root, "--date", "2024-07-01")
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.exists()
    problems = mini.problems()
    if kind == "record":  # no draft state: each blank left is an error where it stands
        assert problems and all(p.startswith("records/XF-2024-0001.yaml:") and "（待填写）" in p for p in problems)
    else:  # an entry or guide skeleton is a draft, which may hold its blanks
        assert problems == []
    expected = {
        "record": "records/XF-2024-0001.yaml",
        "typical": "typical/2024-01-1-001.yaml",
        "class": "classes/LA-002.yaml",
    }[kind]
    assert path == mini.root / expected


def test_new_takes_the_next_free_id_and_never_overwrites(mini: Scratch) -> None:
    mini.write("records/XF-2023-0007.yaml", "broken: [\n")
    result = run_cli("new", "record", mini.root, "--date", "2023-08-01")
    assert Path(result.stdout.strip()).name == "XF-2023-0008.yaml"
    assert mini.read("records/XF-2023-0007.yaml") == "broken: [\n"
    second = run_cli("new", "record", mini.root, "--date", "2023-08-01")
    assert Path(second.stdout.strip()).name == "XF-2023-0009.yaml"


def test_models_share_their_field_sets_and_short_texts() -> None:
    """Contract.model_post_init: a third of a record's memory was its models' own sets of field
    names, another third repeated short texts (1.5 GB at 100,000 records)."""
    from generator.library import read_library

    library, _ = read_library(SAMPLE)
    records = [doc.model for doc in library.records]
    stages = [stage for record in records for stage in record.stages]
    assert len(stages) > 100
    assert len({id(stage.__pydantic_fields_set__) for stage in stages}) < len(stages) / 10
    with pytest.raises(TypeError):
        stages[0].unit = "改"  # would change every stage's set of given fields
    by_domain: dict[str, set[int]] = {}
    for record in records:
        by_domain.setdefault(record.domain, set()).add(id(record.domain))
    assert all(len(ids) == 1 for ids in by_domain.values())  # one string a domain, however many records
    changed = stages[1].model_copy(update={"unit": "改"})  # a copy has a set of its own
    assert changed.unit == "改" and stages[1].unit != "改" and "unit" in changed.model_fields_set
    again = type(records[0]).model_validate(records[0].model_dump(by_alias=True, exclude_unset=True))
    assert again == records[0] and again.model_fields_set == records[0].model_fields_set
