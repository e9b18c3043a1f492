"""Checks a YAML tree against the spec tables in `schema.py` and turns it into plain values.

This is the generic half of validation: unknown keys (with a "did you mean"), wrong types,
missing required keys, bad enum values and malformed ids, all reported at once with the line
and column of the offending node. The result keeps only what is well-formed, with positions
attached, so `build.py` can make dataclasses without re-checking shapes.
"""

from __future__ import annotations

import re
from typing import Any

from game.engine.problems import Problem, did_you_mean
from game.engine.schema import (
    CHOICES, COMMAND_OBJECTS, ID_PATTERN, STRUCTS, VERB_PATTERN, Bool, Choice, Enum, Int, ListOf, MapOf, Name,
    OneOf, Spec, Struct, Text,
)
from game.engine.world import SourcePos
from game.engine.yaml_source import YNode

_ID_RE = re.compile(ID_PATTERN)
_VERB_RE = re.compile(VERB_PATTERN)


class Invalid:
    """Marks a value that failed its check (already reported); never reaches the world."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = Invalid()


class Word(str):
    """A decoded id or reference that remembers where it was written."""

    __slots__ = ("file", "node")

    def __new__(cls, text: str, file: str, node: YNode) -> "Word":
        word = super().__new__(cls, text)
        word.file, word.node = file, node
        return word

    @property
    def line(self) -> int:
        return self.node.line

    @property
    def column(self) -> int:
        return self.node.column

    @property
    def pos(self) -> SourcePos:
        node = self.node
        return SourcePos(self.file, node.line, node.column)


class Obj:
    """A decoded mapping: the well-formed `values`, and where the mapping and each key were.

    Positions are kept as nodes and made into `SourcePos` only when asked for: most are never
    needed, and a big world has tens of thousands of keys.
    """

    __slots__ = ("values", "file", "node", "key_nodes", "label")

    def __init__(self, file: str, node: YNode, label: str) -> None:
        self.values: dict[str, Any] = {}
        self.file = file
        self.node = node
        self.key_nodes: dict[str, YNode] = {}
        self.label = label

    @property
    def pos(self) -> SourcePos:
        return SourcePos(self.file, self.node.line, self.node.column)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def at(self, key: str) -> SourcePos:
        """Where `key` was written, else where the mapping starts."""
        node = self.key_nodes.get(key, self.node)
        return SourcePos(self.file, node.line, node.column)

    def only(self) -> tuple[str, Any]:
        """The single (key, value) of a condition or effect."""
        return next(iter(self.values.items()))


class Decoder:
    """Walks a YNode tree with a spec, collecting problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def report(self, node: YNode | SourcePos, message: str) -> None:
        self.problems.append(Problem(self.file, node.line, node.column, message))

    # ------------------------------------------------------------ dispatch
    def decode(self, node: YNode, spec: Spec, where: str) -> Any:
        """The value of `node` checked against `spec`, or INVALID (with the problem reported)."""
        kind = type(spec)
        if kind is Struct:
            return self.struct(node, spec.name, where)  # type: ignore[union-attr]
        if kind is Choice:
            return self.choice(node, spec.name, where)  # type: ignore[union-attr]
        if kind is ListOf:
            return self.list_of(node, spec, where)  # type: ignore[arg-type]
        if kind is MapOf:
            return self.map_of(node, spec, where)  # type: ignore[arg-type]
        if kind is OneOf:
            for option in spec.options:  # type: ignore[union-attr]
                if _node_kind(option) == node.kind:
                    return self.decode(node, option, where)
            return self.wrong(node, spec, where)
        if node.kind != "scalar":
            return self.wrong(node, spec, where)
        if kind is Text and type(node.value) is str:
            return node.value  # the most common case, first
        if kind is Name:
            return self.name(node, spec, where)  # type: ignore[arg-type]
        return self.scalar(node, spec, where)

    def wrong(self, node: YNode, spec: Spec, where: str, extra: str = "") -> Invalid:
        self.report(node, f"{where} must be {describe(spec)}, not {describe_node(node)}{extra}")
        return INVALID

    # ------------------------------------------------------------ scalars
    def scalar(self, node: YNode, spec: Spec, where: str) -> Any:
        value = node.value
        if isinstance(spec, Text):
            if isinstance(value, str):
                return value
            if spec.numbers_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
                return node.raw
            return self.wrong(node, spec, where, "; put it in quotes" if value is not None else "")
        if isinstance(spec, Bool):
            return value if isinstance(value, bool) else self.wrong(node, spec, where)
        if isinstance(spec, Int):
            if not isinstance(value, int) or isinstance(value, bool):
                return self.wrong(node, spec, where)
            if spec.minimum is not None and value < spec.minimum:
                self.report(node, f"{where} must be at least {spec.minimum}, not {value}")
                return INVALID
            return value
        if isinstance(spec, Enum):
            text = node.raw if node.plain or isinstance(value, str) else None
            if text in spec.values:
                return text
            shown = f"'{node.raw}'" if node.raw else describe_node(node)
            self.report(node, f"{where} must be one of {', '.join(spec.values)}, not {shown}"
                              + did_you_mean(str(node.raw), spec.values))
            return INVALID
        if isinstance(spec, Name):
            return self.name(node, spec, where)
        raise TypeError(f"unknown scalar spec {spec!r}")

    def name(self, node: YNode, spec: Name, where: str) -> Any:
        # Plain words are taken as typed, so `flag: on` names the flag "on" (not true).
        if node.value is None or not (node.plain or isinstance(node.value, str)):
            return self.wrong(node, spec, where)
        text = node.raw
        if spec.command_ok and text in COMMAND_OBJECTS:
            return Word(text, self.file, node)
        if spec.kind == "verb":
            if not _VERB_RE.match(text):
                self.report(node, f"{where} must be a verb in lowercase words like 'push' or "
                                  f"'pick up' (or \"*\" for any verb), not '{text}'")
                return INVALID
        elif not _ID_RE.match(text):
            suggestion = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "my_id"
            self.report(node, f"{where} must be an id of lowercase letters, digits and _, "
                              f"not '{text}'; try '{suggestion}'")
            return INVALID
        return Word(text, self.file, node)

    def quick_name(self, node: YNode, spec: Name) -> Word | None:
        """What `name` gives a well-formed id or verb, else None (then `name` says what is wrong).

        Skips making the `where` text of messages for the thousands of ids that need none.
        """
        value = node.value
        if node.kind != "scalar" or value is None or not (node.plain or isinstance(value, str)):
            return None
        if (_VERB_RE if spec.kind == "verb" else _ID_RE).match(node.raw):
            return Word(node.raw, self.file, node)
        return None

    # ------------------------------------------------------------ collections
    def list_of(self, node: YNode, spec: ListOf, where: str) -> Any:
        if node.kind != "seq":
            return self.wrong(node, spec, where)
        if len(node.value) < spec.min_items:
            self.report(node, f"{where} is empty; it needs at least {spec.min_items} entry")
        out = []
        item = spec.item
        if type(item) is Struct:
            # Entries are labelled by their id when they have one, else "room #3".
            definition = STRUCTS[item.name]  # type: ignore[union-attr]
            struct, label = self.struct, definition.label
            owner = f" in {where}" if definition.label_with_owner else ""
            for index, child in enumerate(node.value, 1):
                value = struct(child, item.name,  # type: ignore[union-attr]
                               f"{label} #{index}{owner}")
                if value is not INVALID:
                    out.append(value)
            return out
        text_items = type(item) is Text
        for index, child in enumerate(node.value):
            if text_items and child.kind == "scalar" and type(child.value) is str:
                out.append(child.value)  # what `decode` gives text, without making a label
                continue
            label = (f"{STRUCTS[item.name].label} #{index + 1}" if isinstance(item, Struct)
                     else f"entry {index + 1} of {where}")
            value = self.decode(child, item, label)
            if value is not INVALID:
                out.append(value)
        return out

    def _pairs(self, node: YNode, where: str) -> list[tuple[YNode, str, YNode]]:
        """A mapping's (key node, key text, value node), reporting odd or repeated keys."""
        out = []
        seen: dict[str, YNode] = {}
        for key, value in node.value:
            if key.kind != "scalar" or key.value is None:
                self.report(key, f"a key in {where} must be a plain word, not {describe_node(key)}")
                continue
            text = key.raw
            if text in seen:
                self.report(key, f"key '{text}' appears twice in {where} (first on line "
                                 f"{seen[text].line}); remove one of them")
                continue
            seen[text] = key
            out.append((key, text, value))
        return out

    def map_of(self, node: YNode, spec: MapOf, where: str) -> Any:
        if node.kind != "map":
            return self.wrong(node, spec, where)
        obj = Obj(self.file, node, where)
        key_spec = spec.key
        # An enum key (an exit direction) that is one of its values needs no further check.
        known = key_spec.values if type(key_spec) is Enum else ()  # type: ignore[union-attr]
        # The spec a scalar value is decoded with (exits: a room id), for `quick_name`.
        value_spec = spec.value
        if type(value_spec) is OneOf:
            value_spec = next((o for o in value_spec.options  # type: ignore[union-attr]
                               if _node_kind(o) == "scalar"), None)
        scalar_name = value_spec if type(value_spec) is Name else None
        for key, text, value in self._pairs(node, where):
            if text in known and (key.plain or isinstance(key.value, str)):
                name = text
            else:
                name = self.scalar(key, key_spec, f"{spec.entry} name '{text}' in {where}")
            if name is INVALID:
                continue
            decoded = (self.quick_name(value, scalar_name)  # type: ignore[arg-type]
                       if scalar_name is not None and value.kind == "scalar" else None)
            if decoded is None:
                decoded = self.decode(value, spec.value, f"{spec.entry} '{text}' of {where}")
            obj.key_nodes[str(name)] = key
            if decoded is not INVALID:
                obj.values[str(name)] = decoded
        return obj

    def struct(self, node: YNode, name: str, where: str) -> Any:
        struct = STRUCTS[name]
        if node.kind != "map":
            return self.wrong(node, Struct(name), where)
        label = where
        for key, value in node.value:
            # Name a list entry by its id when it has one: "room 'hall'" reads better than
            # "room #3".
            if key.raw == "id" and value.kind == "scalar" and value.value is not None:
                label = f"{struct.label} '{value.raw}'"
        obj = Obj(self.file, node, label)
        fields = struct.by_key
        values, key_nodes = obj.values, obj.key_nodes
        seen: dict[str, YNode] = {}
        for key, value in node.value:
            # The checks of `_pairs`, inline: this loop sees every key of every room and item.
            if key.kind != "scalar" or key.value is None:
                self.report(key, f"a key in {label} must be a plain word, not {describe_node(key)}")
                continue
            text = key.raw
            if text in seen:
                self.report(key, f"key '{text}' appears twice in {label} (first on line "
                                 f"{seen[text].line}); remove one of them")
                continue
            seen[text] = key
            field = fields.get(text)
            if field is None:
                allowed = list(fields)
                hint = did_you_mean(text, allowed) or f"; allowed keys: {', '.join(allowed)}"
                if text == "<<":
                    hint = "; YAML merge keys are not supported, write the keys out instead"
                self.report(key, f"unknown key '{text}' in {label}{hint}")
                continue
            spec = field.spec
            if value.kind == "scalar" and value.value is None and not field.required:
                continue  # `key:` or `key: null` on an optional key: the same as leaving it out
            key_nodes[text] = key
            # Fast path for the commonest well-formed values: text and booleans.
            kind = type(spec)
            if value.kind == "scalar" and (
                    (kind is Text and type(value.value) is str)
                    or (kind is Bool and type(value.value) is bool)):
                values[text] = value.value
                continue
            if kind is Name:
                word = self.quick_name(value, spec)  # type: ignore[arg-type]
                if word is not None:
                    values[text] = word
                    continue
            decoded = self.decode(value, spec, f"'{text}' of {label}")
            if decoded is not INVALID:
                values[text] = decoded
        for field in struct.required:
            if field.key not in key_nodes:
                self.report(node, f"{label} is missing the required key '{field.key}' "
                                  f"({field.doc.rstrip('.').lower()}); add `{field.key}:`")
        if struct.exactly_one_of:
            present = [k for k in struct.exactly_one_of if k in obj.key_nodes]
            if len(present) != 1:
                found = ", ".join(present) if present else "none"
                self.report(node, f"{label} needs exactly one of {', '.join(struct.exactly_one_of)}"
                                  f" (found {found})")
                return INVALID
        return obj

    def choice(self, node: YNode, name: str, where: str) -> Any:
        choice = CHOICES[name]
        keys = [f.key for f in choice.options]
        if node.kind != "map":
            return self.wrong(node, Choice(name), where)
        pairs = self._pairs(node, where)
        if not pairs:
            self.report(node, f"{choice.label} in {where} is empty; use one of {', '.join(keys)}")
            return INVALID
        if len(pairs) > 1:
            found = ", ".join(t for _, t, _ in pairs)
            fix = ("combine conditions with `all: [...]`" if name == "condition"
                   else "write each effect as its own list entry (- set_flag: x)")
            self.report(node, f"{choice.label} in {where} must have exactly one key, found "
                              f"{len(pairs)} ({found}); {fix}")
            return INVALID
        key, text, value = pairs[0]
        option = choice.field(text)
        if option is None:
            hint = did_you_mean(text, keys) or f"; use one of {', '.join(keys)}"
            self.report(key, f"unknown {choice.label} '{text}' in {where}{hint}")
            return INVALID
        decoded = self.decode(value, option.spec, f"{choice.label} '{text}' in {where}")
        if decoded is INVALID:
            return INVALID
        obj = Obj(self.file, node, where)
        obj.values[text] = decoded
        obj.key_nodes[text] = key
        return obj


