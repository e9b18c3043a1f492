"""The built-in command grammar: which word patterns mean which canonical verb.

Patterns are tried in order, so specific ones ("take off OBJ") come before general ones
("take OBJS"). Slots: OBJ (one object), OBJS (objects, "all", "x and y", "all except z"),
IND (the indirect object), DIR (a direction), SLOT (an optional save slot name).

`VERB_KEYS` maps every way an author may name a built-in verb in a rule ("get", "pick up",
"light", "x") to the canonical key the engine matches rules against, so a rule written for
"take" also fires for "get" and "pick up". Directions are keys too: a rule for "north" fires
when the player goes north, and a rule for "go" on any movement.
"""

from __future__ import annotations

from game.engine.world import DIRECTION_ABBREVIATIONS, DIRECTIONS

# (pattern, canonical verb). Canonical verbs double as the handler names in verbs.py.
PATTERNS: tuple[tuple[str, str], ...] = (
    # movement
    ("go DIR", "go"), ("walk DIR", "go"), ("run DIR", "go"), ("head DIR", "go"),
    ("climb DIR", "go"), ("go to DIR", "go"),
    ("enter", "enter"), ("exit", "leave"), ("leave", "leave"),
    ("enter OBJ", "enter"), ("go into OBJ", "enter"), ("go in OBJ", "enter"),
    ("get in", "enter"), ("get into OBJ", "enter"), ("get out", "leave"),
    ("get out of OBJ", "leave"), ("exit OBJ", "leave"), ("leave OBJ", "leave"),
    # looking
    ("examine me", "examine_self"), ("examine myself", "examine_self"), ("x me", "examine_self"),
    ("x myself", "examine_self"), ("x self", "examine_self"), ("look at me", "examine_self"),
    ("look at myself", "examine_self"),
    ("look at OBJ", "examine"), ("look in OBJ", "examine"), ("look inside OBJ", "examine"),
    ("look into OBJ", "examine"), ("look on OBJ", "examine"),
    ("look under OBJ", "look_under"), ("look behind OBJ", "look_under"),
    ("look beneath OBJ", "look_under"),
    ("look", "look"), ("l", "look"), ("look around", "look"),
    ("examine OBJ", "examine"), ("x OBJ", "examine"), ("inspect OBJ", "examine"),
    ("check OBJ", "examine"), ("describe OBJ", "examine"), ("search OBJ", "examine"),
    ("look OBJ", "examine"), ("l OBJ", "examine"), ("l at OBJ", "examine"),
    ("read OBJ", "read"),
    ("inventory", "inventory"), ("i", "inventory"), ("inv", "inventory"),
    ("take inventory", "inventory"),
    # wearing (before take/put so "take off hat" is not "take 'off hat'")
    ("take off OBJ", "take_off"), ("take OBJ off", "take_off"), ("doff OBJ", "take_off"),
    ("wear OBJ", "wear"), ("don OBJ", "wear"), ("put on OBJ", "wear"), ("put OBJ on", "wear"),
    # taking and dropping
    ("take OBJS from IND", "take"), ("take OBJS out of IND", "take"), ("take OBJS off IND", "take"),
    ("get OBJS from IND", "take"), ("get OBJS out of IND", "take"), ("get OBJS off IND", "take"),
    ("remove OBJS from IND", "take"),
    ("pick up OBJS", "take"), ("pick OBJS up", "take"),
    ("take OBJS", "take"), ("get OBJS", "take"), ("grab OBJS", "take"), ("carry OBJS", "take"),
    ("remove OBJ", "remove"),
    ("put down OBJS", "drop"), ("put OBJS down", "drop"), ("set down OBJS", "drop"),
    ("drop OBJS", "drop"), ("discard OBJS", "drop"),
    ("put OBJS in IND", "put_in"), ("put OBJS into IND", "put_in"), ("put OBJS inside IND", "put_in"),
    ("insert OBJS in IND", "put_in"), ("insert OBJS into IND", "put_in"),
    ("place OBJS in IND", "put_in"), ("place OBJS into IND", "put_in"),
    ("drop OBJS in IND", "put_in"), ("drop OBJS into IND", "put_in"),
    ("put OBJS on IND", "put_on"), ("put OBJS onto IND", "put_on"), ("place OBJS on IND", "put_on"),
    ("place OBJS onto IND", "put_on"), ("drop OBJS on IND", "put_on"), ("set OBJS on IND", "put_on"),
    # doors and containers
    ("open OBJ with IND", "unlock"), ("open OBJ", "open"),
    ("close OBJ", "close"), ("shut OBJ", "close"),
    ("unlock OBJ with IND", "unlock"), ("unlock OBJ", "unlock"),
    ("lock OBJ with IND", "lock"), ("lock OBJ", "lock"),
    # light
    ("turn on OBJ", "turn_on"), ("turn OBJ on", "turn_on"), ("switch on OBJ", "turn_on"),
    ("switch OBJ on", "turn_on"), ("light OBJ", "turn_on"), ("ignite OBJ", "turn_on"),
    ("turn off OBJ", "turn_off"), ("turn OBJ off", "turn_off"), ("switch off OBJ", "turn_off"),
    ("switch OBJ off", "turn_off"), ("extinguish OBJ", "turn_off"), ("douse OBJ", "turn_off"),
    ("blow out OBJ", "turn_off"), ("put out OBJ", "turn_off"), ("snuff OBJ", "turn_off"),
    # consuming and giving
    ("eat OBJ", "eat"), ("drink OBJ", "drink"), ("drink from OBJ", "drink"),
    ("give OBJ to IND", "give"), ("offer OBJ to IND", "give"), ("hand OBJ to IND", "give"),
    ("show OBJ to IND", "show"),
    # climbing: "climb up/down the ladder" goes that way unless a rule says otherwise
    ("climb up OBJ", "climb"), ("climb down OBJ", "climb"), ("climb on OBJ", "climb"),
    ("climb onto OBJ", "climb"), ("climb over OBJ", "climb"), ("climb OBJ", "climb"),
    # the senses and other classic verbs with bland defaults (rules may give them meaning)
    ("listen to OBJ", "listen"), ("listen", "listen"), ("hear OBJ", "listen"),
    ("smell OBJ", "smell"), ("smell", "smell"), ("sniff OBJ", "smell"), ("sniff", "smell"),
    ("touch OBJ", "touch"), ("feel OBJ", "touch"), ("rub OBJ", "touch"),
    ("knock on OBJ", "knock"), ("knock at OBJ", "knock"), ("knock OBJ", "knock"), ("knock", "knock"),
    ("jump", "jump"), ("hop", "jump"), ("sleep", "sleep"), ("nap", "sleep"),
    ("sing", "sing"), ("think", "think"), ("pray", "pray"),
    # people and violence: Inform's bland refusals (rules may give them meaning)
    ("attack OBJ", "attack"), ("hit OBJ", "attack"), ("kick OBJ", "attack"),
    ("punch OBJ", "attack"), ("kiss OBJ", "kiss"), ("hug OBJ", "kiss"),
    ("talk to OBJ", "talk_to"), ("speak to OBJ", "talk_to"),
    # time and meta
    ("wait", "wait"), ("z", "wait"),
    ("again", "again"), ("g", "again"),
    ("undo", "undo"),
    ("score", "score"),
    ("help", "help"), ("hint", "hint"), ("hints", "hint"),
    ("quit", "quit"), ("q", "quit"),
    ("save SLOT", "save"), ("restore SLOT", "restore"), ("load SLOT", "restore"),
    ("restart", "restart"),
)

