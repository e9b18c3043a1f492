"""The words the grounding check reads sentences with: generic nouns, game words, retold
actions, state words, and the patterns of claims (a door that swings open, a move, a dark room).

Kept apart from `checker.py` so that the rules there read as rules, and so that an author or
a translator can see every word the check treats specially in one place.
"""

from __future__ import annotations

import re

# Nouns any scene may use without the world naming them: the player's body and senses, the
# air and light around them, and words for place, time and manner. Kept short on purpose:
# every word here is one the narrator may use anywhere.
GENERIC_NOUNS = frozenset("""
    step steps way moment moments time while air light dark end
    darkness shadow shadows silence sound sounds noise quiet warmth cold chill weight touch
    grip side sides edge edges top bottom middle centre center corner front surface ground
    floor place spot direction thing things something nothing anything everything sight view
    glance look attention mind thought thoughts feeling sense hope care ease effort lesson
    you yourself
    north south east west northeast northwest southeast southwest up down
""".split())
# The player's own body: generic only as theirs ("your hand"); "a large hand" is somebody's.
BODY_NOUNS = frozenset("""
    hand finger palm arm foot feet eye ear face head breath heart back shoulder skin knee leg lip
    cheek neck spine teeth
""".split())

# What a lit light source in scope grounds: its light may be described.
LIGHT_NOUNS = frozenset({"glow", "flame", "flames", "gleam", "shine", "radiance", "halo"})

# Words that talk about the game instead of the story. Always refused, even when the engine's
# own notice uses them ("[Your score has gone up by 5 points.]"): that notice is the engine's.
GAME_WORDS = frozenset({
    "game", "games", "player", "players", "score", "scores", "win", "wins", "won", "winning",
    "winner", "victory", "ending", "endings", "quest", "puzzle", "puzzles", "inventory",
    "story", "stories", "narrative", "narrator", "level", "levels",
})
POINTS = re.compile(r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|"
                     r"thirty|fifty|hundred|more|extra|bonus)\s+points?\b", re.IGNORECASE)
NUMBER_WORDS = frozenset({
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand",
})
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "we", "us", "our", "ours"})

# Retold actions: the words of a sentence (lemmas) -> the event kind they claim.
ACTION_VERBS: dict[str, str] = {
    "take": "took", "takes": "took", "took": "took", "grab": "took", "grabs": "took",
    "pick": "took", "picks": "took", "lift": "took", "lifts": "took",
    "drop": "dropped", "drops": "dropped",
    "put": "put", "puts": "put", "place": "put", "places": "put", "pour": "put", "pours": "put",
    "open": "opened", "opens": "opened", "close": "closed", "closes": "closed",
    "shut": "closed", "shuts": "closed",
    "unlock": "unlocked", "unlocks": "unlocked", "lock": "locked", "locks": "locked",
    "light": "lit", "lights": "lit", "lit": "lit", "kindle": "lit", "kindles": "lit",
    "extinguish": "extinguished", "extinguishes": "extinguished",
    "read": "read", "reads": "read",
    "examine": "examined", "examines": "examined", "study": "examined", "studies": "examined",
    "inspect": "examined", "inspects": "examined",
    "eat": "ate", "eats": "ate", "drink": "drank", "drinks": "drank",
    "wear": "wore", "wears": "wore", "remove": "removed", "removes": "removed",
    "give": "gave", "gives": "gave",
}
# Two-word verbs, checked before the single words ("put out" is not "put").
PHRASAL_VERBS: dict[tuple[str, str], str] = {
    (verb, particle): kind
    for verbs, particle, kind in (
        (("put", "puts", "blow", "blows", "snuff", "snuffs"), "out", "extinguished"),
        (("turn", "turns", "switch", "switches"), "off", "extinguished"),
        (("turn", "turns", "switch", "switches"), "on", "lit"),
        (("put", "puts", "pull", "pulls", "slip", "slips"), "on", "wore"),
        (("take", "takes", "pull", "pulls", "slip", "slips"), "off", "removed"),
        (("pick", "picks", "scoop", "scoops"), "up", "took"),
        (("look", "looks", "peer", "peers", "stare", "stares", "gaze", "gazes"), "at", "examined"),
        (("put", "puts", "set", "sets", "lay", "lays"), "down", "dropped"),
    )
    for verb in verbs
}
LOOKING = frozenset({"examined", "read", "looked"})  # retelling one of these as another is fine
ATTEMPT_WORDS = frozenset({"try", "tries", "trying", "attempt", "attempts", "want", "wants",
                            "reach", "reaches", "cannot", "can't", "cant", "not", "never",
                            "fail", "fails", "won't", "wont", "refuses", "refuse", "no",
                            "without", "could", "would", "might", "if"})
