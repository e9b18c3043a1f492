"""Parser behaviour, as player sessions: abbreviations, articles and adjectives, pronouns,
"all", disambiguation questions and their answers, unknown words, multi-command lines."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine_session import Session, engine_world
from game.engine.index import WorldIndex
from game.engine.parser import Command, ParseError, parse, split_commands, tokenise
from game.engine.spelling import SMALL_WORDS, slips, suggestion
from game.engine.world import Ending, Item, Room, World


def parsed(line: str) -> Command | ParseError:
    index = WorldIndex.build(engine_world())
    return parse(split_commands(tokenise(line), index)[0], index)


@pytest.mark.parametrize("line, direction", [
    ("n", "north"), ("s", "south"), ("e", "east"), ("w", "west"), ("ne", "northeast"),
    ("nw", "northwest"), ("se", "southeast"), ("sw", "southwest"), ("u", "up"), ("d", "down"),
    ("in", "in"), ("out", "out"), ("go north", "north"), ("walk n", "north"),
    ("go to the north", "north"), ("enter", "in"), ("exit", "out"), ("climb up", "up"),
    ("get in", "in"), ("get out", "out"), ("enter the box", "in"), ("leave the box", "out"),
    ("NORTH", "north"), ("  North.  ", "north"),
])
def test_directions_and_abbreviations(line: str, direction: str) -> None:
    command = parsed(line)
    assert isinstance(command, Command) and command.verb == "go"
    assert command.direction == direction


@pytest.mark.parametrize("line, verb", [
    ("l", "look"), ("look", "look"), ("x key", "examine"), ("look at the key", "examine"),
    ("examine key", "examine"), ("get key", "take"), ("pick up key", "take"),
    ("pick key up", "take"), ("i", "inventory"), ("inventory", "inventory"), ("z", "wait"),
    ("g", "again"), ("take off cloak", "take_off"), ("put on cloak", "wear"),
    ("turn on lamp", "turn_on"), ("turn lamp off", "turn_off"), ("light lamp", "turn_on"),
    ("extinguish lamp", "turn_off"), ("put coin in box", "put_in"), ("put book on table", "put_on"),
    ("unlock door with key", "unlock"), ("give coin to troll", "give"), ("q", "quit"),
])
def test_verb_synonyms(line: str, verb: str) -> None:
    command = parsed(line)
    assert isinstance(command, Command), command
    assert command.verb == verb


def test_save_and_restore_slots() -> None:
    s = Session()
    assert s.do("save").meta == "save:quicksave"
    assert s.do("save my game").meta == "save:my_game"
    assert s.do("restore").meta == "restore:quicksave"
    assert s.do("load slot2").meta == "restore:slot2"


def test_articles_and_adjectives() -> None:
    s = Session()
    s.do("take the small brass key", "Taken.")
    assert s.where("brass_key") == "player"
    s.do("drop the brass key", "Dropped.")
    s.do("take brass", "Taken.")
    s.do("x the rusty iron key", "A rusty iron key.")


def test_unknown_words_are_named() -> None:
    s = Session()
    s.do("frob", "I don't know the word 'frob'.")
    assert s.events("unknown-word")[0].data["word"] == "frob"
    s.do("take the zorkmid", "I don't know the word 'zorkmid'.")
    s.do("take key with blorp", "I don't know the word 'blorp'.")


def test_incomplete_and_non_verbs() -> None:
    s = Session()
    s.do("take", "What do you want to take?")
    s.do("key", "That's not a verb I recognise.")
    s.do("", "I beg your pardon?")
    s.do("go", "Where do you want to go?")


def test_disambiguation_question_and_answers() -> None:
    s = Session()
    s.do("x key", "Which key do you mean, the brass key or the iron key?")
    assert s.events("asked")[0].data["candidates"] == ["brass_key", "iron_key"]
    s.do("brass", "A small brass key.")
    s.do("x key", "Which key do you mean")
    s.do("the iron one", "A rusty iron key.")
    s.do("take key", "Which key")
    s.do("iron key", "Taken.")
    assert s.where("iron_key") == "player"


def test_another_command_abandons_the_question() -> None:
    s = Session()
    s.do("take key", "Which key")
    s.do("look", "Hall")
    assert s.game.state.pending is None
    s.do("brass", "That's not a verb I recognise.")


def test_disambiguation_prefers_the_natural_object() -> None:
    s = Session()
    s.do("take brass key", "Taken.")
    s.do("take key", "Taken.")           # the one not yet held
    assert s.where("iron_key") == "player"
    s.do("drop brass key")
    s.do("drop key", "Dropped.")         # the one held
    assert s.where("iron_key") == "hall"


def test_pronouns_it_and_them() -> None:
    s = Session()
    s.do("x it", "I'm not sure what 'it' refers to.")
    s.do("take brass key")
    s.do("drop it", "Dropped.")
    s.do("take it", "Taken.")
    s.do("e")
    s.do("take lamp and apple", "Brass lamp: Taken.", "Apple: Taken.")
    s.do("drop them", "Brass lamp: Dropped.", "Apple: Dropped.")
    s.do("x apple")
    s.do("w")
    s.do("x it", "You can't see that here")


def test_all_forms() -> None:
    s = Session()
    s.do("take all", "Brass key: Taken.", "Iron key: Taken.", "Wooden box: Taken.")
    s.do("drop all", "Pebble: Dropped.", "Wooden box: Dropped.")
    s.do("take all except brass key", "Iron key: Taken.")
    assert s.where("brass_key") == "hall" and s.where("box") == "player"
    s.do("open box")
    s.do("take all from box", "Gold coin: Taken.", "Glass marble: Taken.")
    s.do("take all from box", "There is nothing to take.")
    s.do("put all in box", "Gold coin: You put the gold coin in the wooden box.")
    assert s.where("iron_key") == "box" and s.where("pebble") == "box"


def test_plurals_and_exceptions() -> None:
    s = Session()
    s.do("take keys", "Brass key: Taken.", "Iron key: Taken.")
    s.do("drop keys except the brass one", "Dropped.")
    assert s.where("brass_key") == "player" and s.where("iron_key") == "hall"
    s.do("drop all keys", "Dropped.")
    assert s.where("brass_key") == "hall"


def test_all_is_refused_for_single_object_verbs() -> None:
    s = Session()
    s.do("examine all", "You can't use multiple objects with that verb.")


def test_multiple_commands_per_line() -> None:
    s = Session()
    s.do("take brass key. unlock door then open door, n", "Taken.", "You unlock the oak door.",
         "You open the oak door.", "Study")
    assert s.room == "study"
    s.do("s; e", "Kitchen")
    s.do("take lamp, apple", "Brass lamp: Taken.", "Apple: Taken.")


def test_game_ending_stops_the_rest_of_the_line() -> None:
    s = Session()
    s.do("d. d. look. w", "Something in the dark eats you.", "*** You have lost ***")
    assert s.room == "crypt"
    assert s.game.ended is not None and s.game.ended.id == "eaten"
    s.do("look", "The game is over")


def test_split_commands_keeps_and_inside_object_lists() -> None:
    index = WorldIndex.build(engine_world())
    assert split_commands(tokenise("take key and lamp"), index) == [["take", "key", "and", "lamp"]]
    assert split_commands(tokenise("take key and go north"), index) == [
        ["take", "key"], ["go", "north"]]
    assert split_commands(tokenise("n then s. e;w"), index) == [["n"], ["s"], ["e"], ["w"]]


@pytest.mark.parametrize("line", [
    "", " ", "\x00\x01\x02", "🐉🐉 take 🔑", "x" * 10_000, "take " + "key " * 3000,
    "\n\t\r", "...,,,;;;", "then then then", "and", "it", "all", "take all except",
    "put in", "unlock with", "'; DROP TABLE worlds; --", "ünïcödé wörds", "ＮＯＲＴＨ",
    "n." * 2000, "and, " * 3000,
], ids=lambda line: repr(line[:20]))
def test_strange_input_always_gets_a_reply(line: str) -> None:
    s = Session()
    result = s.do(line)
    assert result.text.strip()


def test_possessive_names_answer_without_the_apostrophe() -> None:
    from game.engine.index import item_words
    from game.engine.world import Item
    words = item_words(Item("biscuit", "ship's biscuit"))
    assert {"ship's", "ships", "ship", "biscuit"} <= words


def test_oops_corrects_the_unknown_word() -> None:
    s = Session()
    s.do("take the brss key", "I don't know the word 'brss'.")
    s.do("oops brass", "Taken.")
    assert s.where("brass_key") == "player"
    s.do("oops iron", "Sorry, that can't be corrected.")
    s.do("frob the box", "I don't know the word 'frob'.")
    s.do("oops open", "You open the wooden box")


def test_a_typing_slip_gets_a_did_you_mean_and_oops_takes_it() -> None:
    s = Session()
    s.do("tkae the brass key", "I don't know the word 'tkae'. Did you mean 'take'?", "OOPS TAKE")
    assert s.events("unknown-word")[0].data == {"word": "tkae", "suggestion": "take"}
    s.do("oops take", "Taken.")
    s.do("drop the bras key", "Did you mean 'brass'?")
    s.do("exmaine box", "Did you mean 'examine'?")
    s.lacks("frob the box", "Did you mean")       # nothing one slip away
    s.lacks("tkae", "Did you mean 'the'")         # small words are never guessed
    s.lacks("xyz", "Did you mean")                # nor words of three letters or fewer


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9))
def test_a_suggestion_is_always_a_known_word_one_slip_away(word: str) -> None:
    known = WorldIndex.build(engine_world()).vocabulary
    guess = suggestion(word, known)
    if guess is not None:
        assert guess in known and guess != word and guess not in SMALL_WORDS
        assert any(guess in kind for kind in slips(word))


def test_examine_yourself() -> None:
    s = Session()
    s.do("x me", "As good-looking as ever.")
    s.do("examine myself", "As good-looking as ever.")


def _nest_world() -> World:
    return World(
        id="nest", title="Nest", author="Tests", version="1", start="tree", intro="A tree.",
        rooms={"tree": Room("tree", "Tree", "A tall tree.")},
        items={
            "bird": Item("bird", "bird", location="tree"),
            "nest": Item("nest", "bird’s nest", location="tree"),          # typographic apostrophe
            "portrait": Item("portrait", "portrait of old Captain Pike", location="tree",
                             words=("portrait", "pike", "captain's")),
        },
        endings={"won": Ending("won", "win", "Well done.")},
    )


def test_a_possessive_does_not_make_its_owner_ambiguous() -> None:
    s = Session(_nest_world())
    s.do("take bird", "Taken.")
    assert s.where("bird") == "player"
    s.do("take nest", "Taken.")
    s.do("drop all")
    s.do("take bird's nest", "Taken.")
    assert s.where("nest") == "player" and s.where("bird") == "tree"
    s.do("drop nest. take bird. drop bird")
    s.do("x birds nest", "You see nothing special")


def test_the_owner_alone_finds_the_possession_when_nothing_else_is_called_so() -> None:
    world = _nest_world()
    world = dataclasses.replace(world, items={k: v for k, v in world.items.items() if k != "bird"})
    s = Session(world)
    s.do("take bird", "Taken.")
    assert s.where("nest") == "player"


def test_typographic_quotes_and_apostrophes_read_as_plain_ones() -> None:
    s = Session(_nest_world())
    s.do("take bird’s nest", "Taken.")
    assert s.where("nest") == "player"
    s.do("x “nest”", "You see nothing special")


def test_an_items_own_words_replace_its_printed_names() -> None:
    s = Session(_nest_world())
    s.do("x portrait", "You see nothing special")
    s.do("x old pike", "I don't know the word 'old'.")      # not among its words
    s.do("x captain's portrait", "You see nothing special")
    s.do("x captain pike", "You see nothing special")       # the possessive's owner still counts
