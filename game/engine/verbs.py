"""The built-in verbs: what happens when no world rule took the command over.

Each handler gets the turn and the resolved ids (`obj`, `ind` may be None), checks the classic
preconditions in the classic order, changes the state, and reports text plus events. Refusals
go through `turn.fail` so the narrator learns why ("failed", reason=a `Failure`).
"""

from __future__ import annotations

from typing import Callable

from game.engine.conditions import carried_by_player, holds
from game.engine.describe import describe_inventory, describe_item, describe_room
from game.engine.failures import Failure
from game.engine.phrasing import a_name, capitalise, join_list, the_name
from game.engine.rules import enter_room
from game.engine.scope import is_dark
from game.engine.turn import Turn
from game.engine.world import NOWHERE, PLAYER

Handler = Callable[[Turn, "str | None", "str | None", "str | None"], None]


def _The(turn: Turn, item_id: str) -> str:
    return capitalise(the_name(turn.item(item_id)))


def _the(turn: Turn, item_id: str) -> str:
    return the_name(turn.item(item_id))


def _inside(turn: Turn, item_id: str, holder: str) -> bool:
    """Is `holder` somewhere inside `item_id` (so putting item_id into holder makes a loop)?"""
    place = turn.state.locations.get(holder)
    for _ in range(64):
        if place is None:
            return False
        if place == item_id:
            return True
        place = turn.state.locations.get(place)
    return False


def _ensure_held(turn: Turn, item_id: str) -> bool:
    """Implicitly take an item the player must hold ("(first taking the coin)")."""
    if turn.state.locations.get(item_id) == PLAYER:
        return True
    item = turn.item(item_id)
    if not item.portable or item.scenery:
        turn.fail(Failure.NOT_HELD, f"You aren't holding {_the(turn, item_id)}.", item=item_id)
        return False
    turn.aside(f"(first taking {_the(turn, item_id)})")
    origin = turn.state.locations.get(item_id)
    turn.state.move(item_id, PLAYER)
    turn.emit("took", item=item_id, origin=origin, implicit=True)
    return True


