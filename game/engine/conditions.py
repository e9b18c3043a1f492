"""Evaluating world-file conditions against the current state (pure functions)."""

from __future__ import annotations

from game.engine.state import GameState
from game.engine.world import (
    PLAYER, All, Any_, Condition, CounterCompare, FlagSet, FlagUnset, Has, InRoom, ItemAt,
    ItemIs, Not, TurnsCompare, Visited,
)

_COMPARE = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


def compare(op: str, left: int, right: int) -> bool:
    return bool(_COMPARE[op](left, right))


def carried_by_player(state: GameState, item: str) -> bool:
    """True when the item is held, directly or inside something held."""
    place = state.locations.get(item)
    seen = 0
    while place is not None and seen < 64:
        if place == PLAYER:
            return True
        place = state.locations.get(place)
        seen += 1
    return False


def item_is(state: GameState, item: str, name: str) -> bool:
    """Item state names as the world format spells them, including the negated forms."""
    negated = {"closed": "open", "unlocked": "locked", "unlit": "lit", "revealed": "hidden"}
    if name in negated:
        return not state.is_(item, negated[name])
    return state.is_(item, name)


def holds(condition: Condition | None, state: GameState) -> bool:
    """Whether a condition holds now. `None` (no condition) always holds."""
    if condition is None:
        return True
    if isinstance(condition, Has):
        return carried_by_player(state, condition.item)
    if isinstance(condition, ItemAt):
        return state.locations.get(condition.item) == condition.place
    if isinstance(condition, ItemIs):
        return item_is(state, condition.item, condition.state)
    if isinstance(condition, InRoom):
        return state.room == condition.room
    if isinstance(condition, FlagSet):
        return state.flags.get(condition.flag, False)
    if isinstance(condition, FlagUnset):
        return not state.flags.get(condition.flag, False)
    if isinstance(condition, CounterCompare):
        return compare(condition.op, state.counters.get(condition.counter, 0), condition.value)
    if isinstance(condition, Visited):
        return condition.room in state.visited
    if isinstance(condition, TurnsCompare):
        return compare(condition.op, state.turns, condition.value)
    if isinstance(condition, All):
        return all(holds(c, state) for c in condition.conditions)
    if isinstance(condition, Any_):
        return any(holds(c, state) for c in condition.conditions)
    if isinstance(condition, Not):
        return not holds(condition.condition, state)
    raise TypeError(f"unknown condition {condition!r}")
