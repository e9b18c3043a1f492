"""The engine's undo history in a save: compact patches instead of whole states.

The engine keeps up to UNDO_LEVELS snapshots (one per state-changing line). Consecutive
snapshots differ in a field or two (the room, turns, one item's place), so the save stores,
oldest first, one patch per snapshot that turns the next newer state (the last patch: the
current state) back into it:

    {"set": {"room": "hall", "turns": 4}, "merge": {"locations": {"lamp": "hall"}}}

`set` replaces whole fields; `merge` changes single keys of the mapping fields, with null
meaning "the key was absent". That keeps a full 100-level history to a few KB, where whole
states would be ~100x bigger. The snapshots come from and go back to the game through
`Game.undo_history()` and `Game.set_undo_history()`.
"""

from __future__ import annotations

from typing import Any

from game.engine.game import UNDO_LEVELS
from game.engine.state import GameState

UNDO_LIMIT = UNDO_LEVELS
_MERGED = ("locations", "flags", "counters")


def _patch(newer: dict[str, Any], older: dict[str, Any]) -> dict[str, Any]:
    """The patch that turns `newer` into `older` (both GameState.to_dict() output)."""
    replace: dict[str, Any] = {}
    merge: dict[str, dict[str, Any]] = {}
    for key, old in older.items():
        new = newer.get(key)
        if old == new:
            continue
        if key in _MERGED and isinstance(old, dict) and isinstance(new, dict):
            changed = {k: v for k, v in old.items() if new.get(k) != v}
            changed.update({k: None for k in new if k not in old})
            merge[key] = changed
        else:
            replace[key] = old
    patch: dict[str, Any] = {}
    if replace:
        patch["set"] = replace
    if merge:
        patch["merge"] = merge
    return patch


def _apply(state: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = dict(state)
    result.update(patch.get("set", {}))
    for key, changes in patch.get("merge", {}).items():
        merged = dict(result.get(key, {}))
        for k, v in changes.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        result[key] = merged
    return result


def encode_undo(states: list[GameState], current: GameState) -> list[dict[str, Any]]:
    """Patches for `states` (oldest first), each relative to the next newer state."""
    dicts = [s.to_dict() for s in states[-UNDO_LIMIT:]] + [current.to_dict()]
    return [_patch(dicts[i + 1], dicts[i]) for i in range(len(dicts) - 1)]


def decode_undo(patches: list[dict[str, Any]], current: dict[str, Any]) -> list[GameState]:
    """The undo snapshots (oldest first) from `encode_undo` output and the current state dict.

    Raises ValueError when a patch is malformed (the caller then starts with no undo history).
    """
    dicts: list[dict[str, Any]] = []
    state = current
    for patch in reversed(patches[-UNDO_LIMIT:]):
        if not isinstance(patch, dict) or not isinstance(patch.get("set", {}), dict) \
                or not isinstance(patch.get("merge", {}), dict) \
                or not all(isinstance(v, dict) for v in patch.get("merge", {}).values()):
            raise ValueError("an undo entry is not a {set, merge} patch")
        state = _apply(state, patch)
        dicts.append(state)
    return [GameState.from_dict(d) for d in reversed(dicts)]
