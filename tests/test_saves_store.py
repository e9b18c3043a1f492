"""SaveStore: round trips, listing, quicksave, autosave ring, verification, changed worlds, migration."""

from __future__ import annotations

import json
import re
import resource
import shutil
import time
from pathlib import Path

import pytest

from game.saves.errors import SaveNotFoundError, SaveWriteError, SlotNameError, WorldMismatchError
from game.saves.store import REMEMBERED, REPLAYED, UNVERIFIED, SaveStore
from game.saves.worlds import WorldLibrary
from saves_support import MINIMAL, REPO, WIN_MINIMAL, minimal, play

V1_FIXTURE = REPO / "tests" / "data" / "saves" / "v1_minimal.json"


def test_round_trip_restores_everything(tmp_path: Path) -> None:
    game, transcript = play(minimal(), ["take key", "x mat", "unlock door with key", "open door", "n"])
    store = SaveStore(tmp_path)
    path = store.save("My House", game, transcript, ["> n\nHall."])
    assert path == tmp_path / "my-house.json"
    loaded = SaveStore(tmp_path).load("my house", minimal())
    assert loaded.warnings == []
    assert loaded.game.state == game.state
    assert loaded.game.command_log == game.command_log
    assert loaded.transcript == transcript
    assert loaded.narrator_history == ["> n\nHall."]
    assert loaded.info.location == "Hall" and loaded.info.turns == game.state.turns
    for command in ["undo", "undo", "s", "take mat", "undo"]:
        assert loaded.game.execute(command).text == game.execute(command).text
        assert loaded.game.state == game.state


def test_file_is_readable_json_with_metadata_first(tmp_path: Path) -> None:
    game, transcript = play(minimal(), ["take key"])
    text = SaveStore(tmp_path).save("castle", game, transcript).read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data)[:4] == ["format", "version", "slot", "kind"]
    assert data["world"]["content_hash"] == minimal().content_hash
    assert data["summary"] == {"location_id": "porch", "location": "Porch", "turns": 1,
                               "score": 0, "max_score": 10, "ended": None}
    assert data["command_log"] == ["take key"]
    assert '\n    "take key"' in text  # one command per line


def test_replay_is_remembered_then_skipped(tmp_path: Path) -> None:
    game, transcript = play(minimal(), WIN_MINIMAL[:5])
    SaveStore(tmp_path).save("a", game, transcript)
    assert SaveStore(tmp_path).load("a", minimal()).verification == REMEMBERED
    (tmp_path / ".verified.json").unlink()
    assert SaveStore(tmp_path).load("a", minimal()).verification == REPLAYED
    assert SaveStore(tmp_path).load("a", minimal()).verification == REMEMBERED


def test_hand_edited_state_is_caught_even_when_remembered(tmp_path: Path) -> None:
    game, transcript = play(minimal(), WIN_MINIMAL[:5])
    store = SaveStore(tmp_path)
    path = store.save("a", game, transcript)
    path.write_text(path.read_text().replace('"score": 0', '"score": 7'), encoding="utf-8")
    loaded = SaveStore(tmp_path).load("a", minimal())
    assert loaded.verification == UNVERIFIED
    assert loaded.game.state.score == 7
    assert any("does not reproduce" in w and "score" in w for w in loaded.warnings)


def test_nonsense_state_is_refused_and_file_kept(tmp_path: Path) -> None:
    game, transcript = play(minimal(), ["take key"])
    path = SaveStore(tmp_path).save("a", game, transcript)
    edited = path.read_text().replace('"room": "porch"', '"room": "moon"')
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(WorldMismatchError) as caught:
        SaveStore(tmp_path).load("a", minimal())
    assert str(path) in str(caught.value) and "'moon'" in str(caught.value)
    assert path.read_text() == edited


