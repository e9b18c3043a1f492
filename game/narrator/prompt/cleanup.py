"""Turn a small model's raw continuation into narration fit to show, or into nothing.

A 135M model drifts: it starts a new chat turn (`<|im_end|>`, "assistant:"), echoes the prompt's
labels ("The game says:", "Outcome:"), runs past the token budget mid-sentence, or loops. The
rule here is strict on purpose: the engine's text already stands on its own, so showing *no*
narration is always better than showing garbage. `finalize` returns "" whenever in doubt.

`StreamCleaner` applies the same cuts incrementally, so what streams to the screen never shows
debris; it holds back only the few characters that might still turn into a stop marker.
"""

from __future__ import annotations

import re

MAX_SENTENCES = 3
MIN_WORDS = 3

# Anything that starts a new chat turn or a template section ends the narration.
_ROLE_TOKEN = re.compile(r"<\|[^|>]*\|?>?|</?s>|\[/?INST\]|<end_of_turn>|<start_of_turn>|<eos>|<pad>")
_LABELS = (
    "assistant", "user", "system", "narrator", "narration", "outcome", "result", "the game says",
    "game says", "game", "the player types", "you type", "player", "command", "now", "place", "items here",
    "you carry", "also here", "exits", "earlier", "changes", "narrate this", "note", "response",
)
_LABEL_RE = re.compile(r"(?im)^\s*(?:" + "|".join(re.escape(x) for x in _LABELS) + r")\s*:")
# The prompt's own multi-word labels are echoes wherever they appear, not only at a line start.
_INLINE_LABEL_RE = re.compile(
    r"(?i)\b(?:the game says|game says|the player types|you type|items here|you carry|also here|"
    r"narrate this|outcome|earlier)\s*:")
_LEADING_LABEL = re.compile(r"^\s*(?:" + "|".join(re.escape(x) for x in _LABELS) + r")\s*:\s*",
                            re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_STOP_CHARS = ("<", "[", "\n")
_OPENING_LABEL = "you carry:"


# A stop marker ends in newly streamed text but may start this many characters before it
# (the longest label plus its spacing); anything earlier was already searched.
_STOP_LOOKBACK = 64


def cut_at_stop(text: str, searched: int = 0) -> str:
    """Everything before the first role token, template label line, or blank line.

    `searched`: how much of `text` an earlier call already found free of stop markers, so a
    streaming caller does not rescan the whole reply on every token. (`search(text, pos)`
    keeps `^` and `\\b` anchored to the real string, unlike searching a slice.)
    """
    cut = len(text)
    start = max(0, searched - _STOP_LOOKBACK)
    for pattern in (_ROLE_TOKEN, _LABEL_RE, _INLINE_LABEL_RE):
        m = pattern.search(text, start)
        if m:
            cut = min(cut, m.start())
    blank = text.find("\n\n", start)
    if blank >= 0:
        cut = min(cut, blank)
    return text[:cut]


def sentence_ends(text: str) -> list[int]:
    """Indices just after each complete sentence."""
    return [m.end() for m in _SENTENCE_END.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """The sentences of a narration, in order (an unfinished tail counts as one)."""
    out, start = [], 0
    for end in sentence_ends(text):
        out.append(text[start:end].strip())
        start = end
    rest = text[start:].strip()
    return out + ([rest] if rest else [])


def _looks_like_garbage(text: str) -> bool:
    words = re.findall(r"[A-Za-z']+", text)
    if len(words) < MIN_WORDS:
        return True
    letters = sum(c.isalpha() for c in text)
    if letters < 0.6 * len(text.replace(" ", "")):
        return True
    lowered = [w.lower() for w in words]
    if any(lowered[i] == lowered[i + 1] == lowered[i + 2] for i in range(len(lowered) - 2)):
        return True  # "the the the": a loop
    if len(set(lowered)) < 0.4 * len(lowered) and len(lowered) > 8:
        return True
    if re.search(r"[{}<>|\\_=#*`]", text):
        return True  # markup or code
    return False


def finalize(raw: str, max_sentences: int = MAX_SENTENCES) -> str:
    """The narration to keep: clean, complete sentences only, or "" when nothing good is left."""
    text = cut_at_stop(raw)
    text = _LEADING_LABEL.sub("", text, count=1)
    text = " ".join(text.split()).strip()
    if text[:1] in ('"', "“"):  # the whole narration wrapped in quotes
        text = text[1:].rstrip('"”').strip()
    ends = sentence_ends(text)
    if not ends:
        return ""
    text = text[: ends[min(len(ends), max_sentences) - 1]].strip()
    if _looks_like_garbage(text):
        return ""
    return text


class StreamCleaner:
    """Incremental `finalize`: feed raw pieces, get the text safe to show now.

    The streamed text is never debris, but it may end with an unfinished sentence that the final
    text drops; the sink's `on_done(final_text)` is the version to keep.
    """

    def __init__(self, max_sentences: int = MAX_SENTENCES) -> None:
        self._raw = ""
        self._emitted = 0  # characters of the cleaned text already returned
        self._max_sentences = max_sentences
        self.done = False  # True once a stop marker or the sentence limit was reached

    @property
    def raw(self) -> str:
        return self._raw

    def feed(self, piece: str) -> str:
        """Add raw text; return the newly safe-to-show cleaned text (maybe "")."""
        if self.done:
            return ""
        searched = len(self._raw)
        self._raw += piece
        clean = cut_at_stop(self._raw, searched)
        if len(clean) < len(self._raw):
            self.done = True
        ends = sentence_ends(clean)
        if len(ends) >= self._max_sentences:
            clean = clean[: ends[self._max_sentences - 1]]
            self.done = True
        if self.done:
            clean = clean.rstrip()
        safe = len(clean) if self.done else self._safe_length(clean)
        out = clean[self._emitted:safe]
        if safe > self._emitted:
            self._emitted = safe
        return out.replace("\n", " ")

    def _safe_length(self, clean: str) -> int:
        """Hold back a tail that could still become a stop marker or the label "You carry:"."""
        safe = len(clean)
        for ch in _STOP_CHARS:
            i = clean.rfind(ch)
            if i >= 0:
                safe = min(safe, i)
        head = clean.lstrip().lower()
        if len(head) < len(_OPENING_LABEL) and _OPENING_LABEL.startswith(head):
            safe = 0  # "You" / "You car" might still become the prompt's "You carry:" label
        return max(safe, self._emitted)

    def finish(self) -> str:
        """The final narration (see `finalize`)."""
        self.done = True
        return finalize(self._raw, self._max_sentences)
