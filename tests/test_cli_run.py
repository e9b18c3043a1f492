"""`adventure run` (headless scripts, transcript, outcome line) and `adventure play --plain`."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from engine_session import WORLD_FILE
from game.cli import main
from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.script import read_script
from game.play.plain import play_plain

OUTCOME = re.compile(r"^outcome=(win|lose|none) ending=(\S+) turns=(\d+) score=(-?\d+) room=(\S+)$")


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, script: str,
        *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    status = main(["run", str(WORLD_FILE), "--script", str(path), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def test_run_prints_intro_commands_and_one_outcome_line(capsys, tmp_path) -> None:
    status, out, _ = run(capsys, tmp_path, "# a comment\n\nlook\n  take all  \n")
    assert status == 0
    assert out.startswith("You are in a house built to test a parser.")
    assert "> look\nHall" in out
    assert "> take all\nBrass key: Taken." in out
    assert "# a comment" not in out
    lines = out.rstrip("\n").split("\n")
    assert lines[-1] == "outcome=none ending=none turns=2 score=0 room=hall"
    assert sum(1 for line in lines if OUTCOME.match(line)) == 1


def test_run_reports_a_win(capsys, tmp_path) -> None:
    script = ("take all\ne\ntake lamp\nlight lamp\nw\nd\nunlock chest with iron key\n"
              "open chest\ntake ruby\nu\nw\ndrop ruby\n")
    status, out, _ = run(capsys, tmp_path, script)
    assert status == 0
    assert out.rstrip().split("\n")[-1] == "outcome=win ending=won turns=12 score=10 room=garden"


def test_run_reports_a_loss_and_keeps_answering(capsys, tmp_path) -> None:
    status, out, _ = run(capsys, tmp_path, "d\nd\nlook\nn\n")
    assert status == 0
    assert "> n\nThe game is over." in out
    assert out.rstrip().split("\n")[-1] == "outcome=lose ending=eaten turns=3 score=0 room=crypt"


def test_run_stops_at_quit_and_explains_shell_commands(capsys, tmp_path) -> None:
    status, out, _ = run(capsys, tmp_path, "save\nquit\nlook\n")
    assert status == 0
    assert "> save\n(That is handled by the game shell" in out
    assert "> look" not in out


def test_run_accepts_the_narrator_option(capsys, tmp_path) -> None:
    assert run(capsys, tmp_path, "look\n", "--narrator", "off")[0] == 0


def test_run_with_a_shipped_world_name(capsys, tmp_path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("look\n", encoding="utf-8")
    assert main(["run", "tutorial", "--script", str(path)]) == 0
    assert "outcome=none" in capsys.readouterr().out


def test_run_errors_exit_non_zero(capsys, tmp_path) -> None:
    assert main(["run", str(tmp_path / "nope.yaml"), "--script", str(WORLD_FILE)]) == 2
    assert main(["run", str(WORLD_FILE), "--script", str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err
    assert "missing.txt" in err


def test_read_script_skips_comments_and_blanks(tmp_path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("# intro\n\nn\n   # indented comment\ntake lamp \n", encoding="utf-8")
    assert read_script(path) == ["n", "take lamp"]


def test_play_plain_loop_until_quit() -> None:
    lines = iter(["look", "take brass key", "save", "quit", "never read"])
    out = io.StringIO()
    status = play_plain(Game(load_world(WORLD_FILE)), read=lambda prompt: next(lines), out=out)
    text = out.getvalue()
    assert status == 0
    assert "You are in a house built to test a parser." in text
    assert "Taken." in text and text.rstrip().endswith("Goodbye.")


def test_play_plain_ends_cleanly_at_end_of_input() -> None:
    def eof(prompt: str) -> str:
        raise EOFError

    out = io.StringIO()
    assert play_plain(Game(load_world(WORLD_FILE)), read=eof, out=out) == 0


@pytest.mark.parametrize("narrator", ["off", "fake"])
def test_run_jsonl_prints_one_record_per_turn(capsys, tmp_path, narrator) -> None:
    """`--format jsonl`: what an external checker reads, one JSON object per turn."""
    import json

    status, out, _ = run(capsys, tmp_path, "look\ntake all\nqwzx\n", "--narrator", narrator,
                         "--format", "jsonl")
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    turns, last = records[:-1], records[-1]
    assert [r["command"] for r in turns] == ["look", "take all", "qwzx"]
    assert OUTCOME.match(last["outcome"]) and list(last) == ["outcome"]
    take = turns[1]
    assert take["engine_text"].startswith("Brass key: Taken.")
    assert take["room"] == "hall"
    assert "brass_key" in take["inventory"] and "brass_key" not in take["visible"]
    assert {"kind": "took", "data": {"item": "brass_key", "origin": "hall"}} in take["events"]
    if narrator == "fake":
        assert take["narration"] and take["first_word_s"] is not None
        assert {"sentences_rejected", "retries", "ttft_s", "cache"} <= set(take["stats"])
    else:
        assert take["narration"] == "" and take["stats"] == {}
