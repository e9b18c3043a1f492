"""Upgrading saves written by older versions of the game, one format version at a time.

Each migration is a pure function from the JSON data of version N to that of version N+1, so
a save from any past version reaches the current one by running the chain. Migration happens
in memory on load: the file itself is left exactly as it was (the player may still open it
with the older game) until the next save to that slot writes the current format.

Format history:
  1  first release: flat metadata (`world_id`, `world_title`, `world_hash`, `saved_at`,
     `room`, `location`, `turns`, `score`), `commands`, transcript as [command, text] pairs,
     `narration` (recent narrator lines); no undo history, no autosave ring.
  2  nested `world` and `summary` blocks, created/updated times, `kind` and `autosave_seq`
     for the quicksave/autosave ring, `replay` base, bounded `undo` history, transcript
     entries that carry the narration beside the engine text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .document import FORMAT_NAME, FORMAT_VERSION
from .errors import SaveFormatError

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(old: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: regroup the flat metadata and turn transcript pairs into entries."""
    slot = old.get("slot", "")
    kind = "quick" if slot == "quicksave" else "auto" if slot == "autosave" else "named"
    transcript = []
    for turn, pair in enumerate(old.get("transcript", []), start=1):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"transcript[{turn - 1}] should be a [command, text] pair")
        transcript.append({"turn": turn, "command": pair[0], "text": pair[1], "narration": ""})
    saved_at = old.get("saved_at", "")
    narration = old.get("narration", [])
    return {
        "format": FORMAT_NAME,
        "version": 2,
        "slot": slot,
        "kind": kind,
        "created": saved_at,
        "updated": saved_at,
        "autosave_seq": 0 if kind == "auto" else None,
        "world": {"id": old.get("world_id"), "title": old.get("world_title"),
                  "content_hash": old.get("world_hash"), "source": ""},
        "summary": {"location_id": old.get("room"), "location": old.get("location"),
                    "turns": old.get("turns"), "score": old.get("score"),
                    "max_score": 0, "ended": None},
        "replay": {"base_state": None, "base_index": 0},
        "state": old.get("state"),
        "undo": [],
        "command_log": old.get("commands"),
        "transcript": transcript,
        "narrator_history": narration if isinstance(narration, list) else [],
    }


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


def read_version(data: Any, path: Path) -> int:
    """The format version of parsed JSON, refusing foreign and future files with a reason."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise SaveFormatError(f"{path} is not a save file: the JSON is {kind}, not a save object.", path)
    if data.get("format") != FORMAT_NAME:
        raise SaveFormatError(
            f"{path} is not a crystal-adventure save (it is some other JSON file: "
            f"no \"format\": \"{FORMAT_NAME}\" marker).", path)
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SaveFormatError(f"{path} is not a valid save: 'version' should be a whole number, found {version!r:.30}.", path)
    if version > FORMAT_VERSION:
        raise SaveFormatError(
            f"{path} was written by a newer version of the game (save format {version}; this "
            f"game reads formats 1 to {FORMAT_VERSION}). Update the game to load it.", path)
    if version < 1:
        raise SaveFormatError(f"{path} has an unknown save format version {version}.", path)
    return version


def migrate(data: dict[str, Any], path: Path) -> tuple[dict[str, Any], int]:
    """Bring parsed save data up to FORMAT_VERSION. Returns (data, original version)."""
    original = version = read_version(data, path)
    while version < FORMAT_VERSION:
        try:
            data = MIGRATIONS[version](data)
        except (ValueError, TypeError, AttributeError) as error:
            raise SaveFormatError(
                f"{path} is a format {original} save that could not be upgraded: {error}.", path) from error
        version += 1
    return data, original
