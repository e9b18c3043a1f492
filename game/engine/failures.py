"""Why a command was refused: the machine-readable reason of every `failed` event.

A `str` Enum, so a reason still compares equal to its old spelling (`Failure.LOCKED ==
"locked"`), serialises to it in JSON and reads back from saved data unchanged; the layers above
the engine (the play layer's narration policy, the narrator's prompt) test members instead of
repeating the strings.
"""

from __future__ import annotations

from enum import Enum


class Failure(str, Enum):
    """The reason a `failed` event carries (`event.data["reason"]`)."""

    ALREADY_CLOSED = "already-closed"
    ALREADY_HELD = "already-held"
    ALREADY_LIT = "already-lit"
    ALREADY_LOCKED = "already-locked"
    ALREADY_OPEN = "already-open"
    ALREADY_THERE = "already-there"
    ALREADY_WORN = "already-worn"
    BLOCKED = "blocked"
    CANNOT_CLIMB = "cannot-climb"
    CANNOT_UNDO = "cannot-undo"
    CLOSED = "closed"
    DOOR_CLOSED = "door-closed"
    EMPTY = "empty"
    FIXED = "fixed"
    GAME_OVER = "game-over"
    INCOMPLETE = "incomplete"
    INEDIBLE = "inedible"
    INTERNAL_ERROR = "internal-error"
    LOCKED = "locked"
    LOOP = "loop"
    MULTIPLE = "multiple"
    NO_EFFECT = "no-effect"
    NO_EXIT = "no-exit"
    NO_KEY = "no-key"
    NO_VERB = "no-verb"
    NOT_CONTAINER = "not-container"
    NOT_HELD = "not-held"
    NOT_IN_SCOPE = "not-in-scope"
    NOT_INTERESTED = "not-interested"
    NOT_LIGHT = "not-light"
    NOT_LIT = "not-lit"
    NOT_LOCKABLE = "not-lockable"
    NOT_LOCKED = "not-locked"
    NOT_OPENABLE = "not-openable"
    NOT_READABLE = "not-readable"
    NOT_SURFACE = "not-surface"
    NOT_SWITCHABLE = "not-switchable"
    NOT_THERE = "not-there"
    NOT_UNDERSTOOD = "not-understood"
    NOT_WEARABLE = "not-wearable"
    NOT_WORN = "not-worn"
    NOTHING = "nothing"
    NOTHING_TO_REPEAT = "nothing-to-repeat"
    OOPS = "oops"
    OPEN = "open"
    PRONOUN = "pronoun"
    SCENERY = "scenery"
    SELF = "self"
    TOO_DARK = "too-dark"
    UNDRINKABLE = "undrinkable"
    UNKNOWN_WORD = "unknown-word"
    WRONG_KEY = "wrong-key"

    def __str__(self) -> str:  # the spelling itself in f-strings and logs, on every Python
        return self.value
