"""Saving a play session: the same slots for the TUI and the plain loop; autosave failures once."""

from __future__ import annotations

import shutil
from pathlib import Path

from game import paths
from game.play.saving import Autosaver, load_session, save_session
from game.play.session import Session
from game.saves.store import SaveStore
from game.saves.worlds import WorldLibrary


def _session() -> Session:
    s = Session.new(paths.worlds_dir() / "tutorial.yaml", history_turns=1)
    s.intro()
    s.execute("n")
    s.add_narration("The path climbs.")
    return s


def test_a_saved_session_comes_back_whole(tmp_path: Path) -> None:
    store = SaveStore(tmp_path / "saves")
    session = _session()
    assert save_session(store, "cliff", session).stem == "cliff"
    assert save_session(store, "", session).stem == "quicksave"
    loaded = load_session(store, "cliff", WorldLibrary(folder=paths.worlds_dir()), 1)
    back = loaded.session
    assert loaded.slot == "cliff" and back.game.state == session.game.state
    assert [e.narration for e in back.transcript] == [e.narration for e in session.transcript]
    assert back.narrator_history == session.narrator_history and back.history_turns == 1


def test_an_autosave_failure_is_reported_once_until_one_works(tmp_path: Path) -> None:
    blocked = tmp_path / "saves"
    blocked.write_text("not a folder", encoding="utf-8")
    autosaver = Autosaver(SaveStore(blocked))
    session = _session()
    assert autosaver.autosave(session) is not None
    assert autosaver.autosave(session) is None  # already said
    blocked.unlink()
    assert autosaver.autosave(session) is None and not autosaver.failed
    shutil.rmtree(blocked)
    blocked.write_text("not a folder again", encoding="utf-8")
    assert autosaver.autosave(session) is not None  # a new failure after a success is said