def _node_kind(spec: Spec) -> str:
    if isinstance(spec, (Struct, Choice, MapOf)):
        return "map"
    if isinstance(spec, ListOf):
        return "seq"
    return "scalar"


def describe(spec: Spec) -> str:
    """A value type in plain words, for "must be ..." messages."""
    if isinstance(spec, Text):
        return "text"
    if isinstance(spec, Name):
        return "a verb word" if spec.kind == "verb" else f"a {spec.kind} id"
    if isinstance(spec, Bool):
        return "true or false"
    if isinstance(spec, Int):
        return "a whole number"
    if isinstance(spec, Enum):
        return "one of " + ", ".join(spec.values)
    if isinstance(spec, ListOf):
        return f"a list (of {_plural(spec.item)})"
    if isinstance(spec, MapOf):
        return f"a mapping of {spec.entry} names to values"
    if isinstance(spec, Struct):
        keys = [f.key for f in STRUCTS[spec.name].fields if f.required]
        return "a mapping" + (f" with keys {', '.join(keys)}" if keys else "")
    if isinstance(spec, Choice):
        return f"a {CHOICES[spec.name].label} (a mapping with one key)"
    if isinstance(spec, OneOf):
        return " or ".join(describe(o) for o in spec.options)
    return "something else"


def _plural(spec: Spec) -> str:
    if isinstance(spec, Struct):
        return STRUCTS[spec.name].label + "s"
    if isinstance(spec, Choice):
        return CHOICES[spec.name].label + "s"
    return describe(spec)


def describe_node(node: YNode) -> str:
    """What the author actually wrote, in plain words."""
    if node.kind == "map":
        return "a mapping"
    if node.kind == "seq":
        return "a list"
    value = node.value
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {node.raw}"
    if isinstance(value, (int, float)):
        return f"the number {node.raw}"
    return f"the text '{node.raw}'"
