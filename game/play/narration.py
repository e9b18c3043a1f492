"""Narration requests built from a game: the current turn, and the rooms next door.

Every front end asks the narrator in the same way: the scene after the turn, the engine's text
and events, the turns before it and the grounding facts.
"""

from __future__ import annotations

import time
from typing import Sequence

from game.engine.events import TurnResult
from game.engine.game import Game
from game.narrator import NarrationRequest, turn_facts


def request_for(game: Game, result: TurnResult, history: Sequence[str] = (),
                request_id: int | None = None) -> NarrationRequest:
    """The narration request for a turn just played (the scene is the state after it).

    The default id is the monotonic clock in nanoseconds: increasing across games and restores
    in one process (a stale token can never carry the id of a newer request), with no counter
    kept in module state.
    """
    return NarrationRequest(
        request_id=time.monotonic_ns() if request_id is None else request_id,
        world_id=game.world.id, style=game.world.narrator, scene=game.scene(),
        command=result.command, result_text=result.text, events=list(result.events),
        history=list(history), facts=turn_facts(game, result))
