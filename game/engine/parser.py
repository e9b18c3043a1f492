"""From a typed line to commands: tokens, sentence splitting, and grammar matching.

Classic IF parsing in three steps:
1. `tokenise`: lower-case words; punctuation other than . ; ! ? , is dropped, so any string
   (control characters, emoji, 10,000 characters) becomes a harmless token list.
2. `split_commands`: one line may hold several commands, separated by "." ";" "then", or by
   "," / "and" when what follows starts a new verb ("take lamp, go north").
3. `parse`: match a command's words against the built-in grammar (grammar.py) and the verbs
   the world's rules declare ("pray", "pull lever"), giving a `Command` whose noun phrases are
   still words; `resolve.py` turns those into item ids against what is in scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from game.engine.failures import Failure
from game.engine.grammar import (
    ALL_WORDS, ARTICLES, DIRECTION_WORDS, EXCEPT_WORDS, MULTI_VERBS, PATTERNS, PREPOSITIONS,
)
from game.engine.index import MEMO_SIZE, TYPOGRAPHIC, WorldIndex
from game.engine.spelling import unknown_word_message

MAX_LINE = 4000          # characters considered from one line
MAX_COMMANDS = 20        # commands considered from one line
# Verbs that accept "with TOOL" though their built-in ignores it (world rules may not).
TOOL_VERBS = frozenset({"turn_on", "turn_off", "examine", "read", "touch", "knock", "close",
                        "climb", "listen", "smell", "eat", "drink", "wear"})
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|[.;!?,]")
_STOPS = {".", ";", "!", "?"}
MEMO_LINE = 256          # lines longer than this (commands of more than 1/8 as many words)
                         # are not memoised
_SLOT_VERBS = {"save": "save", "restore": "restore", "load": "restore"}

_PATTERNS_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _pattern, _verb in PATTERNS:
    _words = tuple(_pattern.split())
    _PATTERNS_BY_FIRST.setdefault(_words[0], []).append((_words, _verb))


@dataclass(frozen=True)
class ObjectSpec:
    """The object slot as words: one or more phrases, or "all" with exceptions."""

    phrases: tuple[tuple[str, ...], ...] = ()
    all: bool = False
    excepts: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Command:
    """A parsed command; noun phrases are still words (see resolve.py)."""

    verb: str                                # canonical built-in verb, or a custom rule verb
    text: str                                # the command's words, for "again" and questions
    custom: bool = False
    objects: ObjectSpec | None = None
    indirect: tuple[str, ...] | None = None
    preposition: str | None = None
    direction: str | None = None
    slot: str | None = None


@dataclass(frozen=True)
class ParseError:
    """Why a command could not be parsed, worded for the player."""

    reason: Failure      # unknown-word, no-verb, incomplete, not-understood, multiple, empty
    message: str
    word: str | None = None


def tokenise(line: str) -> list[str]:
    """Lower-case word tokens and sentence punctuation; everything else is dropped."""
    return _TOKEN.findall(line[:MAX_LINE].translate(TYPOGRAPHIC).lower())


def line_commands(line: str, index: WorldIndex) -> list[list[str]]:
    """`split_commands(tokenise(line), index)`: a pure function of the line and the index, so
    remembered per index (as tuples; every call gets lists of its own). Long lines are not."""
    memo = index.split_lines
    found = memo.get(line)
    if found is None:
        found = tuple(tuple(words) for words in split_commands(tokenise(line), index))
        if len(line) > MEMO_LINE:
            return [list(words) for words in found]
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[line] = found
    return [list(words) for words in found]


def _starts_command(tokens: list[str], index: WorldIndex) -> bool:
    if not tokens:
        return False
    first = tokens[0]
    if first in DIRECTION_WORDS and len(tokens) == 1:
        return True
    if first in index.noun_words:
        return False
    return first in index.builtin_first_words or any(
        tuple(tokens[:len(p)]) == p for p in index.custom_verbs)


def split_commands(tokens: list[str], index: WorldIndex) -> list[list[str]]:
    """Split at . ; ! ? and "then"; at "," and "and" only when a new verb follows.

    Linear in the number of tokens (it only peeks a few words ahead), so absurd lines are cheap;
    at most MAX_COMMANDS commands are returned.
    """
    commands: list[list[str]] = []
    current: list[str] = []
    for n, token in enumerate(tokens):
        if len(commands) > MAX_COMMANDS:
            break
        if token in _STOPS or token == "then":
            if current:
                commands.append(current)
            current = []
        elif token in (",", "and"):
            follow: list[str] = []
            for t in tokens[n + 1:n + 8]:
                if t in _STOPS or t in (",", "and", "then"):
                    break
                follow.append(t)
            if current and _starts_command(follow, index):
                commands.append(current)
                current = []
            elif current and follow:
                current.append("and")
        else:
            current.append(token)
    if current:
        commands.append(current)
    cleaned = []
    for words in commands:
        while words and words[-1] == "and":
            words.pop()
        while words and words[0] == "and":
            words.pop(0)
        if words:
            cleaned.append(words)
    return cleaned[:MAX_COMMANDS]


def _match(pattern: tuple[str, ...], words: list[str]) -> dict[str, tuple[str, ...]] | None:
    """Match words against a pattern of literals and slots; slots take one or more words
    (SLOT takes zero or more). Literal positions are tried left to right, shortest slot first."""

    def go(pi: int, wi: int, caps: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]] | None:
        if pi == len(pattern):
            return caps if wi == len(words) else None
        part = pattern[pi]
        if not part.isupper():
            if wi < len(words) and words[wi] == part:
                return go(pi + 1, wi + 1, caps)
            return None
        least = 0 if part == "SLOT" else 1
        if pi == len(pattern) - 1:
            if len(words) - wi < least:
                return None
            return {**caps, part: tuple(words[wi:])}
        for end in range(wi + least, len(words) + 1):
            found = go(pi + 1, end, {**caps, part: tuple(words[wi:end])})
            if found is not None:
                return found
        return None

    return go(0, 0, {})


def _object_spec(words: tuple[str, ...]) -> ObjectSpec:
    """ "all except lamp", "key and lamp", "the brass key", "keys except the brass one"."""
    cut = next((i for i, w in enumerate(words) if w in EXCEPT_WORDS), None)
    if cut is not None and cut > 0 and words[0] not in ALL_WORDS:
        return ObjectSpec(phrases=(tuple(words[:cut]),), all=True,
                          excepts=tuple(_split_and(list(words[cut + 1:]))))
    if words and words[0] in ALL_WORDS:
        rest = list(words[1:])
        excepts: list[tuple[str, ...]] = []
        if rest and rest[0] in EXCEPT_WORDS:
            excepts = _split_and(rest[1:])
        elif rest and rest[0] not in EXCEPT_WORDS:
            # "all keys" / "all the coins" behave like a plural phrase
            return ObjectSpec(phrases=(tuple(rest),), all=True)
        return ObjectSpec(all=True, excepts=tuple(excepts))
    return ObjectSpec(phrases=tuple(_split_and(list(words))))


def _split_and(words: list[str]) -> list[tuple[str, ...]]:
    phrases: list[tuple[str, ...]] = []
    current: list[str] = []
    for w in words:
        if w == "and":
            if current:
                phrases.append(tuple(current))
            current = []
        else:
            current.append(w)
    if current:
        phrases.append(tuple(current))
    return phrases


def _unknown_word(word: str, index: WorldIndex) -> ParseError:
    return ParseError(Failure.UNKNOWN_WORD, unknown_word_message(word, index.vocabulary), word)


def _patterns(first: str, index: WorldIndex) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The patterns a command starting with `first` may match: the world's own wordings first."""
    own = index.verb_patterns.get(first)
    builtin = _PATTERNS_BY_FIRST.get(first, ())
    return (*own, *builtin) if own else tuple(builtin)