def test_listing_shows_metadata_and_broken_files(tmp_path: Path) -> None:
    store = SaveStore(tmp_path)
    game, transcript = play(minimal(), WIN_MINIMAL)
    store.save("won", game, transcript)
    store.quicksave(*play(minimal(), ["take key"]))
    (tmp_path / "broken.json").write_text('{"format": "crystal-adventure-save", "vers', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a save", encoding="utf-8")
    infos = {info.slot: info for info in store.list()}
    assert set(infos) == {"won", "quicksave", "broken"}
    assert infos["won"].ended == "rich" and infos["won"].score == 10 and infos["won"].kind == "named"
    assert infos["quicksave"].kind == "quick" and infos["quicksave"].location == "Porch"
    assert "truncated" in (infos["broken"].problem or "") and "broken.json" in infos["broken"].problem
    assert store.load("won", minimal()).game.state == game.state  # others still load


def test_named_save_cannot_take_reserved_or_bad_names(tmp_path: Path) -> None:
    game, _ = play(minimal(), [])
    for name in ("autosave-0", "quicksave", "../x", ""):
        with pytest.raises(SlotNameError):
            SaveStore(tmp_path).save(name, game)
    assert list(tmp_path.iterdir()) == []


def test_missing_slot_is_named(tmp_path: Path) -> None:
    with pytest.raises(SaveNotFoundError, match="no save 'nowhere'"):
        SaveStore(tmp_path).load("nowhere", minimal())


def test_autosave_ring_keeps_last_five_and_continue_picks_newest(tmp_path: Path) -> None:
    store = SaveStore(tmp_path)
    game, transcript = play(minimal(), [])
    for command in WIN_MINIMAL[:8]:
        game.execute(command)
        store.autosave(game, transcript)
    ring = sorted(p.name for p in tmp_path.glob("autosave-*.json"))
    assert ring == [f"autosave-{i}.json" for i in range(5)]
    turns = sorted(store.info(tmp_path / name).turns for name in ring)
    assert turns == [4, 5, 6, 7, 8]
    latest = store.latest_autosave()
    assert latest is not None and latest.turns == 8
    # a new store (next session) continues the sequence instead of overwriting the newest
    SaveStore(tmp_path).autosave(game, transcript)
    assert SaveStore(tmp_path).latest_autosave().autosave_seq == 8


def test_broken_newest_autosave_falls_back_to_previous(tmp_path: Path) -> None:
    store = SaveStore(tmp_path)
    game, transcript = play(minimal(), [])
    for command in WIN_MINIMAL[:3]:
        game.execute(command)
        newest = store.autosave(game, transcript)
    newest.write_bytes(newest.read_bytes()[:200])
    latest = store.latest_autosave()
    assert latest is not None and latest.turns == 2
    assert store.latest().turns == 2


def test_failed_write_reports_and_keeps_previous_save(tmp_path: Path) -> None:
    store = SaveStore(tmp_path)
    first, transcript = play(minimal(), ["take key"])
    store.save("slot", first, transcript)
    later, transcript = play(minimal(), WIN_MINIMAL)
    transcript[-1].narration = "x" * 50_000
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))
    try:
        with pytest.raises(SaveWriteError, match="unchanged"):
            store.save("slot", later, transcript)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert store.load("slot", minimal()).game.state == first.state


def _forget_source(path: Path) -> None:
    """Make the save find its world by id in the library folder (as on another machine)."""
    data = json.loads(path.read_text())
    data["world"]["source"] = ""
    path.write_text(json.dumps(data), encoding="utf-8")


def _world_copy(tmp_path: Path, edit) -> WorldLibrary:
    folder = tmp_path / "worlds"
    folder.mkdir()
    (folder / "minimal.yaml").write_text(edit(MINIMAL.read_text(encoding="utf-8")), encoding="utf-8")
    return WorldLibrary(folder=folder)


