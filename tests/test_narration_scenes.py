"""The narration benchmark's scene set (tests/data/narration_scenes.yaml) is sound.

Every scene is replayed on the engine alone (no model): its setup must play without parser
errors, missing objects or questions (so it really reaches the situation it names), and its
turn must be one the narrator narrates and whose events fit the scene's declared `kind`.
After a change to a world or to the engine, a scene that fails here needs a new setup or
turn, not a looser check.
"""

from __future__ import annotations

import collections
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from game.engine.events import Event, TurnResult
from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.world import PLAYER, Effect, Message, World
from game.paths import resolve_world
from game.play.narration_policy import should_narrate

SCENES_FILE = Path(__file__).parent / "data" / "narration_scenes.yaml"
WORLDS = ("tutorial", "crystal_caverns")
KINDS = ("movement", "failure", "darkness", "container", "rule", "state", "examine", "item")
MIN_SCENES = 70
MIN_PER_WORLD = {"failure": 4, "movement": 4}   # every other kind: at least one per world
FIELDS = {"id", "world", "kind", "setup", "turn"}

# A setup line must not fail in any of these ways: each means it did not do what it says.
BAD_SETUP_REASONS = frozenset({
    "unknown-word", "not-in-scope", "no-verb", "not-understood", "incomplete", "multiple",
    "empty", "game-over", "internal-error", "nothing", "oops", "nothing-to-repeat",
})
BAD_SETUP_KINDS = frozenset({"unknown-word", "asked", "meta", "undone"})

# Refusals the narrator stays out of (game.play.narration_policy, plus the parser's): a failure
# scene must turn on a refusal worth retelling.
UNNARRATED_REASONS = BAD_SETUP_REASONS | {"self", "loop", "not-interested", "cannot-undo"}
STATE_EVENTS = frozenset({"lit", "extinguished", "locked", "unlocked", "wore", "removed", "ate",
                          "drank"})
EXAMINE_WORDS = ("x", "examine", "look", "l", "read", "inspect", "check", "search", "describe")


def _load_scenes() -> list[dict[str, Any]]:
    data = yaml.safe_load(SCENES_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("scenes"), list), SCENES_FILE
    return data["scenes"]


SCENES = _load_scenes()


@functools.lru_cache(maxsize=None)
def world(name: str) -> World:
    return load_world(resolve_world(name))


def authored_texts(w: World) -> frozenset[str]:
    """Every message a rule or trigger of the world can print (not the built-in bland replies)."""
    texts: set[str] = set()
    for source in (*w.rules, *w.triggers):
        if source.message:
            texts.add(source.message.strip())
        effects: tuple[Effect, ...] = source.effects
        texts.update(e.text.strip() for e in effects if isinstance(e, Message))
    return frozenset(texts)


def _events(result: TurnResult, kind: str) -> list[Event]:
    return [e for e in result.events if e.kind == kind]


def _describe(result: TurnResult) -> str:
    events = "\n".join(f"  {e.kind} {e.data}" for e in result.events)
    return f"> {result.command}\n{result.text}\nevents:\n{events}"


def play(scene: dict[str, Any]) -> tuple[Game, TurnResult]:
    """A fresh game of the scene's world, its setup played and checked, then its turn."""
    game = Game(world(scene["world"]))
    game.intro()
    for command in scene["setup"]:
        result = game.execute(command)
        bad = [e for e in result.events if e.kind in BAD_SETUP_KINDS
               or (e.kind == "failed" and e.data.get("reason") in BAD_SETUP_REASONS)]
        assert not bad, f"{scene['id']}: the setup line {command!r} misfired\n{_describe(result)}"
        assert game.ended is None, (
            f"{scene['id']}: the setup ended the game at {command!r}\n{_describe(result)}")
    return game, game.execute(scene["turn"])


# ------------------------------------------------------------------ what each kind must show
def _is_holder(w: World, place: object) -> bool:
    item = w.items.get(place) if isinstance(place, str) else None
    return item is not None and (item.container or item.surface)


def check_movement(game: Game, result: TurnResult) -> str | None:
    if _events(result, "failed"):
        return "a movement turn must not fail"
    if not [e for e in _events(result, "moved") if e.data.get("item") == PLAYER]:
        return "no 'moved' event for the player"
    return None


def check_failure(game: Game, result: TurnResult) -> str | None:
    failed = _events(result, "failed")
    if not failed:
        return "no 'failed' event"
    if all(e.data.get("reason") in UNNARRATED_REASONS for e in failed):
        return "the refusal is one the narrator skips"
    if game.ended is not None:
        return "a failure turn must not end the game"
    return None


