"""The rooms next door as the engine sees them: doors and exit conditions decide, nothing moves."""

from __future__ import annotations

from game.engine.adjacency import passable, reachable_exits
from game.engine.failures import Failure
from game.engine.game import Game
from game.engine.loader import load_world
from game.paths import resolve_world

from engine_session import Session, engine_world


def _destinations(game: Game) -> list[str]:
    return [exit_.to for exit_ in reachable_exits(game.world, game.state)]


def test_a_locked_doors_room_is_not_adjacent_until_the_door_is_open() -> None:
    s = Session()
    assert "study" not in _destinations(s.game)
    assert "study" not in {scene.room_id for scene in s.game.adjacent_scenes()}
    s.do("take brass key")
    s.do("unlock door with key", "You unlock the oak door.")
    assert "study" not in _destinations(s.game)  # unlocked but still closed
    s.do("open door")
    assert "study" in _destinations(s.game)
    assert "Study" in {scene.room_name for scene in s.game.adjacent_scenes()}


def test_a_conditional_exit_counts_only_while_its_condition_holds() -> None:
    s = Session()
    s.do("w")
    garden = s.game.world.rooms["garden"]
    north = garden.exit("north")
    assert north is not None and not passable(north, s.game.state)
    assert _destinations(s.game) == ["hall"]
    s.game.state.flags["button_pressed"] = True
    assert passable(north, s.game.state)
    assert _destinations(s.game) == ["hall", "maze"]


def test_walking_agrees_with_the_query() -> None:
    s = Session()
    blocked = s.do("n", "The oak door is closed.")
    assert [e.data["reason"] for e in blocked.events] == [Failure.DOOR_CLOSED]
    for exit_ in s.game.world.rooms["hall"].exits:
        game = Game(engine_world())
        game.intro()
        moved = game.execute(exit_.direction)
        walked = any(e.kind == "moved" for e in moved.events)
        assert walked == passable(exit_, Game(engine_world()).state), exit_.direction


def test_adjacent_scenes_leave_the_game_untouched() -> None:
    game = Game(load_world(resolve_world("tutorial")))
    game.intro()
    before = game.state.copy()
    shared_before = set(game.state._shared)
    scenes = game.adjacent_scenes()
    assert scenes and game.state == before and game.state.room == before.room
    assert game.state._shared == shared_before  # no copy-on-write mark left behind


def test_a_view_from_next_door_never_changes_the_real_state() -> None:
    game = Game(load_world(resolve_world("tutorial")))
    game.intro()
    before = game.state.to_dict()  # (not copy(): that would mark the containers shared)
    shared = set(game.state._shared)
    view = game.state.standing_in("cliff_path")
    view.set_flag("made_up", True)
    view.move(next(iter(view.locations)), "nowhere")
    assert game.state.to_dict() == before and "made_up" not in game.state.flags
    assert game.state._shared == shared
