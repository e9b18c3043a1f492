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


def _pyyaml_load(text: str) -> object:  # YAML 1.1: `on`, `yes`, `off` as keys become booleans
    import yaml

    return yaml.safe_load(text)


def _ruamel_load(text: str) -> object:  # YAML 1.2: only true/false are booleans
    ruamel = pytest.importorskip("ruamel.yaml")
    return ruamel.YAML(typ="safe", pure=True).load(text)


@pytest.mark.parametrize("load", [_pyyaml_load, _ruamel_load], ids=["yaml-1.1", "yaml-1.2"])
@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.name)
def test_common_yaml_tools_read_the_shipped_worlds_as_the_schema_expects(path: Path, load) -> None:  # type: ignore[no-untyped-def]
    """An author's editor or CI validates with PyYAML or ruamel and jsonschema, not our loader."""
    data = load(path.read_text(encoding="utf-8"))
    assert [f"{list(e.path)}: {e.message}" for e in _validator().iter_errors(data)] == []


def test_the_older_trigger_key_on_means_the_same_as_event(tmp_path: Path) -> None:
    from game.engine.loader import load_world

    new = ROOT / "tests" / "worlds" / "minimal.yaml"
    old = tmp_path / "minimal_on.yaml"
    old.write_text(new.read_text(encoding="utf-8").replace("    event: turn", "    on: turn"), encoding="utf-8")
    assert "    on: turn" in old.read_text(encoding="utf-8")
    assert load_world(old).triggers == load_world(new).triggers
    both = tmp_path / "both.yaml"
    both.write_text(new.read_text(encoding="utf-8").replace("    event: turn", "    event: turn\n    on: turn"),
                    encoding="utf-8")
    assert any("exactly one of event, on" in p.message for p in validate_world_file(both))