def test_changed_world_says_so_and_loads(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    game, transcript = play(minimal(), ["take key", "unlock door with key", "open door", "n"])
    SaveStore(saves).save("a", game, transcript)
    library = _world_copy(tmp_path, lambda t: t.replace("A bare hall", "A dusty hall"))
    _forget_source(saves / "a.json")
    loaded = SaveStore(saves).load("a", library)
    assert any("has changed since this save was made" in w for w in loaded.warnings)
    assert loaded.verification == REPLAYED and loaded.game.state == game.state
    assert "dusty" in loaded.game.execute("look").text


def test_changed_world_with_new_item_rebases_replay(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    game, transcript = play(minimal(), ["take key", "unlock door with key", "open door", "n"])
    _forget_source(SaveStore(saves).save("a", game, transcript))
    new_item = ("  - id: umbrella\n    name: umbrella\n    description: A black umbrella.\n"
                "    location: hall\n\nrules:")
    library = _world_copy(tmp_path, lambda t: t.replace("\nrules:", "\n" + new_item, 1)
                          .replace("A bare hall", "A damp hall"))
    # saved with the old world; replay against the new one also reproduces nothing new: the
    # umbrella is absent from the saved state, so the state is completed and the log rebased
    loaded = SaveStore(saves).load("a", library)
    assert loaded.verification in (REPLAYED, UNVERIFIED)
    if loaded.verification == UNVERIFIED:
        assert any("umbrella" in w for w in loaded.warnings)
    assert loaded.game.state.locations["umbrella"] == "hall"
    loaded.game.execute("take umbrella")
    SaveStore(saves).save("a", loaded.game, loaded.transcript, origin=loaded.origin)
    again = SaveStore(saves).load("a", library)
    assert again.warnings == [] and again.game.state == loaded.game.state
    assert again.game.command_log[-1] == "take umbrella"
    assert again.document.command_log[:4] == game.command_log  # the full story is kept


def test_changed_world_missing_room_explains_and_keeps_file(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    game, transcript = play(minimal(), ["take key", "unlock door with key", "open door", "n"])
    path = SaveStore(saves).save("a", game, transcript)
    _forget_source(path)
    before = path.read_bytes()
    library = _world_copy(tmp_path, lambda t: re.sub(r"\bhall\b", "hallway", t))
    with pytest.raises(WorldMismatchError) as caught:
        SaveStore(saves).load("a", library)
    message = str(caught.value)
    assert "the room 'hall' where the player is" in message and "left untouched" in message
    assert "hall" in caught.value.missing[0]
    assert path.read_bytes() == before


def test_missing_world_is_explained(tmp_path: Path) -> None:
    game, transcript = play(minimal(), [])
    _forget_source(SaveStore(tmp_path / "s").save("a", game, transcript))
    empty = tmp_path / "no-worlds"
    empty.mkdir()
    with pytest.raises(WorldMismatchError, match="'minimal' this save belongs to was not found"):
        SaveStore(tmp_path / "s").load("a", WorldLibrary(folder=empty))


def test_v1_save_is_migrated_in_memory(tmp_path: Path) -> None:
    shutil.copy(V1_FIXTURE, tmp_path / "old-house.json")
    original = (tmp_path / "old-house.json").read_bytes()
    store = SaveStore(tmp_path)
    loaded = store.load("old-house", minimal())
    assert any("save format 1" in w for w in loaded.warnings)
    expected, _ = play(minimal(), json.loads(original)["commands"])
    assert loaded.game.state == expected.state
    assert loaded.transcript[0].command == "take key" and loaded.transcript[0].turn == 1
    assert loaded.narrator_history == ["You step into the hall."]
    assert loaded.info.version == 1 and loaded.info.created == "2026-01-02T10:20:30Z"
    assert (tmp_path / "old-house.json").read_bytes() == original  # untouched until saved
    store.save("old-house", loaded.game, loaded.transcript, loaded.narrator_history,
               origin=loaded.origin)
    data = json.loads((tmp_path / "old-house.json").read_text())
    assert data["version"] == 2 and data["created"] == "2026-01-02T10:20:30Z"
    assert SaveStore(tmp_path).load("old-house", minimal()).warnings == []


def test_direct_undo_is_logged_so_replay_verifies_elsewhere(tmp_path: Path) -> None:
    """The UI undoes with `game.undo()`; the engine logs it, so a save copied to another
    machine (nothing remembered there) still verifies by full replay."""
    game, transcript = play(minimal(), ["take key", "x mat"])
    assert game.undo() and game.undo()
    path = SaveStore(tmp_path / "here").save("a", game, transcript)
    there = tmp_path / "there"
    there.mkdir()
    shutil.copy(path, there / "a.json")
    loaded = SaveStore(there).load("a", minimal())
    assert loaded.verification == REPLAYED and loaded.warnings == []
    assert loaded.game.state == game.state and loaded.game.state.locations["key"] == "porch"
    assert loaded.game.execute("take key").text == game.execute("take key").text


def test_store_remembers_each_games_origin(tmp_path: Path) -> None:
    """Callers may omit `origin`: a new game keeps its creation time, a loaded game carried
    over to a changed world keeps its replay base."""
    store = SaveStore(tmp_path)
    game, transcript = play(minimal(), ["take key"])
    store.save("a", game, transcript)
    created = store.info(tmp_path / "a.json").created
    time.sleep(0.01)  # so a fresh origin would have a different time
    game.execute("x mat")
    store.autosave(game, transcript)
    assert store.info(tmp_path / "autosave-0.json").created == created
    loaded = store.load("a", minimal())
    loaded.game.execute("x key")
    store.save("b", loaded.game, loaded.transcript)  # no origin passed
    assert store.info(tmp_path / "b.json").created == created


def test_a_save_too_big_to_read_back_is_never_written(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import game.saves.store as store_module

    store = SaveStore(tmp_path)
    game, transcript = play(minimal(), ["take key"])
    store.save("a", game, transcript)
    monkeypatch.setattr(store_module, "MAX_SAVE_BYTES", 4096)
    transcript[-1].narration = "n" * 5000
    with pytest.raises(SaveWriteError, match="limit for save files"):
        store.save("a", game, transcript)
    monkeypatch.undo()
    assert store.load("a", minimal()).transcript[-1].narration != "n" * 5000