def check_darkness(game: Game, result: TurnResult) -> str | None:
    too_dark = [e for e in _events(result, "failed") if e.data.get("reason") == "too-dark"]
    if not game.scene().dark and not too_dark:
        return "the scene is lit after the turn and nothing failed for darkness"
    return None


def check_container(game: Game, result: TurnResult) -> str | None:
    w = game.world
    for event in result.events:
        if event.kind in ("opened", "closed") and _is_holder(w, event.data.get("item")):
            return None
        if event.kind == "put" and _is_holder(w, event.data.get("holder")):
            return None
        if event.kind == "took" and _is_holder(w, event.data.get("origin")):
            return None
    return "no container or surface opened, closed, put into or taken from"


def check_rule(game: Game, result: TurnResult) -> str | None:
    authored = authored_texts(game.world)
    if any(e.kind in ("score-changed", "ended", "revealed") for e in result.events):
        return None
    if any(str(e.data.get("text", "")).strip() in authored for e in _events(result, "message")):
        return None
    return "no rule or trigger fired (no authored message, score change, reveal or ending)"


def check_state(game: Game, result: TurnResult) -> str | None:
    if _events(result, "failed"):
        return "a state turn must not fail"
    if not any(e.kind in STATE_EVENTS for e in result.events):
        return f"none of {sorted(STATE_EVENTS)}"
    return None


def check_examine(game: Game, result: TurnResult) -> str | None:
    if _events(result, "failed"):
        return "an examine turn must not fail"
    if _events(result, "examined") or _events(result, "read"):
        return None
    # A world rule may replace examining (the lamp's oil window): then it says a message.
    first = result.command.split()[0].lower()
    if first in EXAMINE_WORDS and _events(result, "message"):
        return None
    return "nothing was examined or read"


def check_item(game: Game, result: TurnResult) -> str | None:
    if _events(result, "failed"):
        return "an item turn must not fail"
    if not (_events(result, "took") or _events(result, "dropped")):
        return "nothing taken or dropped"
    return None


CHECKS = {
    "movement": check_movement, "failure": check_failure, "darkness": check_darkness,
    "container": check_container, "rule": check_rule, "state": check_state,
    "examine": check_examine, "item": check_item,
}
assert set(CHECKS) == set(KINDS)


# ------------------------------------------------------------------ the file as a whole
def test_scene_file_shape() -> None:
    assert len(SCENES) >= MIN_SCENES
    for scene in SCENES:
        assert isinstance(scene, dict) and set(scene) == FIELDS, scene
        assert isinstance(scene["id"], str) and scene["id"], scene
        assert scene["world"] in WORLDS, scene
        assert scene["kind"] in KINDS, scene
        assert isinstance(scene["setup"], list), scene
        assert all(isinstance(c, str) and c.strip() for c in scene["setup"]), scene
        assert isinstance(scene["turn"], str) and scene["turn"].strip(), scene


def test_scene_ids_are_unique_and_world_prefixed() -> None:
    ids = [scene["id"] for scene in SCENES]
    duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert duplicates == []
    prefixes = {"tutorial": "tutorial-", "crystal_caverns": "caverns-"}
    assert [s["id"] for s in SCENES if not s["id"].startswith(prefixes[s["world"]])] == []


def test_every_kind_is_covered_in_every_world() -> None:
    counts = collections.Counter((s["world"], s["kind"]) for s in SCENES)
    assert {s["world"] for s in SCENES} == set(WORLDS)
    short = {(w, k): counts[(w, k)] for w in WORLDS for k in KINDS
             if counts[(w, k)] < MIN_PER_WORLD.get(k, 1)}
    assert short == {}, f"too few scenes (world, kind): {short}"


def test_no_two_scenes_are_the_same_situation() -> None:
    seen = collections.Counter(
        (s["world"], tuple(s["setup"]), s["turn"]) for s in SCENES)
    assert [key for key, n in seen.items() if n > 1] == []


# ------------------------------------------------------------------ each scene
@pytest.mark.parametrize("scene", SCENES, ids=[s["id"] for s in SCENES])
def test_scene_plays_as_declared(scene: dict[str, Any]) -> None:
    game, result = play(scene)
    assert not [e for e in result.events if e.data.get("reason") == "internal-error"], (
        _describe(result))
    assert should_narrate(result), (
        f"{scene['id']}: the narrator would skip this turn\n{_describe(result)}")
    problem = CHECKS[scene["kind"]](game, result)
    assert problem is None, f"{scene['id']} ({scene['kind']}): {problem}\n{_describe(result)}"
