"""Shell requests are read once from the engine's answer; the narration policy is one rule."""

from __future__ import annotations

import pytest

from game.engine.events import Event, TurnResult
from game.engine.failures import Failure
from game.engine.game import Game
from game.engine.loader import load_world
from game.paths import resolve_world
from game.play.narration_policy import should_narrate
from game.play.requests import (HelpRequest, LoadRequest, QuitRequest, SaveRequest,
                                shell_request)

from engine_session import WORLD_FILE


def _play(*lines: str) -> TurnResult:
    game = Game(load_world(WORLD_FILE))
    game.intro()
    result = game.execute(lines[0])
    for line in lines[1:]:
        result = game.execute(line)
    return result


@pytest.mark.parametrize(("line", "expected"), [
    ("save", SaveRequest("quicksave")),
    ("save castle", SaveRequest("castle")),
    ("restore", LoadRequest("quicksave")),
    ("restore castle", LoadRequest("castle")),
    ("quit", QuitRequest()),
    ("help", HelpRequest()),
    ("look", None),
])
def test_the_engines_shell_answers_become_typed_requests(line, expected):
    assert shell_request(_play(line)) == expected


def test_an_unknown_shell_answer_is_an_error_not_a_silent_turn():
    result = TurnResult("x", "", [], _play("look").state, meta="dance:now")
    with pytest.raises(ValueError):
        shell_request(result)


def _result(events: list[Event], text: str = "Something.") -> TurnResult:
    return TurnResult("cmd", text, events, _play("look").state)


TAKE = [Event("took", {"item": "lamp", "origin": "hall"})]


def test_turns_where_something_happened_are_narrated():
    assert should_narrate(_result(TAKE, "Taken."))
    assert should_narrate(_play("take brass key"))
    locked = _play("n")  # the oak door is closed: a refusal worth retelling
    assert [e.data["reason"] for e in locked.events] == [Failure.DOOR_CLOSED]
    assert should_narrate(locked)


def test_turns_where_nothing_happened_are_not():
    assert not should_narrate(_result([Event("unknown-word", {"word": "xyzzy"})]))
    assert not should_narrate(_result([Event("meta", {"what": "help"})]))
    # a restart or an undo reprints the room, but nothing happened in the story
    assert not should_narrate(_result([Event("meta", {"request": "restart"}),
                                       Event("looked", {"room": "hill"})]))
    assert not should_narrate(_result([Event("undone", {"room": "hill"}),
                                       Event("looked", {"room": "hill"})]))
    assert not should_narrate(_result([Event("asked", {"noun": "key"})]))
    assert not should_narrate(_result([Event("inventory", {})]))
    # a lamp's oil counting down does not make a refusal worth narrating
    assert not should_narrate(_result([Event("failed", {"reason": Failure.NOT_IN_SCOPE}),
                                       Event("counter-changed", {"counter": "oil"})]))
    assert not should_narrate(_result(TAKE, "   "))
    # a parser failure carries an unknown word along with the refusal
    assert not should_narrate(_play("take unicorn"))
    assert not should_narrate(_play("save"))     # shell requests: the shell answers
    assert not should_narrate(_play("help"))


def test_untold_failures_compare_as_saved_strings():
    """Events read back from old data carry plain strings: the policy treats them alike."""
    assert not should_narrate(_result([Event("failed", {"reason": "not-in-scope"})]))
    assert should_narrate(_result([Event("failed", {"reason": "locked"})]))
