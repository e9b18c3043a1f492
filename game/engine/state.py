"""Everything that changes during play, as small plain data.

The world (`world.py`) never changes; a `GameState` holds the rest: where the player and every
item are, which items are open/locked/lit/worn/hidden, flags, counters, score, turns, visited
rooms, rules that already fired once, the ending reached, and the parser's memory (what "it"
refers to, a pending "Which key do you mean?" question, the command "again" repeats).

Keeping all of that here, and nothing else, is what makes undo (a deque of snapshots), saves
(`to_dict`/`from_dict`) and replay exact: two states that compare equal behave identically.

Copies must be cheap because the engine snapshots the state before every command for undo,
and a world may hold thousands of items. `copy()` is therefore copy-on-write: the new state
shares its containers with the old one, and each container is copied only when first changed
through one of the mutating methods (`move`, `set_item_state`, `set_flag`, `set_counter`,
`visit`, `mark_fired`). Code outside the engine must treat a state as read-only (mutating a
shared container directly would also change the undo snapshot it shares it with).
The `contents` index (place -> items there, needed to compute scope quickly on large worlds)
holds tuples, so copying it never copies the lists inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.engine.world import PLAYER, World

STATE_FORMAT = 1
# The boolean item states the engine tracks; each maps to the set of item ids where it holds.
ITEM_STATES: tuple[str, ...] = ("open", "locked", "lit", "worn", "hidden")
_CONTAINERS = ("locations", "item_states", "flags", "counters", "visited", "fired", "contents")


def _build_contents(locations: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Invert item -> place into place -> items (the order is irrelevant: listings sort)."""
    contents: dict[str, list[str]] = {}
    for item, place in locations.items():
        contents.setdefault(place, []).append(item)
    return {place: tuple(items) for place, items in contents.items()}


