"""The world model: what a YAML world file declares, as immutable dataclasses.

A `World` is loaded once (see `loader.py`) and never changes during play; everything that
changes lives in `GameState` (see `state.py`). Keeping the two apart is what makes undo,
saves and replay simple: the state is small, plain data, and the world is shared.

Conditions and effects are kept as small tagged dataclasses rather than raw dicts so that the
rules code can match on them and the loader can point at the YAML line of each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

DIRECTIONS: tuple[str, ...] = (
    "north", "south", "east", "west",
    "northeast", "northwest", "southeast", "southwest",
    "up", "down", "in", "out",
)
DIRECTION_ABBREVIATIONS: dict[str, str] = {
    "n": "north", "s": "south", "e": "east", "w": "west",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
    "u": "up", "d": "down",
}
OPPOSITE_DIRECTION: dict[str, str] = {
    "north": "south", "south": "north", "east": "west", "west": "east",
    "northeast": "southwest", "southwest": "northeast",
    "northwest": "southeast", "southeast": "northwest",
    "up": "down", "down": "up", "in": "out", "out": "in",
}

# Special places an item can be, besides a room id or a container/surface item id.
PLAYER = "player"
NOWHERE = "nowhere"


@dataclass(frozen=True)
class SourcePos:
    """Where something was declared, so errors at play time can still name the file and line."""

    file: str = ""
    line: int = 0
    column: int = 0


# ---------------------------------------------------------------- conditions
@dataclass(frozen=True)
class Has:
    item: str


@dataclass(frozen=True)
class ItemAt:
    """Item is directly in/on `place` (a room id, container/surface id, 'player' or 'nowhere')."""

    item: str
    place: str


@dataclass(frozen=True)
class ItemIs:
    """Item is in a state: open, closed, locked, unlocked, worn, lit, unlit, hidden, revealed."""

    item: str
    state: str


@dataclass(frozen=True)
class InRoom:
    room: str


@dataclass(frozen=True)
class FlagSet:
    flag: str


@dataclass(frozen=True)
class FlagUnset:
    flag: str


@dataclass(frozen=True)
class CounterCompare:
    """counter <op> value, op one of eq ne lt le gt ge."""

    counter: str
    op: str
    value: int


@dataclass(frozen=True)
class Visited:
    room: str


HERE = "here"   # in a light condition: wherever the player is


@dataclass(frozen=True)
class Dark:
    """The room (or `here`) is dark: dark by its own definition, and no light reaches it."""

    room: str


@dataclass(frozen=True)
class Lit:
    """The room (or `here`) is not dark."""

    room: str


@dataclass(frozen=True)
class TurnsCompare:
    op: str
    value: int


@dataclass(frozen=True)
class All:
    conditions: tuple["Condition", ...]


@dataclass(frozen=True)
class Any_:
    conditions: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    condition: "Condition"


Condition = Union[Has, ItemAt, ItemIs, InRoom, FlagSet, FlagUnset, CounterCompare, Visited,
                  TurnsCompare, Dark, Lit, All, Any_, Not]


def tests_light(condition: "Condition") -> bool:
    """Whether a condition tests darkness anywhere inside it (a room's `dark` must not)."""
    if isinstance(condition, (Dark, Lit)):
        return True
    if isinstance(condition, (All, Any_)):
        return any(tests_light(c) for c in condition.conditions)
    if isinstance(condition, Not):
        return tests_light(condition.condition)
    return False


# ---------------------------------------------------------------- effects
@dataclass(frozen=True)
class Message:
    text: str


@dataclass(frozen=True)
class MoveItem:
    item: str
    to: str  # room id, container/surface id, 'player' or 'nowhere'


@dataclass(frozen=True)
class SetFlag:
    flag: str


@dataclass(frozen=True)
class ClearFlag:
    flag: str


@dataclass(frozen=True)
class AddCounter:
    counter: str
    amount: int


@dataclass(frozen=True)
class SetCounter:
    counter: str
    value: int


@dataclass(frozen=True)
class SetItemState:
    """Change one boolean state of an item: open, locked, lit, worn, hidden."""

    item: str
    state: str
    value: bool


@dataclass(frozen=True)
class Reveal:
    item: str


@dataclass(frozen=True)
class MovePlayer:
    room: str


@dataclass(frozen=True)
class AddScore:
    points: int


@dataclass(frozen=True)
class EndGame:
    ending: str


Effect = Union[Message, MoveItem, SetFlag, ClearFlag, AddCounter, SetCounter, SetItemState,
               Reveal, MovePlayer, AddScore, EndGame]


# ---------------------------------------------------------------- world parts
@dataclass(frozen=True)
class Description:
    """A description that replaces the plain one while `when` holds.

    Rooms and items keep their plain `description` and may add a list of these; the first whose
    condition holds is the one shown, so the text follows the game state (a guardian that has
    knelt is described kneeling, not still barring the way) instead of contradicting it.
    """

    when: Condition
    text: str


@dataclass(frozen=True)
class Exit:
    direction: str
    to: str
    door: str | None = None          # an openable item that must be open to pass
    when: Condition | None = None    # must hold to pass
    refuse: str | None = None        # said when the door is closed or `when` fails
    pos: SourcePos = field(default_factory=SourcePos, compare=False)


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    description: str
    exits: tuple[Exit, ...] = ()
    dark: bool | Condition = False   # a room may be dark, or dark while a condition holds
    descriptions: tuple[Description, ...] = ()  # the first that holds replaces `description`
    # Directions that lead nowhere but have their own reply ("The cliff drops away."): not
    # exits (never listed, never on the map), only what going that way says.
    refusals: tuple[tuple[str, str], ...] = ()
    cant_go: str | None = None       # the reply for every other direction without an exit
    pos: SourcePos = field(default_factory=SourcePos, compare=False)

    def exit(self, direction: str) -> Exit | None:
        return next((e for e in self.exits if e.direction == direction), None)

    def no_exit_reply(self, direction: str) -> str:
        """What going `direction` says when no exit leads that way."""
        refusal = next((text for way, text in self.refusals if way == direction), None)
        return refusal or self.cant_go or "You can't go that way."


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    adjectives: tuple[str, ...] = ()
    words: tuple[str, ...] | None = None  # the words its name gives the parser (None: the name's)
    list_contents: bool = True       # a holder's examine adds "On the shelf is ..." / "... is empty."
    location: str = NOWHERE          # initial place; doors may also list `also_in`
    also_in: tuple[str, ...] = ()    # further rooms where the item is present (doors)
    portable: bool = True
    scenery: bool = False            # present and examinable, but not listed in room text
    container: bool = False
    surface: bool = False
    openable: bool = False
    open: bool = False
    lockable: bool = False
    locked: bool = False
    key: str | None = None
    light: bool = False              # a light source (lit state below)
    lit: bool = False
    switchable: bool = False         # can be turned on/off by the player
    text: str | None = None          # readable text
    wearable: bool = False
    worn: bool = False
    edible: bool = False
    drinkable: bool = False
    hidden: bool = False             # not in scope until revealed
    descriptions: tuple[Description, ...] = ()  # the first that holds replaces `description`
    pos: SourcePos = field(default_factory=SourcePos, compare=False)


RULE_PHASES: tuple[str, ...] = ("before", "instead", "after")


@dataclass(frozen=True)
class Rule:
    """Gives a verb meaning beyond the built-ins, in one of the classic phases of an action.

    `verbs` holds verb words ("push", "press"), or "*" for any verb. `object`/`indirect` are
    item ids or None (no constraint). When the rule matches and its condition holds, its
    message is printed and its effects run. `phase` says when (see `rules.run_action`):
    "before" the built-in verb (which still runs unless `stop`), "instead" of it (unless
    `fallthrough`), or "after" it, only when the built-in verb succeeded.
    """

    id: str
    verbs: tuple[str, ...]
    object: str | None = None
    indirect: str | None = None
    room: str | None = None
    when: Condition | None = None
    effects: tuple[Effect, ...] = ()
    message: str | None = None
    once: bool = False
    fallthrough: bool = False
    phase: str = "instead"
    stop: bool = False
    excepts: tuple[str, ...] = ()   # verb keys it never fires for ("*" except north, look)
    pos: SourcePos = field(default_factory=SourcePos, compare=False)


@dataclass(frozen=True)
class Trigger:
    """Fires on entering a room (`on='enter'`, optional `room`) or after every turn (`on='turn'`)."""

    id: str
    on: str
    room: str | None = None
    when: Condition | None = None
    effects: tuple[Effect, ...] = ()
    message: str | None = None
    once: bool = False
    pos: SourcePos = field(default_factory=SourcePos, compare=False)


@dataclass(frozen=True)
class VerbSynonym:
    """A world's own wording for a built-in action: `hang OBJ on IND` means `put_on`.

    The command then is that built-in action in every way: its checks, replies, events, and
    the rules written for it (or for the synonym's own word).
    """

    pattern: str     # words and slots (OBJ, OBJS, IND, DIR), as in the built-in grammar
    means: str       # the canonical built-in verb (put_on, take, examine, ...)
    pos: SourcePos = field(default_factory=SourcePos, compare=False)

    @property
    def word(self) -> str:
        """The pattern's words before its first slot ("hang"): what a rule may name it by."""
        return " ".join(w for w in self.pattern.split() if not w.isupper()).split(" ")[0]


@dataclass(frozen=True)
class Hint:
    """A nudge for `hint`: the first hint whose condition holds is the one given."""

    text: str
    when: Condition | None = None
    pos: SourcePos = field(default_factory=SourcePos, compare=False)


@dataclass(frozen=True)
class Ending:
    id: str
    kind: str  # "win" or "lose"
    message: str
    pos: SourcePos = field(default_factory=SourcePos, compare=False)


@dataclass(frozen=True)
class NarratorStyle:
    """The world's notes for the LLM narrator; never used by the rules."""

    style: str = ""
    tone: str = ""
    exemplars: tuple[tuple[str, str], ...] = ()  # (situation, narration) pairs


@dataclass(frozen=True)
class World:
    id: str
    title: str
    author: str
    version: str
    start: str
    intro: str
    blurb: str = ""
    beginner: bool = False    # a good first world: the title screen lists and chooses it first
    narrator: NarratorStyle = field(default_factory=NarratorStyle)
    inventory: tuple[str, ...] = ()
    rooms: dict[str, Room] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    verbs: tuple[VerbSynonym, ...] = ()                      # the world's wordings of built-ins
    hints: tuple[Hint, ...] = ()                             # what `hint` says, first that holds
    flags: dict[str, bool] = field(default_factory=dict)    # initial flags
    counters: dict[str, int] = field(default_factory=dict)  # initial counters
    max_score: int = 0
    endings: dict[str, Ending] = field(default_factory=dict)
    source: str = ""          # file the world was loaded from
    content_hash: str = ""    # sha256 of the file's bytes (saves compare it)
