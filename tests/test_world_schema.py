"""The published JSON Schema is generated from the validator's own spec tables and agrees with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from game.engine.loader import validate_world_file
from game.engine.schema import CHOICES, STRUCTS, schema_text, world_json_schema
from game.engine.yaml_source import compose, plain_data
from loader_support import BASE, variant

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "world.schema.json"
WORLDS = [ROOT / "tests" / "worlds" / "minimal.yaml", *sorted((ROOT / "worlds").glob("*.yaml"))]


def test_committed_schema_matches_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/world.schema.json is stale; regenerate it with "
        "`python -m game.engine.schema > docs/world.schema.json`")


def test_schema_covers_every_key_of_every_table() -> None:
    schema = world_json_schema()
    defs = schema["definitions"]
    for name, struct in STRUCTS.items():
        properties = (schema if name == "world_file" else defs[name])["properties"]
        assert list(properties) == [f.key for f in struct.fields]
    for name, choice in CHOICES.items():
        assert list(defs[name]["properties"]) == [f.key for f in choice.options]
        assert defs[name]["maxProperties"] == 1


def _validator():  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.name)
def test_valid_worlds_pass_the_schema(path: Path) -> None:
    data = plain_data(compose(path.read_text(encoding="utf-8")))
    assert [e.message for e in _validator().iter_errors(data)] == []


@pytest.mark.parametrize("old,new", [
    ("    description: A plain hall.", "    descripton: A plain hall."),   # unknown key
    ("    container: true", "    container: maybe"),                       # wrong type
    ("  start: hall\n", ""),                                                # missing key
    ("    kind: win", "    kind: draw"),                                    # bad enum
    ("  - id: kitchen", "  - id: Kitchen"),                                 # bad id
    ("      north: kitchen", "      nrth: kitchen"),                        # bad direction
    ("    object: box", "    object: box\n    when: {flag: lit, has: box}"),  # two-key condition
])
def test_schema_and_validator_reject_the_same_shape_errors(
        tmp_path: Path, old: str, new: str) -> None:
    text = variant((old, new))
    path = tmp_path / "w.yaml"
    path.write_text(text)
    assert validate_world_file(path) != []
    assert list(_validator().iter_errors(plain_data(compose(text)))) != []


def test_base_world_passes_both() -> None:
    assert list(_validator().iter_errors(plain_data(compose(BASE)))) == []


def test_schema_defaults_come_from_the_world_model() -> None:
    from game.engine.world import Item

    item = world_json_schema()["definitions"]["item"]["properties"]
    assert item["portable"]["default"] is Item.portable is True
    assert item["location"]["default"] == Item.location == "nowhere"
    assert "default" not in item["name"]  # required keys have no default