@dataclass
class GameState:
    """The mutable part of a game. Compare with `==`; serialise with `to_dict`."""

    room: str
    locations: dict[str, str] = field(default_factory=dict)      # item id -> place
    item_states: dict[str, set[str]] = field(default_factory=dict)  # state name -> item ids
    flags: dict[str, bool] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    score: int = 0
    turns: int = 0
    visited: set[str] = field(default_factory=set)
    fired: set[str] = field(default_factory=set)      # "rule:ID" / "trigger:ID" of once-rules
    ended: str | None = None                          # ending id once the game is over
    last_objects: tuple[str, ...] = ()                # what "it"/"them" refer to
    pending: dict[str, Any] | None = None             # a disambiguation question awaiting an answer
    last_command: str = ""                            # what "again" repeats
    oops: tuple[str, str] | None = None               # (command, unknown word) "oops" corrects
    contents: dict[str, tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False)  # derived from `locations`
    _shared: set[str] = field(default_factory=set, compare=False, repr=False)  # copy-on-write

    def __post_init__(self) -> None:
        for name in ITEM_STATES:
            self.item_states.setdefault(name, set())
        if not self.contents and self.locations:
            self.contents = _build_contents(self.locations)

    def __eq__(self, other: object) -> bool:
        """Everything that matters for play: the parser memory, then `same_play`."""
        if not isinstance(other, GameState):
            return NotImplemented
        return (self.last_objects == other.last_objects
                and self.last_command == other.last_command
                and self.oops == other.oops and self.pending == other.pending
                and self.same_play(other))

    __hash__ = None  # type: ignore[assignment]  # mutable

    def same_play(self, other: "GameState") -> bool:
        """Equal apart from parser memory (pronouns, questions, "again", "oops").

        Undo points are made only for lines that changed the world, not for typos or questions.
        """
        # Spelled out field by field (this runs on every line); a container still shared
        # with `other` (copy-on-write) is equal without comparing its contents.
        return (self.room == other.room and self.score == other.score
                and self.turns == other.turns and self.ended == other.ended
                and (self.flags is other.flags or self.flags == other.flags)
                and (self.counters is other.counters or self.counters == other.counters)
                and (self.visited is other.visited or self.visited == other.visited)
                and (self.fired is other.fired or self.fired == other.fired)
                and (self.item_states is other.item_states
                     or self.item_states == other.item_states)
                and (self.locations is other.locations or self.locations == other.locations))

    def _own(self, name: str) -> None:
        """Copy a container shared with another state before the first change to it."""
        if name not in self._shared:
            return
        self._shared.discard(name)
        value = getattr(self, name)
        if name == "item_states":
            setattr(self, name, {k: v.copy() for k, v in value.items()})
        else:
            setattr(self, name, value.copy())

    # ------------------------------------------------------------ construction
    @classmethod
    def initial(cls, world: World) -> "GameState":
        """The state at the start of a world: items where the file puts them, flags as declared."""
        locations = {item.id: item.location for item in world.items.values()}
        for item_id in world.inventory:
            locations[item_id] = PLAYER
        item_states: dict[str, set[str]] = {name: set() for name in ITEM_STATES}
        for item in world.items.values():
            for name in ITEM_STATES:
                if getattr(item, name):
                    item_states[name].add(item.id)
        return cls(
            room=world.start,
            locations=locations,
            item_states=item_states,
            flags=dict(world.flags),
            counters=dict(world.counters),
            visited={world.start},
        )

    def copy(self) -> "GameState":
        """An independent state; O(1): containers are shared until one side changes them.

        Every field is taken as it is (`pending` is never mutated in place, only replaced), so
        the clone skips `__init__`: `__post_init__` would find nothing to fill in, since a
        state's `item_states` always has every key and `contents` always matches `locations`.
        (A state holds nothing but its fields, so copying its `__dict__` copies exactly them.)
        """
        clone = _new_state(GameState)
        clone.__dict__.update(self.__dict__)
        self._shared = set(_CONTAINERS)
        clone._shared = set(_CONTAINERS)
        return clone

    def standing_in(self, room: str) -> "GameState":
        """This state with the player in `room`: what they would perceive there, for queries
        such as the scenes next door.

        Unlike `copy`, it leaves this state's copy-on-write marks alone (a query must not make
        the next real move pay for a copy): the containers are marked shared on the view's
        side only, so a change to the view copies first and this state never sees it.
        """
        view = _new_state(GameState)
        view.__dict__.update(self.__dict__)
        view._shared = set(_CONTAINERS)
        view.room = room
        return view

    # ------------------------------------------------------------ item helpers
    def is_(self, item: str, state: str) -> bool:
        """Whether `item` is in boolean state `state` (open, locked, lit, worn, hidden)."""
        return item in self.item_states[state]

    def set_item_state(self, item: str, state: str, value: bool) -> None:
        if (item in self.item_states[state]) == value:
            return
        self._own("item_states")
        if value:
            self.item_states[state].add(item)
        else:
            self.item_states[state].discard(item)

    def location(self, item: str) -> str:
        return self.locations[item]

    def items_at(self, place: str) -> tuple[str, ...]:
        """Items directly in/on `place` (unordered; callers sort by world order for display)."""
        return self.contents.get(place, ())

    def move(self, item: str, place: str) -> None:
        """Move an item, keeping the `contents` index in step (copy-on-write tuples).

        An item moved anywhere but the player stops being worn, as in Inform: a coat a rule
        hangs on a peg must not show "(being worn)" there, nor be worn again when taken back.
        """
        old = self.locations.get(item)
        if old == place:
            return
        if place != PLAYER:
            self.set_item_state(item, "worn", False)
        self._own("locations")
        self._own("contents")
        if old is not None:
            remaining = tuple(i for i in self.contents.get(old, ()) if i != item)
            if remaining:
                self.contents[old] = remaining
            else:
                self.contents.pop(old, None)
        self.locations[item] = place
        self.contents[place] = self.contents.get(place, ()) + (item,)

    def set_flag(self, flag: str, value: bool) -> None:
        self._own("flags")
        self.flags[flag] = value

    def set_counter(self, counter: str, value: int) -> None:
        self._own("counters")
        self.counters[counter] = value

    def visit(self, room: str) -> None:
        if room not in self.visited:
            self._own("visited")
            self.visited.add(room)

    def mark_fired(self, key: str) -> None:
        """Remember that a once-only rule or trigger ("rule:ID", "trigger:ID") has fired."""
        if key not in self.fired:
            self._own("fired")
            self.fired.add(key)

    # ------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (sets become sorted lists) that `from_dict` turns back into an equal state."""
        return {
            "format": STATE_FORMAT,
            "room": self.room,
            "locations": dict(sorted(self.locations.items())),
            "item_states": {name: sorted(ids) for name, ids in sorted(self.item_states.items())},
            "flags": dict(sorted(self.flags.items())),
            "counters": dict(sorted(self.counters.items())),
            "score": self.score,
            "turns": self.turns,
            "visited": sorted(self.visited),
            "fired": sorted(self.fired),
            "ended": self.ended,
            "last_objects": list(self.last_objects),
            "pending": _json_copy(self.pending),
            "last_command": self.last_command,
            "oops": list(self.oops) if self.oops else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GameState":
        """Rebuild a state from `to_dict` output. Raises ValueError when the data is malformed."""
        try:
            if data.get("format", STATE_FORMAT) != STATE_FORMAT:
                raise ValueError(f"unsupported state format {data.get('format')!r}")
            return cls(
                room=str(data["room"]),
                locations={str(k): str(v) for k, v in dict(data["locations"]).items()},
                item_states={str(k): {str(i) for i in v}
                             for k, v in dict(data.get("item_states", {})).items()},
                flags={str(k): bool(v) for k, v in dict(data.get("flags", {})).items()},
                counters={str(k): int(v) for k, v in dict(data.get("counters", {})).items()},
                score=int(data.get("score", 0)),
                turns=int(data.get("turns", 0)),
                visited={str(r) for r in data.get("visited", [])},
                fired={str(r) for r in data.get("fired", [])},
                ended=None if data.get("ended") is None else str(data["ended"]),
                last_objects=tuple(str(i) for i in data.get("last_objects", [])),
                pending=_json_copy(data.get("pending")),
                last_command=str(data.get("last_command", "")),
                oops=_pair(data.get("oops")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed game state: {exc!r}") from exc


def _json_copy(value: Any) -> Any:
    """Deep-copy plain JSON data (the pending question is small, nested dicts/lists/strings)."""
    if isinstance(value, dict):
        return {str(k): _json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_copy(v) for v in value]
    return value


def _pair(value: Any) -> tuple[str, str] | None:
    if not value:
        return None
    command, word = value
    return (str(command), str(word))


_new_state = object.__new__
