"""World-file rules and triggers, and the effects they run.

An action runs in the classic phases (`run_action`): before rules, instead rules (the first that
does not say `fallthrough` replaces the built-in verb), the built-in verb, and after rules,
which run only when the built-in verb succeeded. Triggers run
on entering a room and after every turn. Effects, triggers and movement live together here
because they call one another (moving the player fires enter triggers, whose effects may move
the player again); a depth limit keeps a badly written world from looping forever.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from game.engine.describe import describe_room
from game.engine.turn import Turn
from game.engine.world import (
    AddCounter, AddScore, ClearFlag, Effect, EndGame, Message, MoveItem, MovePlayer, Reveal,
    Rule, SetCounter, SetFlag, SetItemState, Trigger,
)

_MAX_CHAIN = 16
_STATE_EVENTS = {
    ("open", True): "opened", ("open", False): "closed",
    ("locked", True): "locked", ("locked", False): "unlocked",
    ("lit", True): "lit", ("lit", False): "extinguished",
    ("worn", True): "wore", ("worn", False): "removed",
    ("hidden", False): "revealed",
}


# ------------------------------------------------------------------ effects
def end_game(turn: Turn, ending_id: str) -> None:
    """Finish the game: the ending's message, the classic banner and the final score."""
    state = turn.state
    if state.ended is not None:
        return
    ending = turn.world.endings.get(ending_id)
    state.ended = ending_id
    kind = ending.kind if ending else "lose"
    if ending is not None:
        turn.say(ending.message)
    banner = "*** You have won ***" if kind == "win" else "*** You have lost ***"
    turn.say(banner)
    out_of = f" out of a possible {turn.world.max_score}" if turn.world.max_score else ""
    moves = "turn" if state.turns == 1 else "turns"
    turn.say(f"In that game you scored {state.score}{out_of}, in {state.turns} {moves}.")
    turn.emit("ended", ending=ending_id, kind=kind, score=state.score, turns=state.turns)


def add_score(turn: Turn, points: int) -> None:
    turn.state.score += points
    turn.emit("score-changed", delta=points, score=turn.state.score)


def _command_named(turn: Turn, effect: Effect) -> Effect | None:
    """`effect` with `$object`/`$indirect` replaced by the command's items; None when the
    command has no such object (the effect then does nothing)."""
    names = {"$object": turn.command_object, "$indirect": turn.command_indirect}
    changes = {}
    for name in ("item", "to"):
        value = getattr(effect, name, None)
        if value in names:
            if names[value] is None:
                return None
            changes[name] = names[value]
    return dataclasses.replace(effect, **changes) if changes else effect


def apply_effect(turn: Turn, effect: Effect, depth: int) -> None:
    """Run one effect, recording what changed as events."""
    state = turn.state
    if isinstance(effect, (MoveItem, SetItemState, Reveal)):
        named = _command_named(turn, effect)
        if named is None:
            return
        effect = named
    if isinstance(effect, Message):
        turn.say(effect.text)
        turn.emit("message", text=effect.text)
    elif isinstance(effect, MoveItem):
        state.move(effect.item, effect.to)
        if effect.to == "player":
            state.set_item_state(effect.item, "hidden", False)
        turn.emit("moved", item=effect.item, to=effect.to)
    elif isinstance(effect, SetFlag):
        state.set_flag(effect.flag, True)
        turn.emit("flag-set", flag=effect.flag)
    elif isinstance(effect, ClearFlag):
        state.set_flag(effect.flag, False)
        turn.emit("flag-cleared", flag=effect.flag)
    elif isinstance(effect, AddCounter):
        value = state.counters.get(effect.counter, 0) + effect.amount
        state.set_counter(effect.counter, value)
        turn.emit("counter-changed", counter=effect.counter, value=value)
    elif isinstance(effect, SetCounter):
        state.set_counter(effect.counter, effect.value)
        turn.emit("counter-changed", counter=effect.counter, value=effect.value)
    elif isinstance(effect, SetItemState):
        state.set_item_state(effect.item, effect.state, effect.value)
        kind = _STATE_EVENTS.get((effect.state, effect.value))
        if kind:
            turn.emit(kind, item=effect.item, by="rule")
    elif isinstance(effect, Reveal):
        state.set_item_state(effect.item, "hidden", False)
        turn.emit("revealed", item=effect.item)
    elif isinstance(effect, MovePlayer):
        enter_room(turn, effect.room, None, depth + 1)
    elif isinstance(effect, AddScore):
        add_score(turn, effect.points)
    elif isinstance(effect, EndGame):
        end_game(turn, effect.ending)
    else:  # pragma: no cover - the loader only builds the kinds above
        raise TypeError(f"unknown effect {effect!r}")


