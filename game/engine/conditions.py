"""Evaluating world-file conditions against the current state (pure functions)."""

from __future__ import annotations

from typing import Any, Callable

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


_NEGATED = {"closed": "open", "unlocked": "locked", "unlit": "lit", "revealed": "hidden"}


def item_is(state: GameState, item: str, name: str) -> bool:
    """Item state names as the world format spells them, including the negated forms."""
    negated = _NEGATED.get(name)
    if negated is not None:
        return not state.is_(item, negated)
    return state.is_(item, name)


def holds(condition: Condition | None, state: GameState) -> bool:
    """Whether a condition holds now. `None` (no condition) always holds."""
    if condition is None:
        return True
    test = _TESTS.get(type(condition))
    if test is None:   # a subclass of one of the kinds: the test of its nearest known base
        test = next((_TESTS[base] for base in type(condition).__mro__ if base in _TESTS), None)
        if test is None:
            raise TypeError(f"unknown condition {condition!r}")
    return test(condition, state)


def _all_hold(conditions: tuple[Condition, ...], state: GameState) -> bool:
    for condition in conditions:
        if not holds(condition, state):
            return False
    return True


def _any_holds(conditions: tuple[Condition, ...], state: GameState) -> bool:
    for condition in conditions:
        if holds(condition, state):
            return True
    return False


# Every-turn triggers and rules test conditions constantly: one dict lookup by exact type finds
# the test (a subclass finds its base's through the MRO).
_TESTS = {
    Has: lambda c, state: carried_by_player(state, c.item),
    ItemAt: lambda c, state: state.locations.get(c.item) == c.place,
    ItemIs: lambda c, state: item_is(state, c.item, c.state),
    InRoom: lambda c, state: state.room == c.room,
    FlagSet: lambda c, state: state.flags.get(c.flag, False),
    FlagUnset: lambda c, state: not state.flags.get(c.flag, False),
    CounterCompare: lambda c, state: compare(c.op, state.counters.get(c.counter, 0), c.value),
    Visited: lambda c, state: c.room in state.visited,
    TurnsCompare: lambda c, state: compare(c.op, state.turns, c.value),
    All: lambda c, state: _all_hold(c.conditions, state),
    Any_: lambda c, state: _any_holds(c.conditions, state),
    Not: lambda c, state: not holds(c.condition, state),
}


# Compiled conditions: a world's conditions never change during play, so the triggers and rules
# tested every turn turn theirs into closures once per world (WorldIndex) instead of looking up
# the test by type at each level of the tree on every call. A compiled test is truthy exactly
# when `holds` is; anything unusual (a subclass, an unknown comparison) keeps calling `holds`.
Test = Callable[[GameState], Any]


def compile_condition(condition: Condition | None) -> Test | None:
    """A function of the state equivalent to `holds(condition, state)`; None when there is no
    condition (it always holds)."""
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
    if kind is All:
        parts = tuple(_always(compile_condition(c)) for c in condition.conditions)
        if len(parts) == 2:
            first, second = parts
            return lambda state: bool(first(state)) and bool(second(state))
        return lambda state: all(test(state) for test in parts)
    if kind is Any_:
        parts = tuple(_always(compile_condition(c)) for c in condition.conditions)
        return lambda state: any(test(state) for test in parts)
    if kind is Not:
        inner = _always(compile_condition(condition.condition))
        return lambda state: not inner(state)
    return lambda state: holds(condition, state)


def _always(test: Test | None) -> Test:
    return test if test is not None else (lambda state: True)
