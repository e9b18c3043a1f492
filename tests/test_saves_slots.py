"""Slot names: normalisation, and a clear refusal for every unsafe or reserved name."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.saves.errors import SlotNameError
from game.saves.slots import MAX_SLOT_LENGTH, slot_from_path, slot_path, validate_slot


@pytest.mark.parametrize("raw, expected", [
    ("castle", "castle"),
    ("  My Castle  ", "my-castle"),
    ("level_2", "level_2"),
    ("a" * MAX_SLOT_LENGTH, "a" * MAX_SLOT_LENGTH),
])
def test_valid_names_are_normalised(raw: str, expected: str) -> None:
    assert validate_slot(raw) == expected


@pytest.mark.parametrize("raw, words", [
    ("", "needs a name"),
    ("   ", "needs a name"),
    ("../etc/passwd", "looks like a path"),
    ("/tmp/x", "looks like a path"),
    ("C:evil", "looks like a path"),
    ("..", "'..'"),
    (".hidden", "'..' or start with '.'"),
    ("a\\b", "looks like a path"),
    ("~root", "looks like a path"),
    ("CON", "reserved device name"),
    ("nul", "reserved device name"),
    ("com1", "reserved device name"),
    ("a" * (MAX_SLOT_LENGTH + 1), "too long"),
    ("caf\u00e9", "letters, digits"),
    ("semi;colon", "letters, digits"),
    ("line\nbreak", "control characters"),
    ("quicksave", "kept for the game's own"),
    ("autosave-3", "kept for the game's own"),
])
def test_bad_names_get_a_clear_message(raw: str, words: str) -> None:
    with pytest.raises(SlotNameError) as caught:
        validate_slot(raw)
    assert words in str(caught.value)


def test_reserved_names_readable_by_the_store() -> None:
    assert validate_slot("autosave-3", allow_reserved=True) == "autosave-3"
    assert validate_slot("QuickSave", allow_reserved=True) == "quicksave"


def test_paths_stay_inside_the_folder(tmp_path: Path) -> None:
    path = slot_path(tmp_path, validate_slot("Deep Dungeon"))
    assert path.parent == tmp_path and path.name == "deep-dungeon.json"


def test_only_store_files_count_as_slots(tmp_path: Path) -> None:
    assert slot_from_path(tmp_path / "castle.json") == "castle"
    assert slot_from_path(tmp_path / ".castle.json.123.ab.tmp") is None
    assert slot_from_path(tmp_path / "Castle.json") is None  # not a name the store writes
    assert slot_from_path(tmp_path / "notes.txt") is None