# Words that say an item is in a state (-> the state claimed).
STATE_WORDS: dict[str, str] = {
    "open": "open", "ajar": "open", "opened": "open", "gaping": "open",
    "closed": "closed", "shut": "closed",
    "locked": "locked", "unlocked": "unlocked",
    "lit": "lit", "burning": "lit", "glowing": "lit", "alight": "lit", "ablaze": "lit",
    "shining": "lit", "flickering": "lit", "blazing": "lit",
    "unlit": "unlit", "extinguished": "unlit", "dead": "unlit",
    "empty": "empty", "full": "nonempty",
}
LIGHT_CLAIM = frozenset("""
    lit burning burns glowing glow glows shines shine shining illuminate illuminates illuminated
    lights ablaze alight flickers flickering beam blaze blazes flame flames
""".split())
REVEAL_WORDS = frozenset({"reveal", "reveals", "revealed", "revealing", "uncover", "uncovers",
                           "uncovered", "discover", "discovers", "discovered"})
GONE = frozenset({"gone", "missing", "vanished", "vanishes", "disappears", "disappeared"})
HOLDING = frozenset({"hold", "holds", "carry", "carries", "clutch", "clutches", "grip", "grips"})
COMES_ON = re.compile(r"\b(?:comes?|flickers?|springs?|bursts?|flares?)\s+(?:on|to life|alight)\b")
LIGHT_DENIAL = frozenset({"unlit", "not", "dark", "cold", "no", "never", "without"})
OPPOSITE_STATE = {"open": "closed", "closed": "open", "locked": "unlocked", "unlocked": "locked",
                   "lit": "unlit", "unlit": "lit", "empty": "nonempty", "nonempty": "empty"}
LINKING = frozenset("""
    is are was were stays stay remains remain stands stand lies lie sits sit hangs hang now still
    wide already swings swing springs spring creaks creak falls fall comes come slides slide
    looks look seems
""".split())
PASSIVE_OPEN = re.compile(r"\b(?:swings?|springs?|creaks?|falls?|comes?|slides?|pops?|flies|"
                           r"fly|clicks?|groans?|bursts?)\s+open\b|\bclicks?\s+(?:free|back)\b|"
                           r"(?<!\byou )\b(?:opens|unlocks)\b(?!\s+(?:onto|into|out|up|before|on|"
                           r"to|wide onto))")
MOVE_VERBS = re.compile(r"\b(?:you|and|then)\s+(?:step|walk|go|climb|enter|arrive|come|head|"
                         r"make your way)"
                         r"(?:\s+(?:in|into|to|at|onto|through|up|down|back))*\s+(?:the\s+)?"
                         r"(?P<place>[a-z' ]+)")
DARK_ROOM = re.compile(r"\b(?:it|room|place|all|everything|world|cellar|cave|chamber)\s+"
                        r"(?:is|grows|goes|falls|turns|becomes)\s+(?:now\s+|suddenly\s+)?"
                        r"(?:pitch\s+|completely\s+|utterly\s+)?(?:dark|black)\b|"
                        r"\bdarkness\s+(?:surrounds|swallows|fills)\b|\bin the dark(?:ness)?\b")
NOUN_TAGS = ("NN", "NNS", "NNP", "NNPS")
DETERMINERS = frozenset({"the", "a", "an", "its", "your", "his", "her", "their", "this", "that",
                          "these", "those", "one"})
MAX_WORDS = 40
MIN_WORDS = 3


# Words a retold attempt may use for the command's verb ("You try to go north" for "n").
VERB_SYNONYMS: dict[str, frozenset[str]] = {
    "take": frozenset({"take", "get", "pick", "grab", "lift"}),
    "get": frozenset({"take", "get", "pick", "grab", "lift"}),
    "x": frozenset({"examine", "look", "see", "inspect", "study"}),
    "examine": frozenset({"examine", "look", "see", "inspect", "study"}),
    "l": frozenset({"look", "see"}),
    "open": frozenset({"open", "pull", "push", "lift", "force", "prise", "pry"}),
    "close": frozenset({"close", "shut", "push"}),
    "light": frozenset({"light", "kindle"}),
    "put": frozenset({"put", "place", "set", "pour", "fit"}),
}
DIRECTION_WORDS = frozenset({"n", "s", "e", "w", "ne", "nw", "se", "sw", "u", "d", "north",
                              "south", "east", "west", "northeast", "northwest", "southeast",
                              "southwest", "up", "down", "in", "out", "go", "walk", "enter",
                              "climb", "exit", "leave"})
MOVING = frozenset({"go", "walk", "step", "climb", "head", "move", "enter", "leave", "pass",
                     "get", "cross", "reach"})


def command_verbs(command: str) -> frozenset[str]:
    """The verbs a sentence may use to retell trying the command."""
    words_ = command.lower().split()
    if not words_:
        return frozenset()
    verb = words_[0]
    if verb in DIRECTION_WORDS:
        return MOVING
    return VERB_SYNONYMS.get(verb, frozenset({verb}))
