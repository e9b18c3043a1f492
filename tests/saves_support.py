"""Shared pieces for the saves tests: worlds, a way to play a game with a transcript."""

from __future__ import annotations

import functools
from pathlib import Path

from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.world import World
from game.saves.document import TranscriptEntry

REPO = Path(__file__).resolve().parents[1]
MINIMAL = REPO / "tests" / "worlds" / "minimal.yaml"
SHIPPED = sorted((REPO / "worlds").glob("*.yaml"))
WIN_MINIMAL = ["take key", "unlock door with key", "open door", "north", "take lamp",
               "turn on lamp", "down", "open chest", "take coin", "up", "ring bell"]


@functools.lru_cache(maxsize=None)
def world_at(path: Path) -> World:
    return load_world(path)


def minimal() -> World:
    return world_at(MINIMAL)


def play(world: World, commands: list[str]) -> tuple[Game, list[TranscriptEntry]]:
    """A game that has run `commands`, with the transcript a UI would keep (narration included)."""
    game = Game(world)
    transcript = [TranscriptEntry("", game.intro().text)]
    for command in commands:
        result = game.execute(command)
        transcript.append(TranscriptEntry(command, result.text, f"You {command}, and the house listens.",
                                          result.state.turns))
    return game, transcript
