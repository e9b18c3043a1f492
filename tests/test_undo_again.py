"""Undo (exact previous state, 50+ levels, within a line) and again (repeats the last command)."""

from __future__ import annotations

from engine_session import Session
from game.engine.game import UNDO_LEVELS, Game
from game.engine.state import GameState


def test_undo_restores_the_exact_previous_state() -> None:
    s = Session()
    s.do("take all")
    before = GameState.from_dict(s.game.state.to_dict())
    s.do("e")
    s.do("undo", "Previous turn undone.")
    before.last_command = "undo"      # the one change: AGAIN now repeats the UNDO
    assert s.game.state == before
    assert s.events("undone")[0].data == {"room": "hall"}


def test_undo_at_the_start() -> None:
    s = Session()
    s.do("undo", "You can't undo any further.")
    assert s.game.undo() is False


def test_undo_skips_lines_that_changed_nothing() -> None:
    s = Session()
    s.do("take brass key")
    s.do("frob")                      # not understood: no state change, no undo point
    s.do("undo")
    assert s.where("brass_key") == "hall"


def test_fifty_levels_of_undo() -> None:
    assert UNDO_LEVELS >= 50
    s = Session()
    states = [s.game.state.to_dict()]
    for n in range(60):
        s.do("take all. e" if n % 2 == 0 else "drop all. w")
        states.append(s.game.state.to_dict())
    for n in range(60, 10, -1):            # 50 levels back
        s.do("undo", "Previous turn undone.")
        assert s.game.state.to_dict() == {**states[n - 1], "last_command": "undo"}


def test_undo_within_a_line() -> None:
    s = Session()
    s.do("e")
    s.do("take lamp. undo", "Taken.", "Previous turn undone.")
    assert s.where("lamp") == "kitchen" and s.room == "kitchen"
    s.do("undo")
    assert s.room == "hall"


def test_undo_brings_back_a_finished_game() -> None:
    s = Session()
    s.do("d")
    s.do("d")
    s.do("z", "*** You have lost ***")
    s.do("undo")
    assert s.game.ended is None and s.room == "crypt"


def test_programmatic_undo() -> None:
    s = Session()
    start = s.game.state.copy()
    s.do("take brass key")
    assert s.game.undo() is True
    assert s.game.state.same_play(start) and s.game.state.last_objects == start.last_objects
    assert s.game.state.last_command == "undo"   # what AGAIN repeats now


def test_again_after_undo_repeats_the_undo() -> None:
    """Classic IF: AGAIN repeats the last command typed, and after UNDO that is the UNDO."""
    s = Session()
    s.do("e")
    s.do("take lamp")
    s.do("undo", "Previous turn undone.")
    assert s.where("lamp") != "player"
    s.do("again", "Previous turn undone.")
    assert s.room == "hall"
    s.do("g", "You can't undo any further.")
    s.do("e")
    assert s.game.undo() is True and s.room == "hall"   # the UI's undo key counts as typed too
    s.do("g", "You can't undo any further.")


def test_again_repeats_the_last_command() -> None:
    s = Session()
    s.do("again", "There is nothing to repeat.")
    s.do("e")
    s.do("take lamp and apple")
    s.do("drop them")
    s.do("g", "Brass lamp: You're not carrying that.")
    s.do("z")
    s.do("again", "Time passes.")
    assert s.game.state.turns == 6


def test_again_after_a_disambiguation_repeats_the_command() -> None:
    s = Session()
    s.do("x key", "Which key")
    s.do("brass", "A small brass key.")
    s.do("g", "Which key")


def test_state_round_trips_through_to_dict() -> None:
    s = Session()
    s.do("take all. open box. x key")       # leaves a pending question
    restored = GameState.from_dict(s.game.state.to_dict())
    assert restored == s.game.state
    assert restored.pending is not None
    twin = Game(s.game.world, restored)
    assert twin.execute("iron").text == s.game.execute("iron").text
    assert twin.state == s.game.state


def test_programmatic_undo_is_logged_so_replay_matches() -> None:
    s = Session()
    s.do("take brass key")
    s.do("e")
    assert s.game.undo() is True
    replay = Game(s.game.world)
    for line in s.game.command_log:
        replay.execute(line)
    assert s.game.command_log[-1] == "undo"
    assert replay.state == s.game.state


def test_questions_and_typos_are_not_undo_points() -> None:
    s = Session()
    s.do("take brass key")
    s.do("x key", "Which key")
    s.do("take the lmap", "I don't know the word 'lmap'.")
    s.do("undo", "Previous turn undone.")
    assert s.where("brass_key") == "hall"


def test_undo_history_can_be_handed_to_a_new_game() -> None:
    s = Session()
    s.do("take all")
    s.do("e")
    twin = Game(s.game.world, s.game.state)
    twin.set_undo_history(s.game.undo_history())
    assert len(twin.undo_history()) == 2
    twin.execute("undo")
    s.do("undo")
    assert twin.state == s.game.state and twin.state.room == "hall"
