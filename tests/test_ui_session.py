"""The UI's session: narration requests carry the recent turns; panel and map data."""

from __future__ import annotations

from game import paths
from game.ui.session import Session


def session() -> Session:
    s = Session.new(paths.worlds_dir() / "tutorial.yaml")
    s.intro()
    return s


def test_requests_carry_the_previous_turns_only():
    s = session()
    s.history_turns = 2
    for line in ["look", "x sign", "n"]:
        result = s.execute(line)
    request = s.request_for(result)
    assert request.command == "n" and request.scene.room_name == "Cliff Path"
    assert [h.split(" / ")[0] for h in request.history] == ["> look", "> x sign"]
    assert request.world_id == s.world.id


def test_panel_and_map_follow_the_state():
    s = session()
    s.execute("take sign")
    s.execute("n")
    info = s.panel_info()
    assert info.location == "Cliff Path" and info.turns == 2 and info.max_score == 30
    data = s.map_data()
    assert data.current == s.game.state.room
    assert data.visited == frozenset(s.game.state.visited) and len(data.visited) == 2
    assert {scene.room_name for scene in s.adjacent_scenes()} >= {"Boat Landing"}


def test_transcript_keeps_commands_text_and_narration():
    s = session()
    s.execute("look")
    s.add_narration("Gulls wheel overhead.")
    assert [e.command for e in s.transcript] == ["", "look"]
    assert s.transcript[-1].narration == "Gulls wheel overhead."