# Verbs that talk to the engine or the shell rather than act in the world: never matched by
# rules (not even "*"), never counted as turns.
META_VERBS: frozenset[str] = frozenset(
    {"again", "undo", "score", "help", "hint", "quit", "save", "restore", "restart"})

# The built-in actions a world's own verbs may mean (`verbs:` in a world file).
ACTIONS: tuple[str, ...] = tuple(sorted({v for _, v in PATTERNS if v not in META_VERBS}))
PATTERN_SLOTS: frozenset[str] = frozenset({"OBJ", "OBJS", "IND", "DIR"})


def action_slots(verb: str) -> frozenset[str]:
    """The slots the built-in patterns of `verb` use (OBJS counted as OBJ)."""
    return frozenset("OBJ" if part == "OBJS" else part
                     for pattern, v in PATTERNS if v == verb
                     for part in pattern.split() if part in PATTERN_SLOTS)


# Verbs still accepted once the game has ended.
AFTER_END_VERBS: frozenset[str] = frozenset({"undo", "restore", "restart", "quit"})

# Verbs whose object slot accepts "all" and lists.
MULTI_VERBS: frozenset[str] = frozenset({"take", "drop", "put_in", "put_on"})

# How an author may name a built-in verb in a rule -> the canonical key rules match against.
VERB_KEYS: dict[str, str] = {
    "go": "go", "walk": "go", "run": "go", "head": "go", "move": "go",
    "enter": "in", "exit": "out", "leave": "out",
    "look": "look", "l": "look", "look around": "look",
    "examine": "examine", "x": "examine", "look at": "examine", "inspect": "examine",
    "check": "examine", "describe": "examine", "search": "examine", "look in": "examine",
    "read": "read", "look under": "look_under", "look behind": "look_under",
    "look_under": "look_under",
    "inventory": "inventory", "i": "inventory", "inv": "inventory",
    "take": "take", "get": "take", "pick up": "take", "grab": "take", "carry": "take",
    "remove": "remove",
    "drop": "drop", "discard": "drop", "put down": "drop",
    "put": "put", "put in": "put_in", "insert": "put_in", "put on": "put_on", "place": "put",
    "open": "open", "close": "close", "shut": "close",
    "unlock": "unlock", "lock": "lock",
    "turn on": "turn_on", "switch on": "turn_on", "light": "turn_on", "ignite": "turn_on",
    "turn_on": "turn_on",
    "turn off": "turn_off", "switch off": "turn_off", "extinguish": "turn_off",
    "douse": "turn_off", "blow out": "turn_off", "put out": "turn_off", "snuff": "turn_off",
    "turn_off": "turn_off",
    "wear": "wear", "don": "wear", "take off": "take_off", "doff": "take_off",
    "take_off": "take_off",
    "eat": "eat", "drink": "drink",
    "give": "give", "offer": "give", "hand": "give", "show": "show",
    "wait": "wait", "z": "wait",
    "climb": "climb", "climb up": "climb", "climb down": "climb",
    "listen": "listen", "listen to": "listen", "hear": "listen",
    "smell": "smell", "sniff": "smell", "touch": "touch", "feel": "touch", "rub": "touch",
    "knock": "knock", "knock on": "knock", "jump": "jump", "hop": "jump",
    "sleep": "sleep", "nap": "sleep", "sing": "sing", "think": "think", "pray": "pray",
    "attack": "attack", "hit": "attack", "kick": "attack", "punch": "attack",
    "kiss": "kiss", "hug": "kiss", "talk to": "talk_to", "speak to": "talk_to",
    "talk_to": "talk_to",
}
for _d in DIRECTIONS:
    VERB_KEYS[_d] = _d
    VERB_KEYS[f"go {_d}"] = _d
