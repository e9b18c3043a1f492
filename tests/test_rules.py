"""World rules, triggers, conditions, effects, score and endings."""

from __future__ import annotations

import dataclasses

import pytest

from engine_session import Session, engine_world
from game.engine.conditions import holds
from game.engine.game import Game
from game.engine.state import GameState
from game.engine.world import (
    AddCounter, AddScore, All, Any_, ClearFlag, CounterCompare, EndGame, Ending, FlagSet,
    FlagUnset, Has, InRoom, Item, ItemAt, ItemIs, Message, MoveItem, MovePlayer, Not, Reveal,
    Room, Rule, SetCounter, SetFlag, SetItemState, Trigger, TurnsCompare, Visited, World, Exit,
)


def small_world(rules: tuple[Rule, ...] = (), triggers: tuple[Trigger, ...] = ()) -> World:
    """Two rooms, a button, a box and a gem: enough to exercise each effect and condition."""
    return World(
        id="small", title="Small", author="Tests", version="1", start="a", intro="Hello.",
        rooms={"a": Room("a", "Room A", "Room A.", (Exit("east", "b"),)),
               "b": Room("b", "Room B", "Room B.", (Exit("west", "a"),))},
        items={
            "button": Item("button", "button", location="a", portable=False),
            "box": Item("box", "box", location="a", container=True, openable=True),
            "gem": Item("gem", "gem", location="box", hidden=True),
            "lamp": Item("lamp", "lamp", location="player", light=True, switchable=True),
        },
        rules=rules, triggers=triggers, flags={"f": False}, counters={"c": 1}, max_score=9,
        endings={"won": Ending("won", "win", "Well done."), "lost": Ending("lost", "lose", "Oh no.")},
    )


def test_rule_replaces_the_builtin_and_matches_builtin_synonyms() -> None:
    s = Session()
    s.do("take brass key. unlock door. open door. n")
    for line in ("take statue", "get statue", "pick up the statue", "grab statue"):
        s.do(line, "The statue is far too heavy.")
        assert s.where("statue") == "study"


def test_rule_verbs_list_their_own_synonyms() -> None:
    s = Session()
    s.do("take brass key. unlock door. open door. n")
    s.do("press button", "Click.")
    s.do("push the red button", "Click.")
    assert s.game.state.flags["button_pressed"]
    world = small_world(rules=(Rule("push", ("push",), object="button", message="Pushed."),))
    game = Game(world)
    assert "Pushed." in game.execute("push button").text
    assert "I don't know the word 'press'." in game.execute("press button").text


def test_world_only_verbs_are_parsed() -> None:
    s = Session()
    s.do("pray", "Nobody answers.")
    s.do("w")
    s.do("pull lever", "The lever clunks and something glints in the grass.")
    assert s.events("revealed")[0].data == {"item": "ring"}
    s.do("pull lever", "Nothing obvious happens.")         # once: true
    s.do("pull troll", "Nothing obvious happens.")
    s.do("pull the zorkmid", "I don't know the word 'zorkmid'.")
    s.do("take ring", "Taken.")


def test_multi_word_rule_verbs() -> None:
    world = small_world(rules=(Rule("dig", ("dig for treasure",), message="You find nothing."),))
    game = Game(world)
    assert "You find nothing." in game.execute("dig for treasure").text


def test_once_rule_and_score() -> None:
    s = Session()
    s.do("xyzzy", 'A hollow voice says "Fool."')
    assert s.events("score-changed")[0].data == {"delta": 1, "score": 1}
    s.do("xyzzy", "Nothing obvious happens.")
    assert s.game.state.score == 1 and "rule:xyzzy" in s.game.state.fired


def test_fallthrough_runs_the_builtin_too() -> None:
    s = Session()
    s.do("open box", "The hinges creak.", "You open the wooden box")
    assert s.game.state.is_("box", "open")


def test_in_the_dark_an_unseen_noun_is_refused_before_an_any_verb_rule() -> None:
    """As in Inform: the parser says it cannot see the key; only a command it understood acts."""
    s = Session()
    s.do("d. d")
    assert s.room == "crypt" and s.game.ended is None
    turns = s.game.state.turns
    s.do("take brass key", "You can't see any such thing.")
    assert s.game.ended is None and s.game.state.turns == turns
    result = s.do("wait", "Something in the dark eats you.", "That was the end of you.",
                  "*** You have lost ***", "In that game you scored 0 out of a possible 20")
    assert result.ending is not None and result.ending.kind == "lose"
    assert s.events("ended")[0].data["ending"] == "eaten"


