"""Evaluating world-file conditions against the current state (pure functions).

Most conditions read only the state; the light conditions (`dark`, `lit`) also need the world
(which rooms are dark, which items give light), so every test takes it as an optional third
argument: callers that have a world pass it.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

from game.engine.state import GameState
from game.engine.world import (
    HERE, PLAYER, All, Any_, Condition, CounterCompare, Dark, FlagSet, FlagUnset, Has, InRoom,
    ItemAt, ItemIs, Lit, Not, TurnsCompare, Visited, World,
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


_NEGATED = {"closed": "open", "unlocked": "locked", "unlit": "lit", "revealed": "hidden"}


def item_is(state: GameState, item: str, name: str) -> bool:
    """Item state names as the world format spells them, including the negated forms."""
    negated = _NEGATED.get(name)
    if negated is not None:
        return not state.is_(item, negated)
    return state.is_(item, name)


def holds(condition: Condition | None, state: GameState, world: World | None = None) -> bool:
    """Whether a condition holds now. `None` (no condition) always holds. `world` is needed by
    the light conditions only."""
    if condition is None:
        return True
    test = _TESTS.get(type(condition))
    if test is None:   # a subclass of one of the kinds: the test of its nearest known base
        test = next((_TESTS[base] for base in type(condition).__mro__ if base in _TESTS), None)
        if test is None:
            raise TypeError(f"unknown condition {condition!r}")
    return test(condition, state, world)


def _all_hold(conditions: tuple[Condition, ...], state: GameState, world: World | None) -> bool:
    for condition in conditions:
        if not holds(condition, state, world):
            return False
    return True


def _any_holds(conditions: tuple[Condition, ...], state: GameState, world: World | None) -> bool:
    for condition in conditions:
        if holds(condition, state, world):
            return True
    return False


def room_dark(world: World | None, state: GameState, room: str) -> bool:
    """The light test behind `dark`/`lit`: `room` (or the player's, for `here`) is dark."""
    if world is None:
        raise ValueError("a dark/lit condition needs the world to be tested")
    return _scope.room_is_dark(world, state, state.room if room == HERE else room)


# Every-turn triggers and rules test conditions constantly: one dict lookup by exact type finds
# the test (a subclass finds its base's through the MRO).
_TESTS = {
    Has: lambda c, state, world: carried_by_player(state, c.item),
    ItemAt: lambda c, state, world: state.locations.get(c.item) == c.place,
    ItemIs: lambda c, state, world: item_is(state, c.item, c.state),
    InRoom: lambda c, state, world: state.room == c.room,
    FlagSet: lambda c, state, world: state.flags.get(c.flag, False),
    FlagUnset: lambda c, state, world: not state.flags.get(c.flag, False),
    CounterCompare: lambda c, state, world: compare(c.op, state.counters.get(c.counter, 0), c.value),
    Visited: lambda c, state, world: c.room in state.visited,
    TurnsCompare: lambda c, state, world: compare(c.op, state.turns, c.value),
    Dark: lambda c, state, world: room_dark(world, state, c.room),
    Lit: lambda c, state, world: not room_dark(world, state, c.room),
    All: lambda c, state, world: _all_hold(c.conditions, state, world),
    Any_: lambda c, state, world: _any_holds(c.conditions, state, world),
    Not: lambda c, state, world: not holds(c.condition, state, world),
}


# Compiled conditions: a world's conditions never change during play, so the triggers and rules
# tested every turn turn theirs into closures once per world (WorldIndex) instead of looking up
# the test by type at each level of the tree on every call. A compiled test is truthy exactly
# when `holds` is; anything unusual (a subclass, an unknown comparison) keeps calling `holds`.
Test = Callable[[GameState], Any]


def compile_condition(condition: Condition | None, world: World | None = None) -> Test | None:
    """A function of the state equivalent to `holds(condition, state, world)`; None when there
    is no condition (it always holds)."""
    if condition is None:
        return None
    kind = type(condition)
    if kind is Has:
        item = condition.item
        return lambda state: carried_by_player(state, item)
    if kind is ItemAt:
        item, place = condition.item, condition.place
        return lambda state: state.locations.get(item) == place
    if kind is ItemIs:
        item, name = condition.item, condition.state
        negated = _NEGATED.get(name)
        if negated is not None:
            return lambda state: item not in state.item_states[negated]
        return lambda state: item in state.item_states[name]
    if kind is InRoom:
        room = condition.room
        return lambda state: state.room == room
    if kind is FlagSet:
        flag = condition.flag
        return lambda state: state.flags.get(flag, False)
    if kind is FlagUnset:
        flag = condition.flag
        return lambda state: not state.flags.get(flag, False)
    if kind is CounterCompare and condition.op in _COMPARE:
        op, counter, value = _COMPARE[condition.op], condition.counter, condition.value
        return lambda state: bool(op(state.counters.get(counter, 0), value))
    if kind is Visited:
        room = condition.room
        return lambda state: room in state.visited
    if kind is TurnsCompare and condition.op in _COMPARE:
        op, value = _COMPARE[condition.op], condition.value
        return lambda state: bool(op(state.turns, value))
    if kind is Dark or kind is Lit:
        # Weakly: the index keeps compiled tests for as long as the world lives, so a strong
        # reference here would keep every world alive forever.
        room, want, world_ref = condition.room, kind is Dark, _weak(world)
        return lambda state: room_dark(world_ref(), state, room) == want
    if kind is All:
        parts = tuple(_always(compile_condition(c, world)) for c in condition.conditions)
        if len(parts) == 2:
            first, second = parts
            return lambda state: bool(first(state)) and bool(second(state))
        return lambda state: all(test(state) for test in parts)
    if kind is Any_:
        parts = tuple(_always(compile_condition(c, world)) for c in condition.conditions)
        return lambda state: any(test(state) for test in parts)
    if kind is Not:
        inner = _always(compile_condition(condition.condition, world))
        return lambda state: not inner(state)
    fallback_world = _weak(world)
    return lambda state: holds(condition, state, fallback_world())


def _weak(world: World | None) -> Callable[[], World | None]:
    return weakref.ref(world) if world is not None else (lambda: None)


def _always(test: Test | None) -> Test:
    return test if test is not None else (lambda state: True)


from game.engine import scope as _scope  # noqa: E402  (scope imports this module: bound last)
