"""The grounding check: every way a candidate sentence departs from the turn's facts.

A small model invents: objects from other rooms, people nobody wrote, wins that did not happen,
doors open that the engine says are locked. The narrator shows a sentence only when
`TurnCheck.check` finds no defect in it, so this module is what stands between the model and
the player. It is deliberately strict: a wrongly rejected sentence costs a retry (or a shorter
narration), a wrongly accepted one breaks the game's promise that the engine is the truth.

Defect kinds (`Defect.kind`), each a separate detector:

* ``invented-object``: a world item named (name or alias, singular or plural) while it is not in
  scope, and the word is not otherwise said by this turn's text.
* ``invented-noun``: a noun (tagged by `language.tag`) that nothing grounds: not the room's text,
  the items in scope (names, aliases, descriptions), the engine's text or the command, and not
  one of the `GENERIC_NOUNS` every scene may use.
* ``wrong-object``: the sentence retells the turn's action ("you light ...") on another item
  than the one the engine acted on.
* ``contradiction``: an item in scope called open/closed/locked/unlocked/lit/unlit/empty
  against its state; an action retold as done that the engine did not do (or refused); the
  room called dark when it is lit; a move into another room than the one the player is in.
* ``game-talk``: the game instead of the story: the player, the game, scores, wins, endings,
  or numbers the engine did not state.
* ``repetition``: the same sentence (or nearly) as one already shown this session.
* ``form``: not second person present (first person, past tense), a question, quotation,
  brackets or an ellipsis, too short or too long.
* ``copy``: nearly every word (`COPY_SHARE`) already in the engine's text or the room's
  description: the engine says it already, the narration must add something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from game.narrator.grounding.facts import CHANGING_VERBS, ItemFact, TurnFacts
from game.narrator.grounding.language import analyse, lemma_set, singular, words

INVENTED_OBJECT = "invented-object"
INVENTED_NOUN = "invented-noun"
WRONG_OBJECT = "wrong-object"
CONTRADICTION = "contradiction"
GAME_TALK = "game-talk"
REPETITION = "repetition"
FORM = "form"
COPY = "copy"
DEFECT_KINDS = (INVENTED_OBJECT, INVENTED_NOUN, WRONG_OBJECT, CONTRADICTION, GAME_TALK,
                REPETITION, FORM, COPY)
COPY_SHARE = 0.9  # a sentence with this share of its words in the engine's text is a copy

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
_POINTS = re.compile(r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|"
                     r"thirty|fifty|hundred|more|extra|bonus)\s+points?\b", re.IGNORECASE)
_NUMBER_WORDS = frozenset({
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand",
})
_FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "we", "us", "our", "ours"})

# Retold actions: the words of a sentence (lemmas) -> the event kind they claim.
_ACTION_VERBS: dict[str, str] = {
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
_PHRASAL_VERBS: dict[tuple[str, str], str] = {
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
_LOOKING = frozenset({"examined", "read", "looked"})  # retelling one of these as another is fine
_ATTEMPT_WORDS = frozenset({"try", "tries", "trying", "attempt", "attempts", "want", "wants",
                            "reach", "reaches", "cannot", "can't", "cant", "not", "never",
                            "fail", "fails", "won't", "wont", "refuses", "refuse", "no",
                            "without", "could", "would", "might", "if"})
# Words that say an item is in a state (-> the state claimed).
_STATE_WORDS: dict[str, str] = {
    "open": "open", "ajar": "open", "opened": "open", "gaping": "open",
    "closed": "closed", "shut": "closed",
    "locked": "locked", "unlocked": "unlocked",
    "lit": "lit", "burning": "lit", "glowing": "lit", "alight": "lit", "ablaze": "lit",
    "shining": "lit", "flickering": "lit", "blazing": "lit",
    "unlit": "unlit", "extinguished": "unlit", "dead": "unlit",
    "empty": "empty", "full": "nonempty",
}
_LIGHT_CLAIM = frozenset({"lit", "burning", "burns", "glowing", "glow", "glows", "shines",
                          "shine", "shining", "illuminate", "lights", "ablaze", "alight", "flickers", "flickering", "illuminates",
                          "illuminated", "beam", "blaze", "blazes", "flame", "flames"})
_REVEAL_WORDS = frozenset({"reveal", "reveals", "revealed", "revealing", "uncover", "uncovers",
                           "uncovered", "discover", "discovers", "discovered"})
_GONE = frozenset({"gone", "missing", "vanished", "vanishes", "disappears", "disappeared"})
_HOLDING = frozenset({"hold", "holds", "carry", "carries", "clutch", "clutches", "grip", "grips"})
_COMES_ON = re.compile(r"\b(?:comes?|flickers?|springs?|bursts?|flares?)\s+(?:on|to life|alight)\b")
_LIGHT_DENIAL = frozenset({"unlit", "not", "dark", "cold", "no", "never", "without"})
_OPPOSITE_STATE = {"open": "closed", "closed": "open", "locked": "unlocked", "unlocked": "locked",
                   "lit": "unlit", "unlit": "lit", "empty": "nonempty", "nonempty": "empty"}
_LINKING = frozenset({"is", "are", "stays", "stay", "remain", "stands", "stand", "lies", "lie", "remains", "remain", "sits",
                      "sit", "hangs", "hang", "now", "still", "wide", "already", "lies", "swings",
                      "swing", "springs", "spring", "creaks", "creak", "falls", "fall", "comes",
                      "come", "slides", "slide", "was", "were", "looks", "look", "seems"})
_PASSIVE_OPEN = re.compile(r"\b(?:swings?|springs?|creaks?|falls?|comes?|slides?|pops?|flies|"
                           r"fly|clicks?|groans?|bursts?)\s+open\b|\bclicks?\s+(?:free|back)\b|"
                           r"(?<!\byou )\b(?:opens|unlocks)\b(?!\s+(?:onto|into|out|up|before|on|"
                           r"to|wide onto))")
_MOVE_VERBS = re.compile(r"\b(?:you|and|then)\s+(?:step|walk|go|climb|enter|arrive|come|head|"
                         r"make your way)"
                         r"(?:\s+(?:in|into|to|at|onto|through|up|down|back))*\s+(?:the\s+)?"
                         r"(?P<place>[a-z' ]+)")
_DARK_ROOM = re.compile(r"\b(?:it|room|place|all|everything|world|cellar|cave|chamber)\s+"
                        r"(?:is|grows|goes|falls|turns|becomes)\s+(?:now\s+|suddenly\s+)?"
                        r"(?:pitch\s+|completely\s+|utterly\s+)?(?:dark|black)\b|"
                        r"\bdarkness\s+(?:surrounds|swallows|fills)\b|\bin the dark(?:ness)?\b")
_NOUN_TAGS = ("NN", "NNS", "NNP", "NNPS")
_DETERMINERS = frozenset({"the", "a", "an", "its", "your", "his", "her", "their", "this", "that",
                          "these", "those", "one"})
_MAX_WORDS = 40
_MIN_WORDS = 3


# Words a retold attempt may use for the command's verb ("You try to go north" for "n").
_VERB_SYNONYMS: dict[str, frozenset[str]] = {
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
_DIRECTION_WORDS = frozenset({"n", "s", "e", "w", "ne", "nw", "se", "sw", "u", "d", "north",
                              "south", "east", "west", "northeast", "northwest", "southeast",
                              "southwest", "up", "down", "in", "out", "go", "walk", "enter",
                              "climb", "exit", "leave"})
_MOVING = frozenset({"go", "walk", "step", "climb", "head", "move", "enter", "leave", "pass",
                     "get", "cross", "reach"})


def command_verbs(command: str) -> frozenset[str]:
    """The verbs a sentence may use to retell trying the command."""
    words_ = command.lower().split()
    if not words_:
        return frozenset()
    verb = words_[0]
    if verb in _DIRECTION_WORDS:
        return _MOVING
    return _VERB_SYNONYMS.get(verb, frozenset({verb}))


@dataclass(frozen=True)
class Defect:
    """One problem in one sentence: its kind (see the module docstring) and the words at fault."""

    kind: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    sentence: str
    defects: tuple[Defect, ...]

    @property
    def ok(self) -> bool:
        return not self.defects

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.kind for d in self.defects))


def _lemmas(tokens: Iterable[str]) -> list[str]:
    return [singular(t) for t in tokens]


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(_lemmas(words(text)))


def _find(seq: Sequence[str], sub: Sequence[str]) -> list[int]:
    n = len(sub)
    return [i for i in range(len(seq) - n + 1) if n and tuple(seq[i:i + n]) == tuple(sub)]


def normalise(sentence: str) -> tuple[str, ...]:
    """The sentence's words, lower case, for comparing sentences."""
    return tuple(words(sentence))