for _abbr, _d in DIRECTION_ABBREVIATIONS.items():
    VERB_KEYS[_abbr] = _d
    VERB_KEYS[f"go {_abbr}"] = _d

# Extra rule keys each canonical verb answers to (a rule for "put" matches put-in and put-on;
# "remove" answers to rules for take-off and take as well as its own).
VERB_ALSO_KEYS: dict[str, tuple[str, ...]] = {
    "put_in": ("put",), "put_on": ("put",), "examine_self": ("examine",),
}

DIRECTION_WORDS: dict[str, str] = {d: d for d in DIRECTIONS}
DIRECTION_WORDS.update(DIRECTION_ABBREVIATIONS)
DIRECTION_WORDS.update({"upstairs": "up", "downstairs": "down", "inside": "in", "outside": "out"})

ARTICLES: frozenset[str] = frozenset({"the", "a", "an", "some", "my", "your"})
FILLERS: frozenset[str] = frozenset({"one", "ones"})
PRONOUNS: frozenset[str] = frozenset({"it", "them", "him", "her", "this", "that", "those", "these"})
ALL_WORDS: frozenset[str] = frozenset({"all", "everything", "every", "each"})
EXCEPT_WORDS: frozenset[str] = frozenset({"except", "but", "excluding"})
PREPOSITIONS: tuple[str, ...] = (
    "with", "to", "into", "in", "inside", "onto", "on", "from", "at", "under", "behind",
    "through", "about", "using", "over", "off", "out", "up", "down", "for", "against",
)


def normalise_rule_verb(verb: str) -> str:
    """The key a rule's verb word matches under: built-in synonyms collapse, others stay as typed."""
    words = " ".join(verb.lower().split())
    return VERB_KEYS.get(words, words)


def grammar_words() -> frozenset[str]:
    """Every word the built-in grammar uses (so they never count as unknown)."""
    words: set[str] = set()
    for pattern, _verb in PATTERNS:
        words.update(w for w in pattern.split() if not w.isupper())
    for key in VERB_KEYS:
        words.update(key.split())
    words.update(DIRECTION_WORDS, ARTICLES, FILLERS, PRONOUNS, ALL_WORDS, EXCEPT_WORDS,
                 PREPOSITIONS, {"and", "then", "of"})
    return frozenset(words)
