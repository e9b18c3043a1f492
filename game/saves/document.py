"""The save document: what one save file holds, as dataclasses, and its JSON shape (format 2).

The file is meant to be read by people too (pretty-printed JSON, metadata first, the bulky
parts last). Shape of format 2:

    {
      "format": "crystal-adventure-save", "version": 2,
      "slot": "castle", "kind": "named" | "quick" | "auto",
      "created": ISO-8601 UTC, "updated": ISO-8601 UTC, "autosave_seq": int | null,
      "world": {"id", "title", "content_hash", "source"},
      "summary": {"location_id", "location", "turns", "score", "max_score", "ended"},
      "replay": {"base_state": state | null, "base_index": int},
      "state": engine state (GameState.to_dict()),
      "undo": [undo history as patches, oldest first (see undo.py)],
      "command_log": [every command since the campaign began],
      "transcript": [{"turn", "command", "text", "narration"}],
      "narrator_history": [recent narration lines]
    }

`replay` says where verification starts: normally from the world's initial state
(`base_state` null, `base_index` 0). When a save was carried over to a changed world file, the
loaded state becomes the new base and only later commands are replayed (see verify.py).

Validation here is structural only (types and required fields), each failure naming the file
and field; whether the engine state makes sense for a world is checked by verify.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SaveFormatError

FORMAT_NAME = "crystal-adventure-save"
FORMAT_VERSION = 2
KINDS = ("named", "quick", "auto")


@dataclass
class WorldRef:
    """Which world the save belongs to; `content_hash` detects an edited world file."""

    id: str
    title: str
    content_hash: str
    source: str = ""


@dataclass
class Summary:
    """What a save listing shows without loading the world."""

    location_id: str
    location: str
    turns: int
    score: int
    max_score: int = 0
    ended: str | None = None


@dataclass
class TranscriptEntry:
    """One turn as the player saw it: the command, the engine's text and the narration."""

    command: str
    text: str
    narration: str = ""
    turn: int = 0


@dataclass
class ReplayBase:
    """Where replay verification starts: the world's start (None) or a carried-over state."""

    base_state: dict[str, Any] | None = None
    base_index: int = 0


@dataclass
class SaveDocument:
    slot: str
    kind: str
    created: str
    updated: str
    world: WorldRef
    summary: Summary
    state: dict[str, Any]
    command_log: list[str]
    replay: ReplayBase = field(default_factory=ReplayBase)
    undo: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[TranscriptEntry] = field(default_factory=list)
    narrator_history: list[str] = field(default_factory=list)
    autosave_seq: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The document as plain JSON data, keys in reading order."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "slot": self.slot,
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "autosave_seq": self.autosave_seq,
            "world": vars(self.world).copy(),
            "summary": vars(self.summary).copy(),
            "replay": {"base_state": self.replay.base_state, "base_index": self.replay.base_index},
            "state": self.state,
            "undo": self.undo,
            "command_log": self.command_log,
            "transcript": [vars(entry).copy() for entry in self.transcript],
            "narrator_history": self.narrator_history,
        }


# ---------------------------------------------------------------- structural validation
_TYPE_WORDS = {str: "text", int: "a whole number", dict: "an object", list: "a list", bool: "true/false"}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "a number", float: "a number", dict: "an object", list: "a list"}.get(
        type(value), type(value).__name__)


class _Fields:
    """Typed access to one JSON object, with errors naming the file and the dotted field."""

    def __init__(self, data: Any, where: str, path: Path) -> None:
        self.path = path
        self.where = where
        if not isinstance(data, dict):
            self.fail(where, f"should be an object, found {_describe(data)}")
        self.data: dict[str, Any] = data

    def fail(self, name: str, problem: str) -> None:
        raise SaveFormatError(f"{self.path} is not a valid save: '{name}' {problem}.", self.path)

    def get(self, key: str, kind: type, *, optional: bool = False, default: Any = None) -> Any:
        name = f"{self.where}.{key}" if self.where else key
        if key not in self.data:
            if optional:
                return default
            self.fail(name, "is missing")
        value = self.data[key]
        if value is None and optional:
            return default
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(name, f"should be a whole number, found {_describe(value)}")
        if kind is not int and not isinstance(value, kind):
            self.fail(name, f"should be {_TYPE_WORDS.get(kind, kind.__name__)}, found {_describe(value)}")
        return value

    def strings(self, key: str, *, optional: bool = False) -> list[str]:
        values = self.get(key, list, optional=optional, default=[])
        for index, value in enumerate(values):
            if not isinstance(value, str):
                self.fail(f"{self.where + '.' if self.where else ''}{key}[{index}]",
                          f"should be text, found {_describe(value)}")
        return values


