"""Noun phrases to item ids, against what is in scope.

An item matches a phrase when every word of the phrase is one of the item's words (name,
aliases, adjectives), so "small brass key", "brass" and "key" all find the brass key, as in
Inform. When several items match, verb-specific preferences narrow the choice the way players
expect ("drop key" means the key you hold); if that still leaves several, the engine asks
"Which key do you mean, ...?" and the answer on the next line picks one.
"""

from __future__ import annotations

from dataclasses import dataclass

from game.engine.conditions import carried_by_player
from game.engine.failures import Failure
from game.engine.grammar import FILLERS, PRONOUNS
from game.engine.index import singulars
from game.engine.phrasing import join_list, the_name
from game.engine.spelling import unknown_word_message
from game.engine.turn import Turn


@dataclass(frozen=True)
class Resolved:
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Ask:
    """Ambiguous: the player must choose among `candidates`."""

    noun: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    reason: Failure
    message: str
    word: str | None = None


Outcome = Resolved | Ask | Refused


def _prefer(turn: Turn, verb: str, item_id: str) -> bool:
    """Whether an item is the natural object for a verb (used only to break ties)."""
    state, item = turn.state, turn.item(item_id)
    held = carried_by_player(state, item_id)
    if verb in ("take", "remove"):
        return not held and item.portable
    if verb in ("drop", "put_in", "put_on", "give", "show", "wear"):
        return held
    if verb == "take_off":
        return state.is_(item_id, "worn")
    if verb == "open":
        return item.openable and not state.is_(item_id, "open")
    if verb == "close":
        return item.openable and state.is_(item_id, "open")
    if verb == "unlock":
        return state.is_(item_id, "locked")
    if verb == "lock":
        return item.lockable and not state.is_(item_id, "locked")
    if verb == "turn_on":
        return item.light and not state.is_(item_id, "lit")
    if verb == "turn_off":
        return state.is_(item_id, "lit")
    if verb == "read":
        return item.text is not None
    if verb == "eat":
        return item.edible
    if verb == "drink":
        return item.drinkable
    return False


def question(turn: Turn, ask: Ask) -> str:
    names = join_list([the_name(turn.item(i)) for i in ask.candidates], "or")
    return f"Which {ask.noun} do you mean, {names}?"


def matches(turn: Turn, words: tuple[str, ...], candidates: "list[str] | tuple[str, ...]") -> list[str]:
    """Candidates all of whose words cover `words` (plural words count as their singular)."""
    vocab = turn.index.words
    # Each word's acceptable forms (itself, and its singulars), worked out once for the whole
    # candidate list: an item covers a word when it has any of them.
    forms = [_forms(w) for w in words]
    found = []
    for item in candidates:
        own = vocab[item]
        for accepted in forms:
            if own.isdisjoint(accepted):
                break
        else:
            found.append(item)
    return found


def _forms(word: str) -> frozenset[str]:
    """`word` and its singulars: an item's words `own` cover `word` exactly when
    `not own.isdisjoint(_forms(word))`."""
    return frozenset((word, *singulars(word)))


def _without_weak_matches(turn: Turn, words: tuple[str, ...], found: list[str]) -> list[str]:
    """Leave out items that match a word only as the owner in their possessive name ("bird" of
    "bird's nest") when another match is that word itself (the bird)."""
    weak = turn.index.weak_words
    if not weak:
        return found
    strong = [item for item in found
              if not any(w in weak.get(item, ()) and w not in _own_name_words(turn, item) for w in words)]
    return strong or found


def _own_name_words(turn: Turn, item: str) -> frozenset[str]:
    return turn.index.words[item] - turn.index.weak_words.get(item, frozenset())


def _is_plural(words: tuple[str, ...], turn: Turn) -> bool:
    index = turn.index
    return any(w not in index.noun_words and index.plural_known(w) for w in words)


def resolve_phrase(turn: Turn, words: tuple[str, ...], scope: list[str], verb: str) -> Outcome:
    """One noun phrase to item ids (several only for plurals like "coins")."""
    words = tuple(w for w in words if w not in FILLERS)
    if not words:
        return Refused(Failure.INCOMPLETE, "You'll have to be more specific.")
    if len(words) == 1 and words[0] in PRONOUNS:
        last = turn.state.last_objects
        if not last:
            return Refused(Failure.PRONOUN, f"I'm not sure what '{words[0]}' refers to.", words[0])
        present = [i for i in last if i in scope]
        if not present:
            return Refused(Failure.NOT_IN_SCOPE, "You can't see that here at the moment.", words[0])
        return Resolved(tuple(present) if words[0] in ("them", "those", "these") else
                        (present[0],))
    unknown = turn.index.first_unknown(words)
    if unknown is not None:
        return Refused(Failure.UNKNOWN_WORD, unknown_word_message(unknown, turn.index.vocabulary), unknown)
    found = matches(turn, words, scope)
    if not found:
        return Refused(Failure.NOT_IN_SCOPE, "You can't see any such thing.")
    if len(found) > 1:
        found = _without_weak_matches(turn, words, found)
    if len(found) == 1:
        return Resolved((found[0],))
    if _is_plural(words, turn):
        return Resolved(tuple(found))
    preferred = [i for i in found if _prefer(turn, verb, i)]
    if len(preferred) == 1:
        return Resolved((preferred[0],))
    return Ask(" ".join(words), tuple(found))


def answer_question(turn: Turn, words: list[str], candidates: tuple[str, ...]) -> list[str]:
    """Which of the asked-about candidates an answer like "brass" or "the iron one" picks."""
    cleaned = tuple(w for w in words if w not in FILLERS and w not in ("the", "a", "an"))
    if not cleaned:
        return []
    return matches(turn, cleaned, candidates)
