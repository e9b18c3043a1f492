"""Every built-in verb, played as short sessions in the engine test world."""

from __future__ import annotations

from engine_session import Session


def test_look_lists_items_contents_and_exits() -> None:
    s = Session()
    assert "You are in a house built to test a parser." in s.opening.text
    s.do("look", "Hall", "You can see a brass key, an iron key and a wooden box (closed) here.",
         "Exits: north, east, west and down.")
    assert s.events("looked")[0].data == {"room": "hall", "dark": False}
    s.do("e", "Kitchen", "On the kitchen table is a red book.")


def test_examine_shows_state_and_contents() -> None:
    s = Session()
    s.do("x box", "A plain wooden box.", "The wooden box is closed.")
    s.do("open box")
    s.do("examine box", "is open", "In the wooden box are a gold coin and a glass marble.")
    s.do("x door", "A heavy oak door.", "closed and locked")
    assert s.events("examined")[0].data == {"item": "oak_door"}


def test_read() -> None:
    s = Session()
    s.do("e")
    s.do("read book", "Chapter one: it was a dark and stormy night.")
    assert s.events("read")[0].data["item"] == "book"
    s.do("read apple", "There is nothing written on the apple.")
    s.do("take book. w. d")
    s.do("read book", "It's too dark to read.")


def test_inventory() -> None:
    s = Session()
    s.do("i", "You are carrying:", "a pebble")
    s.do("drop pebble")
    s.do("inventory", "You are empty-handed.")


def test_go_blocked_and_refused_exits() -> None:
    s = Session()
    s.do("s", "You can't go that way.")
    s.do("n", "The oak door is closed.")
    assert s.events("failed")[0].data["reason"] == "door-closed"
    s.do("w")
    s.do("go north", "Brambles block the way north.")
    assert s.room == "garden"


def test_take_and_drop() -> None:
    s = Session()
    s.do("take brass key", "Taken.")
    assert s.events("took")[0].data == {"item": "brass_key", "origin": "hall"}
    s.do("take brass key", "You already have that.")
    s.do("drop brass key", "Dropped.")
    assert s.where("brass_key") == "hall"
    s.do("drop brass key", "You're not carrying that.")
    s.do("take door", "That's hardly portable.")
    s.do("e")
    s.do("take table", "That's fixed in place.")


def test_take_from_container_and_surface() -> None:
    s = Session()
    s.do("take coin", "You can't see any such thing.")      # the box is closed
    s.do("open box")
    s.do("take coin from box", "Taken.")
    s.do("e")
    s.do("take book off table", "Taken.")
    s.do("take apple from table", "The apple isn't on the kitchen table.")


def test_put_in_and_on() -> None:
    s = Session()
    s.do("put pebble in box", "The wooden box is closed.")
    s.do("open box")
    s.do("put pebble in box", "You put the pebble in the wooden box.")
    assert s.where("pebble") == "box"
    s.do("put pebble in box", "The pebble is already in the wooden box.")
    s.do("take box")
    s.do("put box in box", "You can't put something in itself.")
    s.do("put key in pebble", "Which key")
    s.do("brass", "That can't contain things.")
    s.do("e")
    s.do("put box on table", "You put the wooden box on the kitchen table.")
    s.do("look", "On the kitchen table are a wooden box and a red book.")
    s.do("put apple on book", "Putting things on the red book would achieve nothing.")


def test_implicit_take_before_put() -> None:
    s = Session()
    s.do("open box. take brass key")
    s.do("put iron key in box", "(first taking the iron key)\nYou put the iron key in the wooden box.")


def test_open_close() -> None:
    s = Session()
    s.do("open box", "The hinges creak.", "You open the wooden box, revealing a gold coin and a glass marble.")
    assert s.events("opened")[0].data["revealing"] == ["coin", "marble"]
    s.do("open box", "It's already open.")
    s.do("close box", "You close the wooden box.")
    s.do("close box", "It's already closed.")
    s.do("open pebble", "That's not something you can open.")
    s.do("open door", "It seems to be locked.")


def test_lock_and_unlock_with_keys() -> None:
    s = Session()
    s.do("unlock door", "You don't have anything to unlock the oak door with.")
    s.do("unlock door with iron key", "You aren't holding the iron key.")
    s.do("take all")
    s.do("unlock door with iron key", "The iron key doesn't fit the lock.")
    s.do("unlock door with key", "You unlock the oak door.")      # the key that fits
    assert s.events("unlocked")[0].data == {"item": "oak_door", "key": "brass_key"}
    s.do("unlock door", "It's not locked.")
    s.do("lock door", "(with the brass key)\nYou lock the oak door.")
    s.do("unlock door", "(with the brass key)\nYou unlock the oak door.")
    s.do("open door. lock door with brass key", "You'll have to close it first.")
    s.do("n", "Study")
    s.do("lock statue", "That doesn't seem to be something you can lock.")