def _builtin(words: list[str], text: str, index: WorldIndex) -> Command | ParseError | None:
    for pattern, verb in _patterns(words[0], index):
        caps = _match(pattern, words)
        if caps is None:
            continue
        if verb in TOOL_VERBS and "OBJ" in caps and "IND" not in caps:
            caps = _split_tool(caps)
        if verb == "go":
            direction = DIRECTION_WORDS.get(" ".join(caps.get("DIR", ())))
            if direction is None:
                continue
            return Command("go", text, direction=direction)
        if verb in ("enter", "leave"):
            return Command("go", text, direction="in" if verb == "enter" else "out")
        direction = None
        if verb == "climb" and len(words) > 2 and words[1] in ("up", "down"):
            direction = words[1]
        objects = None
        if "OBJS" in caps or "OBJ" in caps:
            objects = _object_spec(caps.get("OBJS") or caps["OBJ"])
            if "OBJ" in caps and (objects.all or len(objects.phrases) > 1) and verb not in MULTI_VERBS:
                return ParseError(Failure.MULTIPLE, "You can't use multiple objects with that verb.")
        return Command(verb, text, objects=objects, indirect=caps.get("IND"), direction=direction)
    return None


def _split_tool(caps: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """ "light lamp with flint": the tool becomes the indirect object (for rules to match)."""
    obj = caps["OBJ"]
    cut = next((i for i, w in enumerate(obj) if w in ("with", "using")), None)
    if cut is None or cut == 0 or cut == len(obj) - 1:
        return caps
    return {**caps, "OBJ": obj[:cut], "IND": obj[cut + 1:]}


def _incomplete(words: list[str], index: WorldIndex) -> ParseError | None:
    """ "take" alone: ask what to take, as classic games do."""
    for pattern, verb in _patterns(words[0], index):
        literal = [p for p in pattern if not p.isupper()]
        if literal == words and len(pattern) > len(literal) and pattern[len(literal)] != "SLOT":
            shown = " ".join(words)
            if verb == "go":
                return ParseError(Failure.INCOMPLETE, f"Where do you want to {shown}?")
            return ParseError(Failure.INCOMPLETE, f"What do you want to {shown}?")
    return None


def _custom(words: list[str], text: str, index: WorldIndex, phrase: tuple[str, ...]) -> Command:
    rest = words[len(phrase):]
    prep_at = next((i for i, w in enumerate(rest) if w in PREPOSITIONS), None)
    if prep_at is None:
        obj, prep, ind = rest, None, None
    else:
        obj, prep, ind = rest[:prep_at], rest[prep_at], tuple(rest[prep_at + 1:]) or None
    if not obj and ind:   # "knock on door", "pray to altar": the noun after the preposition
        obj, ind = list(ind), None
    objects = ObjectSpec(phrases=(tuple(obj),)) if obj else None
    return Command(" ".join(phrase), text, custom=True, objects=objects, indirect=ind,
                   preposition=prep)


def parse(tokens: list[str], index: WorldIndex) -> Command | ParseError:
    """Parse one command's tokens (already split) into a `Command`, or say what went wrong.

    A pure function of the words and the (unchanging) index, with an immutable result, so
    results are remembered per index: players and replays repeat the same commands a lot.
    """
    key = tuple(tokens)
    memo = index.parsed
    found = memo.get(key)
    if found is None:
        found = _parse(tokens, index)
        if len(key) > MEMO_LINE // 8:
            return found
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = found
    return found


def _parse(tokens: list[str], index: WorldIndex) -> Command | ParseError:
    if tokens and tokens[0] in _SLOT_VERBS:   # slot names are free text: no vocabulary check
        slot = "_".join(t for t in tokens[1:] if t not in _STOPS and t != ",") or "quicksave"
        return Command(_SLOT_VERBS[tokens[0]], " ".join(tokens), slot=slot)
    words = [t for t in tokens if t not in ARTICLES]
    if not words:
        return ParseError(Failure.EMPTY, "I beg your pardon?")
    text = " ".join(words)
    if len(words) == 1 and words[0] in DIRECTION_WORDS:
        return Command("go", text, direction=DIRECTION_WORDS[words[0]])
    for phrase in index.custom_verbs:
        if len(phrase) > 1 and tuple(words[:len(phrase)]) == phrase:
            return _custom(words, text, index, phrase)
    found = _builtin(words, text, index)
    if isinstance(found, (Command, ParseError)):
        if isinstance(found, Command):
            unknown = index.first_unknown(words)
            if unknown is not None:
                return _unknown_word(unknown, index)
        return found
    for phrase in index.custom_verbs:
        if len(phrase) == 1 and words[0] == phrase[0]:
            unknown = index.first_unknown(words)
            if unknown is not None:
                return _unknown_word(unknown, index)
            return _custom(words, text, index, phrase)
    unknown = index.first_unknown(words)
    if unknown is not None:
        return _unknown_word(unknown, index)
    incomplete = _incomplete(words, index)
    if incomplete is not None:
        return incomplete
    if words[0] in index.builtin_first_words:
        return ParseError(Failure.NOT_UNDERSTOOD, "I only understood you as far as wanting to "
                          f"{words[0]}.")
    return ParseError(Failure.NO_VERB, "That's not a verb I recognise.", words[0])
