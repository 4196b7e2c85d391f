"""Contract → JSON Schema files for trainers' editors.

The VS Code YAML extension completes and checks fields as one types when a
file is mapped to a schema. We emit one schema per kind of file, with the
contract's Chinese titles and descriptions, and — when a library is given —
its settings' vocabularies as enums, so 问题领域 or 责任单位 complete too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .contract import KIND_LABELS, KINDS, Settings

SCHEMA_FILES = {kind: f"{kind}.schema.json" for kind in KINDS}
MAPPING_SCHEMA_FILE = "import-mapping.schema.json"
MAPPING_GLOB = "**/*.mapping.yaml"  # casebook import's mapping files, named as docs/help/import.md says
FILE_GLOBS = {
    "settings": "settings.yaml",
    "record": "records/**/*.yaml",
    "typical": "typical/**/*.yaml",
    "class": "classes/**/*.yaml",
}


def vocabulary_values(settings: Settings) -> dict[str, list[str]]:
    lists = settings.vocabularies
    return {
        "domains": [d.name for d in lists.domains],
        "regions": list(lists.regions),
        "units": list(lists.units),
        "channels": list(lists.channels),
        "flags": list(lists.flags),
        "petitioner_kinds": list(lists.petitioner_kinds),
        "mechanisms": list(lists.mechanisms),
        "procedures": sorted(settings.time_limits.procedures),
    }


def json_schema(kind: str, settings: Settings | None = None) -> dict[str, Any]:
    """The JSON Schema of one kind of file, vocabularies filled in when known."""
    schema = KINDS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = KIND_LABELS[kind]
    schema["description"] = f"Casebook {KIND_LABELS[kind]}文件（由 casebook schema 生成，请勿手改）"
    for definition in schema.get("$defs", {}).values():
        # Model docstrings are English notes for developers; the Chinese text
        # an editor shows lives on the property that refers to the model.
        definition.pop("description", None)
    if settings is not None:
        values = vocabulary_values(settings)
        outside = OUTSIDE_FREE.get(kind)
        if outside is None:
            _fill_vocabularies(schema, values)
        else:  # local places and units only where the file is not an archived or outside case
            _fill_vocabularies(schema, {name: v for name, v in values.items() if name not in PLACE_VOCABULARIES})
            schema["if"] = OUTSIDE_CASE
            schema["else"] = outside(values["regions"], values["units"])
    return schema


# An archived or outside case writes places and units as its source does (validate.check_record
# skips them); the schema keeps the local lists for every other file, so editors still flag a typo.
PLACE_VOCABULARIES = ("regions", "units")
OUTSIDE_CASE = {
    "anyOf": [
        {"properties": {"external": {"const": True}}, "required": ["external"]},
        {"properties": {"archived": {"const": True}}, "required": ["archived"]},
    ]
}


def _record_places(regions: list[str], units: list[str]) -> dict[str, Any]:
    unit, regions = {"enum": units}, region_paths(regions)
    return {
        "properties": {
            "region": {"enum": regions},
            "units": {
                "properties": {
                    "lead": unit,
                    "assist": {"items": unit},
                    "dual": {"properties": {"locality": unit, "department": unit}},
                }
            },
            "stages": {"items": {"properties": {"unit": {"enum": [*units, None]}}}},
        }
    }


def _entry_places(regions: list[str], units: list[str]) -> dict[str, Any]:
    return {"properties": {"region": {"enum": region_paths(regions)}}}


def region_paths(regions: list[str]) -> list[str]:
    """The regions in the settings' order, then their parent paths: a region's parent is valid too
    (某市/城东区 when 某市/城东区/和平街道 is listed), for validate and the editors alike."""
    parents = ("/".join(region.split("/")[:i]) for region in regions for i in range(1, region.count("/") + 1))
    return list(dict.fromkeys([*regions, *parents]))


OUTSIDE_FREE = {"record": _record_places, "typical": _entry_places}


def _fill_vocabularies(node: Any, values: dict[str, list[str]]) -> None:
    if isinstance(node, dict):
        name = node.get("x-vocabulary")
        if name in values:
            _add_enum(node, values[name])
        for child in node.values():
            _fill_vocabularies(child, values)
    elif isinstance(node, list):
        for child in node:
            _fill_vocabularies(child, values)


def _add_enum(node: dict[str, Any], options: list[str]) -> None:
    """Put the enum where the string lives: the node, its items or its string branch."""
    if node.get("type") == "string":
        node["enum"] = options
    elif node.get("type") == "array":
        node.setdefault("items", {})["enum"] = options
    for branch in node.get("anyOf", []):
        if branch.get("type") == "string":
            branch["enum"] = options


def write_schemas(out: Path, settings: Settings | None) -> list[Path]:
    """Write every schema file, byte-stable, and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name in SCHEMA_FILES.items():
        path = out / name
        text = json.dumps(json_schema(kind, settings), ensure_ascii=False, indent=2, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    from .importer.mapping import mapping_schema  # casebook import's mapping files

    path = out / MAPPING_SCHEMA_FILE
    path.write_text(json.dumps(mapping_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(path)
    return written


def vscode_settings(out: Path, library: Path) -> dict[str, Any]:
    """The `yaml.schemas` entry that maps library files to the schemas."""
    mapping = {}
    for kind, name in SCHEMA_FILES.items():
        mapping[(out / name).as_posix()] = (library / FILE_GLOBS[kind]).as_posix()
    mapping[(out / MAPPING_SCHEMA_FILE).as_posix()] = MAPPING_GLOB
    return {"yaml.schemas": mapping}
