"""Play the engine like a player in tests: type a command, check what the game says.

Shared by the engine test files (test_parser, test_verbs, test_rules, test_undo_again,
test_properties). The test world is tests/worlds/engine_verbs.yaml, loaded with the real loader.
"""

from __future__ import annotations

import functools
from pathlib import Path

from game.engine.events import Event, TurnResult
from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.world import World

WORLD_FILE = Path(__file__).parent / "worlds" / "engine_verbs.yaml"


@functools.lru_cache(maxsize=None)
def engine_world() -> World:
    """The engine test world (immutable, so one load serves every test)."""
    return load_world(WORLD_FILE)


class Session:
    """A game in progress; `do` plays one line and checks the reply contains each expectation."""

    def __init__(self, world: World | None = None) -> None:
        self.game = Game(world or engine_world())
        self.opening = self.game.intro()
        self.last: TurnResult | None = None

    def do(self, line: str, *expected: str) -> TurnResult:
        result = self.game.execute(line)
        self.last = result
        assert not [e for e in result.events if e.data.get("reason") == "internal-error"], result
        for fragment in expected:
            assert fragment in result.text, (
                f"> {line}\nexpected {fragment!r} in:\n{result.text}")
        return result

    def lacks(self, line: str, *absent: str) -> TurnResult:
        result = self.do(line)
        for fragment in absent:
            assert fragment not in result.text, f"> {line}\nunexpected {fragment!r} in:\n{result.text}"
        return result

    def events(self, kind: str) -> list[Event]:
        assert self.last is not None
        return [e for e in self.last.events if e.kind == kind]

    def where(self, item: str) -> str:
        return self.game.state.locations[item]

    @property
    def room(self) -> str:
        return self.game.state.room
