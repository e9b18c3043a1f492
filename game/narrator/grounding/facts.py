"""The facts a narration is checked against, read from the engine after a turn.

Why a separate record from `Scene`: the scene is what the *prompt* shows the model (names only,
kept short for the prefix cache); the checker needs more: item ids, aliases, states, what the
turn acted on, whether the engine refused, and the names of world items that are *not* here
(so that naming them is caught). Everything is plain, immutable data, built once per turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from game.engine.describe import current_description
from game.engine.scope import carried, is_dark, visible
from game.engine.state import GameState
from game.engine.world import Item, World

if TYPE_CHECKING:
    from game.engine.events import Event, TurnResult
    from game.engine.game import Game

# Event kinds that act on an item named in `data["item"]` (and maybe a holder or key).
ACTION_KINDS = frozenset({
    "took", "dropped", "put", "opened", "closed", "locked", "unlocked", "examined", "read",
    "wore", "removed", "lit", "extinguished", "ate", "drank", "gave",
})


# Verbs that claim a change of an item ("You take the fungus" says you have it now).
CHANGING_VERBS = frozenset({"take", "get", "pick", "drop", "put", "open", "close", "shut",
                            "unlock", "lock", "light", "wear", "remove", "eat", "drink", "give"})
_CHANGE_KINDS = frozenset({"moved", "took", "dropped", "put", "opened", "closed", "locked",
                           "unlocked", "lit", "extinguished", "wore", "removed", "ate", "drank",
                           "gave", "revealed"})


def rule_succeeded(events: Sequence["Event"]) -> bool:
    """The turn earned points or won: whatever a rule did, the command worked."""
    return any((e.kind == "score-changed" and int(e.data.get("delta", 0) or 0) > 0)
               or (e.kind == "ended" and e.data.get("kind") == "win") for e in events)


def changed_items(events: Sequence["Event"]) -> frozenset[str]:
    """Item ids some event of the turn changed (moved, opened, lit...)."""
    return frozenset(str(e.data["item"]) for e in events
                     if e.kind in _CHANGE_KINDS and isinstance(e.data.get("item"), str))


@dataclass(frozen=True)
class ItemFact:
    """One world item as the checker sees it: how it may be named and what state it is in."""

    id: str
    name: str
    aliases: tuple[str, ...]
    adjectives: tuple[str, ...]
    description: str
    states: frozenset[str]        # open closed locked unlocked lit unlit worn empty nonempty
    portable: bool
    held: bool                    # carried by the player

    @property
    def nouns(self) -> tuple[str, ...]:
        """Every way to name it with one noun: the last word of its name, then its aliases."""
        words = [self.name.split()[-1].lower()] if self.name.split() else []
        words += [a.lower() for a in self.aliases]
        return tuple(dict.fromkeys(words))


@dataclass(frozen=True)
class TurnFacts:
    """What is true after one turn: the checker's whole reference."""

    room_id: str
    room_name: str
    room_text: str
    dark: bool
    exits: tuple[str, ...]
    command: str
    engine_text: str
    in_scope: tuple[ItemFact, ...]
    elsewhere: tuple[ItemFact, ...]        # world items not perceivable now
    room_names: tuple[str, ...]            # every room's name (moving into the wrong one)
    acted_on: tuple[str, ...]              # item ids the turn acted on (object, holder, key)
    succeeded: frozenset[str]              # event kinds that happened (took, opened, moved...;
    # "moved" is the player moving, "moved-item" an item a rule moved)
    refused: bool                          # the engine refused the command
    ended: str = ""                        # "win"/"lose" when the turn ended the game
    revealed: tuple[str, ...] = ()         # item ids the turn revealed (opened a container,
    # a rule's reveal): the only things a sentence may call revealed
    changed: tuple[str, ...] = ()          # item ids an event of the turn changed (moved, lit...)
    rewarded: bool = False                 # the turn scored or won (a rule's success)

    def item(self, item_id: str) -> ItemFact | None:
        return next((i for i in self.in_scope + self.elsewhere if i.id == item_id), None)


