"""The data the widgets draw, built from a play session without Textual."""

from __future__ import annotations

from game import paths
from game.play.session import Session
from game.ui.view_models import WorldMap, panel_info


def test_panel_and_map_follow_the_state():
    s = Session.new(paths.worlds_dir() / "tutorial.yaml")
    s.intro()
    s.execute("take sign")
    s.execute("n")
    info = panel_info(s)
    assert info.location == "Cliff Path" and info.turns == 2 and info.max_score == 30
    world_map = WorldMap(s.world)
    data = world_map.data(s)
    assert data.current == s.game.state.room
    assert data.visited == frozenset(s.game.state.visited) and len(data.visited) == 2
    assert world_map.data(s).rooms is data.rooms  # the room graph is built once per world
