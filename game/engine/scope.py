"""Light and scope: what the player can see and touch right now.

Classic IF rules: in a lit room you see the room's items, the contents of open containers and
of surfaces, and what you carry; hidden items are out of scope until revealed. In the dark you
can only perceive what you carry (by touch) and lit light sources.
"""

from __future__ import annotations

from game.engine.conditions import holds
from game.engine.index import WorldIndex
from game.engine.state import GameState
from game.engine.world import PLAYER, World

_MAX_DEPTH = 32


def _reachable_from(world: World, state: GameState, item: str, room: str) -> bool:
    """Is `item` in `room` or carried, with every enclosing container open (or a surface)?"""
    place = state.locations.get(item)
    for _ in range(_MAX_DEPTH):
        if place is None:
            return False
        if place == PLAYER or place == room:
            return True
        holder = world.items.get(place)
        if holder is None:
            return False
        if state.is_(holder.id, "hidden"):
            return False
        if not is_open_holder(world, state, holder.id):
            return False
        place = state.locations.get(place)
    return False


def light_visible(world: World, state: GameState, index: WorldIndex | None = None,
                  room: str | None = None) -> bool:
    """A lit light source is in `room` (default: the player's) or, there, with the player (not
    shut away). `index` is unused; it stays for callers that pass it."""
    room = state.room if room is None else room
    carried_counts = room == state.room
    for item in state.item_states["lit"]:
        if state.is_(item, "hidden"):
            continue
        if room in world.items[item].also_in:
            return True
        if _reachable_from(world, state, item, room) and (carried_counts or not _carried(state, item)):
            return True
    return False


def _carried(state: GameState, item: str) -> bool:
    place = state.locations.get(item)
    for _ in range(_MAX_DEPTH):
        if place is None:
            return False
        if place == PLAYER:
            return True
        place = state.locations.get(place)
    return False


def room_is_dark(world: World, state: GameState, room: str) -> bool:
    """`room` is dark (always, or while its condition holds) and no light reaches it; the
    player's own light counts only in the room the player is in."""
    dark = world.rooms[room].dark
    if dark is False:
        return False
    if dark is not True and not holds(dark, state):
        return False
    return not light_visible(world, state, room=room)


def is_dark(world: World, state: GameState, index: WorldIndex) -> bool:
    """The player's room is dark and no light reaches the player."""
    return room_is_dark(world, state, state.room)


def is_open_holder(world: World, state: GameState, item: str) -> bool:
    """Can one see and reach inside/onto this item? Surfaces and unopenable containers: always."""
    it = world.items[item]
    if it.surface:
        return True
    return it.container and (not it.openable or state.is_(item, "open"))


def contents_deep(world: World, state: GameState, place: str) -> list[str]:
    """Items in `place` and, recursively, inside its open containers and on its surfaces."""
    # `state.items_at`, `state.is_` and `is_open_holder`, inline: scope is worked out at least
    # once per command, over every item in the room and in the player's hands.
    found: list[str] = []
    stack = [place]
    contents, items = state.contents, world.items
    hidden, opened = state.item_states["hidden"], state.item_states["open"]
    while stack:
        here = stack.pop()
        for item in contents.get(here, ()):
            if item in hidden:
                continue
            found.append(item)
            it = items[item]
            if it.surface or (it.container and (not it.openable or item in opened)):
                stack.append(item)
    return found


def carried(world: World, state: GameState) -> list[str]:
    """Everything the player holds, including inside open containers they hold."""
    return contents_deep(world, state, PLAYER)


def visible(world: World, state: GameState, index: WorldIndex) -> list[str]:
    """All items in scope, in declaration order."""
    if is_dark(world, state, index):
        seen = set(carried(world, state))
        for item in state.item_states["lit"]:
            if not state.is_(item, "hidden") and _reachable_from(world, state, item, state.room):
                seen.add(item)
        return index.sort_items(seen)
    # The room's items (top level, nested, and those also found here), then the player's.
    seen = set(contents_deep(world, state, state.room))
    for item in index.also_in.get(state.room, ()):
        if not state.is_(item, "hidden"):
            seen.add(item)
            if is_open_holder(world, state, item):
                seen.update(contents_deep(world, state, item))
    seen.update(contents_deep(world, state, PLAYER))
    return index.sort_items(seen)