# ------------------------------------------------------------------ looking
def look(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    turn.say(describe_room(turn))
    turn.emit("looked", room=turn.state.room, dark=is_dark(turn.world, turn.state, turn.index))


def examine(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    turn.say(describe_item(turn, obj))
    turn.emit("examined", item=obj)


def read(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    text = turn.item(obj).text
    if text is None:
        turn.fail(Failure.NOT_READABLE, f"There is nothing written on {_the(turn, obj)}.", item=obj)
        return
    if is_dark(turn.world, turn.state, turn.index):
        turn.fail(Failure.TOO_DARK, "It's too dark to read.", item=obj)
        return
    turn.say(text)
    turn.emit("read", item=obj, text=text)


def inventory(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    turn.say(describe_inventory(turn))
    turn.emit("inventory", items=turn.index.sort_items(turn.state.items_at(PLAYER)))


# ------------------------------------------------------------------ moving
def go(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert direction is not None
    room = turn.world.rooms[turn.state.room]
    exit_ = room.exit(direction)
    if exit_ is None:
        turn.fail(Failure.NO_EXIT, room.no_exit_reply(direction), direction=direction)
        return
    if exit_.when is not None and not holds(exit_.when, turn.state, turn.world):
        turn.fail(Failure.BLOCKED, exit_.refuse or "You can't go that way.", direction=direction)
        return
    if exit_.door is not None and not turn.state.is_(exit_.door, "open"):
        turn.fail(Failure.DOOR_CLOSED, exit_.refuse or f"{_The(turn, exit_.door)} is closed.",
                  direction=direction, item=exit_.door)
        return
    enter_room(turn, exit_.to, direction)


# ------------------------------------------------------------------ taking and dropping
def take(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    origin = state.locations.get(obj)
    if origin == PLAYER:
        turn.fail(Failure.ALREADY_HELD, "You already have that.", item=obj)
        return
    if ind is not None and origin != ind:
        prep = "on" if turn.item(ind).surface else "in"
        turn.fail(Failure.NOT_THERE, f"{_The(turn, obj)} isn't {prep} {_the(turn, ind)}.",
                  item=obj, holder=ind)
        return
    if item.scenery:
        turn.fail(Failure.SCENERY, "That's hardly portable.", item=obj)
        return
    if not item.portable:
        turn.fail(Failure.FIXED, "That's fixed in place.", item=obj)
        return
    if _inside(turn, obj, PLAYER) or obj == PLAYER:
        turn.fail(Failure.ALREADY_HELD, "You already have that.", item=obj)
        return
    state.move(obj, PLAYER)
    turn.say("Taken.")
    turn.emit("took", item=obj, origin=origin)


def drop(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state = turn.state
    if state.locations.get(obj) != PLAYER:
        if carried_by_player(state, obj):
            state.move(obj, PLAYER)
        else:
            turn.fail(Failure.NOT_HELD, "You're not carrying that.", item=obj)
            return
    if state.is_(obj, "worn"):
        turn.aside(f"(first taking off {_the(turn, obj)})")
        state.set_item_state(obj, "worn", False)
        turn.emit("removed", item=obj, implicit=True)
    state.move(obj, state.room)
    turn.say("Dropped.")
    turn.emit("dropped", item=obj, room=state.room)


def _put(turn: Turn, obj: str, ind: str, surface: bool) -> None:
    holder = turn.item(ind)
    prep = "on" if surface else "in"
    if obj == ind or _inside(turn, obj, ind):
        turn.fail(Failure.LOOP, f"You can't put something {prep} itself.", item=obj, holder=ind)
        return
    if surface and not holder.surface:
        turn.fail(Failure.NOT_SURFACE, f"Putting things on {_the(turn, ind)} would achieve nothing.",
                  item=obj, holder=ind)
        return
    if not surface and not holder.container:
        turn.fail(Failure.NOT_CONTAINER, "That can't contain things.", item=obj, holder=ind)
        return
    if not surface and holder.openable and not turn.state.is_(ind, "open"):
        turn.fail(Failure.CLOSED, f"{_The(turn, ind)} is closed.", item=obj, holder=ind)
        return
    if turn.state.locations.get(obj) == ind:
        turn.fail(Failure.ALREADY_THERE, f"{_The(turn, obj)} is already {prep} {_the(turn, ind)}.",
                  item=obj, holder=ind)
        return
    if not _ensure_held(turn, obj):
        return
    if turn.state.is_(obj, "worn"):
        turn.state.set_item_state(obj, "worn", False)
        turn.emit("removed", item=obj, implicit=True)
    turn.state.move(obj, ind)
    turn.say(f"You put {_the(turn, obj)} {prep} {_the(turn, ind)}.")
    turn.emit("put", item=obj, holder=ind, preposition=prep)


def put_in(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None and ind is not None
    _put(turn, obj, ind, surface=False)


def put_on(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None and ind is not None
    _put(turn, obj, ind, surface=True)


# ------------------------------------------------------------------ doors and containers
def open_(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    if not item.openable:
        turn.fail(Failure.NOT_OPENABLE, "That's not something you can open.", item=obj)
        return
    if state.is_(obj, "open"):
        turn.fail(Failure.ALREADY_OPEN, "It's already open.", item=obj)
        return
    if state.is_(obj, "locked"):
        turn.fail(Failure.LOCKED, "It seems to be locked.", item=obj)
        return
    was_dark = is_dark(turn.world, state, turn.index)
    state.set_item_state(obj, "open", True)
    inside = turn.index.sort_items(
        [i for i in state.items_at(obj) if not state.is_(i, "hidden")]) if item.container else []
    if inside:
        names = join_list([a_name(turn.item(i)) for i in inside])
        turn.say(f"You open {_the(turn, obj)}, revealing {names}.")
    else:
        turn.say(f"You open {_the(turn, obj)}.")
    turn.emit("opened", item=obj, revealing=inside)
    if was_dark and not is_dark(turn.world, state, turn.index):
        turn.say(describe_room(turn))


def close(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    if not item.openable:
        turn.fail(Failure.NOT_OPENABLE, "That's not something you can close.", item=obj)
        return
    if not state.is_(obj, "open"):
        turn.fail(Failure.ALREADY_CLOSED, "It's already closed.", item=obj)
        return
    state.set_item_state(obj, "open", False)
    turn.say(f"You close {_the(turn, obj)}.")
    turn.emit("closed", item=obj)


def _key_for(turn: Turn, obj: str, ind: str | None, verb: str) -> str | None:
    """The key to use: the one named (which must fit and be held), or the right key carried."""
    item = turn.item(obj)
    if ind is None:
        if item.key is not None and carried_by_player(turn.state, item.key):
            turn.aside(f"(with {_the(turn, item.key)})")
            return item.key
        turn.fail(Failure.NO_KEY, f"You don't have anything to {verb} {_the(turn, obj)} with.",
                  item=obj)
        return None
    if not carried_by_player(turn.state, ind):
        turn.fail(Failure.NOT_HELD, f"You aren't holding {_the(turn, ind)}.", item=obj, key=ind)
        return None
    if item.key != ind:
        turn.fail(Failure.WRONG_KEY, f"{_The(turn, ind)} doesn't fit the lock.", item=obj, key=ind)
        return None
    return ind


def unlock(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    if not item.lockable:
        turn.fail(Failure.NOT_LOCKABLE, "That doesn't seem to be something you can unlock.", item=obj)
        return
    if not state.is_(obj, "locked"):
        turn.fail(Failure.NOT_LOCKED, "It's not locked.", item=obj)
        return
    key = _key_for(turn, obj, ind, "unlock")
    if key is None:
        return
    state.set_item_state(obj, "locked", False)
    turn.say(f"You unlock {_the(turn, obj)}.")
    turn.emit("unlocked", item=obj, key=key)


def lock(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    if not item.lockable:
        turn.fail(Failure.NOT_LOCKABLE, "That doesn't seem to be something you can lock.", item=obj)
        return
    if state.is_(obj, "locked"):
        turn.fail(Failure.ALREADY_LOCKED, "It's already locked.", item=obj)
        return
    if state.is_(obj, "open"):
        turn.fail(Failure.OPEN, "You'll have to close it first.", item=obj)
        return
    key = _key_for(turn, obj, ind, "lock")
    if key is None:
        return
    state.set_item_state(obj, "locked", True)
    turn.say(f"You lock {_the(turn, obj)}.")
    turn.emit("locked", item=obj, key=key)


# ------------------------------------------------------------------ wearing
def wear(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state = turn.state
    if not turn.item(obj).wearable:
        turn.fail(Failure.NOT_WEARABLE, "You can't wear that!", item=obj)
        return
    if state.is_(obj, "worn"):
        turn.fail(Failure.ALREADY_WORN, "You're already wearing that!", item=obj)
        return
    if not _ensure_held(turn, obj):
        return
    state.set_item_state(obj, "worn", True)
    turn.say(f"You put on {_the(turn, obj)}.")
    turn.emit("wore", item=obj)


def take_off(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    if not turn.state.is_(obj, "worn"):
        turn.fail(Failure.NOT_WORN, "You're not wearing that.", item=obj)
        return
    turn.state.set_item_state(obj, "worn", False)
    turn.say(f"You take off {_the(turn, obj)}.")
    turn.emit("removed", item=obj)


def remove(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    """ "remove" means take off when worn, otherwise take (out of wherever it is)."""
    assert obj is not None
    if turn.state.is_(obj, "worn"):
        take_off(turn, obj, ind, direction)
    else:
        take(turn, obj, ind, direction)


# ------------------------------------------------------------------ light
def turn_on(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    if not item.light:
        turn.fail(Failure.NOT_LIGHT, "That's not something you can light.", item=obj)
        return
    if state.is_(obj, "lit"):
        turn.fail(Failure.ALREADY_LIT, "It's already lit.", item=obj)
        return
    if not item.switchable:
        turn.fail(Failure.NOT_SWITCHABLE, f"You have no way to light {_the(turn, obj)}.", item=obj)
        return
    was_dark = is_dark(turn.world, state, turn.index)
    state.set_item_state(obj, "lit", True)
    turn.say(f"{_The(turn, obj)} is now lit.")
    turn.emit("lit", item=obj)
    if was_dark and not is_dark(turn.world, state, turn.index):
        turn.say(describe_room(turn))


def turn_off(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    state, item = turn.state, turn.item(obj)
    if not state.is_(obj, "lit"):
        turn.fail(Failure.NOT_LIT, "It isn't lit.", item=obj)
        return
    if not item.switchable:
        turn.fail(Failure.NOT_SWITCHABLE, f"You can't put out {_the(turn, obj)}.", item=obj)
        return
    state.set_item_state(obj, "lit", False)
    turn.say(f"{_The(turn, obj)} is now dark.")
    turn.emit("extinguished", item=obj)
    if is_dark(turn.world, state, turn.index):
        turn.say("It is now pitch dark in here!")


# ------------------------------------------------------------------ eating, drinking, giving
def eat(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    if not turn.item(obj).edible:
        turn.fail(Failure.INEDIBLE, "That's plainly inedible.", item=obj)
        return
    if not _ensure_held(turn, obj):
        return
    turn.state.move(obj, NOWHERE)
    turn.say(f"You eat {_the(turn, obj)}. Not bad.")
    turn.emit("ate", item=obj)


def drink(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None
    if not turn.item(obj).drinkable:
        turn.fail(Failure.UNDRINKABLE, "There's nothing suitable to drink there.", item=obj)
        return
    turn.state.move(obj, NOWHERE)
    turn.say(f"You drink {_the(turn, obj)}.")
    turn.emit("drank", item=obj)


def give(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    """Giving only means something when a world rule says so; otherwise it is politely refused."""
    assert obj is not None and ind is not None
    if obj == ind:
        turn.fail(Failure.SELF, "You can't give something to itself.", item=obj)
        return
    if not carried_by_player(turn.state, obj):
        turn.fail(Failure.NOT_HELD, f"You aren't holding {_the(turn, obj)}.", item=obj, to=ind)
        return
    turn.fail(Failure.NOT_INTERESTED, f"{_The(turn, ind)} doesn't seem interested.", item=obj, to=ind)


def show(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    assert obj is not None and ind is not None
    turn.fail(Failure.NOT_INTERESTED, f"{_The(turn, ind)} is unimpressed.", item=obj, to=ind)


def wait(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    turn.say("Time passes.")
    turn.emit("waited")


def climb(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    """ "climb up the ladder" goes up (the parser passes the direction); plain "climb X" does not."""
    if direction in ("up", "down") and turn.world.rooms[turn.state.room].exit(direction):
        go(turn, obj, ind, direction)
        return
    turn.fail(Failure.CANNOT_CLIMB, "You can't climb that." if obj else "There's nothing to climb here.",
              item=obj)


def _bland(reply: str, kind: str = "message") -> Handler:
    """A classic verb with a polite default answer, for worlds whose rules say nothing more."""

    def handler(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
        turn.say(reply)
        turn.emit(kind, text=reply, item=obj)

    return handler


def custom(turn: Turn, obj: str | None, ind: str | None, direction: str | None) -> None:
    """A verb only world rules know, when none of its rules applies here and now."""
    turn.fail(Failure.NO_EFFECT, "Nothing obvious happens.", item=obj, indirect=ind)


HANDLERS: dict[str, Handler] = {
    "look": look, "examine": examine, "read": read, "inventory": inventory, "go": go,
    "take": take, "drop": drop, "put_in": put_in, "put_on": put_on, "open": open_,
    "close": close, "unlock": unlock, "lock": lock, "wear": wear, "take_off": take_off,
    "remove": remove, "turn_on": turn_on, "turn_off": turn_off, "eat": eat, "drink": drink,
    "give": give, "show": show, "wait": wait, "climb": climb,
    "examine_self": _bland("As good-looking as ever."),
    "look_under": _bland("You find nothing of interest."),
    "listen": _bland("You hear nothing unexpected."),
    "smell": _bland("You smell nothing unexpected."),
    "touch": _bland("You feel nothing unexpected."),
    "knock": _bland("Nobody answers."),
    "jump": _bland("You jump on the spot, fruitlessly."),
    "sleep": _bland("You aren't feeling especially drowsy."),
    "sing": _bland("Your singing is abominable."),
    "think": _bland("What a good idea."),
    "pray": _bland("Nothing practical seems to result from your prayer."),
    "attack": _bland("Violence isn't the answer to this one."),
    "kiss": _bland("Keep your mind on the game."),
    "talk_to": _bland("There is no reply."),
}
