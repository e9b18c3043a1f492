"""Did-you-mean for a word the game does not know: the known word one typing slip away.

Why: "I don't know the word 'tkae'." leaves a new player guessing whether the game lacks the
verb or they mistyped it. A known word one edit away (two neighbouring letters swapped, one
letter wrong, missing or extra: the usual slips of fast typing) is almost always what was
meant, and `oops WORD` then fixes the command without retyping it. Short words (three letters
or fewer) and the grammar's small words (articles, prepositions, pronouns) are never guessed:
too many of them are one edit from anything for a guess to help.
"""

from __future__ import annotations

from collections.abc import Collection
from string import ascii_lowercase

from game.engine.grammar import ALL_WORDS, ARTICLES, EXCEPT_WORDS, FILLERS, PREPOSITIONS, PRONOUNS

MIN_LENGTH = 4
SMALL_WORDS = ARTICLES | FILLERS | PRONOUNS | ALL_WORDS | EXCEPT_WORDS | frozenset(PREPOSITIONS) | {"and", "then"}


def slips(word: str) -> list[set[str]]:
    """The strings one slip from `word`, likeliest kind first: swaps, wrong letters, missing or extra ones."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in ascii_lowercase}
    missing_or_extra = {a + b[1:] for a, b in splits if b} | {a + c + b for a, b in splits for c in ascii_lowercase}
    return [kind - {word} for kind in (swaps, replaces, missing_or_extra)]


def suggestion(word: str, known: Collection[str]) -> str | None:
    """The known word one slip from `word`, or None when there is none.

    The likeliest kind of slip wins; within it a word sharing the first letter (rarely
    mistyped), then the alphabetically first, so the same typo always gets the same answer.
    """
    if len(word) < MIN_LENGTH or not word.isalpha():
        return None
    for kind in slips(word):
        candidates = sorted(w for w in kind if w in known and w not in SMALL_WORDS and len(w) >= MIN_LENGTH)
        if candidates:
            same_start = [w for w in candidates if w[0] == word[0]]
            return (same_start or candidates)[0]
    return None


def unknown_word_message(word: str, known: Collection[str]) -> str:
    """The reply to an unknown word, with the likely word when there is one."""
    shown = word if len(word) <= 40 else word[:37] + "..."
    guess = suggestion(word, known)
    if guess is None:
        return f"I don't know the word '{shown}'."
    return f"I don't know the word '{shown}'. Did you mean '{guess}'? (OOPS {guess.upper()} fixes it.)"
