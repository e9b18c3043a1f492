"""Property tests (hypothesis): random play never raises, replay is deterministic, undo is exact,
and saved states behave exactly like the originals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_session import engine_world
from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.state import GameState
from game.engine.world import World

WORLD = engine_world()
# A world whose rules use every phase of an action (before with stop, instead, after).
PHASES_WORLD = load_world(Path(__file__).parent / "worlds" / "cloakroom.yaml")
WORLDS = pytest.mark.parametrize("world", [WORLD, PHASES_WORLD], ids=["engine_verbs", "rule_phases"])
NOUNS = sorted({w for world in (WORLD, PHASES_WORLD) for item in world.items.values() for w in item.name.split()} | {
    "it", "them", "all", "key", "door", "zorkmid"})
VERBS = ["take", "drop", "x", "open", "close", "unlock", "lock", "read", "wear", "remove",
         "turn on", "turn off", "eat", "drink", "push", "pull", "pray", "put", "give", "look",
         "i", "z", "g", "undo", "n", "s", "e", "w", "u", "d", "take all", "drop all", "score",
         "xyzzy", "restart", "brass", "iron"]

word_commands = st.builds(
    lambda verb, nouns, joiner, more: " ".join([verb, *nouns, *( [joiner, *more] if more else [])]),
    st.sampled_from(VERBS),
    st.lists(st.sampled_from(NOUNS), max_size=2),
    st.sampled_from(["in", "on", "with", "to", "from", "and", "then", ".", ","]),
    st.lists(st.sampled_from(NOUNS), max_size=2),
)
no_undo = word_commands.filter(lambda line: "undo" not in line)   # undoing an undo is no redo
any_text = st.text(max_size=60)
commands = st.one_of(word_commands, word_commands, word_commands, any_text)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def internal_errors(result) -> list:
    return [e for e in result.events if e.data.get("reason") == "internal-error"]


@WORLDS
@FAST
@given(st.lists(commands, max_size=25))
def test_random_play_never_raises_and_always_replies(world: World, lines: list[str]) -> None:
    game = Game(world)
    for line in lines:
        result = game.execute(line)
        assert not internal_errors(result), (line, result.events)
        assert isinstance(result.text, str)
        assert result.text.strip() or result.meta in ("quit", "restart") or result.meta, line


@WORLDS
@FAST
@given(st.lists(commands, max_size=25))
def test_same_commands_give_the_same_state(world: World, lines: list[str]) -> None:
    first, second = Game(world), Game(world)
    for line in lines:
        a, b = first.execute(line), second.execute(line)
        assert a.text == b.text
        assert [e.to_dict() for e in a.events] == [e.to_dict() for e in b.events]
    assert first.state == second.state
    assert first.state.to_dict() == second.state.to_dict()


@WORLDS
@FAST
@given(st.lists(word_commands, max_size=20), no_undo)
def test_undo_after_any_command_restores_the_previous_state(world: World, lines: list[str], last: str) -> None:
    game = Game(world)
    for line in lines:
        game.execute(line)
    before = GameState.from_dict(game.state.to_dict())   # deep: shares nothing with the game
    game.execute(last)
    if not game.state.same_play(before):      # changed the world, not just parser memory
        game.execute("undo")
        before.last_command = "undo"           # AGAIN repeats the UNDO; all else is as before
        assert game.state == before
        assert game.state.to_dict() == before.to_dict()


@WORLDS
@FAST
@given(st.lists(commands, max_size=20), st.lists(no_undo, max_size=8))
def test_a_saved_state_plays_on_exactly_like_the_original(world: World, prefix: list[str],
                                                           suffix: list[str]) -> None:
    """(Undo history is the shell's, not the state's: a restored game starts a fresh history.)"""
    original = Game(world)
    for line in prefix:
        original.execute(line)
    restored = Game(world, GameState.from_dict(original.state.to_dict()))
    assert restored.state == original.state
    for line in suffix:
        assert original.execute(line).text == restored.execute(line).text
    assert original.state == restored.state


@WORLDS
@FAST
@given(st.lists(commands, max_size=20))
def test_contents_index_stays_consistent(world: World, lines: list[str]) -> None:
    game = Game(world)
    for line in lines:
        game.execute(line)
    rebuilt = GameState.from_dict(game.state.to_dict())
    assert {k: sorted(v) for k, v in game.state.contents.items()} == {
        k: sorted(v) for k, v in rebuilt.contents.items()}


@WORLDS
@FAST
@given(st.lists(word_commands, min_size=1, max_size=15))
def test_copies_never_leak_changes_into_each_other(world: World, lines: list[str]) -> None:
    """Copy-on-write: a state taken before some play still serialises exactly as it did."""
    game = Game(world)
    snapshots = []
    for line in lines:
        snapshots.append((game.state.copy(), game.state.to_dict()))
        game.execute(line)
    for state, frozen in snapshots:
        assert state.to_dict() == frozen


CAVERNS = load_world(Path(__file__).resolve().parent.parent / "worlds" / "crystal_caverns.yaml")
CAVERN_WORDS = sorted({w for item in CAVERNS.items.values() for w in item.name.lower().split()})
CAVERN_VERBS = sorted({v for rule in CAVERNS.rules for v in rule.verbs if v != "*"} | set(VERBS))
cavern_commands = st.builds(
    lambda verb, nouns: " ".join([verb, *nouns]),
    st.sampled_from(CAVERN_VERBS), st.lists(st.sampled_from(CAVERN_WORDS + ["all", "it"]), max_size=3))


@FAST
@given(st.lists(cavern_commands, max_size=30))
def test_random_play_in_the_shipped_caverns_never_raises(lines: list[str]) -> None:
    game = Game(CAVERNS)
    twin = Game(CAVERNS)
    for line in lines:
        result = game.execute(line)
        assert not internal_errors(result), (line, result.events)
        assert twin.execute(line).text == result.text
