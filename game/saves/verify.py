"""Checking a saved state against its world: replay, differences, and dangling references.

Replay is the strongest check a save can get: the engine is deterministic (same world + same
commands = same state), so running the command log again from the recorded base must land on
exactly the saved state. When it does, the replayed `Game` *is* the loaded game, which also
rebuilds the engine's undo history for free. When it does not (hand edits, or an engine change),
`state_differences` says which parts disagree in words.

When the world file changed, the saved state may mention rooms or items that are gone;
`missing_references` lists them so the player is told exactly what is missing (and the save is
left alone), and `complete_state` gives things the new world added their starting values.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from game.engine.game import Game
from game.engine.state import ITEM_STATES, GameState
from game.engine.world import NOWHERE, PLAYER, World

_COMPARED = [f.name for f in dataclasses.fields(GameState) if f.compare]


def replay(world: World, commands: Iterable[str], base: GameState | None = None) -> Game:
    """A Game that has executed `commands` from `base` (or the world's start)."""
    game = Game(world, base.copy() if base is not None else None)
    for command in commands:
        game.execute(command)
    return game


def _short(value: Any) -> str:
    text = repr(sorted(value) if isinstance(value, set) else value)
    return text if len(text) <= 40 else text[:37] + "..."


def state_differences(saved: GameState, replayed: GameState) -> list[str]:
    """Human descriptions of each part where two states disagree (empty when equal)."""
    differences = []
    for name in _COMPARED:
        mine, theirs = getattr(saved, name), getattr(replayed, name)
        if mine == theirs:
            continue
        if isinstance(mine, dict) and isinstance(theirs, dict):
            keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            shown = ", ".join(keys[:4]) + (" ..." if len(keys) > 4 else "")
            differences.append(f"{name} ({shown})")
        else:
            differences.append(f"{name} (saved {_short(mine)}, replay gives {_short(theirs)})")
    return differences


def missing_references(world: World, state: GameState) -> list[str]:
    """What the state refers to that the world does not have, one phrase per problem."""
    missing: list[str] = []
    places = set(world.rooms) | set(world.items) | {PLAYER, NOWHERE}
    if state.room not in world.rooms:
        missing.append(f"the room '{state.room}' where the player is")
    for item, place in sorted(state.locations.items()):
        if item not in world.items:
            where = "carried by the player" if place == PLAYER else f"in '{place}'"
            missing.append(f"the item '{item}' ({where})")
        elif place not in places:
            missing.append(f"the place '{place}' holding the item '{item}'")
    for name in ITEM_STATES:
        for item in sorted(state.item_states.get(name, ())):
            if item not in world.items and item not in state.locations:
                missing.append(f"the item '{item}' (marked {name})")
    for room in sorted(state.visited - set(world.rooms)):
        missing.append(f"the visited room '{room}'")
    if state.ended is not None and state.ended not in world.endings:
        missing.append(f"the ending '{state.ended}'")
    return missing


def complete_state(world: World, state: GameState) -> tuple[GameState, list[str]]:
    """Give items, flags and counters the world added since the save their starting values.

    Returns the completed copy and one note per kind of addition. Stale parser memory (what
    "it" meant, a pending question) is dropped when it names things the world no longer has.
    """
    initial = GameState.initial(world)
    result = state.copy()
    notes: list[str] = []
    new_items = sorted(set(world.items) - set(state.locations))
    for item in new_items:
        result.move(item, initial.locations[item])
        for name in ITEM_STATES:
            result.set_item_state(item, name, item in initial.item_states[name])
    if new_items:
        notes.append("new items start where the world file puts them: " + ", ".join(new_items))
    new_flags = sorted(set(world.flags) - set(state.flags))
    for flag in new_flags:
        result.set_flag(flag, world.flags[flag])
    new_counters = sorted(set(world.counters) - set(state.counters))
    for counter in new_counters:
        result.set_counter(counter, world.counters[counter])
    if new_flags or new_counters:
        notes.append("new flags/counters take their starting values: " + ", ".join(new_flags + new_counters))
    if any(obj not in world.items for obj in result.last_objects):
        result.last_objects = ()
    if result.pending is not None:
        result.pending = None
    return result, notes
