"""Build the narrator prompt as a cacheable prefix plus a small per-turn suffix.

Layout (chat messages, rendered with the model's own chat template)::

    system     narrator rules + the world's style notes                 ┐ base: same for every room
    user/asst  exemplar exchanges, in exactly the format of a real turn ┘ (prefilled once per world)
    user       [location block: room, description, exits, fixed features]  ← prefix ends here
               [this turn: what happened, items here, inventory, recent history, command]
    assistant  "You" (the reply is opened for the model)

Why this shape: everything above the marked line is identical for every action in a room, so
its KV cache is computed once and reused (see prefix_cache.py); it can therefore afford rich
rules and several exemplars at no per-turn cost. A 135M model follows *examples* far better than
instructions (docs/narrator.md), so the exemplars use the very format of the real turn, and the reply is opened with "You" to pin the
second person.

The split is checked at token level, never assumed: the rendered text is cut at a sentinel,
both parts are tokenized, and if BPE merges across the cut, the prefix is shortened to the
longest common token prefix. Every suffix starts with the same fixed text, so that fallback is
the same for every turn (the cache key stays stable).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from game.narrator.grounding.facts import CHANGING_VERBS, changed_items, rule_succeeded

if TYPE_CHECKING:
    from game.engine.events import Event, Scene
    from game.engine.world import NarratorStyle
    from mlx_lm.tokenizer_utils import TokenizerWrapper

OPENING = "You"
"""The start of every narration: pins second person for a small model."""

# On the embedded model, "You" alone makes it copy the verb of the last exemplar
# ("You take the torch" for "open hearth"). Opening with the verb of what actually happened
# keeps the prose on the action; a refusal opens with "You try", never with its success.
_OPENINGS: tuple[tuple[str, str], ...] = (
    ("failed", "You try"), ("moved", "You step into"), ("took", "You take"), ("dropped", "You drop"),
    ("put", "You put"), ("examined", "You look at"), ("read", "You read"),
    ("opened", "You open"), ("closed", "You close"), ("unlocked", "You unlock"),
    ("locked", "You lock"), ("lit", "You light"), ("extinguished", "You put out"),
    ("ate", "You eat"), ("drank", "You drink"), ("gave", "You give"), ("wore", "You put on"),
    ("removed", "You take off"), ("waited", "You wait"), ("looked", "You look"),
)

TURN_HEADER = "\n\nNow:"
"""Every suffix starts with this, so the token boundary at the prefix cut is the same each turn."""

_BASE_MARK = "\x00\x01BASE\x01\x00"
_SPLIT_MARK = "\x00\x01SPLIT\x01\x00"

_BOOKKEEPING_KINDS = frozenset({"counter-changed", "flag-set", "flag-cleared"})
_SILENT_REASONS = frozenset({
    "not-in-scope", "unknown-word", "nothing", "oops", "nothing-to-repeat", "cannot-undo",
    "game-over", "internal-error", "self", "loop", "not-interested",
})

RULES = """You are the narrator of a text adventure game. The game engine decides what happens; \
you retell the outcome to the player as a short piece of a story.

