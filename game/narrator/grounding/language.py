"""Part-of-speech tags and noun lemmas for the grounding check, from TextBlob's English tagger.

Why TextBlob: its tagger (the Brill-style tagger of CLiPS Pattern, with its lexicon) ships inside
the wheel, so it works offline on a fresh machine; spaCy's English pipelines and NLTK's tagger
data are downloaded from GitHub, which players' machines (and this project's CI) cannot reach.
It tags a narrator sentence in well under a millisecond. Its plural-to-singular rules give noun
lemmas ("barrels" -> "barrel", "feet" -> "foot").

The tagger loads its lexicon on first use (~0.2 s); `warm_up` lets the narrator pay that while
the model loads, not on the first turn.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_CONTRACTIONS = tuple((re.compile(pattern, re.IGNORECASE), repl) for pattern, repl in (
    (r"\bcan['’]t\b", "cannot"), (r"\bwon['’]t\b", "will not"), (r"n['’]t\b", " not"),
    (r"['’]re\b", " are"), (r"['’]ll\b", " will"), (r"['’]ve\b", " have"), (r"['’]m\b", " am"),
    (r"['’]d\b", " would"), (r"\b(it|that|there|here|what|who)['’]s\b", r"\1 is"),
))


def expand(text: str) -> str:
    """Contractions spelled out ("can't" -> "cannot", "it's" -> "it is"), which the tagger
    otherwise splits into noun-tagged debris ("ca", "n", "t")."""
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def words(text: str) -> list[str]:
    """Lower-case words of a text; a possessive 's is dropped ("Mara's" -> "mara")."""
    out = []
    for w in _WORD.findall(text):
        w = w.lower().replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w)
    return out


def tag(sentence: str) -> list[tuple[str, str]]:
    """(word, Penn tag) pairs for one sentence."""
    from textblob.en import tag as pattern_tag

    return [(w, t) for w, t in pattern_tag(sentence, tokenize=True)]


# Words after which a word the tagger called a noun is a verb: "it will not move", "to end".
_VERB_CONTEXT = frozenset({"you", "to", "not", "will", "would", "can", "cannot", "could", "may",
                           "might", "must", "shall", "should", "it", "they", "we", "i", "he",
                           "she", "won't", "don't", "doesn't", "didn't", "can't", "never"})
_AFTER_VERB = ("IN", "RB", "DT", "PRP$", "TO", "RP", "PRP")
# Verbs spelled the same in the present and the past: after "you" they are present here.
_SAME_FORM = frozenset({"read", "put", "set", "cut", "hit", "let", "shut", "cast", "spread",
                        "thrust", "burst", "quit"})


def retag(tagged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Three fix-ups for the Brill tagger's commonest slips in narration:

    * after a subject pronoun, a modal, "not" or "to", a noun tag is a verb ("you light",
      "it will not move", "to end");
    * a plural noun right after a singular noun and before a preposition, adverb or determiner
      is a present-tense verb ("the wind blows through", "the lamp glows softly"), while
      "oil barrels," stays a compound noun;
    * "you read", "you put": verbs with one form for present and past are present after "you".
    """
    out = list(tagged)
    for i, (word, pos) in enumerate(out):
        prev_word = out[i - 1][0].lower() if i else ""
        prev_pos = out[i - 1][1] if i else ""
        next_pos = out[i + 1][1] if i + 1 < len(out) else "."
        if pos == "VBD" and word.lower() in _SAME_FORM and prev_word in ("you", "and"):
            out[i] = (word, "VBP")
        elif pos in ("NN", "NNS") and prev_word in _VERB_CONTEXT:
            out[i] = (word, "VBZ" if pos == "NNS" else "VB")
        elif pos == "NNS" and prev_pos in ("NN", "NNP") and next_pos in _AFTER_VERB:
            out[i] = (word, "VBZ")
    return out


@lru_cache(maxsize=4096)
def singular(word: str) -> str:
    """The singular of a noun (lower case); words that are not plurals come back unchanged."""
    from textblob.en.inflect import singularize

    w = word.lower()
    if len(w) <= 3 or not w.endswith("s") or w.endswith(("ss", "us", "is")):
        return w
    return singularize(w)


def analyse(sentence: str) -> list[tuple[str, str]]:
    """(lower-case word, Penn tag) for each word of a sentence, contractions expanded, the
    tagger's slips fixed (`retag`), possessive endings dropped: the checker's one view of it."""
    out: list[tuple[str, str]] = []
    previous = ""
    for token, pos in retag(tag(expand(sentence))):
        if pos == "POS" or (token.lower() == "s" and previous in ("'", "’")):
            previous = token
            continue
        for w in words(token):
            out.append((w, pos))
        previous = token
    return out


def lemma_set(text: str) -> set[str]:
    """Every word of `text` and its singular: what counts as 'said' by that text."""
    out: set[str] = set()
    for w in words(text):
        out.add(w)
        out.add(singular(w))
        for part in w.split("-"):
            if part:
                out.add(part)
                out.add(singular(part))
    return out


def is_noun(word: str) -> bool:
    """The tagger's lexicon tags this (lower-case) word a noun when it has no context."""
    from textblob.en import parser

    return parser.lexicon.get(word) in ("NN", "NNS")


def warm_up() -> None:
    """Load the tagger's lexicon now (it is loaded lazily on the first sentence)."""
    tag("You light the lamp.")
