"""Property: save → load is invisible. For random command sequences on the shipped worlds and
the minimal test world, the loaded game has the identical state, and the same next commands give
identical text and state from the original and the loaded game, by either verification path
(remembered, or a full replay)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine.world import DIRECTIONS, World
from game.saves.store import REMEMBERED, REPLAYED, SaveStore
from saves_support import MINIMAL, SHIPPED, play, world_at

VERBS = ["take", "drop", "open", "close", "examine", "read", "turn on", "turn off", "eat",
         "drink", "wear", "push", "pull", "light", "search", "move", "play", "give"]
EXTRA = ["look", "inventory", "wait", "undo", "again", "score", "take all", "drop all",
         "save", "restore", "help", "xyzzy", "", "it", "restart"]


def commands_for(world: World) -> st.SearchStrategy[str]:
    """Plausible and implausible lines for one world: moves, verb + object, two-object forms."""
    names = sorted({item.name.split()[-1] for item in world.items.values()})
    simple = st.sampled_from(list(DIRECTIONS) + EXTRA)
    verb_object = st.builds(lambda v, n: f"{v} {n}", st.sampled_from(VERBS), st.sampled_from(names))
    two = st.builds(lambda a, b, p: f"{p} {a} {'with' if p == 'unlock' else 'in'} {b}",
                    st.sampled_from(names), st.sampled_from(names),
                    st.sampled_from(["unlock", "put"]))
    return st.one_of(simple, verb_object, verb_object, two, st.text(max_size=12))


WORLD_FILES = [MINIMAL, *SHIPPED]


@pytest.mark.parametrize("world_file", WORLD_FILES, ids=lambda p: p.stem)
def test_save_load_is_invisible(world_file: Path) -> None:
    world = world_at(world_file)
    lines = commands_for(world)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(lines, max_size=40), st.lists(lines, min_size=1, max_size=8),
           st.booleans())
    def check(before: list[str], after: list[str], forget: bool) -> None:
        game, transcript = play(world, before)
        with tempfile.TemporaryDirectory() as folder:
            SaveStore(Path(folder)).save("p", game, transcript, ["history"])
            if forget:
                (Path(folder) / ".verified.json").unlink()
            loaded = SaveStore(Path(folder)).load("p", world)
        assert loaded.verification == (REPLAYED if forget else REMEMBERED)
        assert loaded.warnings == []
        assert loaded.game.state == game.state
        assert loaded.transcript == transcript
        for line in after:
            mine, theirs = game.execute(line), loaded.game.execute(line)
            assert theirs.text == mine.text
            assert theirs.meta == mine.meta
            assert [e.to_dict() for e in theirs.events] == [e.to_dict() for e in mine.events]
            assert loaded.game.state == game.state

    check()