def run_effects(turn: Turn, message: str | None, effects: tuple[Effect, ...], depth: int) -> None:
    if message:
        turn.say(message)
        turn.emit("message", text=message)
    for effect in effects:
        if turn.state.ended is not None:
            break
        apply_effect(turn, effect, depth)


# ------------------------------------------------------------------ movement
def enter_room(turn: Turn, room: str, direction: str | None, depth: int = 0) -> None:
    """Put the player in `room`, describe it, and fire its enter triggers."""
    state = turn.state
    origin = state.room
    state.room = room
    first = room not in state.visited
    state.visit(room)
    turn.emit("moved", item="player", origin=origin, to=room, direction=direction,
              first_visit=first)
    turn.say(describe_room(turn))
    if depth < _MAX_CHAIN:
        run_enter_triggers(turn, depth)


# ------------------------------------------------------------------ triggers
# The checks below use the index's precompiled form of each trigger and rule (WorldIndex:
# the "fired" mark and the condition compiled into a closure once per world); they test exactly
# what `holds` would, in the same order, against the state as it is at each check.
def _fire(turn: Turn, trigger: Trigger, depth: int) -> None:
    if trigger.once:
        turn.state.mark_fired(f"trigger:{trigger.id}")
    run_effects(turn, trigger.message, trigger.effects, depth)


def _run_triggers(turn: Turn, checks: tuple, depth: int) -> None:
    for trigger, fired, test in checks:
        state = turn.state
        if state.ended is not None:
            return
        if fired is not None and fired in state.fired:
            continue
        if trigger.room is not None and trigger.room != state.room:
            continue
        if test is None or test(state):
            _fire(turn, trigger, depth)


def run_enter_triggers(turn: Turn, depth: int = 0) -> None:
    _run_triggers(turn, turn.index.enter_checks, depth)


def run_turn_triggers(turn: Turn) -> None:
    _run_triggers(turn, turn.index.turn_checks, 0)


# ------------------------------------------------------------------ rules
def matching_rules(turn: Turn, keys: tuple[str, ...], obj: str | None,
                   indirect: str | None, phase: str = "instead") -> list[Rule]:
    """Rules of `phase` for any of `keys` (or "*") that apply here and now, in file order."""
    candidates = turn.index.rule_checks(keys, turn.world)
    if not candidates:
        return []
    state = turn.state
    found: list[Rule] = []
    for rule, fired, test in candidates:
        if rule.phase != phase or (rule.excepts and any(key in rule.excepts for key in keys)):
            continue
        if fired is not None and fired in state.fired:
            continue
        if rule.room is not None and rule.room != state.room:
            continue
        if rule.object is not None and rule.object != obj:
            continue
        if rule.indirect is not None and rule.indirect != indirect:
            continue
        if test is not None and not test(state):
            continue
        found.append(rule)
    return found


def _fire_rule(turn: Turn, rule: Rule) -> None:
    if rule.once:
        turn.state.mark_fired(f"rule:{rule.id}")
    run_effects(turn, rule.message, rule.effects, 0)


def run_action(turn: Turn, keys: tuple[str, ...], obj: str | None, indirect: str | None,
               builtin: Callable[[], None]) -> None:
    """One action through its phases, as Inform orders them.

    1. before rules, in file order; one with `stop` (or an ending) ends the action there;
    2. instead rules, in file order; the first without `fallthrough` replaces the built-in;
    3. the built-in verb (`builtin`); it succeeded when it refused nothing (no `failed` event);
    4. after rules, in file order, only when the built-in verb ran and succeeded.
    Each phase's conditions are tested when the phase starts, so an after rule sees the state
    the action left (the lamp already taken).
    """
    phases = turn.index.rule_phases(keys)
    if not phases:   # most commands: no world rule could apply, the built-in verb alone runs
        builtin()
        return
    turn.command_object, turn.command_indirect = obj, indirect
    try:
        _run_phases(turn, keys, obj, indirect, builtin, phases)
    finally:
        turn.command_object = turn.command_indirect = None


def _run_phases(turn: Turn, keys: tuple[str, ...], obj: str | None, indirect: str | None,
                builtin: Callable[[], None], phases: frozenset[str]) -> None:
    state = turn.state
    if "before" in phases:
        for rule in matching_rules(turn, keys, obj, indirect, "before"):
            _fire_rule(turn, rule)
            if rule.stop or state.ended is not None:
                return
    if "instead" in phases:
        for rule in matching_rules(turn, keys, obj, indirect, "instead"):
            _fire_rule(turn, rule)
            if not rule.fallthrough or state.ended is not None:
                return
    if "after" not in phases:
        builtin()
        return
    failures = sum(1 for e in turn.events if e.kind == "failed")
    builtin()
    if turn.state.ended is not None or sum(1 for e in turn.events if e.kind == "failed") != failures:
        return
    for rule in matching_rules(turn, keys, obj, indirect, "after"):
        _fire_rule(turn, rule)
        if turn.state.ended is not None:
            return
