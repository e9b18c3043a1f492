"""Driving a narrator from a real game: requests, adjacent-room scenes, the narrated `run`."""

from __future__ import annotations

import io

from game.cli import main
from game.engine.game import Game
from game.engine.loader import load_world
from game.narrator.runtime.fake import FakeNarrator, fake_narration
from game.paths import resolve_world
from game.play.headless_run import run_narrated
from game.play.narration import request_for


def _game() -> Game:
    return Game(load_world(resolve_world("tutorial")))


def test_adjacent_scenes_match_the_scene_after_moving():
    game = _game()
    predicted = {s.room_id: s for s in game.adjacent_scenes()}
    state_before = game.state.copy()
    assert predicted and state_before == game.state  # the real game is untouched
    result = game.execute("north")
    actual = game.scene()
    assert result.events and actual.room_id in predicted
    got = predicted[actual.room_id]
    # everything that goes into the cached prefix (the location block) matches
    assert (got.room_name, got.room_description, got.exits, got.fixed_features, got.dark) == \
        (actual.room_name, actual.room_description, actual.exits, actual.fixed_features,
         actual.dark)


def test_request_for_a_turn():
    game = _game()
    result = game.execute("read sign")
    req = request_for(game, result, ["> look / Boat Landing"], request_id=42)
    assert req.request_id == 42 and req.world_id == game.world.id
    assert req.style == game.world.narrator and req.scene == game.scene()
    assert req.command == "read sign" and req.result_text == result.text
    assert list(req.history) == ["> look / Boat Landing"]
    ids = [request_for(game, result).request_id for _ in range(3)]
    assert ids == sorted(set(ids))  # distinct and increasing without a caller-kept counter


def test_run_narrated_prints_narration_under_each_text():
    out, err = io.StringIO(), io.StringIO()
    narrator = FakeNarrator(tokens_per_s=2000)
    run = run_narrated(_game(), ["look", "read sign", "xyzzy"], narrator, out, err)
    text = out.getvalue()
    game = _game()
    look = game.execute("look")
    expected = fake_narration(request_for(game, look, request_id=0))
    assert f"> look\n{look.text}" in text
    assert expected in text and expected in run.blocks[1]
    assert text.index(look.text) < text.index(expected)
    assert text.rstrip().splitlines()[-1].startswith("outcome=none")
    assert narrator.status == "off"  # closed at the end


def test_cli_run_with_fake_narrator(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("look\nnorth\n")
    assert main(["run", "tutorial", "--script", str(script), "--narrator", "fake"]) == 0
    out = capsys.readouterr().out
    assert "You look in Boat Landing." in out and "You north in Cliff Path." in out


def test_run_narrated_asks_only_for_turns_the_policy_narrates():
    out, err = io.StringIO(), io.StringIO()
    narrator = FakeNarrator(tokens_per_s=2000)
    asked: list[str] = []
    submit = narrator.submit
    narrator.submit = lambda request, sink: (asked.append(request.command), submit(request, sink))
    run = run_narrated(_game(), ["xyzzy", "save", "look", "i"], narrator, out, err,
                       history_turns=1)
    assert asked == ["look"]
    assert run.blocks[1] == "> xyzzy\nI don't know the word 'xyzzy'."
    assert run.blocks[2].endswith("(That is handled by the game shell; it does nothing in a "
                                  "scripted run.)")