Rules:
- Speak to the player as "you", in the present tense. Begin with "You".
- Write one to three short sentences. Never more.
- Retell only what the game says happened. Never change the outcome: if the game says \
something failed, it failed.
- Mention only things named in the place, the items here, or what you carry. Never invent \
objects, people, exits or events.
- Write plain prose only. No labels, lists, quotes, headings or questions."""


@dataclass(frozen=True)
class Exemplar:
    """A worked example, in the same shape as a real turn (see `turn_block`)."""

    place: str
    happened: str
    here: tuple[str, ...]
    carrying: tuple[str, ...]
    command: str
    narration: str


# Short, concrete, second person, no labels, nothing beyond the listed things.
DEFAULT_EXEMPLARS: tuple[Exemplar, ...] = (
    # Ordered so that the most common actions come last (a small model copies the latest one).
    Exemplar(
        place="Place: Mossy Clearing. Sunlight falls through a ring of old oaks.\n"
              "Exits: north, west.\nAlso here: a tree stump.",
        happened="You can see a wooden bucket here.",
        here=("a wooden bucket",),
        carrying=(),
        command="west",
        narration="You step into the mossy clearing. Sunlight falls through the oaks onto a "
                  "wooden bucket in the grass.",
    ),
    Exemplar(
        place="Place: Narrow Stair. Worn steps spiral up into the dark.\n"
              "Exits: up, down.\nAlso here: an iron door.",
        happened="The iron door is locked.",
        here=(),
        carrying=("a candle",),
        command="open door",
        narration="You try to pull the iron door open, but it will not move. The lock holds fast.",
    ),
    Exemplar(
        place="Place: Old Well. A ring of mossy stones around a black shaft.\n"
              "Exits: east.\nAlso here: the well, a bucket chain.",
        happened="The water far below is black and still.",
        here=(),
        carrying=("a lantern",),
        command="examine well",
        narration="You look at the well. Far below the mossy stones, the black water lies still.",
    ),
    Exemplar(
        place="Place: Kitchen. Copper pans hang above a scrubbed table.\n"
              "Exits: south.\nAlso here: a table, a stove.",
        happened="Dropped.",
        here=("a loaf of bread",),
        carrying=("a knife",),
        command="drop bread",
        narration="You drop the loaf of bread, and it lands on the scrubbed table.",
    ),
    Exemplar(
        place="Place: Wine Cellar. A low vault of damp brick that smells of old wine.\n"
              "Exits: up, east.\nAlso here: a wine rack, a cobwebbed barrel.",
        happened="Taken.",
        here=(),
        carrying=("a brass key", "an oil lamp"),
        command="take lamp",
        narration="You take the oil lamp from its hook. Its cold brass weighs in your hand.",
    ),
)


@dataclass(frozen=True)
class PromptParts:
    """A tokenized prompt and where its cacheable parts end.

    `tokens[:prefix_len]` is the per-room prefix (its KV cache is reused); `tokens[:base_len]`
    is the part shared by every room of the world (0 when it is not a clean token prefix).
    `opening_tokens` are the last tokens of the prompt (the opened reply), used to decode the
    first generated token with its leading space intact.
    """

    tokens: tuple[int, ...]
    prefix_len: int
    base_len: int
    opening_tokens: tuple[int, ...]
    prefix_fallback: bool  # True when the text cut had to be moved to a token boundary
    opening: str = OPENING  # the text the reply was opened with (the narration starts with it)

    @property
    def prefix(self) -> tuple[int, ...]:
        return self.tokens[: self.prefix_len]

    @property
    def suffix(self) -> tuple[int, ...]:
        return self.tokens[self.prefix_len:]

    @property
    def prefix_key(self) -> str:
        return token_hash(self.prefix)


def token_hash(tokens: Sequence[int]) -> str:
    """A stable key for a token sequence (the KV cache depends on exactly these ids)."""
    h = hashlib.sha256()
    h.update(len(tokens).to_bytes(8, "little"))
    for t in tokens:
        h.update(int(t).to_bytes(4, "little", signed=False))
    return h.hexdigest()[:32]


# The verb a refused command is retold with ("You try to open the iron door"): the command's
# own first word when it is one of these, so the opening never names another action.
_TRY_VERBS = frozenset({
    "take", "get", "pick", "drop", "put", "open", "close", "shut", "unlock", "lock", "light",
    "read", "eat", "drink", "wear", "remove", "give", "push", "pull", "turn", "move", "climb",
    "break", "enter", "play", "ring", "search", "touch", "lift", "wave", "dig", "cut", "tie",
})


def _names_list(names: Sequence[str]) -> str:
    named = [_with_article(n) for n in dict.fromkeys(names)][:3]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def opening_for(events: Sequence["Event"], scene: "Scene | None" = None,
                names: "Mapping[str, str] | None" = None, command: str = "",
                scope: "Sequence[str]" = ()) -> str:
    """The words the reply is opened with: the turn's action and its real object.

    From the first event that names an action ("You light the hand lamp", "You put the oil can
    in the great lantern"); a refusal opens with the attempt ("You try to open the iron door"),
    never with its success. Naming the object keeps a small model from retelling the action on
    another one ("You light the letter" for the lamp), and a move opens with the name
    of the room the engine put the player in ("You step into" alone was completed with the
    previous room's name, copied from the history line). A turn a world rule decided opens
    with the command's verb and the item in `scope` it names ("You play the bone flute").
    """
    names = names or {}
    # Implicit steps ("(first taking the key)") and items a rule moved are not the action.
    explicit = [e for e in events if not e.data.get("implicit")
                and not (e.kind == "moved" and e.data.get("item", "player") != "player")]
    kinds = [e.kind for e in explicit]
    for kind, opening in _OPENINGS:
        if kind not in kinds:
            continue
        if kind == "moved":
            if scene is not None and scene.dark:
                return f"{opening} the darkness."
            if scene is not None and scene.room_name:
                move = next(e for e in explicit if e.kind == "moved")
                return _arrival(scene.room_name, move)
            return opening
        same = [e for e in explicit if e.kind == kind]
        items = [names[e.data["item"]] for e in same
                 if isinstance(e.data.get("item"), str) and e.data["item"] in names]
        if kind == "failed":
            return _attempt(same[0], names, command)
        if not items:
            return opening
        text = f"{opening} {_names_list(items)}"
        holder = same[0].data.get("holder")
        if kind == "put" and isinstance(holder, str) and holder in names:
            prep = str(same[0].data.get("preposition") or "in")
            text += f" {prep} {_with_article(names[holder])}"
        return text
    if not scope:
        return OPENING
    return _command_opening(command, names, scope, changed_items(events), rule_succeeded(events))


_PARTICLES = frozenset({"up", "down", "out", "on", "off", "in", "over", "around"})
_NOT_ACTIONS = frozenset({"look", "l", "x", "i", "inventory", "wait", "z", "again", "g", "undo",
                          "save", "restore", "score", "help", "quit", "go", "walk", "run"})


def _command_opening(command: str, names: "Mapping[str, str]", scope: "Sequence[str]",
                     changed: frozenset[str] = frozenset(), rewarded: bool = False) -> str:
    """'You pull the rusty lever' for a turn a world rule decided (no built-in action event):
    the command's own verb (imperative = second person present) and the item in scope it names,
    or plain "You" when the command names none. A verb that claims a change ("take") is told
    as an attempt unless an event shows the change, or the turn scored or won: a rule may have
    refused it in its own words ("The cap smears into glowing paste between your fingers")."""
    words = command.lower().replace(",", " ").split()
    if len(words) < 2 or not words[0].isalpha() or words[0] in _NOT_ACTIONS:
        return OPENING
    verb = words[0]
    rest = words[1:]
    if rest and rest[0] in _PARTICLES:
        verb, rest = f"{verb} {rest[0]}", rest[1:]
    def first_match(words: Sequence[str]) -> tuple[int, str] | None:
        """The in-scope item the words name first: (position of its first word, item id)."""
        found = []
        for item_id in scope:
            name = names.get(item_id)
            if name is None:
                continue
            hits = [k for k, w in enumerate(words[:4]) if w in name.lower().split()]
            if hits:
                found.append((hits[0], -len(hits), name, item_id))
        return (min(found)[0], min(found)[3]) if found else None

    obj = first_match(rest)
    if obj is None:
        return OPENING
    position, obj_id = obj
    if verb.split()[0] in CHANGING_VERBS and obj_id not in changed and not rewarded:
        verb = f"try to {verb}"
    text = f"You {verb} {_with_article(names[obj_id])}"
    for k, word in enumerate(rest[position + 1:], start=position + 1):
        if word in ("in", "into", "on", "onto", "to", "at", "with", "under"):
            holder = first_match(rest[k + 1:])
            if holder is not None and names[holder[1]] != names[obj_id]:
                text += f" {word} {_with_article(names[holder[1]])}"
            break
    return text


_RETURNS = ("You return to {}.", "You are back in {}.", "You come back to {}.")


def _arrival(room_name: str, move: "Event") -> str:
    """'You step into the Cellar.' the first time; on a return one of a few phrasings, chosen
    by the way the player came (stable: the same turn always reads the same)."""
    room = _with_article(room_name)
    if move.data.get("first_visit", True):
        return f"You step into {room}."
    origin = str(move.data.get("origin", ""))
    return _RETURNS[sum(map(ord, origin)) % len(_RETURNS)].format(room)


def _attempt(event: "Event", names: "Mapping[str, str]", command: str) -> str:
    """'You try to open the iron door' / 'You try to go north' / 'You try' for a refusal."""
    words = command.lower().split()
    direction = event.data.get("direction")
    if isinstance(direction, str) and direction:
        return f"You try to go {direction}"
    item = event.data.get("item")
    verb = words[0] if words and words[0] in _TRY_VERBS else ""
    if verb == "get":
        verb = "take"
    if isinstance(item, str) and item in names and verb:
        return f"You try to {verb} {_with_article(names[item])}"
    return "You try"


def _with_article(name: str) -> str:
    """'the Lighthouse Yard', 'the ship's biscuit', but 'Mara's Cottage' and 'The Sanctum' stay
    as written."""
    words = name.split()
    if not words or words[0].lower() in ("the", "a", "an") or (
            "'s" in words[0] and words[0][:1].isupper()):
        return name
    return f"the {name}"


# ------------------------------------------------------------------ text blocks
def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _names(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "nothing"


def location_block(scene: "Scene") -> str:
    """The stable per-room part: name, description, exits, fixed features."""
    if scene.dark:
        return (f"Place: {scene.room_name}. It is pitch dark; you can see nothing.\n"
                f"Exits: unknown.\nAlso here: nothing you can see.")
    return (f"Place: {scene.room_name}. {_clip(scene.room_description, 600)}\n"
            f"Exits: {_names(list(scene.exits))}.\n"
            f"Also here: {_names(list(scene.fixed_features))}.")


def turn_block(happened: str, here: Sequence[str], carrying: Sequence[str], command: str,
               history: Sequence[str] = (), changes: str = "") -> str:
    """The per-turn part. Starts with TURN_HEADER (see its docstring).

    Kept short on purpose: every token here is prefilled on every turn (the time to first
    token grows with it), unlike the cached prefix above it. What changes least comes first:
    the next turn in the room reuses the cached run of lines it shares with this one (items,
    inventory), so only the history, the command and the outcome are prefilled again.
    """
    lines = [TURN_HEADER]
    lines.append(f"Items here: {_names(list(here))}.")
    lines.append(f"You carry: {_names(list(carrying))}.")
    if history:
        lines.append("Earlier: " + " / ".join(_clip(h, 100) for h in history))
    # "You type", not "The player types": the label's words leak into the prose ("the player").
    lines.append(f"You type: {command.strip()}")
    lines.append(f"The game says: {_clip(happened, 320) or 'Done.'}")
    if changes:
        lines.append(f"Changes: {changes}")
    return "\n".join(lines)


def new_information(result_text: str, scene: "Scene") -> str:
    """The engine's text minus what the location block already says (room name, description,
    exits line), so that entering a room does not repeat 100 tokens the prefix already holds."""
    text = result_text
    if scene.room_description.strip():
        text = text.replace(scene.room_description.strip(), " ")
    lines = [ln for ln in text.splitlines()
             if ln.strip() and ln.strip() != scene.room_name.strip()
             and not ln.strip().lower().startswith("exits:")]
    return " ".join(" ".join(lines).split())


def describe_events(events: Sequence["Event"]) -> str:
    """State changes the text may not spell out: revealed items, score, the end of the game.

    (The action itself is in the opening and the engine text; flags and counters are internal
    ids that would only leak into the prose.)
    """
    parts: list[str] = []
    for e in events:
        if e.kind == "revealed":
            parts.append("something is revealed")
        elif e.kind == "score-changed":
            parts.append("your score goes up")
        elif e.kind == "ended":
            parts.append("the story ends")
    return "; ".join(dict.fromkeys(parts))


def _exemplar_messages() -> list[dict[str, str]]:
    msgs: list[dict[str, str]] = []
    for ex in DEFAULT_EXEMPLARS:
        msgs.append({"role": "user", "content": ex.place + turn_block(
            ex.happened, ex.here, ex.carrying, ex.command)})
        msgs.append({"role": "assistant", "content": ex.narration})
    return msgs


def system_text(style: "NarratorStyle | None") -> str:
    """Rules, then the world's voice: style, tone, and its sample narrations."""
    text = RULES
    if style is not None:
        if style.style.strip():
            text += "\n\nStyle: " + _clip(style.style, 500)
        if style.tone.strip():
            text += "\nTone: " + _clip(style.tone, 200)
        samples = [n for _, n in style.exemplars[:4] if n.strip()]
        if samples:
            text += "\n\nThe voice of this story, for example:\n" + "\n".join(
                "- " + _clip(n, 240) for n in samples)
    return text


def build_messages(style: "NarratorStyle | None", scene: "Scene", turn: str) -> list[dict[str, str]]:
    """Chat messages with sentinels marking the base and prefix cut points."""
    return ([{"role": "system", "content": system_text(style)}]
            + _exemplar_messages()
            + [{"role": "user",
                "content": _BASE_MARK + location_block(scene) + _SPLIT_MARK + turn}])


# ------------------------------------------------------------------ tokenization
def _encode(tokenizer: "TokenizerWrapper", text: str) -> list[int]:
    """Tokenize rendered chat text the way mlx-lm does (no second BOS when the text has one)."""
    bos = getattr(tokenizer, "bos_token", None)
    add_special = bos is None or not text.startswith(bos)
    return list(tokenizer.encode(text, add_special_tokens=add_special))


def _apply(tokenizer: "TokenizerWrapper", messages: list[dict[str, str]]) -> str:
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": True}
    try:
        return tokenizer.apply_chat_template(messages, enable_thinking=False, **kwargs)
    except TypeError:  # templates/tokenizers that reject unknown kwargs
        return tokenizer.apply_chat_template(messages, **kwargs)


def _render(tokenizer: "TokenizerWrapper", messages: list[dict[str, str]]) -> str:
    """The chat template's text; templates without a system role (Gemma's raise) get the
    system text at the top of the first user message instead."""
    try:
        return _apply(tokenizer, messages)
    except Exception:
        if not messages or messages[0]["role"] != "system" or len(messages) < 2:
            raise
        merged = dict(messages[1], content=messages[0]["content"] + "\n\n" + messages[1]["content"])
        return _apply(tokenizer, [merged] + messages[2:])


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def render_tokens(tokenizer: "TokenizerWrapper", style: "NarratorStyle | None", scene: "Scene",
                  turn: str, opening: str = OPENING) -> PromptParts:
    """Render, tokenize and split one prompt; the prefix is verified to be a token prefix."""
    text = _render(tokenizer, build_messages(style, scene, turn)) + opening
    b, s = text.find(_BASE_MARK), text.find(_SPLIT_MARK)
    if b < 0 or s < 0 or s < b:
        raise ValueError("the chat template dropped or reordered the prompt's content")
    base_text = text[:b]
    prefix_text = text[:b] + text[b + len(_BASE_MARK):s]
    full_text = prefix_text + text[s + len(_SPLIT_MARK):]
    full = _encode(tokenizer, full_text)
    prefix = _encode(tokenizer, prefix_text)
    base = _encode(tokenizer, base_text)
    prefix_len = common_prefix_len(prefix, full)
    base_len = common_prefix_len(base, full)
    fallback = prefix_len != len(prefix)
    if prefix_len >= len(full):  # always leave at least one token to run
        prefix_len = len(full) - 1
    opening_ids = list(tokenizer.encode(opening, add_special_tokens=False)) if opening else []
    n_open = max(1, min(len(opening_ids), len(full) - prefix_len))
    return PromptParts(tokens=tuple(full), prefix_len=prefix_len,
                       base_len=min(base_len, prefix_len), opening_tokens=tuple(full[-n_open:]),
                       prefix_fallback=fallback, opening=opening)


def build_prompt(tokenizer: "TokenizerWrapper", style: "NarratorStyle | None", scene: "Scene", command: str,
                 result_text: str, events: Sequence["Event"] = (),
                 history: Sequence[str] = (), names: "Mapping[str, str] | None" = None,
                 scope: Sequence[str] = ()) -> PromptParts:
    """The full prompt for one narrated turn (`names`: item id -> name and `scope`: the ids in
    scope, for the opening)."""
    turn = turn_block(new_information(result_text, scene), list(scene.visible_items),
                      list(scene.inventory), command, history, describe_events(events))
    return render_tokens(tokenizer, style, scene, turn,
                         opening_for(events, scene, names, command, scope))


def build_prefix(tokenizer: "TokenizerWrapper", style: "NarratorStyle | None", scene: "Scene") -> PromptParts:
    """A prompt whose prefix is the given room's (for prefetching while the player is idle).

    The suffix is a placeholder turn; only `prefix`/`base` are meant to be used.
    """
    return render_tokens(tokenizer, style, scene, turn_block("You wait.", [], [], "wait"))
