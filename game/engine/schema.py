"""The one declarative description of the world file's shape, and the JSON Schema made from it.

Every mapping in a world file is described here once, as a table of keys with their types.
`decode.py` walks a YAML tree with these tables to report unknown keys, wrong types and missing
keys; `world_json_schema()` turns the same tables into the JSON Schema published as
`docs/world.schema.json` for editors. Keeping one source is what keeps the two from drifting.
What a table cannot say (references between ids, doors that must be openable, ...) is checked
in `checks.py`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union

from game.engine.grammar import ACTIONS
from game.engine.world import DIRECTION_ABBREVIATIONS, DIRECTIONS, RULE_PHASES, Item, Rule, Trigger

ID_PATTERN = r"^[a-z0-9_]+$"
COMMAND_OBJECTS = ("$object", "$indirect")   # the command's direct and indirect object, in effects
ID_OR_COMMAND_PATTERN = r"^(\$object|\$indirect|[a-z0-9_]+)$"
# A verb is one or more lowercase words ("push", "pick up", "turn_on"), or "*" for any verb.
VERB_PATTERN = r"^(\*|[a-z][a-z_'-]*( [a-z][a-z_'-]*)*)$"
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
ITEM_TEST_STATES = ("open", "closed", "locked", "unlocked", "worn", "lit", "unlit", "hidden",
                    "revealed")
SETTABLE_STATES = ("open", "locked", "lit", "worn", "hidden")
TRIGGER_EVENTS = ("enter", "turn")
ENDING_KINDS = ("win", "lose")
EXIT_KEYS = DIRECTIONS + tuple(DIRECTION_ABBREVIATIONS)


# ---------------------------------------------------------------- value types
@dataclass(frozen=True)
class Text:
    """Free text. `numbers_ok` lets `version: 1.0` through as the text '1.0'."""

    numbers_ok: bool = False


@dataclass(frozen=True)
class Name:
    """An id or a reference to one. `kind` says what it names: room, item, place, flag, ...

    `command_ok`: a rule's effect may name the command's own objects instead (`$object`,
    `$indirect`), so "anything dropped here falls" is one rule, not one per item.
    """

    kind: str
    command_ok: bool = False


@dataclass(frozen=True)
class Bool:
    pass


@dataclass(frozen=True)
class Int:
    minimum: int | None = None


@dataclass(frozen=True)
class Enum:
    values: tuple[str, ...]


@dataclass(frozen=True)
class ListOf:
    item: "Spec"
    min_items: int = 0


@dataclass(frozen=True)
class MapOf:
    """A mapping whose keys are chosen by the author (flag names, exit directions)."""

    key: Union[Name, Enum]
    value: "Spec"
    entry: str  # what one entry is called in messages: "flag", "exit"


@dataclass(frozen=True)
class Struct:
    """A mapping with fixed keys, described by STRUCTS[name]."""

    name: str


@dataclass(frozen=True)
class Choice:
    """A mapping with exactly one key out of CHOICES[name] (conditions, effects)."""

    name: str


@dataclass(frozen=True)
class OneOf:
    """Alternatives told apart by YAML node kind (at most one scalar, one list, one mapping)."""

    options: tuple["Spec", ...]


Spec = Union[Text, Name, Bool, Int, Enum, ListOf, MapOf, Struct, Choice, OneOf]


@dataclass(frozen=True)
class Field:
    key: str
    spec: Spec
    doc: str
    required: bool = False


@dataclass(frozen=True)
class StructDef:
    """A mapping with fixed keys. `label` names it in messages ("room 'hall'")."""

    label: str
    doc: str
    fields: tuple[Field, ...]
    exactly_one_of: tuple[str, ...] = ()
    # List entries without an id are called "<label> #N". Set for entries nested inside a room
    # or item, whose number alone would not say whose they are: "<label> #N in <where>".
    label_with_owner: bool = False

    @cached_property
    def by_key(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}

    @cached_property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    def field(self, key: str) -> Field | None:
        return self.by_key.get(key)


@dataclass(frozen=True)
class ChoiceDef:
    label: str
    doc: str
    options: tuple[Field, ...]

    @cached_property
    def by_key(self) -> dict[str, Field]:
        return {f.key: f for f in self.options}

    def field(self, key: str) -> Field | None:
        return self.by_key.get(key)


# ---------------------------------------------------------------- the table
EFFECT_ITEM, EFFECT_PLACE = Name("item", command_ok=True), Name("place", command_ok=True)
ROOM, ITEM, PLACE, FLAG, COUNTER, ENDING = (Name("room"), Name("item"), Name("place"),
                                            Name("flag"), Name("counter"), Name("ending"))
CONDITION = Choice("condition")
EFFECTS = ListOf(Choice("effect"))
DESCRIPTIONS = ListOf(Struct("state_description"))
_CMP_FIELDS = tuple(Field(op, Int(), f"compare with `{op}`") for op in COMPARISONS)

STRUCTS: dict[str, StructDef] = {
    "world_file": StructDef("the world file", "A complete world.", (
        Field("world", Struct("world"), "Title, start room, intro and narrator notes.", True),
        Field("player", Struct("player"), "The player's starting inventory."),
        Field("flags", MapOf(FLAG, Bool(), "flag"), "Every flag, with its initial value."),
        Field("counters", MapOf(COUNTER, Int(), "counter"),
              "Every counter, with its initial value."),
        Field("score", Struct("score"), "The maximum score."),
        Field("rooms", ListOf(Struct("room"), 1), "The places the player can be.", True),
        Field("items", ListOf(Struct("item")), "Things, fixtures, doors and containers."),
        Field("verbs", ListOf(Struct("verb")), "The world's own wordings of built-in actions "
              "(`hang OBJ on IND` means put_on)."),
        Field("rules", ListOf(Struct("rule")), "What verbs do beyond the built-ins."),
        Field("triggers", ListOf(Struct("trigger")), "What happens on entering or every turn."),
        Field("hints", ListOf(Struct("hint")), "What `hint` says: the first whose `when` holds."),
        Field("endings", ListOf(Struct("ending"), 1), "How the game can end.", True),
    )),
    "world": StructDef("world", "The world's metadata.", (
        Field("id", Name("world"), "Short id, lowercase letters, digits and _.", True),
        Field("title", Text(), "Shown on the title screen.", True),
        Field("author", Text(), "Who wrote it."),
        Field("version", Text(numbers_ok=True), "Version of the world (quote it: \"1.0\")."),
        Field("blurb", Text(), "One line for the title screen."),
        Field("beginner", Bool(), "A good first world for someone new to text adventures: listed "
              "first on the title screen and chosen on a first visit."),
        Field("start", ROOM, "The room where play begins.", True),
        Field("intro", Text(), "Shown once before the first look.", True),
        Field("narrator", Struct("narrator"), "Notes for the LLM narrator only."),
    )),
    "narrator": StructDef("narrator notes", "Style notes for the narrator; never rules.", (
        Field("style", Text(), "e.g. second person, present tense, terse."),
        Field("tone", Text(), "e.g. wonder edged with dread."),
        Field("exemplars", ListOf(Struct("exemplar")), "Example narrations."),
    )),
    "exemplar": StructDef("exemplar", "One example of the narration wanted.", (
        Field("situation", Text(), "What happened (plain text).", True),
        Field("narration", Text(), "How the narrator should tell it.", True),
    )),
    "player": StructDef("player", "The player at the start.", (
        Field("inventory", ListOf(ITEM), "Item ids carried at the start."),
    )),
    "score": StructDef("score", "Scoring.", (
        Field("max", Int(minimum=0), "The highest score possible.", True),
    )),
    "room": StructDef("room", "A place.", (
        Field("id", Name("room"), "Unique id (rooms and items share one namespace).", True),
        Field("name", Text(), "Shown as the room's heading.", True),
        Field("description", Text(), "What `look` prints.", True),
        Field("dark", OneOf((Bool(), CONDITION)),
              "true, false, or a condition: dark while it holds."),
        Field("exits", MapOf(Enum(EXIT_KEYS), OneOf((ROOM, Struct("exit"))), "exit"),
              "Direction -> room id, or a mapping with `to`, `door`, `when`, `refuse` "
              "(`refuse` alone: that way leads nowhere, and this is what is said)."),
        Field("cant_go", Text(), "Said for every direction without an exit, instead of "
              "\"You can't go that way.\""),
        Field("descriptions", DESCRIPTIONS,
              "Descriptions that follow the game state: the first whose `when` holds "
              "replaces `description`."),
    )),
    "exit": StructDef("exit", "An exit with conditions, or (`refuse` alone) a way that only refuses.", (
        Field("to", ROOM, "The room it leads to (leave it out for a way that only refuses)."),
        Field("door", ITEM, "An openable item; passage only while it is open."),
        Field("when", CONDITION, "Passage only while this holds."),
        Field("refuse", Text(), "Said when the door is closed or `when` fails."),
    )),
    "item": StructDef("item", "A thing.", (
        Field("id", Name("item"), "Unique id (rooms and items share one namespace).", True),
        Field("name", Text(), "What the player sees and types, e.g. brass key.", True),
        Field("description", Text(), "What `examine` prints."),
        Field("aliases", ListOf(Text()), "Other nouns for it."),
        Field("adjectives", ListOf(Text()), "Words that tell it apart."),
        Field("list_contents", Bool(), "A container or surface: false leaves out the line that "
              "`look` and `examine` add about what is in or on it, for descriptions that say it."),
        Field("words", ListOf(Text()), "The words of its name the player may type, when they "
              "are not simply the printed name's (\"Mara's letter\": [letter]); aliases and "
              "adjectives still count."),
        Field("location", PLACE, "Room id, container/surface item id, player or nowhere."),
        Field("also_in", ListOf(ROOM), "Further rooms where it is present (doors)."),
        Field("portable", Bool(), "Can be taken (default true)."),
        Field("scenery", Bool(), "Not listed in room text, still examinable."),
        Field("container", Bool(), "Things can be put in it."),
        Field("surface", Bool(), "Things can be put on it."),
        Field("openable", Bool(), "Can be opened and closed."),
        Field("open", Bool(), "Starts open."),
        Field("lockable", Bool(), "Can be locked and unlocked."),
        Field("locked", Bool(), "Starts locked."),
        Field("key", ITEM, "The item that locks and unlocks it."),
        Field("light", Bool(), "Is a light source."),
        Field("lit", Bool(), "Starts lit."),
        Field("switchable", Bool(), "The player can turn it on and off."),
        Field("text", Text(), "What `read` prints."),
        Field("wearable", Bool(), "Can be worn."),
        Field("worn", Bool(), "Starts worn."),
        Field("edible", Bool(), "Can be eaten."),
        Field("drinkable", Bool(), "Can be drunk."),
        Field("hidden", Bool(), "Out of scope until revealed."),
        Field("descriptions", DESCRIPTIONS,
              "Examine texts that follow the game state: the first whose `when` holds "
              "replaces `description`."),
    )),
    "state_description": StructDef(
        "description", "A description used while a condition holds.", (
            Field("when", CONDITION, "This text is used while the condition holds.", True),
            Field("text", Text(), "The description to use instead of the plain one.", True),
        ), label_with_owner=True),
    "verb": StructDef("verb", "A wording of a built-in action, with its checks, replies and rules.", (
        Field("pattern", Text(), "Words and slots, as the built-in grammar writes them: OBJ (an "
              "object), OBJS (objects, all), IND (the indirect object), DIR (a direction).", True),
        Field("means", Enum(ACTIONS), "The built-in action it means (put_on, take, examine, ...).",
              True),
    )),
    "rule": StructDef("rule", "Gives a verb meaning beyond the built-ins.", (
        Field("id", Name("rule"), "Optional; generated from position when absent."),
        Field("verb", OneOf((Name("verb"), ListOf(Name("verb"), 1))),
              "A verb (words like push or pick up), a list of them, or \"*\" for any verb.",
              True),
        Field("except", OneOf((Name("verb"), ListOf(Name("verb"), 1))),
              "Verbs or directions it never fires for: `verb: go` with `except: north` is every "
              "direction but north; `verb: \"*\"` with `except: [look, examine]`."),
        Field("object", ITEM, "The direct object, if any."),
        Field("indirect", ITEM, "The indirect object (the Y in put X in Y)."),
        Field("room", ROOM, "Only in this room."),
        Field("when", CONDITION, "Only while this holds."),
        Field("effects", EFFECTS, "What happens."),
        Field("message", Text(), "What is printed."),
        Field("once", Bool(), "Fires at most once."),
        Field("phase", Enum(RULE_PHASES), "When it runs: before the built-in verb, instead of "
              "it, or after it (only when the built-in verb succeeded)."),
        Field("stop", Bool(), "A before rule: the action stops here (no other rule, no built-in verb)."),
        Field("fallthrough", Bool(), "An instead rule: also run the built-in verb afterwards."),
    )),
    "trigger": StructDef("trigger", "Fires on entering a room or after every turn.", (
        Field("id", Name("trigger"), "Optional; generated from position when absent."),
        Field("event", Enum(TRIGGER_EVENTS), "enter or turn."),
        Field("on", Enum(TRIGGER_EVENTS), "The older spelling of `event` (YAML 1.1 tools read "
              "the key `on` as true, so new worlds write `event`)."),
        Field("room", ROOM, "Only this room."),
        Field("when", CONDITION, "Only while this holds."),
        Field("effects", EFFECTS, "What happens."),
        Field("message", Text(), "What is printed."),
        Field("once", Bool(), "Fires at most once."),
    ), exactly_one_of=("event", "on")),
    "hint": StructDef("hint", "A nudge the player gets by typing hint.", (
        Field("when", CONDITION, "Given only while this holds (the first hint that holds is given)."),
        Field("text", Text(), "The nudge.", True),
    )),
    "ending": StructDef("ending", "A way the game ends.", (
        Field("id", Name("ending"), "Unique id, used by the `end` effect.", True),
        Field("kind", Enum(ENDING_KINDS), "win or lose.", True),
        Field("message", Text(), "The closing text.", True),
    )),
    # parts of conditions and effects
    "item_place": StructDef("item_at test", "Item is directly in/on a place.", (
        Field("item", ITEM, "The item.", True),
        Field("place", PLACE, "Room, container/surface, player or nowhere.", True),
    )),
    "item_state": StructDef("item_is test", "Item is in a state.", (
        Field("item", ITEM, "The item.", True),
        Field("state", Enum(ITEM_TEST_STATES), "The state.", True),
    )),
    "counter_test": StructDef("counter test", "Compare a counter with a number.", (
        Field("name", COUNTER, "The counter.", True),
    ) + _CMP_FIELDS, exactly_one_of=COMPARISONS),
    "turns_test": StructDef("turns test", "Compare the turn count with a number.",
                            _CMP_FIELDS, exactly_one_of=COMPARISONS),
    "move_item": StructDef("move_item effect", "Move an item.", (
        Field("item", EFFECT_ITEM, "The item ($object or $indirect in a rule: the command's).", True),
        Field("to", EFFECT_PLACE, "Room, container/surface, player or nowhere ($indirect in a rule).",
              True),
    )),
    "add_counter": StructDef("add_counter effect", "Add to a counter.", (
        Field("name", COUNTER, "The counter.", True),
        Field("amount", Int(), "How much (may be negative).", True),
    )),
    "set_counter": StructDef("set_counter effect", "Set a counter.", (
        Field("name", COUNTER, "The counter.", True),
        Field("value", Int(), "The new value.", True),
    )),
    "set_state": StructDef("set_state effect", "Change one state of an item.", (
        Field("item", EFFECT_ITEM, "The item ($object or $indirect in a rule: the command's).", True),
        Field("state", Enum(SETTABLE_STATES), "The state.", True),
        Field("value", Bool(), "true or false.", True),
    )),
}

CHOICES: dict[str, ChoiceDef] = {
    "condition": ChoiceDef("condition", "A test; a mapping with exactly one key.", (
        Field("has", ITEM, "The player carries the item."),
        Field("item_at", Struct("item_place"), "The item is directly in/on the place."),
        Field("item_is", Struct("item_state"), "The item is in the state."),
        Field("in_room", ROOM, "The player is in the room."),
        Field("flag", FLAG, "The flag is set."),
        Field("not_flag", FLAG, "The flag is not set."),
        Field("counter", Struct("counter_test"), "Compare a counter."),
        Field("visited", ROOM, "The player has been in the room."),
        Field("dark", ROOM, "The room (`here`: wherever the player is) is dark: dark by its own "
              "`dark`, and no light reaches it."),
        Field("lit", ROOM, "The room (`here`: wherever the player is) is not dark."),
        Field("turns", Struct("turns_test"), "Compare the number of turns taken."),
        Field("all", ListOf(CONDITION, 1), "Every condition holds."),
        Field("any", ListOf(CONDITION, 1), "At least one condition holds."),
        Field("not", CONDITION, "The condition does not hold."),
    )),
    "effect": ChoiceDef("effect", "A change; a mapping with exactly one key.", (
        Field("message", Text(), "Print text."),
        Field("move_item", Struct("move_item"), "Move an item."),
        Field("set_flag", FLAG, "Set a flag."),
        Field("clear_flag", FLAG, "Clear a flag."),
        Field("add_counter", Struct("add_counter"), "Add to a counter."),
        Field("set_counter", Struct("set_counter"), "Set a counter."),
        Field("set_state", Struct("set_state"), "Change an item's state."),
        Field("reveal", EFFECT_ITEM, "Make a hidden item visible."),
        Field("move_player", ROOM, "Move the player."),
        Field("add_score", Int(), "Add points."),
        Field("end", ENDING, "End the game with this ending."),
    )),
}


# ---------------------------------------------------------------- JSON Schema
SCHEMA_ID = "https://crystal-adventure.invalid/world.schema.json"


def world_json_schema() -> dict[str, Any]:
    """The JSON Schema for world files, generated from STRUCTS and CHOICES.

    Draft-07, because that is the newest draft yaml-language-server (the editors' YAML
    checker) supports.
    """
    defs: dict[str, Any] = {}
    for name, struct in STRUCTS.items():
        if name != "world_file":
            defs[name] = _struct_schema(struct, name)
    for name, choice in CHOICES.items():
        defs[name] = {
            "description": choice.doc,
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": False,
            "properties": {f.key: {"description": f.doc, **spec_schema(f.spec)}
                           for f in choice.options},
        }
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "Crystal Adventure world",
    }
    schema.update(_struct_schema(STRUCTS["world_file"]))
    schema["definitions"] = defs
    return schema


# Where the defaults of optional keys live: the world model's own dataclass defaults, shown
# to editors (completion inserts them) without a second copy here.
_DEFAULTS_FROM: dict[str, type] = {"item": Item, "rule": Rule, "trigger": Trigger}


def _defaults(name: str) -> dict[str, Any]:
    model = _DEFAULTS_FROM.get(name)
    if model is None:
        return {}
    return {f.name: f.default for f in dataclasses.fields(model)
            if isinstance(f.default, (bool, int, str)) and f.default != ""}


def _struct_schema(struct: StructDef, name: str = "") -> dict[str, Any]:
    defaults = _defaults(name)
    properties = {f.key: _field_schema(f) for f in struct.fields}
    for key, value in defaults.items():
        if key in properties and not struct.by_key[key].required:
            properties[key]["default"] = value
    out: dict[str, Any] = {
        "description": struct.doc,
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    required = [f.key for f in struct.fields if f.required]
    if required:
        out["required"] = required
    if struct.exactly_one_of:
        out["oneOf"] = [{"required": [k]} for k in struct.exactly_one_of]
    return out


def _field_schema(f: Field) -> dict[str, Any]:
    """A key's schema; optional keys also accept null, which the loader reads as absent."""
    schema = spec_schema(f.spec)
    if not f.required:
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
        elif isinstance(schema.get("type"), list):
            schema["type"] = [*schema["type"], "null"]
        else:
            schema = {"anyOf": [schema, {"type": "null"}]}
    return {"description": f.doc, **schema}


