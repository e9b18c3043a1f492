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
from game.narrator.grounding.vocabulary import (
    ACTION_VERBS, ATTEMPT_WORDS, BODY_NOUNS, COMES_ON, DARK_ROOM, DETERMINERS, FIRST_PERSON,
    GAME_WORDS, GENERIC_NOUNS, GONE, HOLDING, LIGHT_CLAIM, LIGHT_DENIAL, LIGHT_NOUNS, LINKING,
    LOOKING, MAX_WORDS, MIN_WORDS, MOVE_VERBS, NOUN_TAGS, NUMBER_WORDS, OPPOSITE_STATE,
    PASSIVE_OPEN, PHRASAL_VERBS, POINTS, REVEAL_WORDS, STATE_WORDS, command_verbs,
)

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
        self._anything_lit = any("lit" in item.states for item in facts.in_scope)
        if self._anything_lit:
            self.vocabulary |= LIGHT_NOUNS
        self._said_words = set(words(facts.engine_text + " " + facts.room_text))
        self._engine_sentences = {tuple(words(part)) for part in re.split(
            r"(?<=[.!?])\s+|\n+", facts.engine_text) if part.strip()}
        self._scope_nouns = {singular(n) for item in facts.in_scope for n in item.nouns}
        # The phrase lemmas that name items: each with the items it may name and whether it is
        # a name in full (or a multi-word alias), longest phrases first.
        names: dict[tuple[str, ...], list[tuple[ItemFact, bool]]] = {}
        for item in facts.in_scope + facts.elsewhere:
            names.setdefault(_phrase(item.name), []).append((item, True))
            for alias in item.aliases:
                names.setdefault(_phrase(alias), []).append((item, len(words(alias)) > 1))
            last = words(item.name)[-1:]
            if last:
                names.setdefault(tuple(_lemmas(last)), []).append((item, False))
        self._phrases = [(phrase, list(dict.fromkeys(item for item, _ in entries)),
                          any(full for _, full in entries))
                         for phrase, entries in sorted(names.items(), key=lambda n: -len(n[0]))]
        self._said_lemmas = _lemmas(words(" ".join([facts.room_text, facts.engine_text,
                                                    facts.command])))
        self._scope_ids = {i.id for i in facts.in_scope}
        self._acted = set(facts.acted_on)
        self._revealed = set(facts.revealed)
        self._command_verbs = command_verbs(facts.command)
        # A world rule that answered the command (a message, no refusal) did the action in the
        # story: "put heartstone in bowl" is put, even without the built-in "put" event.
        self._succeeded = set(facts.succeeded)
        verb = (facts.command.lower().split() or [""])[0]
        verb = {"x": "examine", "get": "take"}.get(verb, verb)
        if not facts.refused and "message" in facts.succeeded and verb in ACTION_VERBS and (
                verb not in CHANGING_VERBS or set(facts.changed) & set(facts.acted_on)
                or facts.rewarded):
            self._succeeded.add(ACTION_VERBS[verb])  # (a change only when an event shows it)
        self._other_rooms = [(_phrase(n), n) for n in facts.room_names if n != facts.room_name]

    # ---------------------------------------------------------------- mentions
    def mentions(self, lemmas: Sequence[str]) -> list[tuple[int, int, list[ItemFact], bool]]:
        """(start, end, items it may name, named in full) for each item mention, longest first."""
        taken = [False] * len(lemmas)
        found: list[tuple[int, int, list[ItemFact], bool]] = []
        for phrase, items, full in self._phrases:
            for i in _find(lemmas, phrase):
                if any(taken[i:i + len(phrase)]):
                    continue
                for k in range(i, i + len(phrase)):
                    taken[k] = True
                found.append((i, i + len(phrase), items, full))
        found.sort(key=lambda m: m[0])
        return found

    # ---------------------------------------------------------------- the check
    def check(self, sentence: str, against_shown: bool = True) -> Verdict:
        """Every defect of `sentence`; `against_shown=False` skips the repetition check (for
        the engine-made fallback, which may say again what it said on an earlier turn)."""
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
        if against_shown and any(similar(norm, old) for old in self._shown):
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
        return not (end < len(tags) and tags[end] in NOUN_TAGS)

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
        return bool(_find(self._said_lemmas, phrase))

    def _invented_nouns(self, tokens: Sequence[str], tags: Sequence[str], covered: set[int]
                        ) -> list[Defect]:
        out = []
        for k, (w, pos) in enumerate(zip(tokens, tags)):
            if pos not in NOUN_TAGS or k in covered:
                continue
            lemma = singular(w)
            if lemma in GAME_WORDS or lemma in NUMBER_WORDS or lemma in FIRST_PERSON:
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
            kind = PHRASAL_VERBS.get((tok, after)) or ACTION_VERBS.get(tok)
            if kind is None:
                continue
            before = tokens[max(0, i - 3):i]
            # the player's own retold actions: "you take ...", "... and open it"
            continued = i > 0 and tokens[i - 1] in ("and", "then") and "you" in tokens[:i - 1]
            if "you" not in before and not continued:
                continue
            attempt = any(w in ATTEMPT_WORDS for w in before)
            target = self._object_after(i + (1 if (tok, after) in PHRASAL_VERBS else 0),
                                        mentions)
            # a retold change the engine did not make; looking and reading change nothing, so
            # retelling them is only checked for the object (below)
            if not attempt and kind not in LOOKING and kind not in self._succeeded:
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
            if tok not in REVEAL_WORDS:
                continue
            near = [m for m in mentions if k - 4 <= m[0] <= k + 4 and m[0] != k]
            for _start, _end, items, _full in near[:1]:
                if not any(i.id in self._revealed or i.id in self._acted for i in items):
                    out.append(Defect(CONTRADICTION, f"{items[0].name} was not revealed"))
        if PASSIVE_OPEN.search(" ".join(tokens)) and not (
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
        if unlit and not self._anything_lit and (LIGHT_CLAIM & said or COMES_ON.search(
                " ".join(tokens))) and not (LIGHT_DENIAL & said):
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
            while j < len(lemmas) and j < k + 5 and lemmas[j] in LINKING:
                j += 1
            if j > k + 1 and j < len(lemmas) and lemmas[j] in STATE_WORDS:
                claim = STATE_WORDS[lemmas[j]]
                item = acted_here[0]
                if OPPOSITE_STATE.get(claim) in item.states:
                    out.append(Defect(CONTRADICTION, f"{item.name} is not {claim}"))
        for start, end, items, _full in mentions:
            scope_items = [i for i in items if i.id in self._scope_ids]
            if not scope_items:
                continue
            claims: list[str] = []
            # "the open door", "its unlit brass lamp": a determiner, the state, maybe one
            # more adjective, then the noun ("you open the door" is an action, not a state)
            for k in (start - 1, start - 2):
                if k >= 1 and lemmas[k] in STATE_WORDS and lemmas[k - 1] in DETERMINERS:
                    claims.append(STATE_WORDS[lemmas[k]])
                    break
            # "the door is (now/still/wide) open", "the door swings open"
            j = end
            while j < len(lemmas) and j < end + 4 and lemmas[j] in LINKING:
                j += 1
            lit_by = j + 1 < len(tokens) and tokens[j + 1] == "by"  # "lit by the lamp": light
            if j > end and j < len(lemmas) and lemmas[j] in STATE_WORDS:  # falls on it
                claims.append(STATE_WORDS[lemmas[j]])
            if j < len(tokens) and (tokens[j] in GONE or (j > end and tokens[j] == "replaced")):
                out.append(Defect(CONTRADICTION, f"{scope_items[0].name} is here"))
            for claim in claims:
                opposite = OPPOSITE_STATE.get(claim)
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
            held_claim = any(w in HOLDING for w in window) and "you" in window or (
                " ".join(tokens[end:end + 4]).startswith(("is in your hand", "in your hand",
                                                           "are in your hand")))
            if held_claim and not any(i.held or i.id in self._acted for i in scope_items):
                out.append(Defect(CONTRADICTION, f"{scope_items[0].name} is not carried"))
        return out

    def _room_claims(self, lowered: str) -> list[Defect]:
        out = []
        facts = self.facts
        if not facts.dark and DARK_ROOM.search(lowered) and "dark" not in lemma_set(
                facts.room_text + " " + facts.engine_text):
            out.append(Defect(CONTRADICTION, "the room is lit"))
        m = MOVE_VERBS.search(lowered)
        if m and not m.group(0).startswith("you") and "you" not in lowered[:m.start()].split():
            m = None  # "the gulls wheel and climb": not the player
        if m and "moved" not in facts.succeeded and not ATTEMPT_WORDS & set(
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
            elif tok in NUMBER_WORDS and tok not in self.vocabulary:
                out.append(Defect(GAME_TALK, tok))
        if POINTS.search(sentence):
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
        if any(t in FIRST_PERSON for t in tokens):
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
        if len(tokens) < MIN_WORDS:
            out.append(Defect(FORM, "too short"))
        elif len(tokens) > MAX_WORDS:
            out.append(Defect(FORM, "too long"))
        if "VBD" in tags and not any(t in ("VBZ", "VBP", "VB") for t in tags):
            out.append(Defect(FORM, "past tense"))
        return out


def check_sentence(sentence: str, facts: TurnFacts, shown: Sequence[str] = ()) -> Verdict:
    """Check one sentence against one turn's facts (and the sentences already shown)."""
    return TurnCheck(facts, shown).check(sentence)
