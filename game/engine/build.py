"""Turns the decoded tree (see `decode.py`) into the `World` dataclasses of `world.py`.

Shapes are already checked, so this module only maps keys to fields, normalises exit
directions and verbs, generates missing rule/trigger ids, and checks what one object says
about itself (a key on a non-lockable item). Every reference to another id is *recorded* as a
`Ref` with its position and a phrase for messages; `checks.py` resolves them all at once when
every id is known. Builders tolerate holes left by earlier problems: a world with problems is
never handed out, so it only has to be complete enough to check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from game.engine.decode import Obj, Word
from game.engine.grammar import PATTERN_SLOTS, action_slots, normalise_rule_verb
from game.engine.schema import COMMAND_OBJECTS
from game.engine.problems import Problem
from game.engine.world import (
    DIRECTION_ABBREVIATIONS, NOWHERE, PLAYER, AddCounter, AddScore, All, Any_, ClearFlag,
    Condition, CounterCompare, Description, Effect, EndGame, Ending, Exit, FlagSet, FlagUnset,
    Has, InRoom, Item, ItemAt, ItemIs, Message, MoveItem, MovePlayer, NarratorStyle, Not, Reveal,
    HERE, Dark, Hint, Lit, Room, Rule, SetCounter, SetFlag, SetItemState, SourcePos, Trigger, TurnsCompare,
    VerbSynonym, Visited, tests_light,
)

# What an item must be for a state to make sense (set_state / item_is / an exit's door).
STATE_NEEDS: dict[str, str | None] = {
    "open": "openable", "closed": "openable", "locked": "lockable", "unlocked": "lockable",
    "lit": "light", "unlit": "light", "worn": "wearable", "hidden": None, "revealed": None,
}
_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
# Item properties that need another property of the same item.
_NEEDS_OF_ITEM = (("key", "lockable"), ("locked", "lockable"), ("open", "openable"),
                  ("lit", "light"), ("switchable", "light"), ("worn", "wearable"))


class Ref(NamedTuple):
    """A use of an id, checked once every declaration is known.

    Reads as "<where> <verb> '<name>'": "exit 'north' of room 'hall' leads to 'kitchen'".
    `needs` names an item property the target must have (openable, lockable, light, wearable,
    or "holder" for container-or-surface). A big world records thousands and nearly all are
    fine, so a Ref is a light tuple and its position is only worked out when asked for.
    """

    kind: str  # room, item, place, flag, counter, ending
    name: str
    written: Any  # the value as decoded: a `Word` knows where it was written
    file: str
    where: str
    verb: str = "refers to"
    needs: str | None = None

    @property
    def pos(self) -> SourcePos:
        return getattr(self.written, "pos", None) or SourcePos(self.file, 1, 1)


@dataclass
class Parts:
    """Everything declared in the file, as lists so duplicates can still be seen."""

    meta: Obj | None = None
    rooms: list[Room] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    verbs: list[VerbSynonym] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    endings: list[Ending] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    inventory: list[Word] = field(default_factory=list)
    narrator: NarratorStyle = field(default_factory=NarratorStyle)
    max_score: int = 0
    refs: list[Ref] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Builder:
    """Builds `Parts` from the decoded top-level mapping of one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.parts = Parts()

    def ref(self, kind: str, name: Any, where: str, verb: str = "refers to",
            needs: str | None = None) -> None:
        """Record a use of an id (a `Word`, which knows its position) for `checks.py`."""
        if isinstance(name, str) and name not in COMMAND_OBJECTS:
            self.parts.refs.append(Ref(kind, str(name), name, self.file, where, verb, needs))

    def effect_ref(self, kind: str, name: Any, where: str, in_rule: bool, verb: str = "refers to",
                   needs: str | None = None) -> None:
        """`ref` for an effect's item or place, which in a rule may be the command's own object."""
        if isinstance(name, Word) and str(name) in COMMAND_OBJECTS and not in_rule:
            self.report(name, f"{where} names {name}, the object of the player's command, but "
                                  "only a rule has a command; name the item itself")
        self.ref(kind, name, where, verb, needs)

    def report(self, pos: SourcePos, message: str) -> None:
        self.parts.problems.append(Problem(self.file, pos.line, pos.column, message))

    # ------------------------------------------------------------ top level
    def build(self, top: Obj) -> Parts:
        parts = self.parts
        meta = top.get("world")
        if isinstance(meta, Obj):
            parts.meta = meta
            if "start" in meta.values:
                self.ref("room", meta.get("start"), "the start room", verb="is")
            narrator = meta.get("narrator")
            if isinstance(narrator, Obj):
                parts.narrator = NarratorStyle(
                    style=narrator.get("style", ""), tone=narrator.get("tone", ""),
                    exemplars=tuple((e.get("situation", ""), e.get("narration", ""))
                                    for e in narrator.get("exemplars", [])))
        player = top.get("player")
        if isinstance(player, Obj):
            parts.inventory = list(player.get("inventory", []))
            for word in parts.inventory:
                self.ref("item", word, "the player's inventory", verb="lists")
        if isinstance(top.get("flags"), Obj):
            parts.flags = dict(top.get("flags").values)
        if isinstance(top.get("counters"), Obj):
            parts.counters = dict(top.get("counters").values)
        if isinstance(top.get("score"), Obj):
            parts.max_score = top.get("score").get("max", 0)
        parts.rooms = [self.room(o) for o in top.get("rooms", []) if "id" in o.values]
        carried = {str(w) for w in parts.inventory}
        parts.items = [self.item(o, carried) for o in top.get("items", []) if "id" in o.values]
        parts.verbs = [v for v in (self.verb(o, n) for n, o in enumerate(top.get("verbs", []), 1)) if v]
        parts.rules = [self.rule(o, n) for n, o in enumerate(top.get("rules", []), 1)]
        parts.triggers = [self.trigger(o, n) for n, o in enumerate(top.get("triggers", []), 1)]
        parts.hints = [Hint(o.get("text", ""), self.condition(o.get("when"), f"'when' of hint #{n}")
                            if o.get("when") else None, o.pos)
                       for n, o in enumerate(top.get("hints", []), 1)]
        parts.endings = [Ending(str(o.get("id")), o.get("kind", ""), o.get("message", ""),
                                o.pos) for o in top.get("endings", []) if "id" in o.values]
        return parts

    # ------------------------------------------------------------ verbs
    def verb(self, obj: Obj, number: int) -> VerbSynonym | None:
        """A world verb, once its pattern is one the parser can use for the action it means."""
        pattern, means = obj.get("pattern"), obj.get("means")
        if not isinstance(pattern, str) or not isinstance(means, str):
            return None   # the shape check has said what is missing
        label = f"verb #{number} ('{pattern}')"
        parts = pattern.split()
        odd = [p for p in parts if not (p in PATTERN_SLOTS or (p.islower() and p.replace("'", "").isalpha()))]
        problem = None
        if not parts or parts[0] in PATTERN_SLOTS:
            problem = "must start with a word (the verb the player types)"
        elif odd:
            problem = (f"has {', '.join(repr(p) for p in odd)}: a pattern is lowercase words and the "
                       "slots OBJ, OBJS, IND and DIR")
        else:
            extra = {("OBJ" if p == "OBJS" else p) for p in parts if p in PATTERN_SLOTS} - action_slots(means)
            if extra:
                problem = (f"uses {', '.join(sorted(extra))}, which '{means}' never takes; its built-in "
                           f"patterns use {', '.join(sorted(action_slots(means))) or 'no slots'}")
        if problem:
            self.report(obj.at("pattern"), f"{label} {problem}")
            return None
        return VerbSynonym(" ".join(parts), means, pos=obj.pos)

    # ------------------------------------------------------------ rooms
    def room(self, obj: Obj) -> Room:
        label = obj.label
        dark = obj.get("dark", False)
        if isinstance(dark, Obj):
            where = f"'dark' of {label}"
            dark = self.condition(dark, where) or False
            if dark is not False and tests_light(dark):
                self.report(obj.at("dark"), f"{where} tests darkness itself (`dark` or `lit`), which "
                                            "would depend on its own answer; test the light source "
                                            "instead, e.g. {item_is: {item: lamp, state: unlit}}")
                dark = False
        exits: list[Exit] = []
        refusals: list[tuple[str, str]] = []
        exits_obj = obj.get("exits")
        if isinstance(exits_obj, Obj):
            given: dict[str, str] = {}
            for key, value in exits_obj.values.items():
                direction = DIRECTION_ABBREVIATIONS.get(key, key)
                pos = exits_obj.at(key)
                if direction in given:
                    self.report(pos, f"{label} has two exits {direction} ('{given[direction]}' "
                                     f"and '{key}'); remove one of them")
                    continue
                given[direction] = key
                where = f"exit '{direction}' of {label}"
                if isinstance(value, Obj) and "to" not in value.values:
                    refusal = self.refusal(value, pos, where)
                    if refusal:
                        refusals.append((direction, refusal))
                    continue
                made = self.exit(direction, value, pos, where)
                if made is not None:
                    exits.append(made)
        return Room(id=str(obj.get("id")), name=obj.get("name", ""),
                    description=obj.get("description", ""), exits=tuple(exits), dark=dark,
                    descriptions=self.descriptions(obj.get("descriptions", ())),
                    refusals=tuple(refusals), cant_go=obj.get("cant_go"), pos=obj.pos)

    def refusal(self, value: Obj, pos: SourcePos, where: str) -> str | None:
        """An exit without `to`: a way that only refuses, so it needs `refuse` and nothing else."""
        if "refuse" not in value.values:
            self.report(pos, f"{where} has no `to`; add `to: ROOM` where it leads, or "
                             "`refuse: TEXT` alone for a way that only refuses")
            return None
        extra = sorted(k for k in value.values if k != "refuse")
        if extra:
            self.report(pos, f"{where} only refuses (it has no `to`), so its "
                             f"{', '.join(f'`{k}`' for k in extra)} would never be used; add `to: ROOM` "
                             "or remove them")
            return None
        return str(value.get("refuse"))

    def exit(self, direction: str, value: Any, pos: SourcePos, where: str) -> Exit | None:
        if isinstance(value, Word):
            self.ref("room", value, where, verb="leads to")
            return Exit(direction, str(value), pos=pos)
        if not isinstance(value, Obj):
            return None
        self.ref("room", value.get("to"), where, verb="leads to")
        door = value.get("door")
        if door is not None:
            self.ref("item", door, where, verb="has the door", needs="openable")
        when = value.get("when")
        return Exit(direction, str(value.get("to")), door=str(door) if door else None,
                    when=self.condition(when, f"'when' of {where}") if when else None,
                    refuse=value.get("refuse"), pos=pos)

    # ------------------------------------------------------------ items
    def item(self, obj: Obj, carried: set[str]) -> Item:
        label = obj.label
        values: dict[str, Any] = dict(obj.values)
        item_id = str(values.pop("id"))
        values.setdefault("name", "")
        location = values.pop("location", None)
        if location is not None:
            self.ref("place", location, f"'location' of {label}", verb="is",
                     needs="holder")
            if item_id in carried and str(location) not in (PLAYER, NOWHERE):
                self.report(obj.at("location"), f"{label} starts in the player's inventory but "
                            f"also has location '{location}'; remove one of the two")
        if item_id in carried and location is None:
            location = PLAYER
        for room in values.get("also_in", []):
            self.ref("room", room, f"'also_in' of {label}", verb="lists")
        key = values.get("key")
        if key is not None:
            self.ref("item", key, f"'key' of {label}", verb="is")
        self._self_consistency(obj, label)
        for name in ("aliases", "adjectives", "words", "also_in"):
            if name in values:
                values[name] = tuple(map(str, values[name]))
        if key is not None:
            values["key"] = str(key)
        if "descriptions" in values:
            values["descriptions"] = self.descriptions(values["descriptions"])
        return Item(id=item_id, location=str(location or NOWHERE), pos=obj.pos, **values)

    def _self_consistency(self, obj: Obj, label: str) -> None:
        """Properties that need another property of the same item."""
        get = obj.values.get
        for prop, needs in _NEEDS_OF_ITEM:
            value = get(prop)
            if value not in (None, False) and get(needs) is not True:
                what = "a `key`" if prop == "key" else f"`{prop}: true`"
                being = "a light source" if needs == "light" else needs
                self.report(obj.at(prop), f"{label} has {what} but is not {being}; add "
                                          f"`{needs}: true` or remove `{prop}`")

    def descriptions(self, entries: list[Obj]) -> tuple[Description, ...]:
        """The `descriptions:` of a room or item, their conditions' references recorded.

        Each entry's label already names its owner ("description #2 in 'descriptions' of
        room 'hall'"), so a problem in a condition points at the right one.
        """
        made: list[Description] = []
        for entry in entries:
            when, text = entry.get("when"), entry.get("text")
            condition = self.condition(when, f"'when' of {entry.label}") if when else None
            if condition is not None and text is not None:
                made.append(Description(condition, text))
        return tuple(made)

    # ------------------------------------------------------------ rules and triggers
    def rule(self, obj: Obj, number: int) -> Rule:
        rule_id = str(obj.get("id") or f"rule#{number}")
        label = obj.label if "id" in obj.values else f"rule #{number}"
        verbs = obj.get("verb", [])
        verbs = (verbs,) if isinstance(verbs, str) else tuple(verbs)
        excepts = obj.get("except", [])
        excepts = (excepts,) if isinstance(excepts, str) else tuple(excepts)
        for name in ("object", "indirect"):
            if name in obj.values:
                self.ref("item", obj.get(name), f"'{name}' of {label}", verb="is")
        if "room" in obj.values:
            self.ref("room", obj.get("room"), f"'room' of {label}", verb="is")
        when = obj.get("when")
        return Rule(
            id=rule_id, verbs=tuple(str(v) for v in verbs),
            object=_opt(obj.get("object")), indirect=_opt(obj.get("indirect")),
            room=_opt(obj.get("room")),
            when=self.condition(when, f"'when' of {label}") if when else None,
            effects=self.effects(obj.get("effects", []), f"'effects' of {label}", in_rule=True),
            message=obj.get("message"), once=obj.get("once", False),
            fallthrough=obj.get("fallthrough", False), phase=obj.get("phase", "instead"),
            stop=obj.get("stop", False), excepts=tuple(normalise_rule_verb(str(v)) for v in excepts),
            pos=obj.pos)

    def trigger(self, obj: Obj, number: int) -> Trigger:
        trigger_id = str(obj.get("id") or f"trigger#{number}")
        label = obj.label if "id" in obj.values else f"trigger #{number}"
        if "room" in obj.values:
            self.ref("room", obj.get("room"), f"'room' of {label}", verb="is")
        when = obj.get("when")
        return Trigger(
            id=trigger_id, on=obj.get("event", obj.get("on", "turn")), room=_opt(obj.get("room")),
            when=self.condition(when, f"'when' of {label}") if when else None,
            effects=self.effects(obj.get("effects", []), f"'effects' of {label}"),
            message=obj.get("message"), once=obj.get("once", False), pos=obj.pos)

    # ------------------------------------------------------------ conditions
    def condition(self, obj: Obj, where: str) -> Condition | None:
        """The condition in `obj`, or None when an inner part was already reported broken."""
        key, value = obj.only()
        here = f"`{key}` in {where}"
        if key in ("dark", "lit"):
            if value != HERE:
                self.ref("room", value, here)
            return (Dark if key == "dark" else Lit)(str(value))
        if key in ("has", "in_room", "visited"):
            self.ref("item" if key == "has" else "room", value, here)
            return {"has": Has, "in_room": InRoom, "visited": Visited}[key](str(value))
        if key in ("flag", "not_flag"):
            self.ref("flag", value, here, verb="uses")
            return (FlagSet if key == "flag" else FlagUnset)(str(value))
        if key == "item_at":
            item, place = value.get("item"), value.get("place")
            self.ref("item", item, here)
            self.ref("place", place, here, needs="holder")
            return ItemAt(str(item), str(place)) if item and place else None
        if key == "item_is":
            item, state = value.get("item"), value.get("state")
            self.ref("item", item, here, needs=STATE_NEEDS.get(state or ""))
            return ItemIs(str(item), state) if item and state else None
        if key == "counter":
            name = value.get("name")
            self.ref("counter", name, here, verb="uses")
            op = next((o for o in _COMPARISONS if o in value.values), None)
            return CounterCompare(str(name), op, value.get(op)) if name and op else None
        if key == "turns":
            op = next((o for o in _COMPARISONS if o in value.values), None)
            return TurnsCompare(op, value.get(op)) if op else None
        if key in ("all", "any"):
            inner = [self.condition(c, f"`{key}` in {where}") for c in value]
            if any(c is None for c in inner):
                return None
            return (All if key == "all" else Any_)(tuple(inner))  # type: ignore[arg-type]
        if key == "not":
            inner_one = self.condition(value, f"`not` in {where}")
            return Not(inner_one) if inner_one else None
        raise ValueError(f"condition {key!r} is in the schema but not built")

    # ------------------------------------------------------------ effects
    def effects(self, objs: list[Obj], where: str, in_rule: bool = False) -> tuple[Effect, ...]:
        made = (self.effect(o, where, in_rule) for o in objs)
        return tuple(e for e in made if e is not None)

    def effect(self, obj: Obj, where: str, in_rule: bool = False) -> Effect | None:
        key, value = obj.only()
        here = f"`{key}` in {where}"
        if key == "message":
            return Message(value)
        if key in ("set_flag", "clear_flag"):
            self.ref("flag", value, here, verb="uses")
            return (SetFlag if key == "set_flag" else ClearFlag)(str(value))
        if key == "reveal":
            self.effect_ref("item", value, here, in_rule)
            return Reveal(str(value))
        if key == "move_player":
            self.ref("room", value, here)
            return MovePlayer(str(value))
        if key == "add_score":
            return AddScore(value)
        if key == "end":
            self.ref("ending", value, here)
            return EndGame(str(value))
        if key == "move_item":
            item, to = value.get("item"), value.get("to")
            self.effect_ref("item", item, here, in_rule)
            self.effect_ref("place", to, here, in_rule, verb="moves it to", needs="holder")
            return MoveItem(str(item), str(to)) if item and to else None
        if key in ("add_counter", "set_counter"):
            name = value.get("name")
            number = value.get("amount" if key == "add_counter" else "value")
            self.ref("counter", name, here, verb="uses")
            if name is None or number is None:
                return None
            return (AddCounter if key == "add_counter" else SetCounter)(str(name), number)
        if key == "set_state":
            item, state, flag = value.get("item"), value.get("state"), value.get("value")
            self.effect_ref("item", item, here, in_rule, needs=STATE_NEEDS.get(state or ""))
            if item is None or state is None or flag is None:
                return None
            return SetItemState(str(item), state, flag)
        raise ValueError(f"effect {key!r} is in the schema but not built")


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
