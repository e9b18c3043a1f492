"""Checks that need the whole world at once: ids, references, containment and endings.

Runs after `build.py` has collected every declaration and every `Ref`. Each check is a small
function returning problems; all of them run, so an author sees every mistake in one go.
"""

from __future__ import annotations

from typing import Iterable

from game.engine.build import Parts, Ref
from game.engine.problems import Problem, did_you_mean
from game.engine.world import NOWHERE, PLAYER, Item, SourcePos

_NEEDS_WORDS = {
    "openable": "openable", "lockable": "lockable", "light": "a light source",
    "wearable": "wearable", "holder": "a container or a surface",
}
_NEEDS_FIX = {
    "openable": "`openable: true`", "lockable": "`lockable: true`", "light": "`light: true`",
    "wearable": "`wearable: true`", "holder": "`container: true` or `surface: true`",
}


def check_parts(parts: Parts, file: str) -> list[Problem]:
    """Every whole-world problem in `parts`."""
    problems: list[Problem] = []
    problems += duplicate_ids(parts, file)
    problems += references(parts, file)
    problems += containment_cycles(parts.items, file)
    problems += endings(parts, file)
    problems += rule_phases(parts, file)
    return problems


def _problem(pos: SourcePos, file: str, message: str) -> Problem:
    return Problem(pos.file or file, pos.line, pos.column, message)


def duplicate_ids(parts: Parts, file: str) -> list[Problem]:
    """Rooms and items share one namespace (both can be places); rules and triggers share one."""
    problems: list[Problem] = []

    def scan(namespace: dict[str, tuple[str, SourcePos]], kind: str, ident: str,
             pos: SourcePos) -> None:
        if ident in namespace:
            other_kind, other = namespace[ident]
            problems.append(_problem(pos, file, f"{kind} id '{ident}' is already used by the "
                                     f"{other_kind} on line {other.line}; ids must be unique, "
                                     f"rename one of them"))
        else:
            namespace[ident] = (kind, pos)

    places: dict[str, tuple[str, SourcePos]] = {}
    for room in parts.rooms:
        scan(places, "room", room.id, room.pos)
    for item in parts.items:
        if item.id in (PLAYER, NOWHERE):
            problems.append(_problem(item.pos, file, f"item id '{item.id}' is reserved (it "
                                     "names a special place); choose another id"))
        scan(places, "item", item.id, item.pos)
    actions: dict[str, tuple[str, SourcePos]] = {}
    for rule in parts.rules:
        scan(actions, "rule", rule.id, rule.pos)
    for trigger in parts.triggers:
        scan(actions, "trigger", trigger.id, trigger.pos)
    ends: dict[str, tuple[str, SourcePos]] = {}
    for ending in parts.endings:
        scan(ends, "ending", ending.id, ending.pos)
    return problems


def references(parts: Parts, file: str) -> list[Problem]:
    """Every recorded use of an id names something declared, of the right sort."""
    rooms = {r.id for r in parts.rooms}
    items = {i.id: i for i in parts.items}
    endings = {e.id for e in parts.endings}
    problems: list[Problem] = []
    for ref in parts.refs:
        message = _resolve(ref, rooms, items, endings, parts)
        if message:
            problems.append(_problem(ref.pos, file, message))
    return problems


def _resolve(ref: Ref, rooms: set[str], items: dict[str, Item], endings: set[str],
             parts: Parts) -> str | None:
    """The problem with one reference, or None when it is fine."""
    head = f"{ref.where} {ref.verb} '{ref.name}'"
    name = ref.name
    if ref.kind == "room":
        if name in rooms:
            return None
        if name in items:
            return f"{head}, which is an item, not a room; use a room id"
        return f"{head}: no such room{did_you_mean(name, rooms)}"
    if ref.kind in ("item", "place"):
        if ref.kind == "place" and (name in rooms or name in (PLAYER, NOWHERE)):
            return None
        item = items.get(name)
        if item is None:
            if name in rooms:
                return f"{head}, which is a room, not an item; use an item id"
            candidates: Iterable[str] = items
            what = "item"
            if ref.kind == "place":
                candidates, what = [*rooms, *items, PLAYER, NOWHERE], "room or item"
            return f"{head}: no such {what}{did_you_mean(name, candidates)}"
        return _needs(ref, item, head)
    if ref.kind in ("flag", "counter"):
        declared = parts.flags if ref.kind == "flag" else parts.counters
        if name in declared:
            return None
        section = "flags" if ref.kind == "flag" else "counters"
        example = f"{name}: false" if ref.kind == "flag" else f"{name}: 0"
        fix = f"declare it under {section}: (e.g. `{example}`)"
        hint = did_you_mean(name, declared)
        fix = f"{hint} If not, {fix}" if hint else f"; {fix}"
        return f"{head}, but {ref.kind} '{name}' is never declared{fix}"
    if ref.kind == "ending":
        if name in endings:
            return None
        return f"{head}: no such ending{did_you_mean(name, endings)}"
    raise ValueError(f"unknown reference kind {ref.kind!r}")


def _needs(ref: Ref, item: Item, head: str) -> str | None:
    """The item exists; does it have the property this use requires?"""
    needs = ref.needs
    if needs is None:
        return None
    ok = {
        "openable": item.openable, "lockable": item.lockable, "light": item.light,
        "wearable": item.wearable, "holder": item.container or item.surface,
    }[needs]
    if ok:
        return None
    return (f"{head}, which is not {_NEEDS_WORDS[needs]}; add {_NEEDS_FIX[needs]} to item "
            f"'{item.id}'")


def containment_cycles(items: list[Item], file: str) -> list[Problem]:
    """No item may end up inside itself (box in bag in box); each cycle is reported once."""
    by_id = {i.id: i for i in items}
    done: set[str] = set()
    problems: list[Problem] = []
    for start in items:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start.id
        while current in by_id and current not in done and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = by_id[current].location
        if current in on_path:
            cycle = path[path.index(current):]
            chain = " -> ".join([*cycle, cycle[0]])
            first = by_id[cycle[0]]
            problems.append(_problem(first.pos, file, f"item '{first.id}' ends up inside "
                                     f"itself ({chain}); put one of them in a room"))
        done.update(path)
    return problems


def endings(parts: Parts, file: str) -> list[Problem]:
    """A world must be winnable: at least one ending of kind win (kinds are checked earlier)."""
    if not parts.endings or any(e.kind != "lose" for e in parts.endings):
        # No endings at all is reported as a missing or empty `endings:`; a bad kind (built
        # as "") is reported by the shape check, so it does not count as "no win" here.
        return []
    first = parts.endings[0]
    return [_problem(first.pos, file, "the world has no ending of kind win, so it cannot be won; "
                                      "add one under endings: with `kind: win`")]


def rule_phases(parts: Parts, file: str) -> list[Problem]:
    """`stop` belongs to before rules and `fallthrough` to instead rules; elsewhere they mean nothing."""
    problems = []
    for rule in parts.rules:
        label = f"rule '{rule.id}'"
        if rule.stop and rule.phase != "before":
            problems.append(_problem(rule.pos, file, f"{label} has `stop: true`, which only a before rule "
                                                     "can do; add `phase: before`, or remove `stop`"))
        if rule.fallthrough and rule.phase != "instead":
            problems.append(_problem(rule.pos, file, f"{label} has `fallthrough: true`, which only an instead "
                                                     f"rule can do (a {rule.phase} rule never replaces the "
                                                     "built-in verb); remove `fallthrough`"))
    return problems