def item_states(world: World, state: GameState, item: Item) -> frozenset[str]:
    """The states a sentence could claim about the item, each with its opposite made explicit."""
    out: set[str] = set()
    iid = item.id
    if item.openable:
        out.add("open" if state.is_(iid, "open") else "closed")
    if item.lockable:
        out.add("locked" if state.is_(iid, "locked") else "unlocked")
    if item.light:
        out.add("lit" if state.is_(iid, "lit") else "unlit")
    if item.wearable and state.is_(iid, "worn"):
        out.add("worn")
    if item.container or item.surface:
        inside = [i for i in state.items_at(iid) if not state.is_(i, "hidden")]
        out.add("nonempty" if inside else "empty")
    return frozenset(out)


def _fact(world: World, state: GameState, item: Item, held: set[str]) -> ItemFact:
    return ItemFact(id=item.id, name=item.name, aliases=tuple(item.aliases),
                    adjectives=tuple(item.adjectives), description=item.description,
                    states=item_states(world, state, item), portable=item.portable,
                    held=item.id in held)


def facts_from_state(world: World, state: GameState, index: object, command: str,
                     engine_text: str, events: Sequence["Event"]) -> TurnFacts:
    """The facts after a turn, from the engine's world, state and the turn's events."""
    scope_ids = visible(world, state, index)  # type: ignore[arg-type]
    held = set(carried(world, state))
    dark = is_dark(world, state, index)  # type: ignore[arg-type]
    room = world.rooms[state.room]
    in_scope = tuple(_fact(world, state, world.items[i], held) for i in scope_ids)
    scope_set = set(scope_ids)
    elsewhere = tuple(_fact(world, state, it, held) for iid, it in world.items.items()
                      if iid not in scope_set)
    acted: list[str] = []
    revealed: list[str] = []
    kinds: set[str] = set()
    refused = False
    ended = ""
    for e in events:
        # an item a rule moved is not the player moving
        moved_item = e.kind == "moved" and e.data.get("item", "player") != "player"
        kinds.add("moved-item" if moved_item else e.kind)
        for key in ("item", "holder", "key"):
            value = e.data.get(key)
            if isinstance(value, str) and value in world.items and value not in acted:
                acted.append(value)
        if e.kind == "revealed" and isinstance(e.data.get("item"), str):
            revealed.append(e.data["item"])
        revealed += [i for i in e.data.get("revealing") or () if isinstance(i, str)]
        if e.kind == "failed":
            refused = True
        if e.kind == "ended":
            ended = str(e.data.get("kind", ""))
    for item_id in commanded_items(world, scope_ids, command):
        if item_id not in acted:
            acted.append(item_id)
    return TurnFacts(
        room_id=room.id, room_name=room.name,
        room_text="" if dark else current_description(room, state, world), dark=dark,
        exits=tuple(e.direction for e in room.exits), command=command, engine_text=engine_text,
        in_scope=in_scope, elsewhere=elsewhere,
        room_names=tuple(r.name for r in world.rooms.values()),
        acted_on=tuple(acted), revealed=tuple(dict.fromkeys(revealed)),
        changed=tuple(sorted(changed_items(events))), rewarded=rule_succeeded(events),
        succeeded=frozenset(kinds - {"failed"}),
        refused=refused and not (kinds & ACTION_KINDS or "moved" in kinds),
        ended=ended)


def commanded_items(world: World, scope_ids: Sequence[str], command: str) -> list[str]:
    """Items in scope that the command names by a noun (the last word of a name, or an alias):
    what the turn acted on even when a world rule, not a built-in verb, answered it."""
    words = set(command.lower().replace(",", " ").split()[1:])
    found = []
    for item_id in scope_ids:
        item = world.items[item_id]
        nouns = {item.name.lower().split()[-1]} | {a.lower() for a in item.aliases}
        if words & nouns:
            found.append(item_id)
    return found


def turn_facts(game: "Game", result: "TurnResult") -> TurnFacts:
    """The facts after `result`, the turn `game` has just played."""
    return facts_from_state(game.world, game.state, game.index, result.command, result.text,
                            result.events)