def test_any_verb_rule_respects_its_condition() -> None:
    s = Session()
    s.do("e. take lamp. light lamp. w. d. d")
    s.do("look", "Crypt", "Old bones.")
    assert s.game.ended is None


def test_after_the_end_only_undo_restore_restart_quit() -> None:
    s = Session()
    s.do("d")
    s.do("d")
    s.do("look", "Something in the dark eats you.")
    for line in ("look", "n", "take all", "score"):
        result = s.do(line, "The game is over. You can UNDO, RESTORE, RESTART or QUIT.")
        assert result.ending is None and s.game.ended is not None   # reported once, when it happened
    assert s.do("restore").meta == "restore:quicksave"
    assert s.do("quit").meta == "quit"
    s.do("undo", "Previous turn undone.")
    assert s.game.ended is None and s.room == "crypt"


def test_win_ending() -> None:
    s = Session()
    s.do("take all. e. take lamp. light lamp. w. d")
    s.do("unlock chest with iron key. open chest. take ruby. u. w")
    result = s.do("drop ruby", "The ruby sinks into the earth.", "The house sighs with relief.",
                  "*** You have won ***")
    assert result.ending is not None and result.ending.id == "won"
    assert s.game.state.score == 10


def test_enter_trigger_fires_once() -> None:
    s = Session()
    s.do("take brass key. unlock door. open door")
    s.do("n", "Study", "A chill runs down your spine.")
    assert s.game.state.score == 1
    s.lacks("s. n", "A chill")


def test_turn_trigger_runs_after_every_turn() -> None:
    s = Session()
    s.do("e")                       # the turn that arrives in the kitchen counts already
    s.do("z. z. look")
    assert s.game.state.counters["kitchen_turns"] == 4
    s.do("frob")                    # not a turn: nothing understood
    assert s.game.state.counters["kitchen_turns"] == 4


def test_every_effect_kind() -> None:
    effects = (
        Message("A message."), MoveItem("gem", "player"), SetFlag("f"), AddCounter("c", 2),
        SetCounter("d", 7), SetItemState("box", "open", True), Reveal("gem"), AddScore(3),
        ClearFlag("f"), MovePlayer("b"),
    )
    game = Game(small_world(rules=(Rule("r", ("push",), object="button", effects=effects),)))
    result = game.execute("push button")
    state = game.state
    assert "A message." in result.text and "Room B" in result.text
    assert state.locations["gem"] == "player" and not state.is_("gem", "hidden")
    assert state.flags["f"] is False and state.counters == {"c": 3, "d": 7}
    assert state.is_("box", "open") and state.score == 3 and state.room == "b"
    kinds = [e.kind for e in result.events]
    assert kinds == ["message", "moved", "flag-set", "counter-changed", "counter-changed",
                     "opened", "revealed", "score-changed", "flag-cleared", "moved"]
    ended = Game(small_world(rules=(Rule("r", ("push",), effects=(EndGame("won"),)),)))
    assert ended.execute("push button").ending is not None


def test_rule_conditions_room_and_indirect() -> None:
    rules = (
        Rule("in_b", ("push",), room="b", message="Wrong room."),
        Rule("flagged", ("push",), when=FlagSet("f"), message="Flag is set."),
        Rule("plain", ("push",), message="Plain push."),
    )
    game = Game(small_world(rules=rules))
    assert "Plain push." in game.execute("push button").text
    game.state.set_flag("f", True)
    assert "Flag is set." in game.execute("push button").text


