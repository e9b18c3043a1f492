"""The play session: narration requests carry the recent turns; the transcript; one window."""

from __future__ import annotations

from game import paths
from game.narrator.settings import NarratorSettings
from game.play.history import HistoryWindow
from game.play.session import Session
from game.play.script_run import SHELL_ONLY, shown_text


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


def test_adjacent_scenes_of_the_session_are_the_engines():
    s = session()
    s.execute("take sign")
    s.execute("n")
    assert {scene.room_name for scene in s.adjacent_scenes()} >= {"Boat Landing"}
    assert s.adjacent_scenes() == s.game.adjacent_scenes()


def test_transcript_keeps_commands_text_and_narration():
    s = session()
    s.execute("look")
    s.add_narration("Gulls wheel overhead.")
    assert [e.command for e in s.transcript] == ["", "look"]
    assert s.transcript[-1].narration == "Gulls wheel overhead."


def test_the_history_window_has_the_narrators_size():
    assert Session(session().game).history_turns == NarratorSettings().history_turns
    assert Session.new(paths.worlds_dir() / "tutorial.yaml", 4).history_turns == 4
    window = HistoryWindow(turns=2)
    for n in range(5):
        window.add(f"c{n}", f"t{n}")
    assert window.lines == ["> c2 / t2", "> c3 / t3", "> c4 / t4"]  # this turn + two before
    assert window.before_current() == ["> c2 / t2", "> c3 / t3"]
    window.restore([f"> old{n} / x" for n in range(9)])
    assert len(window.lines) == 3 and window.lines[-1] == "> old8 / x"
    assert HistoryWindow(turns=0).before_current() == []


def test_a_scripted_session_remembers_what_it_printed():
    s = Session(session().game, shown=shown_text)
    s.history_turns = 1
    s.execute("save")
    s.execute("look")
    assert s.history.before_current() == [f"> save / {SHELL_ONLY}"]
