"""Which rooms the player can reach in one step: a pure query of the world and the state.

The same rules as walking (`verbs.go`): an exit counts only while its condition holds and its
door is open. Front ends use it to look ahead (the narrator prefills the rooms next door while
the player reads), so it never changes the state it is asked about.
"""

from __future__ import annotations

from game.engine.conditions import holds
from game.engine.state import GameState
from game.engine.world import Exit, World


def passable(exit_: Exit, state: GameState) -> bool:
    """Whether walking through `exit_` would succeed now."""
    if exit_.when is not None and not holds(exit_.when, state):
        return False
    return exit_.door is None or state.is_(exit_.door, "open")


def reachable_exits(world: World, state: GameState) -> list[Exit]:
    """The passable exits of the player's room, one per destination, in the world's order.

    Exits back into the same room, or to a room the world does not have, are left out.
    """
    room = world.rooms.get(state.room)
    if room is None:
        return []
    seen = {room.id}
    exits: list[Exit] = []
    for exit_ in room.exits:
        if exit_.to in seen or exit_.to not in world.rooms or not passable(exit_, state):
            continue
        seen.add(exit_.to)
        exits.append(exit_)
    return exits
