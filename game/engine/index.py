"""Lookup tables derived once from a `World`, so each turn costs the same on a huge world.

Nothing here changes during play; a `Game` builds one `WorldIndex` when it starts.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from game.engine.conditions import Test, compile_condition
from game.engine.grammar import PATTERNS, VERB_KEYS, grammar_words, normalise_rule_verb
from game.engine.world import Item, Rule, Trigger, World

MEMO_SIZE = 1024  # entries kept per memo before it starts afresh
# id(world) -> (weak reference to the world, its index); an entry leaves with its world.
_BUILT: dict[int, tuple["weakref.ref[World]", "WorldIndex"]] = {}


# Typographic quotes and apostrophes, as editors and phones type them, read as plain ones.
TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201b": "'", "\u02bc": "'",
                             "\u201c": '"', "\u201d": '"', "\u201e": '"'})


def _phrase_words(text: str) -> list[str]:
    return text.translate(TYPOGRAPHIC).lower().split()


def item_words(item: Item) -> frozenset[str]:
    """Every word the player may use for an item: its name (or its `words`), aliases, adjectives."""
    named = _phrase_words(" ".join(item.words)) if item.words is not None else _phrase_words(item.name)
    words: set[str] = set(named)
    for alias in item.aliases:
        words.update(_phrase_words(alias))
    for adjective in item.adjectives:
        words.update(_phrase_words(adjective))
    words.update(possessive_stems(item))
    for word in list(words):   # "ship's biscuit" also answers to "ships"
        if "'" in word:
            words.add(word.replace("'", ""))
    return frozenset(words)


def possessive_stems(item: Item) -> frozenset[str]:
    """The owners named in an item's possessives ("ship" of "ship's biscuit").

    They are weak words: "take ship" finds the biscuit, but when another item in scope is
    called "ship", that one is meant (see resolve.py), so a bird's nest never makes "bird"
    ambiguous.
    """
    named = _phrase_words(" ".join(item.words)) if item.words is not None else _phrase_words(item.name)
    words = named + [w for phrase in (*item.aliases, *item.adjectives) for w in _phrase_words(phrase)]
    return frozenset(w[:-2] for w in words if w.endswith("'s") and len(w) > 2)


def singulars(word: str) -> tuple[str, ...]:
    """The words a plural `word` may stand for: without its "-s", and without its "-es"."""
    if not word.endswith("s"):
        return ()
    return (word[:-1], word[:-2]) if word.endswith("es") else (word[:-1],)


@dataclass
class WorldIndex:
    """Derived, read-only tables: item order and vocabulary, rules by verb key, custom verbs."""

    order: dict[str, int] = field(default_factory=dict)            # item id -> declaration index
    words: dict[str, frozenset[str]] = field(default_factory=dict)  # item id -> its words
    weak_words: dict[str, frozenset[str]] = field(default_factory=dict)  # item id -> possessive stems
    vocabulary: frozenset[str] = frozenset()                       # every word the game knows
    noun_words: frozenset[str] = frozenset()                       # words naming items
    also_in: dict[str, tuple[str, ...]] = field(default_factory=dict)  # room -> extra items
    rules_by_key: dict[str, tuple[tuple[int, Rule], ...]] = field(default_factory=dict)
    any_verb_rules: tuple[tuple[int, Rule], ...] = ()
    custom_verbs: tuple[tuple[str, ...], ...] = ()  # rule verb phrases the grammar lacks, longest first
    builtin_first_words: frozenset[str] = frozenset()
    # The world's own wordings of built-in actions (`verbs:`), by first word, tried before the
    # built-in patterns: (pattern words, the action it means).
    verb_patterns: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = field(default_factory=dict)
    # The world's `on: turn` / `on: enter` triggers in file order, ready to test: (trigger, its
    # "fired" mark when `once` else None, its compiled condition or None); see rules.py.
    turn_checks: tuple[tuple[Trigger, str | None, Test | None], ...] = ()
    enter_checks: tuple[tuple[Trigger, str | None, Test | None], ...] = ()
    # Memos of pure functions of a command's words and this index (nothing here changes
    # during play): parsed commands (parser.parse), lines split into commands
    # (parser.line_commands) and candidate rules by verb keys (rule_checks).
    parsed: dict = field(default_factory=dict, compare=False, repr=False)
    split_lines: dict = field(default_factory=dict, compare=False, repr=False)
    rule_check_memo: dict = field(default_factory=dict, compare=False, repr=False)
    phase_memo: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, world: World) -> "WorldIndex":
        """The index of `world`, built once per World object and shared by all its games
        (it is read-only apart from its memos of pure functions, which sharing keeps warm)."""
        entry = _BUILT.get(id(world))
        if entry is not None and entry[0]() is world:
            return entry[1]
        index = cls.build(world)
        key = id(world)
        # The dict is bound as a default: at interpreter exit module globals may already be None.
        _BUILT[key] = (weakref.ref(world, lambda _, key=key, built=_BUILT: built.pop(key, None)), index)
        return index

    @classmethod
    def build(cls, world: World) -> "WorldIndex":
        order = {item_id: n for n, item_id in enumerate(world.items)}
        words = {item.id: item_words(item) for item in world.items.values()}
        weak = {item.id: stems for item in world.items.values() if (stems := possessive_stems(item))}
        noun_words: set[str] = set()
        for ws in words.values():
            noun_words.update(ws)
        also_in: dict[str, list[str]] = {}
        for item in world.items.values():
            for room in item.also_in:
                also_in.setdefault(room, []).append(item.id)

        builtin_first = {pattern.split()[0] for pattern, _ in PATTERNS}
        verb_patterns: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        synonym_of: dict[str, str] = {}   # a world verb's word -> the action it means
        for synonym in world.verbs:
            pattern = tuple(synonym.pattern.split())
            verb_patterns.setdefault(pattern[0], []).append((pattern, synonym.means))
            synonym_of.setdefault(synonym.word, synonym.means)
            builtin_first.add(pattern[0])
        by_key: dict[str, list[tuple[int, Rule]]] = {}
        any_rules: list[tuple[int, Rule]] = []
        custom: set[tuple[str, ...]] = set()
        for n, rule in enumerate(world.rules):
            for verb in rule.verbs:
                if verb.strip() == "*":
                    any_rules.append((n, rule))
                    continue
                key = normalise_rule_verb(verb)
                key = synonym_of.get(key, key)   # a rule for "hang" is a rule for put_on
                by_key.setdefault(key, []).append((n, rule))
                if key not in VERB_KEYS.values() and key.replace("_", " ") not in VERB_KEYS:
                    custom.add(tuple(key.split()))
        vocabulary = set(grammar_words()) | noun_words
        vocabulary.update(w for patterns in verb_patterns.values() for pattern, _ in patterns
                          for w in pattern if not w.isupper())
        for phrase in custom:
            vocabulary.update(phrase)
        return cls(
            order=order,
            words=words,
            weak_words=weak,
            vocabulary=frozenset(vocabulary),
            noun_words=frozenset(noun_words),
            also_in={room: tuple(ids) for room, ids in also_in.items()},
            rules_by_key={k: tuple(v) for k, v in by_key.items()},
            any_verb_rules=tuple(any_rules),
            custom_verbs=tuple(sorted(custom, key=lambda p: (-len(p), p))),
            builtin_first_words=frozenset(builtin_first),
            verb_patterns={k: tuple(v) for k, v in verb_patterns.items()},
            turn_checks=tuple(_trigger_check(t, world) for t in world.triggers if t.on == "turn"),
            enter_checks=tuple(_trigger_check(t, world) for t in world.triggers if t.on == "enter"),
        )

    def rule_checks(self, keys: tuple[str, ...],
                    world: World | None = None) -> tuple[tuple[Rule, str | None, Test | None], ...]:
        """`rules_for(keys)` ready to test: (rule, its "fired" mark when `once` else None,
        its compiled condition or None). `world`: this index's world, for light conditions."""
        found = self.rule_check_memo.get(keys)
        if found is None:
            found = tuple((rule, f"rule:{rule.id}" if rule.once else None,
                           compile_condition(rule.when, world)) for rule in self.rules_for(keys))
            if len(self.rule_check_memo) >= MEMO_SIZE:
                self.rule_check_memo.clear()
            self.rule_check_memo[keys] = found
        return found

    def rule_phases(self, keys: tuple[str, ...]) -> frozenset[str]:
        """The phases that have rules for any of `keys` (or "*"): empty for most commands."""
        found = self.phase_memo.get(keys)
        if found is None:
            found = frozenset(rule.phase for rule in self.rules_for(keys))
            if len(self.phase_memo) >= MEMO_SIZE:
                self.phase_memo.clear()
            self.phase_memo[keys] = found
        return found

    def rules_for(self, keys: tuple[str, ...]) -> tuple[Rule, ...]:
        """The rules for any of `keys` or for any verb ("*"), once each, in file order.
        (Not memoised itself: `rule_checks`, its only caller, memoises the result.)"""
        candidates = list(self.any_verb_rules)
        for key in keys:
            candidates.extend(self.rules_by_key.get(key, ()))
        candidates.sort(key=lambda pair: pair[0])
        unique: dict[int, Rule] = {}
        for n, rule in candidates:
            unique.setdefault(n, rule)
        return tuple(unique.values())

    def plural_known(self, word: str) -> bool:
        """Whether `word` is a plural ("-s" or "-es") of a word naming an item."""
        return any(singular in self.noun_words for singular in singulars(word))

    def first_unknown(self, words: "list[str] | tuple[str, ...]") -> str | None:
        """The first of `words` the game does not know (plurals of item words are known)."""
        for w in words:
            if w not in self.vocabulary and not self.plural_known(w):
                return w
        return None

    def sort_items(self, ids: "list[str] | tuple[str, ...] | set[str]") -> list[str]:
        """Items in declaration order, so listings never depend on the order things moved."""
        return sorted(ids, key=self.order.__getitem__)


def _trigger_check(trigger: Trigger, world: World) -> tuple[Trigger, str | None, Test | None]:
    return (trigger, f"trigger:{trigger.id}" if trigger.once else None,
            compile_condition(trigger.when, world))
