"""The plain text of looking: rooms, items, inventory. Classic IF phrasing, standing alone."""

from __future__ import annotations

from game.engine.conditions import holds
from game.engine.phrasing import a_name, capitalise, join_list, the_name
from game.engine.scope import is_dark, is_open_holder
from game.engine.state import GameState
from game.engine.turn import Turn
from game.engine.world import PLAYER, DIRECTIONS, Item, Room, World

DARK_NAME = "Darkness"
DARK_TEXT = "It is pitch dark, and you can't see a thing."
_RANK = {d: n for n, d in enumerate(DIRECTIONS)}  # exits are listed in this order


def current_description(thing: Room | Item, state: GameState, world: World | None = None) -> str:
    """The description that fits the state now: the first of `descriptions` whose condition
    holds, else the plain `description`. Every place that shows a room or item description
    (look, examine, the narrator's scene) goes through here, so they never disagree."""
    for variant in thing.descriptions:
        if holds(variant.when, state, world):
            return variant.text.strip()
    return thing.description.strip()


def open_exits(turn: Turn) -> list[str]:
    """Exits the player can see: those without a condition, or whose condition holds."""
    room = turn.world.rooms[turn.state.room]
    exits = [e for e in room.exits if e.when is None or holds(e.when, turn.state, turn.world)]
    return [e.direction for e in sorted(exits, key=lambda e: _RANK.get(e.direction, 99))]


def _visible_here(turn: Turn, place: str) -> list[str]:
    state = turn.state
    return turn.index.sort_items(
        [i for i in state.items_at(place) if not state.is_(i, "hidden")])


def _item_note(turn: Turn, item_id: str) -> str:
    """A short parenthesis for listings: "(providing light)", "(open)", "(being worn)"."""
    item = turn.item(item_id)
    notes = []
    if turn.state.is_(item_id, "lit"):
        notes.append("providing light")
    if turn.state.is_(item_id, "worn"):
        notes.append("being worn")
    if item.container and item.openable and not turn.state.is_(item_id, "open"):
        notes.append("closed")
    return f" ({' and '.join(notes)})" if notes else ""


def contents_sentence(turn: Turn, holder_id: str) -> str:
    """ "In the box you see a coin." / "On the table is a book." ('' when empty or shut)."""
    holder = turn.item(holder_id)
    if not is_open_holder(turn.world, turn.state, holder_id):
        return ""
    inside = _visible_here(turn, holder_id)
    if not inside:
        return ""
    names = join_list([a_name(turn.item(i)) + _item_note(turn, i) for i in inside])
    verb = "are" if len(inside) > 1 else "is"
    prep = "On" if holder.surface else "In"
    return f"{prep} {the_name(holder)} {verb} {names}."


def describe_room(turn: Turn) -> str:
    """The room heading, description, visible items and nested contents, and exits."""
    world, state = turn.world, turn.state
    if is_dark(world, state, turn.index):
        return f"{DARK_NAME}\n{DARK_TEXT}"
    room = world.rooms[state.room]
    lines = [room.name, current_description(room, state, turn.world)]
    here = _visible_here(turn, state.room)
    also = [i for i in turn.index.also_in.get(state.room, ()) if not state.is_(i, "hidden")]
    listed = [i for i in here if not turn.item(i).scenery]
    if listed:
        names = join_list([a_name(turn.item(i)) + _item_note(turn, i) for i in listed])
        lines.append(f"You can see {names} here.")
    items = world.items
    for holder in turn.index.sort_items(set(here) | set(also)):
        if not (items[holder].surface or items[holder].container) or not items[holder].list_contents:
            continue   # nothing can be in or on it, or its author's text says what is
        sentence = contents_sentence(turn, holder)
        if sentence:
            lines.append(sentence)
    exits = open_exits(turn)
    if exits:
        lines.append(f"Exits: {join_list(exits)}.")
    return "\n".join(line for line in lines if line)


def describe_item(turn: Turn, item_id: str) -> str:
    """Examining: the description, then its state and what is in or on it."""
    item = turn.item(item_id)
    state = turn.state
    parts = [current_description(item, state, turn.world)
             or f"You see nothing special about {the_name(item)}."]
    if item.openable:
        if state.is_(item_id, "open"):
            parts.append(f"{capitalise(the_name(item))} is open.")
        elif state.is_(item_id, "locked"):
            parts.append(f"{capitalise(the_name(item))} is closed and locked.")
        else:
            parts.append(f"{capitalise(the_name(item))} is closed.")
    if item.light and item.switchable:
        on = "lit" if state.is_(item_id, "lit") else "not lit"
        parts.append(f"{capitalise(the_name(item))} is {on}.")
    if state.is_(item_id, "worn"):
        parts.append("You are wearing it.")
    if (item.container or item.surface) and item.list_contents:
        sentence = contents_sentence(turn, item_id)
        if sentence:
            parts.append(sentence)
        elif is_open_holder(turn.world, state, item_id):
            parts.append(f"{capitalise(the_name(item))} is empty." if item.container
                         else f"There is nothing on {the_name(item)}.")
    return " ".join(parts)


def describe_inventory(turn: Turn) -> str:
    held = _visible_here(turn, PLAYER)
    if not held:
        return "You are empty-handed."
    lines = ["You are carrying:"]

    def walk(item_id: str, depth: int) -> None:
        lines.append("  " * depth + a_name(turn.item(item_id)) + _item_note(turn, item_id))
        if is_open_holder(turn.world, turn.state, item_id) and depth < 8:
            for inner in _visible_here(turn, item_id):
                walk(inner, depth + 1)

    for item_id in held:
        walk(item_id, 1)
    return "\n".join(lines)
