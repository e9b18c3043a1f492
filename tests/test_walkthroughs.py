"""The shipped worlds: they validate, their walkthroughs win with full score, their transcripts
match the checked-in golden files, and every lose ending can actually be reached.

Golden transcripts live in tests/golden/NAME.transcript and are exactly what
`adventure run worlds/NAME.yaml --script worlds/NAME.walkthrough --narrator off` prints.
After a deliberate change to a world or to the engine's wording, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_walkthroughs.py

and read the diff (git diff tests/golden) before committing.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from pathlib import Path

import pytest

from game.cli import main as adventure
from game.engine.game import Game
from game.engine.loader import load_world, validate_world_file
from game.engine.world import OPPOSITE_DIRECTION, World

ROOT = Path(__file__).resolve().parent.parent
WORLDS_DIR = ROOT / "worlds"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
TITLE_ART = ROOT / "assets" / "title.txt"

SHIPPED = sorted(path.stem for path in WORLDS_DIR.glob("*.yaml"))
OUTCOME = re.compile(
    r"^outcome=(?P<outcome>win|lose|none) ending=(?P<ending>\S+) turns=(?P<turns>\d+) "
    r"score=(?P<score>-?\d+) room=(?P<room>\S+)$")

# A short script to each lose ending of each shipped world. A new lose ending needs a new
# entry here (test_every_lose_ending_has_a_script enforces that).
LOSE_SCRIPTS: dict[tuple[str, str], list[str]] = {
    # Down the stair in the dark to the chasm, and over the edge.
    ("crystal_caverns", "fell"): ["n", "n", "d", "d", "n", "jump"],
    # Into the labyrinth without a light, then anything but backing out east.
    ("crystal_caverns", "lost_in_dark"): ["n", "n", "d", "d", "n", "w", "look"],
    # The glowing fungus is not food.
    ("crystal_caverns", "poisoned"): ["n", "n", "d", "d", "e", "eat fungus"],
}


@functools.lru_cache(maxsize=None)
def world(name: str) -> World:
    return load_world(WORLDS_DIR / f"{name}.yaml")


def run_adventure(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """`adventure ARGV...` in-process; returns stdout and checks the exit status is 0."""
    capsys.readouterr()
    status = adventure(list(argv))
    out, err = capsys.readouterr()
    assert status == 0, f"adventure {' '.join(argv)} exited {status}\n{err}"
    return out


def outcome(transcript: str) -> re.Match[str]:
    last = transcript.rstrip("\n").rsplit("\n", 1)[-1]
    match = OUTCOME.match(last)
    assert match, f"the transcript does not end with an outcome line: {last!r}"
    return match


def play(name: str, commands: list[str]) -> tuple[Game, str]:
    """A fresh game of `name` after `commands`, and everything it said to them."""
    game = Game(world(name))
    game.intro()
    said = [game.execute(command).text for command in commands]
    return game, "\n".join(said)


def walkthrough_until(name: str, stop: str) -> list[str]:
    """The walkthrough's commands before the first line equal to `stop`."""
    lines = [line.strip() for line in (WORLDS_DIR / f"{name}.walkthrough").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    return lines[:lines.index(stop)]


def test_the_two_required_worlds_ship() -> None:
    assert {"tutorial", "crystal_caverns"} <= set(SHIPPED)
    assert len(world("tutorial").rooms) in range(5, 9)
    assert len(world("crystal_caverns").rooms) >= 15


@pytest.mark.parametrize("name", SHIPPED)
def test_world_validates_cleanly(name: str) -> None:
    problems = validate_world_file(WORLDS_DIR / f"{name}.yaml")
    assert problems == [], "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("name", SHIPPED)
def test_walkthrough_wins_with_full_score(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    script = WORLDS_DIR / f"{name}.walkthrough"
    assert script.is_file(), f"every shipped world needs a walkthrough: {script} is missing"
    transcript = run_adventure(capsys, "run", str(WORLDS_DIR / f"{name}.yaml"),
                               "--script", str(script), "--narrator", "off")
    result = outcome(transcript)
    w = world(name)
    assert result["outcome"] == "win", transcript[-2000:]
    assert w.endings[result["ending"]].kind == "win"
    assert w.max_score > 0
    assert int(result["score"]) == w.max_score, (
        f"{name}: the walkthrough scored {result['score']} of {w.max_score}")


@pytest.mark.parametrize("name", SHIPPED)
def test_transcript_matches_golden(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    transcript = run_adventure(capsys, "run", str(WORLDS_DIR / f"{name}.yaml"),
                               "--script", str(WORLDS_DIR / f"{name}.walkthrough"),
                               "--narrator", "off")
    golden = GOLDEN_DIR / f"{name}.transcript"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden.write_text(transcript, encoding="utf-8")
        return
    assert golden.is_file(), (
        f"{golden} is missing; create it with UPDATE_GOLDEN=1 and read it before committing")
    expected = golden.read_text(encoding="utf-8")
    if transcript != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), transcript.splitlines(keepends=True),
            fromfile=f"golden/{name}.transcript", tofile="adventure run (now)", n=2))
        pytest.fail(f"the {name} transcript changed (if intended, rerun with UPDATE_GOLDEN=1 "
                    f"and review `git diff tests/golden`):\n{diff}", pytrace=False)


@pytest.mark.parametrize(("name", "ending"), sorted(LOSE_SCRIPTS))
def test_lose_ending_is_reachable(name: str, ending: str) -> None:
    game, said = play(name, LOSE_SCRIPTS[(name, ending)])
    assert game.ended is not None, f"{name}: the script did not end the game:\n{said}"
    assert (game.ended.id, game.ended.kind) == (ending, "lose")
    assert game.world.endings[ending].message in said
    assert "You have lost" in said


