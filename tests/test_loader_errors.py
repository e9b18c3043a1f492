"""One broken world per error class: each asserts the message (with its fix) and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.engine import yaml_source
from game.engine.loader import load_world, validate_world_file
from loader_support import BASE, line_of, only_problem, problems_for, variant


# ---------------------------------------------------------------- reading and YAML
def test_malformed_yaml_reports_the_parser_line(tmp_path: Path) -> None:
    text = variant(("  intro: You are at home.", "  intro: Note: you are at home."))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "Note: you")
    assert problem.message.startswith("invalid YAML: mapping values are not allowed")
    assert "put quotes around text that contains ': '" in problem.message


def test_tab_indentation_is_explained(tmp_path: Path) -> None:
    text = variant(("    name: Hall\n", "\tname: Hall\n"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "\tname")
    assert "indent with spaces, never tabs" in problem.message


def test_unclosed_flow_list(tmp_path: Path) -> None:
    text = variant(("  lit: false", "  lit: [false"))
    problem = only_problem(tmp_path, text)
    assert problem.message.startswith("invalid YAML:")
    assert problem.line == line_of(text, "lit: [false")


@pytest.mark.parametrize("mark,said,fix", [
    ("[", "the '[' opened here", "close it with ']'"),
    ("{", "the '{' opened here", "close it with '}'"),
    ('"', "the quote opened here", "end the text with the same quote"),
])
def test_an_unclosed_bracket_or_quote_is_reported_where_it_opened(
        tmp_path: Path, mark: str, said: str, fix: str) -> None:
    """The parser gives up lines later (at the end of the file for a quote); the author needs the opening."""
    broken = f"    description: {mark}A plain hall."
    text = variant(("    description: A plain hall.", broken))
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (line_of(text, broken.strip()), broken.index(mark) + 1)
    assert f"{said} is never closed" in problem.message
    assert "the parser gave up at line" in problem.message and fix in problem.message


def test_empty_file(tmp_path: Path) -> None:
    for text in ("", "# only a comment\n", "\n\n"):
        problem = only_problem(tmp_path, text)
        assert (problem.line, problem.column) == (1, 1)
        assert problem.message.startswith("the file is empty")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    for text in ("- a\n- b\n", "just words\n", "42\n"):
        problem = only_problem(tmp_path, text)
        assert problem.message.startswith("the top level of a world file must be a mapping")


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    data = BASE.replace("A small kitchen.", "A small kitchen\xe9.").encode("latin-1")
    problem = only_problem(tmp_path, data)
    assert problem.line == line_of(BASE, "A small kitchen.")
    assert "0xe9 is not valid UTF-8" in problem.message
    assert "save the file with UTF-8 encoding" in problem.message


def test_control_characters_are_rejected(tmp_path: Path) -> None:
    text = variant(("A plain hall.", "A plain\x07 hall."))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "A plain\x07")
    assert "U+0007 is not allowed" in problem.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    assert problems_for(tmp_path, b"\xef\xbb\xbf" + BASE.encode()) == []


def test_second_document_is_rejected(tmp_path: Path) -> None:
    text = BASE + "---\nworld: {}\n"
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "---")
    assert "second YAML document" in problem.message


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system",
    "!!python/object/new:os.system",
    "!!python/name:os.system",
    "!!python/object:builtins.dict",
])
def test_python_tags_are_rejected_and_never_run(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    text = variant(("  intro: You are at home.", f"  intro: {tag} ['touch {marker}']"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, tag)
    assert f"YAML tag '{tag.split(' ')[0]}' is not allowed" in problem.message
    assert "remove the tag" in problem.message
    assert not marker.exists()


def test_other_tags_are_rejected_too(tmp_path: Path) -> None:
    text = variant(("  lit: false", "  lit: !!set {a, b}"))
    assert "YAML tag '!!set' is not allowed" in only_problem(tmp_path, text).message
    text = variant(("  lit: false", "  lit: !custom false"))
    assert "YAML tag '!custom' is not allowed" in only_problem(tmp_path, text).message


def test_plain_data_tags_are_allowed(tmp_path: Path) -> None:
    text = variant(("  title: The House", "  title: !!str 1984"))
    path = tmp_path / "w.yaml"
    path.write_text(text)
    assert load_world(path).title == "1984"


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    data = BASE.encode() + b"#" * yaml_source.MAX_BYTES
    problem = only_problem(tmp_path, data)
    assert (problem.line, problem.column) == (1, 1)
    assert "world files are limited to 5,242,880 bytes" in problem.message


def test_billion_laughs_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    text = "\n".join(lines) + "\n"
    problem = only_problem(tmp_path, text)
    assert "more than 1,000,000 nodes (counting alias expansions)" in problem.message
    assert problem.line <= 7  # stopped early, long before expanding the last lines


def test_too_many_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_NODES", 50)
    problem = only_problem(tmp_path, BASE)
    assert "more than 50 nodes" in problem.message


def test_too_many_aliases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_ALIASES", 2)
    text = variant(("  lit: false", "  lit: &f false\n  a: *f\n  b: *f\n  c: *f"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "c: *f")
    assert "more than 2 aliases" in problem.message


def test_recursive_alias_is_rejected(tmp_path: Path) -> None:
    text = variant(("  lit: false", "  lit: &loop [*loop]"))
    problem = only_problem(tmp_path, text)
    assert "recursive structures are not allowed" in problem.message


def test_undefined_alias(tmp_path: Path) -> None:
    text = variant(("  lit: false", "  lit: *nothing"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "*nothing")
    assert "alias '*nothing' has no matching anchor" in problem.message


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_refused(tmp_path: Path, style: str) -> None:
    depth = 200
    if style == "flow":
        text = "world: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join(" " * i + f"k{i}:\n" for i in range(depth))
    problem = only_problem(tmp_path, text)
    assert "nests more than 64 levels deep; flatten this part of the file" in problem.message
    assert problem.line == (1 if style == "flow" else 64)


def test_extreme_nesting_never_crashes(tmp_path: Path) -> None:
    # Far past libyaml's own limit; PyYAML's recursive composer would overflow the stack.
    text = "[" * 100_000 + "]" * 100_000 + "\n"
    problem = only_problem(tmp_path, text)
    assert "flatten this part of the file" in problem.message


def test_aliases_count_towards_depth(tmp_path: Path) -> None:
    text = "a: &a " + "[" * 40 + "1" + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    assert "nests more than 64 levels" in only_problem(tmp_path, text).message


def test_folder_and_missing_file_give_problems_not_tracebacks(tmp_path: Path) -> None:
    (problem,) = validate_world_file(tmp_path)
    assert "cannot read the world file" in problem.message
    (problem,) = validate_world_file(tmp_path / "missing.yaml")
    assert "No such file" in problem.message
    (problem,) = validate_world_file("bad\x00name.yaml")
    assert problem.message.startswith("cannot read the world file")


# ---------------------------------------------------------------- shape
def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    text = variant(("    description: A plain hall.", "    descripton: A plain hall."))
    problems = problems_for(tmp_path, text)
    messages = [p.message for p in problems]
    (unknown,) = [p for p in problems if p.message.startswith("unknown key")]
    assert unknown.message == "unknown key 'descripton' in room 'hall'; did you mean 'description'?"
    assert (unknown.line, unknown.column) == (line_of(text, "descripton"), 5)
    # the misspelt key also leaves the required one missing
    assert any("room 'hall' is missing the required key 'description'" in m for m in messages)


def test_unknown_key_without_close_match_lists_allowed_keys(tmp_path: Path) -> None:
    text = variant(("  intro: You are at home.", "  intro: You are at home.\n  zzz: 1"))
    problem = only_problem(tmp_path, text)
    assert problem.message.startswith("unknown key 'zzz' in world 'house'; allowed keys: id, ")


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = BASE + "room:\n  - id: x\n"
    problem = only_problem(tmp_path, text)
    assert problem.message == "unknown key 'room' in the world file; did you mean 'rooms'?"
    assert problem.line == line_of(text, "room:\n")


@pytest.mark.parametrize("old,new,expected", [
    ("    container: true", "    container: true\n    portable: maybe",
     "'portable' of item 'box' must be true or false, not the text 'maybe'"),
    ("    name: Hall", "    name: 42",
     "'name' of room 'hall' must be text, not the number 42; put it in quotes"),
    ("  steps: 0", "  steps: lots",
     "counter 'steps' of 'counters' of the world file must be a whole number, not the text 'lots'"),
    ("    location: box", "    location: [box]",
     "'location' of item 'coin' must be a place id, not a list"),
    ("    verb: shake", "    verb: {shake: 1}",
     "'verb' of rule 'shake_box' must be a verb word or a list (of a verb word), not a mapping"),
])
def test_wrong_types(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = variant((old, new))
    problem = only_problem(tmp_path, text)
    assert problem.message == expected
    assert problem.line == line_of(text, new.strip().splitlines()[-1])


def test_rooms_must_be_a_list(tmp_path: Path) -> None:
    text = "world: {id: w, title: W, start: a, intro: x}\nrooms: {a: 1}\nendings: []\n"
    messages = [p.message for p in problems_for(tmp_path, text)]
    assert "'rooms' of the world file must be a list (of rooms), not a mapping" in messages


def test_bad_id_suggests_a_good_one(tmp_path: Path) -> None:
    text = variant(("  - id: kitchen", "  - id: Big Kitchen"))
    problem = problems_for(tmp_path, text)[1]  # [0]: the exit to 'kitchen' now dangles
    assert problem.message == ("'id' of room 'Big Kitchen' must be an id of lowercase "
                               "letters, digits and _, not 'Big Kitchen'; try 'big_kitchen'")
    assert problem.line == line_of(text, "Big Kitchen")


def test_missing_required_keys(tmp_path: Path) -> None:
    text = variant(("  start: hall\n", ""), ("    name: gold coin\n", ""))
    messages = {p.line: p.message for p in problems_for(tmp_path, text)}
    assert messages[2] == ("world 'house' is missing the required key 'start' (the room where "
                           "play begins); add `start:`")
    assert messages[line_of(text, "- id: coin")].startswith(
        "item 'coin' is missing the required key 'name'")


def test_duplicate_keys_in_one_mapping(tmp_path: Path) -> None:
    text = variant(("    name: Hall\n", "    name: Hall\n    name: Hallway\n"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "name: Hallway")
    assert problem.message == ("key 'name' appears twice in room 'hall' (first on line "
                               f"{line_of(text, 'name: Hall')}); remove one of them")


def test_bad_enum_values(tmp_path: Path) -> None:
    text = variant(("    kind: win", "    kind: victory"))
    problems = problems_for(tmp_path, text)
    assert problems[0].message == "'kind' of ending 'won' must be one of win, lose, not 'victory'"
    assert problems[0].line == line_of(text, "victory")


def test_unknown_direction(tmp_path: Path) -> None:
    text = variant(("      north: kitchen", "      nrth: kitchen"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "nrth")
    assert problem.message.startswith("exit name 'nrth' in 'exits' of room 'hall' must be one of")
    assert problem.message.endswith("did you mean 'north'?")


def test_same_direction_twice(tmp_path: Path) -> None:
    text = variant(("      north: kitchen", "      north: kitchen\n      n: hall"))
    problem = only_problem(tmp_path, text)
    assert problem.line == line_of(text, "n: hall")
    assert problem.message == ("room 'hall' has two exits north ('north' and 'n'); "
                               "remove one of them")


def test_conditions_and_effects_need_exactly_one_key(tmp_path: Path) -> None:
    text = variant(("    message: Something rattles.",
                    "    message: Something rattles.\n"
                    "    when: {flag: lit, has: coin}\n"
                    "    effects:\n      - {set_flag: lit, add_score: 1}\n      - {hass: coin}"))
    problems = problems_for(tmp_path, text)
    assert [p.line for p in problems] == [line_of(text, "when:") , line_of(text, "- {set_flag"),
                                          line_of(text, "hass")]
    assert "must have exactly one key, found 2 (flag, has); combine conditions with `all: [...]`" \
        in problems[0].message
    assert "write each effect as its own list entry" in problems[1].message
    assert problems[2].message.startswith("unknown effect 'hass' in entry 2 of 'effects' of rule")


def test_counter_condition_needs_one_comparison(tmp_path: Path) -> None:
    text = variant(("    message: Something rattles.",
                    "    message: Something rattles.\n    when: {counter: {name: steps}}"))
    problem = only_problem(tmp_path, text)
    assert problem.message.startswith("condition 'counter' in 'when' of rule 'shake_box' needs "
                                      "exactly one of eq, ne, lt, le, gt, ge (found none)")


# ---------------------------------------------------------------- references
def test_dangling_exit_suggests_the_room(tmp_path: Path) -> None:
    text = variant(("      north: kitchen", "      north: kitchn"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("exit 'north' of room 'hall' leads to 'kitchn': no such room; "
                               "did you mean 'kitchen'?")
    assert (problem.line, problem.column) == (line_of(text, "kitchn"), 14)


def test_exit_to_an_item(tmp_path: Path) -> None:
    text = variant(("      north: kitchen", "      north: box"))
    assert only_problem(tmp_path, text).message == (
        "exit 'north' of room 'hall' leads to 'box', which is an item, not a room; use a room id")


@pytest.mark.parametrize("old,new,expected", [
    ("      north: kitchen", "      north: {to: kitchen, door: gate}",
     "exit 'north' of room 'hall' has the door 'gate': no such item"),
    ("    container: true", "    container: true\n    lockable: true\n    key: kee",
     "'key' of item 'box' is 'kee': no such item"),
    ("    location: box", "    location: bx",
     "'location' of item 'coin' is 'bx': no such room or item; did you mean 'box'?"),
    ("    object: box", "    object: bxo",
     "'object' of rule 'shake_box' is 'bxo': no such item; did you mean 'box'?"),
    ("    object: box", "    object: box\n    room: kitchem",
     "'room' of rule 'shake_box' is 'kitchem': no such room; did you mean 'kitchen'?"),
    ("    message: Something rattles.", "    message: x\n    when: {has: con}",
     "`has` in 'when' of rule 'shake_box' refers to 'con': no such item; did you mean 'coin'?"),
    ("    message: Something rattles.", "    message: x\n    effects: [{move_player: cellar}]",
     "`move_player` in 'effects' of rule 'shake_box' refers to 'cellar': no such room"),
    ("    message: Something rattles.", "    message: x\n    effects: [{end: wonn}]",
     "`end` in 'effects' of rule 'shake_box' refers to 'wonn': no such ending; "
     "did you mean 'won'?"),
    ("    message: Something rattles.", "    message: x\n    when: {visited: attic}",
     "`visited` in 'when' of rule 'shake_box' refers to 'attic': no such room"),
])
def test_dangling_references(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = variant((old, new))
    problem = only_problem(tmp_path, text)
    assert problem.message == expected
    assert problem.line == line_of(text, new.strip().splitlines()[-1])


def test_player_inventory_reference(tmp_path: Path) -> None:
    text = variant(("flags:", "player:\n  inventory: [coin, lamp]\nflags:"))
    problems = problems_for(tmp_path, text)
    messages = [p.message for p in problems]
    assert "the player's inventory lists 'lamp': no such item" in messages
    assert ("item 'coin' starts in the player's inventory but also has location 'box'; "
            "remove one of the two") in messages


def test_undeclared_flag_says_declare_it(tmp_path: Path) -> None:
    text = variant(("    message: Something rattles.",
                    "    message: x\n    effects: [{set_flag: rattled}]"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("`set_flag` in 'effects' of rule 'shake_box' uses 'rattled', but "
                               "flag 'rattled' is never declared; declare it under flags: "
                               "(e.g. `rattled: false`)")
    assert problem.line == line_of(text, "rattled")


def test_misspelt_flag_gets_both_hints(tmp_path: Path) -> None:
    text = variant(("    message: Something rattles.", "    message: x\n    when: {flag: litt}"))
    assert only_problem(tmp_path, text).message.endswith(
        "flag 'litt' is never declared; did you mean 'lit'? If not, declare it under flags: "
        "(e.g. `litt: false`)")


def test_undeclared_counter(tmp_path: Path) -> None:
    text = variant(("    message: Something rattles.",
                    "    message: x\n    effects: [{add_counter: {name: shakes, amount: 1}}]"))
    problem = only_problem(tmp_path, text)
    assert "counter 'shakes' is never declared; declare it under counters: (e.g. `shakes: 0`)" \
        in problem.message


def test_start_room_must_exist(tmp_path: Path) -> None:
    text = variant(("  start: hall", "  start: hal"))
    problem = only_problem(tmp_path, text)
    assert problem.message == "the start room is 'hal': no such room; did you mean 'hall'?"
    assert problem.line == line_of(text, "start: hal")


# ---------------------------------------------------------------- whole-world rules
def test_rooms_and_items_share_one_namespace(tmp_path: Path) -> None:
    text = variant(("  - id: coin", "  - id: kitchen"), ("    location: box\n", "    location: box\n"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("item id 'kitchen' is already used by the room on line "
                               f"{line_of(text, '- id: kitchen')}; ids must be unique, rename "
                               "one of them")
    assert problem.line == text.count("\n", 0, text.rindex("- id: kitchen")) + 1


def test_duplicate_rule_and_ending_ids(tmp_path: Path) -> None:
    text = variant(("    message: Something rattles.\n",
                    "    message: Something rattles.\n  - id: shake_box\n    verb: shake\n"),
                   ("    message: You won.\n",
                    "    message: You won.\n  - id: won\n    kind: lose\n    message: No.\n"))
    messages = [p.message for p in problems_for(tmp_path, text)]
    assert any(m.startswith("rule id 'shake_box' is already used by the rule") for m in messages)
    assert any(m.startswith("ending id 'won' is already used by the ending") for m in messages)


def test_reserved_item_ids(tmp_path: Path) -> None:
    text = variant(("  - id: coin\n    name: gold coin\n    location: box",
                    "  - id: player\n    name: you"))
    assert only_problem(tmp_path, text).message.startswith("item id 'player' is reserved")


def test_item_inside_a_non_container(tmp_path: Path) -> None:
    text = variant(("    container: true\n", ""))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("'location' of item 'coin' is 'box', which is not a container or "
                               "a surface; add `container: true` or `surface: true` to item 'box'")
    assert problem.line == line_of(text, "location: box")


def test_containment_cycle(tmp_path: Path) -> None:
    text = variant(("    location: hall\n    container: true",
                    "    location: coin\n    container: true"),
                   ("    location: box", "    location: box\n    container: true"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("item 'box' ends up inside itself (box -> coin -> box); "
                               "put one of them in a room")
    assert problem.line == line_of(text, "- id: box")


def test_door_must_be_openable(tmp_path: Path) -> None:
    text = variant(("      north: kitchen", "      north: {to: kitchen, door: coin}"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("exit 'north' of room 'hall' has the door 'coin', which is not "
                               "openable; add `openable: true` to item 'coin'")
    assert problem.line == line_of(text, "door: coin")


def test_key_on_non_lockable_item(tmp_path: Path) -> None:
    text = variant(("    container: true", "    container: true\n    key: coin"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("item 'box' has a `key` but is not lockable; add "
                               "`lockable: true` or remove `key`")
    assert problem.line == line_of(text, "key: coin")


def test_states_need_their_property(tmp_path: Path) -> None:
    text = variant(("    container: true", "    container: true\n    locked: true\n    lit: true"),
                   ("    message: Something rattles.",
                    "    message: x\n    effects: [{set_state: {item: coin, state: worn, value: true}}]"))
    messages = [p.message for p in problems_for(tmp_path, text)]
    assert "item 'box' has `locked: true` but is not lockable; add `lockable: true` or remove " \
           "`locked`" in messages
    assert ("item 'box' has `lit: true` but is not a light source; add `light: true` or "
            "remove `lit`") in messages
    assert ("`set_state` in 'effects' of rule 'shake_box' refers to 'coin', which is not "
            "wearable; add `wearable: true` to item 'coin'") in messages


def test_no_endings(tmp_path: Path) -> None:
    text = variant(("endings:\n  - id: won\n    kind: win\n    message: You won.\n",
                    "endings: []\n"))
    problem = only_problem(tmp_path, text)
    assert problem.message == "'endings' of the world file is empty; it needs at least 1 entry"
    text = variant(("endings:\n  - id: won\n    kind: win\n    message: You won.\n", ""))
    problem = only_problem(tmp_path, text)
    assert problem.message.startswith("the world file is missing the required key 'endings'")


def test_a_world_needs_a_win_ending(tmp_path: Path) -> None:
    text = variant(("    kind: win", "    kind: lose"))
    problem = only_problem(tmp_path, text)
    assert problem.message.startswith("the world has no ending of kind win")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = variant(("  start: hall", "  start: attic"),
                   ("    container: true", "    container: true\n    portable: yes please"),
                   ("      north: kitchen", "      north: kitchn"),
                   ("    object: box", "    objet: box"),
                   ("    kind: win", "    kind: draw"))
    problems = problems_for(tmp_path, text)
    assert len(problems) == 5
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert all(str(p).startswith(f"{tmp_path / 'world.yaml'}:{p.line}:{p.column}: ")
               for p in problems)


def test_verbs_are_lowercase_words_or_star(tmp_path: Path) -> None:
    for good in ("pick up", "turn_on", "\"*\"", "[push, press]"):
        assert problems_for(tmp_path, variant(("verb: shake", f"verb: {good}"))) == []
    text = variant(("verb: shake", "verb: Shake!"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("'verb' of rule 'shake_box' must be a verb in lowercase words "
                               "like 'push' or 'pick up' (or \"*\" for any verb), not 'Shake!'")
    assert problem.line == line_of(text, "Shake!")


def test_merge_keys_get_a_clear_message(tmp_path: Path) -> None:
    text = variant(("  - id: coin\n    name: gold coin\n",
                    "  - id: coin\n    name: gold coin\n    <<: {portable: true}\n"))
    problem = only_problem(tmp_path, text)
    assert problem.message == ("unknown key '<<' in item 'coin'; YAML merge keys are not "
                               "supported, write the keys out instead")


def test_empty_values_still_count_where_a_value_is_needed(tmp_path: Path) -> None:
    text = variant(("    name: Hall", "    name:"),
                   ("    message: Something rattles.",
                    "    message: x\n    when: {counter: {name: steps, lt: null}}"))
    messages = [p.message for p in problems_for(tmp_path, text)]
    assert "'name' of room 'hall' must be text, not empty" in messages
    assert any("needs exactly one of eq, ne, lt, le, gt, ge (found none)" in m for m in messages)