def document_from_json(data: Any, path: Path) -> SaveDocument:
    """Build a SaveDocument from current-format JSON data, or raise SaveFormatError."""
    top = _Fields(data, "", path)
    kind = top.get("kind", str)
    if kind not in KINDS:
        top.fail("kind", f"should be one of {', '.join(KINDS)}, found '{kind[:20]}'")
    world = _Fields(top.get("world", dict), "world", path)
    summary = _Fields(top.get("summary", dict), "summary", path)
    replay = _Fields(top.get("replay", dict, optional=True, default={}), "replay", path)
    base_state = replay.get("base_state", dict, optional=True)
    base_index = replay.get("base_index", int, optional=True, default=0)
    command_log = top.strings("command_log")
    if not 0 <= base_index <= len(command_log):
        replay.fail("replay.base_index", f"is {base_index}, outside the command log (0..{len(command_log)})")
    undo = top.get("undo", list, optional=True, default=[])
    for index, entry in enumerate(undo):
        if not isinstance(entry, dict):
            top.fail(f"undo[{index}]", f"should be an object, found {_describe(entry)}")
    transcript = []
    for index, raw in enumerate(top.get("transcript", list, optional=True, default=[])):
        if (type(raw) is dict and type(raw.get("command")) is str and type(raw.get("text")) is str
                and type(raw.get("narration", "")) is str and type(raw.get("turn", 0)) is int):
            transcript.append(TranscriptEntry(raw["command"], raw["text"], raw.get("narration", ""),
                                              raw.get("turn", 0)))
            continue
        entry = _Fields(raw, f"transcript[{index}]", path)
        transcript.append(TranscriptEntry(
            command=entry.get("command", str), text=entry.get("text", str),
            narration=entry.get("narration", str, optional=True, default=""),
            turn=entry.get("turn", int, optional=True, default=0)))
    seq = top.get("autosave_seq", int, optional=True)
    return SaveDocument(
        slot=top.get("slot", str),
        kind=kind,
        created=top.get("created", str),
        updated=top.get("updated", str),
        autosave_seq=seq,
        world=WorldRef(id=world.get("id", str), title=world.get("title", str),
                       content_hash=world.get("content_hash", str),
                       source=world.get("source", str, optional=True, default="")),
        summary=Summary(location_id=summary.get("location_id", str), location=summary.get("location", str),
                        turns=summary.get("turns", int), score=summary.get("score", int),
                        max_score=summary.get("max_score", int, optional=True, default=0),
                        ended=summary.get("ended", str, optional=True)),
        replay=ReplayBase(base_state=base_state, base_index=base_index),
        state=top.get("state", dict),
        undo=undo,
        command_log=command_log,
        transcript=transcript,
        narrator_history=top.strings("narrator_history", optional=True),
    )


# ---------------------------------------------------------------- writing
_ENCODE_STR = json.encoder.encode_basestring  # the C string encoder (non-ASCII kept readable)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
# json.dumps/JSONEncoder.encode build a new C encoder on every call, which costs more than
# encoding one transcript line; build it once (same settings: no NaN, compact separators).
_C_ENCODER = (json.encoder.c_make_encoder(None, _ENCODER.default, _ENCODE_STR, None, ": ", ", ",
                                          False, False, False)
              if json.encoder.c_make_encoder is not None else None)


def _compact(value: Any) -> str:
    """One-line JSON for `value`."""
    if isinstance(value, str):
        return _ENCODE_STR(value)
    if _C_ENCODER is not None:
        return "".join(_C_ENCODER(value, 0))
    return _ENCODER.encode(value)


def render_json(data: dict[str, Any]) -> str:
    """Lay the document out for people: one top-level key per line, objects one key per line,
    lists one element per line, everything deeper compact.

    (json.dumps with `indent` falls back to the pure-Python encoder, several times slower on a
    1,000-turn campaign; this layout is built from one-line pieces and reads just as well.)
    """
    lines = ["{"]
    keys = list(data)
    for position, key in enumerate(keys):
        value = data[key]
        comma = "," if position < len(keys) - 1 else ""
        head = f"  {_compact(key)}: "
        if isinstance(value, dict) and value:
            inner = [f"    {_compact(k)}: {_compact(v)}" for k, v in value.items()]
            lines.append(head + "{\n" + ",\n".join(inner) + "\n  }" + comma)
        elif isinstance(value, list) and value:
            inner = [f"    {_compact(v)}" for v in value]
            lines.append(head + "[\n" + ",\n".join(inner) + "\n  ]" + comma)
        else:
            lines.append(head + _compact(value) + comma)
    lines.append("}")
    return "\n".join(lines) + "\n"
