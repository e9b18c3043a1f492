"""`descriptions:` on rooms and items: the text follows the game state (engine-gaps entry 7).

Played through `Game` like a player (look, examine, undo, and the narrator's `scene()`), and
validated like any other condition: references inside are checked with did-you-mean and lines.
"""

from __future__ import annotations

from pathlib import Path

from engine_session import Session
from game.engine.loader import world_from_bytes
from game.engine.world import World
from loader_support import line_of, only_problem, problems_for, variant

SHRINE = """\
world:
  id: shrine
  title: The Shrine
  start: hall
  intro: A test of descriptions that follow the state.
flags:
  guardian_knelt: false
rooms:
  - id: hall
    name: Hall
    description: A giant stands before the arch, holding a great spear.
    descriptions:
      - when: {all: [{flag: guardian_knelt}, {visited: gallery}]}
        text: The giant kneels by the arch you have already passed through.
      - when: {flag: guardian_knelt}
        text: A giant kneels beside the arch, its spear raised.
    exits:
      north: {to: gallery, when: {flag: guardian_knelt}}
  - id: gallery
    name: Gallery
    description: A gallery of crystal.
    exits:
      south: hall
items:
  - id: guardian
    name: guardian
    aliases: [giant]
    description: The guardian grips its spear and watches you.
    descriptions:
      - when: {flag: guardian_knelt}
        text: The guardian kneels, head bowed.
    location: hall
    portable: false
    scenery: true
rules:
  - verb: sing
    room: hall
    effects: [{set_flag: guardian_knelt}]
    message: The guardian bows its head and kneels.
endings:
  - id: won
    kind: win
    message: You won.
"""


def shrine() -> World:
    world, problems = world_from_bytes(SHRINE.encode(), "shrine.yaml")
    assert world is not None, "\n".join(map(str, problems))
    return world


def test_room_and_item_descriptions_follow_a_flag() -> None:
    s = Session(shrine())
    assert "holding a great spear" in s.opening.text
    s.do("x giant", "The guardian grips its spear and watches you.")
    assert "holding a great spear" in s.game.scene().room_description

    s.do("sing", "kneels")
    look = s.do("look", "A giant kneels beside the arch, its spear raised.")
    assert "holding" not in look.text
    examine = s.do("examine guardian", "The guardian kneels, head bowed.")
    assert "grips" not in examine.text
    assert s.game.scene().room_description == "A giant kneels beside the arch, its spear raised."


def test_the_first_entry_that_holds_wins_and_undo_restores_the_old_text() -> None:
    s = Session(shrine())
    s.do("sing")
    s.do("north", "Gallery")
    # Both entries hold now (knelt, and the gallery is visited): the first one is used.
    s.do("south", "The giant kneels by the arch you have already passed through.")
    s.do("undo")
    s.do("undo")
    s.do("undo")
    assert "kneels" not in s.do("look", "holding a great spear").text


# ---------------------------------------------------------------- validation
ROOM_DESCRIPTIONS = ("    description: A plain hall.\n",
                     "    description: A plain hall.\n    descriptions:\n"
                     "      - text: A hall in daylight.\n        when: {flag: litt}\n")


def test_unknown_flag_in_a_room_description_is_reported_with_its_line(tmp_path: Path) -> None:
    text = variant(ROOM_DESCRIPTIONS)
    problem = only_problem(tmp_path, text)
    assert problem.message == (
        "`flag` in 'when' of description #1 in 'descriptions' of room 'hall' uses 'litt', but "
        "flag 'litt' is never declared; did you mean 'lit'? If not, declare it under flags: "
        "(e.g. `litt: false`)")
    assert problem.line == line_of(text, "when: {flag: litt}")


def test_unknown_item_in_an_item_description_is_reported_with_its_line(tmp_path: Path) -> None:
    text = variant(("    container: true\n",
                    "    container: true\n    descriptions:\n"
                    "      - when: {flag: lit}\n        text: A box in the light.\n"
                    "      - when: {has: coinn}\n        text: An empty box.\n"))
    problem = only_problem(tmp_path, text)
    assert problem.message == (
        "`has` in 'when' of description #2 in 'descriptions' of item 'box' refers to 'coinn': "
        "no such item; did you mean 'coin'?")
    assert problem.line == line_of(text, "{has: coinn}")


def test_a_misspelt_key_in_a_description_names_its_owner(tmp_path: Path) -> None:
    text = variant(("    description: A plain hall.\n",
                    "    description: A plain hall.\n    descriptions:\n"
                    "      - when: {flag: lit}\n        txt: A lit hall.\n"))
    messages = {(p.line, p.message) for p in problems_for(tmp_path, text)}
    assert messages == {
        (line_of(text, "txt:"), "unknown key 'txt' in description #1 in 'descriptions' of "
                                "room 'hall'; did you mean 'text'?"),
        (line_of(text, "- when: {flag: lit}"),
         "description #1 in 'descriptions' of room 'hall' is missing the required key 'text' "
         "(the description to use instead of the plain one); add `text:`"),
    }