def test_every_lose_ending_has_a_script() -> None:
    declared = {(name, e.id) for name in SHIPPED for e in world(name).endings.values()
                if e.kind == "lose"}
    assert declared == set(LOSE_SCRIPTS)


@pytest.mark.parametrize("name", SHIPPED)
def test_exits_are_reciprocal(name: str) -> None:
    """Consistent geography: going back the way you came returns you where you were."""
    w = world(name)
    one_way = []
    for room in w.rooms.values():
        for exit_ in room.exits:
            back = w.rooms[exit_.to].exit(OPPOSITE_DIRECTION[exit_.direction])
            if back is None or back.to != room.id:
                one_way.append(f"{room.id} --{exit_.direction}--> {exit_.to}")
    assert one_way == []


@pytest.mark.parametrize("name", SHIPPED)
def test_every_room_and_item_is_described(name: str) -> None:
    w = world(name)
    assert [r.id for r in w.rooms.values() if not r.description.strip()] == []
    # Room descriptions stay short (1-3 sentences): the narrator elaborates, the text informs.
    long = [r.id for r in w.rooms.values()
            if len(re.findall(r"[.!?](?:\s|$)", r.description.strip())) > 3]
    assert long == []
    assert [i.id for i in w.items.values() if not i.description.strip()] == []
    assert w.narrator.style and w.narrator.tone and len(w.narrator.exemplars) >= 2
    assert "help" in w.intro.lower()


def test_walkthroughs_exercise_the_parser() -> None:
    lines = [line.strip().lower() for name in SHIPPED
             for line in (WORLDS_DIR / f"{name}.walkthrough").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert {"n", "i"} <= set(lines)
    assert any(line.startswith("x ") for line in lines)
    assert any(line == "take all" for line in lines)
    assert any(line.startswith("take all from ") for line in lines)
    assert any(re.search(r"\bit$", line) for line in lines)
    assert any(re.match(r"put \w+ in \w+", line) for line in lines)
    assert any(re.match(r"unlock \w+ with \w+", line) for line in lines)
    assert any(" then " in line for line in lines)


# ------------------------------------------------------------------ the Crystal Caverns puzzles
def test_lamp_warns_then_goes_out_and_the_flask_relights_it() -> None:
    game, _ = play("crystal_caverns", ["n", "n", "e", "take lamp", "light lamp"])
    oil = game.state.counters["lamp_oil"]
    assert 0 < oil < 60
    assert "oil stands high" in game.execute("x lamp").text
    oil -= 1
    texts = [game.execute("z").text for _ in range(oil)]
    assert "running low on oil" in "\n".join(texts[:-3])
    assert "goes out" in texts[-1]
    assert game.state.counters["lamp_oil"] == 0
    assert "out of oil" in game.execute("light lamp").text
    assert "window in the reservoir is dry" in game.execute("x lamp").text
    # The flask lies in the grotto, which glows on its own: the game stays winnable.
    for command in ["w", "d", "d", "e", "take flask", "put oil in lamp"]:
        game.execute(command)
    assert game.state.counters["lamp_oil"] > oil
    assert "now lit" in game.execute("light lamp").text


def test_backing_out_of_the_dark_labyrinth_is_safe() -> None:
    game, said = play("crystal_caverns", ["n", "n", "d", "d", "n", "w"])
    assert game.state.room == "labyrinth" and game.ended is None
    assert "back out east" in said
    game.execute("e")
    assert game.state.room == "chasm_edge" and game.ended is None


def test_a_lit_lamp_on_the_labyrinth_floor_still_keeps_the_dark_away() -> None:
    game, _ = play("crystal_caverns", ["n", "n", "e", "take lamp", "light lamp", "w", "d", "d",
                                       "n", "w", "drop lamp", "look", "take lamp"])
    assert game.ended is None and game.state.room == "labyrinth"
    game.execute("turn off lamp")
    game.execute("look")
    assert game.ended is not None and game.ended.id == "lost_in_dark"


def test_the_lever_needs_light_and_lowers_the_drawbridge() -> None:
    game, _ = play("crystal_caverns", LOSE_SCRIPTS[("crystal_caverns", "fell")][:-1])
    game.execute("pull lever")  # pitch dark: the lever cannot be found
    assert game.state.flags["bridge_lowered"] is False
    assert "You will need a light here" in game.execute("n").text
    assert game.state.room == "chasm_edge" and game.ended is None
    game, _ = play("crystal_caverns", walkthrough_until("crystal_caverns", "pull lever"))
    assert "drawbridge stands raised" in game.execute("n").text
    score = game.state.score
    assert "drawbridge comes down" in game.execute("pull lever").text
    assert game.state.score == score + 10
    game.execute("n")
    assert game.state.room == "far_ledge"


def test_the_guardian_lets_only_the_piper_pass() -> None:
    game, _ = play("crystal_caverns", walkthrough_until("crystal_caverns", "play flute"))
    assert game.state.room == "guardian_hall"
    assert "spear bars the archway" in game.execute("n").text
    assert game.state.room == "guardian_hall"
    game.execute("play flute")
    assert "kneels a giant" in game.execute("look").text  # the room text follows the state
    game.execute("n")
    assert game.state.room == "crystal_gallery"


# ------------------------------------------------------------------ title art
def test_title_art_fits_the_title_screen() -> None:
    lines = TITLE_ART.read_text(encoding="utf-8").splitlines()
    assert 3 <= len(lines) <= 10
    assert max(len(line) for line in lines) <= 78
    assert all(line.isascii() for line in lines)