def similar(a: Sequence[str], b: Sequence[str], threshold: float = 0.75) -> bool:
    """Nearly the same sentence: equal, or word sets overlapping by `threshold` (Jaccard)."""
    if tuple(a) == tuple(b):
        return True
    sa, sb = set(a), set(b)
    if min(len(sa), len(sb)) < 4:
        return False
    return len(sa & sb) / len(sa | sb) >= threshold


class TurnCheck:
    """The check for one turn: the grounded vocabulary and item names worked out once, then
    `check(sentence)` for each candidate (well under 5 ms each)."""

    def __init__(self, facts: TurnFacts, shown: Sequence[str] = ()) -> None:
        self.facts = facts
        self._shown = [normalise(s) for s in shown]
        grounded_text = " ".join([facts.room_name, facts.room_text, facts.engine_text,
                                  facts.command, " ".join(facts.exits)])
        acted = [i for i in facts.elsewhere if i.id in facts.acted_on]
        for item in facts.in_scope + tuple(acted):
            grounded_text += " " + " ".join((item.name, " ".join(item.aliases),
                                             " ".join(item.adjectives), item.description))
        self.vocabulary = lemma_set(grounded_text) | GENERIC_NOUNS
        if any("lit" in item.states for item in facts.in_scope):
            self.vocabulary |= LIGHT_NOUNS
        self._said_words = set(words(facts.engine_text + " " + facts.room_text))
        self._engine_sentences = {tuple(words(part)) for part in re.split(
            r"(?<=[.!?])\s+|\n+", facts.engine_text) if part.strip()}
        self._scope_nouns = {singular(n) for item in facts.in_scope for n in item.nouns}
        self._names: list[tuple[tuple[str, ...], ItemFact, bool]] = []  # (phrase, item, full)
        for item in facts.in_scope + facts.elsewhere:
            self._names.append((_phrase(item.name), item, True))
            for alias in item.aliases:
                self._names.append((_phrase(alias), item, len(words(alias)) > 1))
            last = words(item.name)[-1:] if words(item.name) else []
            if last:
                self._names.append((tuple(_lemmas(last)), item, False))
        self._names.sort(key=lambda n: -len(n[0]))
        self._scope_ids = {i.id for i in facts.in_scope}
        self._acted = set(facts.acted_on)
        self._revealed = set(facts.revealed)
        self._command_verbs = command_verbs(facts.command)
        # A world rule that answered the command (a message, no refusal) did the action in the
        # story: "put heartstone in bowl" is put, even without the built-in "put" event.
        self._succeeded = set(facts.succeeded)
        verb = (facts.command.lower().split() or [""])[0]
        verb = {"x": "examine", "get": "take"}.get(verb, verb)
        if not facts.refused and "message" in facts.succeeded and verb in _ACTION_VERBS and (
                verb not in CHANGING_VERBS or set(facts.changed) & set(facts.acted_on)
                or facts.rewarded):
            self._succeeded.add(_ACTION_VERBS[verb])  # (a change only when an event shows it)
        self._anything_lit = any("lit" in i.states for i in facts.in_scope)
        room_words = {w for name in facts.room_names for w in _phrase(name)}
        self._other_rooms = [(_phrase(n), n) for n in facts.room_names if n != facts.room_name]
        self._room_words = room_words

    # ---------------------------------------------------------------- mentions
    def mentions(self, lemmas: Sequence[str]) -> list[tuple[int, int, list[ItemFact], bool]]:
        """(start, end, items it may name, named in full) for each item mention, longest first."""
        taken = [False] * len(lemmas)
        found: list[tuple[int, int, list[ItemFact], bool]] = []
        by_phrase: dict[tuple[str, ...], list[tuple[ItemFact, bool]]] = {}
        for phrase, item, full in self._names:
            by_phrase.setdefault(phrase, []).append((item, full))
        for phrase in sorted(by_phrase, key=len, reverse=True):
            for i in _find(lemmas, phrase):
                if any(taken[i:i + len(phrase)]):
                    continue
                for k in range(i, i + len(phrase)):
                    taken[k] = True
                entries = by_phrase[phrase]
                items = list(dict.fromkeys(e[0] for e in entries))
                found.append((i, i + len(phrase), items, any(e[1] for e in entries)))
        found.sort(key=lambda m: m[0])
        return found

    # ---------------------------------------------------------------- the check
    def check(self, sentence: str) -> Verdict:
        analysed = analyse(sentence)
        tokens = [w for w, _ in analysed]
        tags = [t for _, t in analysed]
        lemmas = _lemmas(tokens)
        defects: list[Defect] = []
        mentions = [m for m in self.mentions(lemmas) if self._names_a_thing(m, tags)]
        defects += self._invented_objects(mentions, lemmas)
        covered = {k for s, e, _, _ in mentions for k in range(s, e)}
        defects += self._invented_nouns(tokens, tags, covered)
        defects += self._actions(tokens, lemmas, mentions)
        defects += self._states(tokens, lemmas, mentions)
        defects += self._room_claims(" ".join(tokens))
        defects += self._game_talk(sentence, tokens, lemmas)
        defects += self._form(sentence, tokens, tags)
        norm = normalise(sentence)
        if any(similar(norm, old) for old in self._shown):
            defects.append(Defect(REPETITION, sentence.strip()))
        return Verdict(sentence, tuple(dict.fromkeys(defects)))

    @staticmethod
    def _names_a_thing(mention: tuple[int, int, list[ItemFact], bool], tags: Sequence[str]
                       ) -> bool:
        """A one-word alias names an item only as a noun at the head of its phrase: not "can"
        the verb, not "stone" in "a stone bridge"."""
        start, end, _items, full = mention
        if full or end - start > 1:
            return True
        if tags[start].startswith(("VB", "MD", "IN", "RB", "TO")):
            return False  # "you can", "it will light": a verb or a function word
        return not (end < len(tags) and tags[end] in _NOUN_TAGS)

    def _invented_objects(self, mentions: list[tuple[int, int, list[ItemFact], bool]],
                          lemmas: Sequence[str]) -> list[Defect]:
        out = []
        for start, end, items, full in mentions:
            if any(i.id in self._scope_ids or i.id in self._acted for i in items):
                continue  # here, or what the turn acted on (the flask the oil was poured from)
            phrase = lemmas[start:end]
            grounded = all(w in self.vocabulary for w in phrase)
            if full and len(phrase) > 1:
                grounded = grounded and self._phrase_grounded(phrase)
            if not grounded:
                out.append(Defect(INVENTED_OBJECT, " ".join(phrase)))
        return out

    def _phrase_grounded(self, phrase: Sequence[str]) -> bool:
        text = _lemmas(words(" ".join([self.facts.room_text, self.facts.engine_text,
                                       self.facts.command])))
        return bool(_find(text, phrase))

    def _invented_nouns(self, tokens: Sequence[str], tags: Sequence[str], covered: set[int]
                        ) -> list[Defect]:
        out = []
        for k, (w, pos) in enumerate(zip(tokens, tags)):
            if pos not in _NOUN_TAGS or k in covered:
                continue
            lemma = singular(w)
            if lemma in GAME_WORDS or lemma in _NUMBER_WORDS or lemma in _FIRST_PERSON:
                continue  # reported as game talk or form
            if lemma in BODY_NOUNS and lemma not in self.vocabulary:
                if "your" not in tokens[max(0, k - 3):k] and "you" not in tokens[max(0, k - 3):k]:
                    out.append(Defect(INVENTED_NOUN, f"{lemma} (not yours)"))
                continue
            if lemma in self.vocabulary or w in self.vocabulary:
                continue
            # a material or kind before an item's noun ("a metal key"): it describes the item
            if k + 1 < len(tokens) and singular(tokens[k + 1]) in self._scope_nouns:
                continue
            out.append(Defect(INVENTED_NOUN, lemma))
        return out

    def _object_after(self, at: int, mentions: list[tuple[int, int, list[ItemFact], bool]]
                      ) -> list[ItemFact] | None:
        for start, _end, items, _full in mentions:
            if at < start <= at + 5:
                return items
        return None

    def _actions(self, tokens: Sequence[str], lemmas: Sequence[str],
                 mentions: list[tuple[int, int, list[ItemFact], bool]]) -> list[Defect]:
        out = []
        facts = self.facts
        acted = set(facts.acted_on)
        for i, tok in enumerate(tokens):
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            kind = _PHRASAL_VERBS.get((tok, after)) or _ACTION_VERBS.get(tok)
            if kind is None:
                continue
            before = tokens[max(0, i - 3):i]
            # the player's own retold actions: "you take ...", "... and open it"
            continued = i > 0 and tokens[i - 1] in ("and", "then") and "you" in tokens[:i - 1]
            if "you" not in before and not continued:
                continue
            attempt = any(w in _ATTEMPT_WORDS for w in before)
            target = self._object_after(i + (1 if (tok, after) in _PHRASAL_VERBS else 0),
                                        mentions)
            # a retold change the engine did not make; looking and reading change nothing, so
            # retelling them is only checked for the object (below)
            if not attempt and kind not in _LOOKING and kind not in self._succeeded:
                detail = tok + (" " + target[0].name if target else "")
                out.append(Defect(CONTRADICTION, f"claims '{detail}' (the engine did not)"))
                continue
            if target is not None and acted and not any(t.id in acted for t in target):
                out.append(Defect(WRONG_OBJECT, f"{tok} {target[0].name}"))
            tool = self._tool_after(i, tokens, mentions)
            if tool is not None and acted and not any(t.id in acted for t in tool):
                out.append(Defect(WRONG_OBJECT, f"{tok} with {tool[0].name}"))
        # "you try to climb the cairn" for "shout": an attempt the player did not make
        for k in range(len(tokens) - 2):
            if tokens[k] in ("try", "tries", "trying", "attempt", "attempts") and \
                    tokens[k + 1] == "to" and "you" in tokens[max(0, k - 2):k]:
                tried = tokens[k + 2]
                if tried not in self._command_verbs:
                    out.append(Defect(CONTRADICTION, f"an attempt to {tried} (the command was "
                                                     f"'{facts.command}')"))
        # "revealing a letter", "a letter is revealed": only what the engine revealed
        for k, tok in enumerate(tokens):
            if tok not in _REVEAL_WORDS:
                continue
            near = [m for m in mentions if k - 4 <= m[0] <= k + 4 and m[0] != k]
            for _start, _end, items, _full in near[:1]:
                if not any(i.id in self._revealed or i.id in self._acted for i in items):
                    out.append(Defect(CONTRADICTION, f"{items[0].name} was not revealed"))
        if _PASSIVE_OPEN.search(" ".join(tokens)) and not (
                {"opened", "unlocked"} & self._succeeded):
            out.append(Defect(CONTRADICTION, "something opens (the engine did not open it)"))
        return out

    @staticmethod
    def _tool_after(at: int, tokens: Sequence[str],
                    mentions: list[tuple[int, int, list[ItemFact], bool]]
                    ) -> list[ItemFact] | None:
        """The item after "with" in the retold action ("unlock the door with the lamp")."""
        for k in range(at + 1, min(len(tokens), at + 8)):
            if tokens[k] == "with":
                for start, _end, items, _full in mentions:
                    if k < start <= k + 3:
                        return items
                return None
        return None

    def _states(self, tokens: Sequence[str], lemmas: Sequence[str],
                mentions: list[tuple[int, int, list[ItemFact], bool]]) -> list[Defect]:
        out = []
        said = set(tokens) | set(lemmas)
        # Light anywhere in a sentence about an unlit lamp ("the walls are lit by light from the
        # great lantern"), unless something in scope is lit or the light is denied.
        unlit = [i for _s, _e, items, _f in mentions for i in items
                 if i.id in self._scope_ids and "unlit" in i.states]
        if unlit and not self._anything_lit and (_LIGHT_CLAIM & said or _COMES_ON.search(
                " ".join(tokens))) and not (_LIGHT_DENIAL & said):
            out.append(Defect(CONTRADICTION, f"{unlit[0].name} is not lit"))
        # "the hand lamp ... is a letter", "it is a letter": one thing is not another
        for k, (start, end, items, _full) in enumerate(mentions):
            subject = [i for i in items if i.id in self._scope_ids] or items
            before = tokens[max(0, start - 3):start]
            if k > 0 and before[-1:] in (["a"], ["an"]) and "is" in before:
                prev_items = mentions[k - 1][2]
                same = {i.id for i in prev_items} & {i.id for i in items}
                if not same and mentions[k - 1][1] >= start - 4:
                    out.append(Defect(CONTRADICTION, f"{prev_items[0].name} is not "
                                                     f"{subject[0].name}"))
            if before[-3:] in (["it", "is", "a"], ["it", "is", "an"]):
                acted = [i for i in self.facts.in_scope if i.id in self._acted]
                if acted and not {i.id for i in acted} & {i.id for i in items}:
                    out.append(Defect(CONTRADICTION, f"{acted[0].name} is not {subject[0].name}"))
            # "lit by the can of oil": only a lit light source lights anything
            if tokens[max(0, start - 3):start][-2:] in (["by", "a"], ["by", "the"], ["by", "your"]) \
                    and "lit" in tokens[max(0, start - 5):start] \
                    and not any("lit" in i.states for i in items):
                out.append(Defect(CONTRADICTION, f"{items[0].name} gives no light"))
        # "it is locked", "it is now open": "it" is what the turn acted on
        acted_here = [i for i in self.facts.in_scope if i.id in self._acted]
        for k, tok in enumerate(tokens[:-1]):
            if tok != "it" or not acted_here:
                continue
            j = k + 1
            while j < len(lemmas) and j < k + 5 and lemmas[j] in _LINKING:
                j += 1
            if j > k + 1 and j < len(lemmas) and lemmas[j] in _STATE_WORDS:
                claim = _STATE_WORDS[lemmas[j]]
                item = acted_here[0]
                if _OPPOSITE_STATE.get(claim) in item.states:
                    out.append(Defect(CONTRADICTION, f"{item.name} is not {claim}"))
        for start, end, items, _full in mentions:
            scope_items = [i for i in items if i.id in self._scope_ids]
            if not scope_items:
                continue
            claims: list[str] = []
            # "the open door", "its unlit brass lamp": a determiner, the state, maybe one
            # more adjective, then the noun ("you open the door" is an action, not a state)
            for k in (start - 1, start - 2):
                if k >= 1 and lemmas[k] in _STATE_WORDS and lemmas[k - 1] in _DETERMINERS:
                    claims.append(_STATE_WORDS[lemmas[k]])
                    break
            # "the door is (now/still/wide) open", "the door swings open"
            j = end
            while j < len(lemmas) and j < end + 4 and lemmas[j] in _LINKING:
                j += 1
            lit_by = j + 1 < len(tokens) and tokens[j + 1] == "by"  # "lit by the lamp": light
            if j > end and j < len(lemmas) and lemmas[j] in _STATE_WORDS:  # falls on it
                claims.append(_STATE_WORDS[lemmas[j]])
            if j < len(tokens) and (tokens[j] in _GONE or (j > end and tokens[j] == "replaced")):
                out.append(Defect(CONTRADICTION, f"{scope_items[0].name} is here"))
            for claim in claims:
                opposite = _OPPOSITE_STATE.get(claim)
                for item in scope_items:
                    if opposite in item.states:
                        out.append(Defect(CONTRADICTION, f"{item.name} is not {claim}"))
                    elif claim == "lit" and not lit_by and not {"lit", "unlit"} & item.states:
                        out.append(Defect(CONTRADICTION, f"{item.name} gives no light"))
                    elif claim in ("open", "closed") and not {"open", "closed"} & item.states:
                        out.append(Defect(CONTRADICTION, f"{item.name} does not open"))
                    elif claim in ("locked", "unlocked") and not {"locked", "unlocked"} & \
                            item.states:
                        out.append(Defect(CONTRADICTION, f"{item.name} has no lock"))
            # "in your hand", "you hold the signpost": only what is carried (or just taken)
            window = tokens[max(0, start - 3):start]
            held_claim = any(w in _HOLDING for w in window) and "you" in window or (
                " ".join(tokens[end:end + 4]).startswith(("is in your hand", "in your hand",
                                                           "are in your hand")))
            if held_claim and not any(i.held or i.id in self._acted for i in scope_items):
                out.append(Defect(CONTRADICTION, f"{scope_items[0].name} is not carried"))
        return out

    def _room_claims(self, lowered: str) -> list[Defect]:
        out = []
        facts = self.facts
        if not facts.dark and _DARK_ROOM.search(lowered) and "dark" not in lemma_set(
                facts.room_text + " " + facts.engine_text):
            out.append(Defect(CONTRADICTION, "the room is lit"))
        m = _MOVE_VERBS.search(lowered)
        if m and not m.group(0).startswith("you") and "you" not in lowered[:m.start()].split():
            m = None  # "the gulls wheel and climb": not the player
        if m and "moved" not in facts.succeeded and not _ATTEMPT_WORDS & set(
                words(lowered[max(0, m.start() - 24):m.start() + 12])):
            out.append(Defect(CONTRADICTION, "a move the engine did not make"))
        elif m:
            place = _phrase(m.group("place"))
            for phrase, name in self._other_rooms:
                if phrase and tuple(place[:len(phrase)]) == phrase and not set(phrase) <= set(
                        _phrase(facts.room_name)):
                    out.append(Defect(CONTRADICTION, f"the player is not in {name}"))
                    break
        return out

    def _game_talk(self, sentence: str, tokens: Sequence[str], lemmas: Sequence[str]
                   ) -> list[Defect]:
        out = []
        for tok, lemma in zip(tokens, lemmas):
            if tok in GAME_WORDS or lemma in GAME_WORDS:
                out.append(Defect(GAME_TALK, tok))
            elif tok in _NUMBER_WORDS and tok not in self.vocabulary:
                out.append(Defect(GAME_TALK, tok))
        if _POINTS.search(sentence):
            out.append(Defect(GAME_TALK, "points"))
        return out

    def _copied(self, tokens: Sequence[str]) -> bool:
        """Nearly every word already in the engine's text: a copy that adds nothing."""
        if tuple(tokens) in self._engine_sentences:
            return True
        if len(tokens) < 5:
            return False
        said = self._said_words
        return sum(t in said for t in tokens) >= COPY_SHARE * len(tokens)

    def _form(self, sentence: str, tokens: Sequence[str], tags: Sequence[str]) -> list[Defect]:
        out = []
        if any(t in _FIRST_PERSON for t in tokens):
            out.append(Defect(FORM, "first person"))
        if re.search(r"\d", sentence):
            digits = re.findall(r"\d+", sentence)
            if any(d not in self.facts.engine_text for d in digits):
                out.append(Defect(GAME_TALK, "a number the engine did not state"))
        if "?" in sentence:
            out.append(Defect(FORM, "a question"))
        if not sentence.lstrip()[:1].isupper():
            out.append(Defect(FORM, "not the start of a sentence"))
        if re.search(r"[\"“”]|(?:^|\s)'[A-Z]", sentence):
            out.append(Defect(FORM, "a quotation"))
        if re.search(r"[\[\]]|\.\.\.|…", sentence):
            out.append(Defect(FORM, "brackets or an ellipsis (the engine's notices are its own)"))
        if self._copied(tokens):
            out.append(Defect(COPY, "the engine's own words"))
        grams = [tuple(tokens[k:k + 4]) for k in range(len(tokens) - 3)]
        if len(grams) != len(set(grams)):
            out.append(Defect(FORM, "repeats itself"))
        if len(tokens) < _MIN_WORDS:
            out.append(Defect(FORM, "too short"))
        elif len(tokens) > _MAX_WORDS:
            out.append(Defect(FORM, "too long"))
        if "VBD" in tags and not any(t in ("VBZ", "VBP", "VB") for t in tags):
            out.append(Defect(FORM, "past tense"))
        return out


def check_sentence(sentence: str, facts: TurnFacts, shown: Sequence[str] = ()) -> Verdict:
    """Check one sentence against one turn's facts (and the sentences already shown)."""
    return TurnCheck(facts, shown).check(sentence)
