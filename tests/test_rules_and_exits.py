"""The world format's rule and exit features, played in a small world as transcripts: the phases of an
action (before, instead, the built-in verb, after), `except`, `$object` effects, exits that only refuse,
and the light conditions `dark` and `lit`."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_session import Session
from game.engine.loader import load_world, validate_world_file

WORLD = Path(__file__).parent / "worlds" / "cloakroom.yaml"


def session() -> Session:
    return Session(load_world(WORLD))


def problems_after(tmp_path: Path, old: str, new: str) -> tuple[list[str], list]:
    """The world's lines and its load problems once `old` is replaced by `new` in the file."""
    text = WORLD.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "cloakroom.yaml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    return text.replace(old, new).splitlines(), validate_world_file(broken)


def test_an_after_rule_runs_only_when_the_built_in_verb_succeeded() -> None:
    s = session()
    s.do("take off cloak")
    s.do("put cloak in shelf", "That can't contain things.")
    assert s.game.state.score == 0 and "rule:hung_score" not in s.game.state.fired
    result = s.do("put cloak on hook", "You put the velvet cloak on the brass hook.",
                  "The cloak drips quietly onto the tiles.", "[Your score has gone up by 1 point.]")
    assert result.text.index("You put") < result.text.index("The cloak drips")
    assert s.game.state.flags["cloak_hung"] and s.game.state.score == 1


def test_an_after_rule_sees_the_state_the_action_left() -> None:
    s = session()
    s.do("take umbrella", "Taken.", "It is still wet.")


def test_a_before_rule_lets_the_action_go_on_unless_it_stops() -> None:
    s = session()
    result = s.do("north", "Your wet cloak leaves a trail behind you.", "Hall")
    assert s.room == "hall" and result.text.index("trail") < result.text.index("Hall")
    s.do("south")
    turns = s.game.state.turns
    s.do("take vase", "You think better of it")
    s.lacks("take vase", "never runs", "Taken.")
    assert s.where("vase") == "foyer" and s.game.state.turns == turns + 2   # a stopped action still takes a turn


def test_stop_and_fallthrough_outside_their_phase_are_reported(tmp_path: Path) -> None:
    _, problems = problems_after(tmp_path, "    phase: after\n    when: {has: umbrella}",
                                 "    phase: after\n    stop: true\n    fallthrough: true\n    when: {has: umbrella}")
    messages = [p.message for p in problems]
    assert any("rule 'umbrella_after' has `stop: true`, which only a before rule can do" in m for m in messages)
    assert any("rule 'umbrella_after' has `fallthrough: true`, which only an instead rule can do" in m
               for m in messages)


def test_except_leaves_out_verbs_and_directions() -> None:
    s = session()
    s.do("north")
    for way in ("east", "up", "northwest"):
        s.do(way, "The hall has only the one way out, back south.")
        assert s.room == "hall"
    s.lacks("look", "echo")
    s.lacks("x cloak", "echo")
    s.do("jump", "Your footsteps echo in the hall.")
    s.do("take off cloak", "Your footsteps echo in the hall.")
    s.lacks("south", "only the one way", "echo")
    assert s.room == "foyer"


def test_an_effect_can_name_the_commands_own_object() -> None:
    s = session()
    s.do("take umbrella. take off cloak. up")
    s.do("drop umbrella", "Dropped.", "It tumbles over the banister and lands in the foyer below.")
    assert s.where("umbrella") == "foyer"
    assert [e.data for e in s.events("moved")] == [{"item": "umbrella", "to": "foyer"}]
    s.do("drop cloak", "It tumbles over the banister")
    assert s.where("cloak") == "foyer" and not s.game.state.is_("cloak", "worn")
    s.do("drop cloak", "You can't see any such thing.")   # refused: nothing falls
    assert s.where("cloak") == "foyer"


def test_the_commands_object_in_a_trigger_is_reported(tmp_path: Path) -> None:
    lines, problems = problems_after(tmp_path, "endings:", """triggers:
  - id: confused
    event: turn
    effects:
      - move_item: {item: $object, to: foyer}
endings:""")
    assert [p.message for p in problems] == [
        "`move_item` in 'effects' of trigger 'confused' names $object, the object of the player's "
        "command, but only a rule has a command; name the item itself"]
    assert lines[problems[0].line - 1] == "      - move_item: {item: $object, to: foyer}"
    assert lines[problems[0].line - 3] == "    event: turn"


def test_a_way_that_only_refuses_and_a_rooms_own_cant_go() -> None:
    s = session()
    result = s.do("up", "Gallery", "Exits: down.")
    assert "north" not in result.text.split("Exits:")[1]
    s.do("north", "The banister stops you; beyond it there is only the drop to the foyer.")
    for way in ("east", "up", "southwest"):
        s.do(way, "The gallery runs only back down the stairs.")
    assert s.room == "gallery"
    s.do("down")
    s.do("west", "You can't go that way.")       # the foyer has no cant_go of its own


