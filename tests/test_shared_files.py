"""The game's shared file helpers: crash-safe replacement, config files that keep comments, and
the one description of a save slot used by `adventure saves` and the load dialog."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.atomic_file import replacing, write_atomically
from game.config_files import ConfigFileError, read_config_document, update_config_file
from game.saves.listing import TABLE_HEADER, describe_save
from game.saves.store import SaveInfo


def test_a_failed_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "cache.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target, suffix=".safetensors") as temp:
        assert temp.name.endswith(".safetensors") and temp.parent == tmp_path
        temp.write_bytes(b"half")
        raise RuntimeError("the library's save crashed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.bin"]


def test_write_atomically_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "memo.json"
    target.write_text("{}")
    target.chmod(0o600)
    write_atomically(target, '{"a": 1}', durable=False)
    assert target.read_text() == '{"a": 1}' and target.stat().st_mode & 0o777 == 0o600
    write_atomically(tmp_path / "new" / "file.txt", b"x")
    assert (tmp_path / "new" / "file.txt").read_bytes() == b"x"


def test_toml_update_keeps_comments_and_adds_a_table(tmp_path: Path) -> None:
    path = tmp_path / "narrator.toml"
    path.write_text('# my favourite settings\ntemperature = 0.5  # warmer\n\n[other]\nkeep = "me"\n')
    update_config_file(path, {"temperature": 0.25, "grounding": False})
    update_config_file(path, {"theme": "nord"}, table="ui")
    text = path.read_text()
    assert "# my favourite settings" in text and "# warmer" in text and 'keep = "me"' in text
    assert read_config_document(path) == {"temperature": 0.25, "grounding": False,
                                          "other": {"keep": "me"}, "ui": {"theme": "nord"}}


def test_a_broken_file_is_named_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ui.toml"
    path.write_text("theme = = nord\n")
    with pytest.raises(ConfigFileError, match=r"ui\.toml: cannot parse"):
        update_config_file(path, {"theme": "nord"})
    assert path.read_text() == "theme = = nord\n"


def test_yaml_settings_are_updated_too(tmp_path: Path) -> None:
    path = tmp_path / "narrator.yaml"
    path.write_text("narrator:\n  temperature: 0.4\n")
    update_config_file(path, {"seed": 3}, table="narrator")
    assert read_config_document(path) == {"narrator": {"temperature": 0.4, "seed": 3}}


def test_one_description_of_a_slot_for_the_table_and_the_dialog(tmp_path: Path) -> None:
    info = SaveInfo(slot="house", path=tmp_path / "house.json", kind="named", world_title="The \x1b[31mHouse",
                    location="Hall", turns=4, score=3, max_score=10, updated="2026-12-02T07:45:10")
    row, line = describe_save(info, table=True), describe_save(info)
    assert row.startswith("house ") and "0/10" not in row and "3/10" in row and "2026-12-02 07:45" in row
    assert "\x1b" not in row and row.index("The House") == TABLE_HEADER.index("WORLD")
    assert line == "house · The House · Hall · turn 4 · 2026-12-02 07:45"  # no escape reaches a terminal
    broken = SaveInfo(slot="wreck", path=tmp_path / "wreck.json", problem="not JSON")
    assert describe_save(broken, table=True) == "wreck            UNREADABLE: not JSON"
    assert describe_save(broken) == "wreck  (unreadable: not JSON)"
