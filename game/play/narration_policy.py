"""Whether a turn is narrated: the one answer every front end asks for.

A turn is narrated when something happened in the story. Shell requests (save, help...),
parser failures, questions back to the player, undo and restart (they reprint the room), a bare
inventory listing, and refusals about things that are not there or that leave nothing to say
are not: a small model would only restate the engine's text, or happily describe the missing
lamp.
"""

from __future__ import annotations

from game.engine.events import TurnResult
from game.engine.failures import Failure

# Any of these in a turn means nothing happened in the story.
_NOTHING_HAPPENED_KINDS = frozenset({"unknown-word", "asked", "meta", "undone"})
# Bookkeeping (a lamp's oil counting down every turn) says nothing about the command.
_BOOKKEEPING_KINDS = frozenset({"counter-changed", "flag-set", "flag-cleared"})
# A turn made of these alone is fully told by the engine's text.
_SELF_EXPLAINED_KINDS = frozenset({"inventory"})
_UNTOLD_FAILURES = frozenset({
    Failure.NOT_IN_SCOPE, Failure.UNKNOWN_WORD, Failure.NOTHING, Failure.OOPS,
    Failure.NOTHING_TO_REPEAT, Failure.CANNOT_UNDO, Failure.GAME_OVER, Failure.INTERNAL_ERROR,
    Failure.SELF, Failure.LOOP, Failure.NOT_INTERESTED,
})


def should_narrate(result: TurnResult) -> bool:
    """True when the narrator should retell this turn."""
    if result.meta is not None or not result.text.strip():
        return False
    events = [e for e in result.events if e.kind not in _BOOKKEEPING_KINDS]
    kinds = {e.kind for e in events}
    if kinds & _NOTHING_HAPPENED_KINDS or (kinds and kinds <= _SELF_EXPLAINED_KINDS):
        return False
    return not (kinds == {"failed"} and all(
        e.data.get("reason") in _UNTOLD_FAILURES for e in events))