@pytest.mark.parametrize("exit_text,message", [
    ("{door: hook}", "exit 'north' of room 'gallery' has no `to`; add `to: ROOM` where it leads, or "
                     "`refuse: TEXT` alone for a way that only refuses"),
    ('{refuse: "No.", door: hook}', "exit 'north' of room 'gallery' only refuses (it has no `to`), so its "
                                    "`door` would never be used; add `to: ROOM` or remove them"),
])
def test_an_exit_without_a_destination_is_explained(tmp_path: Path, exit_text: str, message: str) -> None:
    _, problems = problems_after(
        tmp_path, 'north: {refuse: "The banister stops you; beyond it there is only the drop to the foyer."}',
        f"north: {exit_text}")
    assert [p.message for p in problems] == [message]


def test_dark_and_lit_test_the_players_room_or_a_named_one() -> None:
    s = session()
    s.do("listen", "Cold, silent air rises from the black cellar below.")
    s.do("take candle. turn on candle")
    s.do("listen", "Cold, silent air")             # the player's own light stays with the player
    s.do("down", "Cellar")
    s.lacks("jump", "fumble")                       # lit here: the candle is with the player
    s.do("drop candle. up")
    s.do("listen", "A candle gutters somewhere in the cellar below.")
    s.do("down. take candle. turn off candle")
    s.do("jump", "You fumble about in the dark and find nothing.")


def test_a_rooms_darkness_cannot_test_darkness(tmp_path: Path) -> None:
    lines, problems = problems_after(tmp_path, "    dark: true\n", "    dark: {not: {lit: foyer}}\n")
    assert [p.message for p in problems] == [
        "'dark' of room 'cellar' tests darkness itself (`dark` or `lit`), which would depend on its own "
        "answer; test the light source instead, e.g. {item_is: {item: lamp, state: unlit}}"]
    assert lines[problems[0].line - 1].strip().startswith("dark:")


def test_a_world_with_light_conditions_is_freed_when_its_games_are() -> None:
    """Compiled light tests refer to their world weakly, so loading worlds never leaks them."""
    import gc
    import weakref

    world = load_world(WORLD)
    Session(world).do("listen", "Cold, silent air")
    gone = weakref.ref(world)
    del world
    gc.collect()
    assert gone() is None


def test_a_holder_can_leave_its_contents_line_to_its_description() -> None:
    s = session()
    s.lacks("look", "On the mantelpiece")
    s.lacks("x mantelpiece", "On the mantelpiece", "There is nothing on")
    s.do("x clock", "stopped at ten to four")
    s.do("take off cloak. put cloak on hook", "You put the velvet cloak on the brass hook.")
    s.do("look", "On the brass hook is a velvet cloak.")   # an ordinary holder still lists


def test_a_world_verb_is_a_built_in_action_with_its_checks_replies_and_rules() -> None:
    s = session()
    s.do("hang", "What do you want to hang?")
    s.do("take off cloak")
    s.do("hang cloak on shelf", "Putting things on the shelf would achieve nothing.")   # put on's check
    result = s.do("hang cloak on hook", "You put the velvet cloak on the brass hook.",
                  "The cloak drips quietly onto the tiles.")    # the after rule for put runs too
    assert [e.kind for e in result.events][:1] == ["put"] and s.game.state.score == 1
    s.do("take umbrella")
    s.do("hang umbrella on hook", "The umbrella is far too wet to hang up.")   # a rule for "hang"
    s.do("put umbrella on hook", "The umbrella is far too wet to hang up.")    # ...is one for put on
    s.do("ponder clock", "stopped at ten to four")


@pytest.mark.parametrize("pattern,means,message", [
    ("wait OBJ", "wait", "verb #1 ('wait OBJ') uses OBJ, which 'wait' never takes; its built-in patterns "
                         "use no slots"),
    ("OBJ hang", "put_on", "verb #1 ('OBJ hang') must start with a word (the verb the player types)"),
    ("hang OBJ on Hook", "put_on", "verb #1 ('hang OBJ on Hook') has 'Hook': a pattern is lowercase words "
                                   "and the slots OBJ, OBJS, IND and DIR"),
])
def test_a_world_verb_that_cannot_mean_its_action_is_explained(
        tmp_path: Path, pattern: str, means: str, message: str) -> None:
    _, problems = problems_after(tmp_path, "  - pattern: hang OBJ on IND\n    means: put_on",
                                 f"  - pattern: {pattern}\n    means: {means}")
    assert [p.message for p in problems] == [message]


def test_hint_nudges_with_the_first_hint_that_holds() -> None:
    s = session()
    turns = s.game.state.turns
    s.do("hint", "The cloak is wet through. Is there somewhere to hang it?")
    s.do("take off cloak. hang cloak on hook")
    s.do("hints", "The foyer has a way down you have not tried.")
    s.do("down. up")
    s.do("hint", "No hint fits just now")
    assert s.game.state.turns == turns + 4   # asking for a hint takes no time


def test_a_world_without_hints_says_so() -> None:
    s = Session()
    s.do("hint", "This world has no hints")