def spec_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema fragment for one value type."""
    if isinstance(spec, Text):
        return {"type": ["string", "number"]} if spec.numbers_ok else {"type": "string"}
    if isinstance(spec, Name):
        pattern = (VERB_PATTERN if spec.kind == "verb" else
                   ID_OR_COMMAND_PATTERN if spec.command_ok else ID_PATTERN)
        return {"type": "string", "pattern": pattern}
    if isinstance(spec, Bool):
        return {"type": "boolean"}
    if isinstance(spec, Int):
        out: dict[str, Any] = {"type": "integer"}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        return out
    if isinstance(spec, Enum):
        return {"enum": list(spec.values)}
    if isinstance(spec, ListOf):
        out = {"type": "array", "items": spec_schema(spec.item)}
        if spec.min_items:
            out["minItems"] = spec.min_items
        return out
    if isinstance(spec, MapOf):
        return {"type": "object", "propertyNames": spec_schema(spec.key),
                "additionalProperties": spec_schema(spec.value)}
    if isinstance(spec, (Struct, Choice)):
        return {"$ref": f"#/definitions/{spec.name}"}
    if isinstance(spec, OneOf):
        return {"anyOf": [spec_schema(o) for o in spec.options]}
    raise TypeError(f"unknown spec {spec!r}")


def schema_text() -> str:
    """The schema as committed in docs/world.schema.json (stable key order, trailing newline)."""
    import json

    return json.dumps(world_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m game.engine.schema > docs/world.schema.json
    print(schema_text(), end="")