def test_wear_and_take_off() -> None:
    s = Session()
    s.do("take brass key. unlock door. open door. n")
    s.do("wear cloak", "(first taking the velvet cloak)\nYou put on the velvet cloak.")
    s.do("wear cloak", "You're already wearing that!")
    s.do("i", "a velvet cloak (being worn)")
    s.do("take off cloak", "You take off the velvet cloak.")
    s.do("take cloak off", "You're not wearing that.")
    s.do("put on cloak", "You put on the velvet cloak.")
    s.do("remove cloak", "You take off the velvet cloak.")
    assert s.events("removed")[0].data == {"item": "cloak"}
    s.do("wear statue", "You can't wear that!")
    s.do("don cloak. drop cloak", "(first taking off the velvet cloak)\nDropped.")


def test_light_and_darkness() -> None:
    s = Session()
    s.do("d", "Darkness", "It is pitch dark, and you can't see a thing.")
    s.do("x chest", "You can't see any such thing.")
    s.do("i", "a pebble")                        # what you carry, you can feel
    s.do("u. e. take lamp. turn on lamp", "The brass lamp is now lit.")
    assert s.events("lit")[0].data == {"item": "lamp"}
    s.do("turn on lamp", "It's already lit.")
    s.do("w. d", "Cellar", "You can see an iron chest (closed) here.")
    s.do("extinguish lamp", "The brass lamp is now dark.", "It is now pitch dark in here!")
    s.do("x chest", "You can't see any such thing.")
    s.do("x lamp", "The brass lamp is not lit.")
    s.do("light lamp", "The brass lamp is now lit.", "Cellar")  # the room appears
    s.do("turn off lamp. drop lamp. x lamp", "You can't see any such thing.")
    s.do("turn on pebble", "That's not something you can light.")


def test_eat_and_drink() -> None:
    s = Session()
    s.do("e")
    s.do("eat apple", "(first taking the apple)\nYou eat the apple. Not bad.")
    assert s.where("apple") == "nowhere"
    s.do("eat book", "That's plainly inedible.")
    s.do("drink water", "You drink the glass of water.")
    assert s.events("drank")[0].data == {"item": "water"}
    s.do("drink book", "There's nothing suitable to drink there.")


def test_give_without_and_with_a_rule() -> None:
    s = Session()
    s.do("open box. take coin. w")
    s.do("give pebble to troll", "The troll doesn't seem interested.")
    s.do("give coin to troll", "The troll bites the coin and grins.")
    assert s.where("coin") == "nowhere" and s.game.state.score == 5


def test_wait_score_help_quit() -> None:
    s = Session()
    s.do("z", "Time passes.")
    s.do("wait", "Time passes.")
    assert s.game.state.turns == 2
    s.do("score", "You have scored 0 out of a possible 20, in 2 turns.")
    assert s.do("help", "Type short commands").meta == "help"
    assert s.do("quit").meta == "quit"
    assert s.game.state.turns == 2                # meta commands take no time


def test_restart() -> None:
    s = Session()
    s.do("take all. e")
    s.do("restart", "You are in a house built to test a parser.", "Hall")
    assert s.game.state.turns == 0 and s.where("brass_key") == "hall"
    s.do("undo")
    assert s.room == "kitchen"


def test_scene_shows_only_what_is_perceived() -> None:
    s = Session()
    scene = s.game.scene()
    assert scene.room_id == "hall" and not scene.dark
    assert scene.visible_items == ["brass key", "iron key", "wooden box"]
    assert scene.fixed_features == ["oak door"] and scene.inventory == ["pebble"]
    assert scene.exits == ["north", "east", "west", "down"]
    s.do("d")
    dark = s.game.scene()
    assert dark.dark and dark.room_name == "Darkness" and dark.visible_items == []


def test_completions() -> None:
    s = Session()
    words = s.game.completions()
    for expected in ("take", "examine", "north", "brass key", "wooden box", "pray", "pull"):
        assert expected in words


def test_climb() -> None:
    s = Session()
    s.do("climb box", "You can't climb that.")
    s.do("climb down box", "Darkness")         # "climb down X" goes down when there is a way
    assert s.room == "cellar"
    s.do("climb up", "Hall")


def test_bland_classic_verbs() -> None:
    s = Session()
    s.do("listen", "You hear nothing unexpected.")
    s.do("listen to the box", "You hear nothing unexpected.")
    s.do("smell box", "You smell nothing unexpected.")
    s.do("touch door", "You feel nothing unexpected.")
    s.do("knock on door", "Nobody answers.")
    s.do("jump", "You jump on the spot, fruitlessly.")
    s.do("sleep", "You aren't feeling especially drowsy.")
    s.do("look under the box", "You find nothing of interest.")
    assert s.game.state.turns == 8


def test_inform_bland_refusals_for_people_verbs() -> None:
    s = Session()
    s.do("attack box", "Violence isn't the answer to this one.")
    s.do("kick box", "Violence isn't the answer to this one.")
    s.do("kiss box", "Keep your mind on the game.")
    s.do("talk to box", "There is no reply.")