@pytest.mark.parametrize("condition, expected", [
    (Has("lamp"), True), (Has("gem"), False),
    (ItemAt("gem", "box"), True), (ItemAt("gem", "a"), False),
    (ItemIs("box", "closed"), True), (ItemIs("box", "open"), False),
    (ItemIs("gem", "hidden"), True), (ItemIs("gem", "revealed"), False),
    (ItemIs("lamp", "unlit"), True), (ItemIs("lamp", "lit"), False),
    (ItemIs("button", "unlocked"), True), (ItemIs("button", "locked"), False),
    (ItemIs("lamp", "worn"), False),
    (InRoom("a"), True), (InRoom("b"), False),
    (FlagSet("f"), False), (FlagUnset("f"), True), (FlagSet("never_declared"), False),
    (CounterCompare("c", "eq", 1), True), (CounterCompare("c", "gt", 1), False),
    (CounterCompare("c", "ge", 1), True), (CounterCompare("c", "lt", 2), True),
    (CounterCompare("c", "le", 0), False), (CounterCompare("c", "ne", 1), False),
    (Visited("a"), True), (Visited("b"), False),
    (TurnsCompare("eq", 0), True), (TurnsCompare("gt", 0), False),
    (All((InRoom("a"), Has("lamp"))), True), (All((InRoom("a"), Has("gem"))), False),
    (Any_((InRoom("b"), Has("lamp"))), True), (Any_((InRoom("b"), Has("gem"))), False),
    (Not(InRoom("b")), True), (None, True),
])
def test_conditions(condition, expected: bool) -> None:
    assert holds(condition, GameState.initial(small_world())) is expected


def test_triggers_with_conditions_and_move_player_chains() -> None:
    triggers = (
        Trigger("welcome", "enter", room="b", message="Welcome to B.", once=True),
        Trigger("bounce", "enter", room="b", when=FlagSet("f"), effects=(MovePlayer("a"),)),
        Trigger("tick", "turn", effects=(AddCounter("c", 1),)),
    )
    game = Game(small_world(triggers=triggers))
    result = game.execute("e")
    assert "Welcome to B." in result.text and game.state.room == "b"
    assert game.state.counters["c"] == 2
    game.execute("w")
    game.state.set_flag("f", True)
    result = game.execute("e")
    assert game.state.room == "a" and "Welcome" not in result.text


def test_engine_world_fixture_is_valid() -> None:
    assert engine_world().start == "hall"


def test_score_changes_are_announced() -> None:
    s = Session()
    s.do("xyzzy", "[Your score has gone up by 1 point.]")
    s.do("open box. take coin. w")
    s.do("give coin to troll", "[Your score has gone up by 5 points.]")


def test_the_move_that_ends_the_game_counts() -> None:
    s = Session()
    s.do("d")
    s.do("d")
    s.do("look", "in 3 turns")
    assert s.game.state.turns == 3


def test_rules_bind_the_noun_after_a_preposition() -> None:
    rules = (Rule("knock", ("knock",), object="box", message="Hollow."),
             Rule("hum", ("hum",), object="button", message="Buzz."))
    game = Game(small_world(rules=rules))
    assert "Hollow." in game.execute("knock on the box").text
    assert "Nobody answers." in game.execute("knock on button").text
    assert "Buzz." in game.execute("hum at button").text
    assert "Buzz." in game.execute("hum button").text


def test_tools_after_with_reach_rules_as_the_indirect_object() -> None:
    rules = (Rule("light", ("light",), object="box", indirect="lamp", message="The box burns."),)
    game = Game(small_world(rules=rules))
    assert "The box burns." in game.execute("light box with lamp").text
    assert "You have no way to light" not in game.execute("turn on lamp with box").text


def test_triggers_that_bounce_the_player_forever_are_cut_short() -> None:
    triggers = (Trigger("to_a", "enter", room="b", effects=(MovePlayer("a"),)),
                Trigger("to_b", "enter", room="a", effects=(MovePlayer("b"),)))
    game = Game(small_world(triggers=triggers))
    result = game.execute("e")
    assert not [e for e in result.events if e.data.get("reason") == "internal-error"]
    assert game.state.room in ("a", "b")


def test_a_worn_item_moved_away_by_a_rule_is_no_longer_worn() -> None:
    world = small_world(rules=(Rule("hang", ("push",), object="button",
                                    effects=(MoveItem("cloak", "a"),), message="The cloak slips off."),))
    world = dataclasses.replace(world, items={**world.items, "cloak": Item(
        "cloak", "cloak", location="player", wearable=True, worn=True)})
    game = Game(world)
    assert game.state.is_("cloak", "worn") and "(being worn)" in game.execute("inventory").text
    game.execute("push button")
    assert game.state.location("cloak") == "a" and not game.state.is_("cloak", "worn")
    assert "being worn" not in game.execute("look").text
    taken = game.execute("take cloak")
    assert "Taken." in taken.text and not game.state.is_("cloak", "worn")
    assert "(being worn)" not in game.execute("inventory").text
