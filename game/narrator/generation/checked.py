"""Generation that only ever shows checked sentences: sample, check, rewind and resample.

The model writes one sentence at a time after the opened reply. When a sentence is complete it
goes to the grounding check (`grounding.checker`); a sentence that passes is handed out whole,
one that fails is never shown: the KV cache is trimmed back to the end of the last good
sentence (in place, no recompute) and the sentence is sampled again, with
the failed attempt's first token banned at that position so the retry cannot take the same
path. After `retries` failures of one sentence, or when the time budget is spent, the
narration stops with the sentences that passed. If none did and the opening names the turn's
action ("You light the hand lamp"), that opening alone, closed with a full stop, is the
narration: it is made from the engine's events and checked like any other sentence.

Holding each sentence until it passes (rather than streaming words and withdrawing them) is
the product decision: the player never sees a withdrawn word. What it costs (the first visible
word against the raw time to first token) is in docs/narrator.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import mlx.core as mx

from game.narrator.backends.protocol import Cache, ModelBackend
from game.narrator.grounding.checker import Verdict
from game.narrator.prompt.cleanup import cut_at_stop, finalize, sentence_ends
from game.narrator.generation.steering import token_bias
from game.narrator.generation.token_loop import LogitsProcessor, generate_tokens

CheckFn = Callable[[str], Verdict]
MAX_SENTENCE_TOKENS = 48  # a sentence still unfinished after this many tokens is a failure


@dataclass
class CheckedStats:
    """What happened while generating (read by NarrationEngine for NarrationStats)."""

    first_token_at: float | None = None
    last_token_at: float | None = None
    steps: int = 0                 # decode steps run (every sampled token, kept or not)
    rejected: int = 0              # complete sentences that failed the check
    retries: int = 0               # rewinds to the last good sentence
    cancelled: bool = False
    fallback: bool = False         # the opening alone was the narration
    verdicts: list[Verdict] = field(default_factory=list)  # every checked sentence, in order


def ban_first(banned: Sequence[int]) -> LogitsProcessor:
    """A processor that forbids `banned` tokens at the first step only."""
    state = {"first": True}
    ids = sorted(set(int(t) for t in banned))

    def process(_tokens: mx.array, logits: mx.array) -> mx.array:
        if not state["first"] or not ids:
            return logits
        state["first"] = False
        return logits + token_bias(logits.shape[-1], ids, -float("inf"), logits.dtype)

    return process


class CheckedGeneration:
    """One narration's sentence loop on a model and a cache positioned after its prefix.

    `prompt` is what still has to be fed (the suffix, minus any part the cache already holds);
    `suffix_last` the suffix's last token (re-fed to resample the first sentence). `text_of`
    turns generated ids into text after the opening; `check` is None when grounding is off,
    and then each complete sentence is shown as it is.
    """

    def __init__(self, backend: ModelBackend, cache: Cache, prompt: Sequence[int], suffix_last: int,
                 sampler: Callable[[mx.array], mx.array], text_of: Callable[[list[int]], str],
                 opening: str, check: CheckFn | None, eos: set[int], max_sentences: int,
                 max_tokens: int, retries: int, budget_s: float,
                 clock: Callable[[], float],
                 processors: Callable[[list[int], int], list[LogitsProcessor]] | None = None,
                 fallback_check: CheckFn | None = None) -> None:
        self.backend, self.cache = backend, cache
        self.prompt, self.suffix_last = list(prompt), int(suffix_last)
        self.sampler, self.text_of = sampler, text_of
        self.opening, self.check, self.eos = opening, check, eos
        self.max_sentences, self.max_tokens = max_sentences, max_tokens
        self.retries, self.budget_s, self.clock = retries, budget_s, clock
        self.processors = processors
        self.fallback_check = fallback_check or check
        self.stats = CheckedStats()
        self.committed: list[int] = []  # generated tokens of the shown sentences, in cache order
        self.shown: list[str] = []

    # ------------------------------------------------------------ helpers
    def _text(self, ids: list[int]) -> str:
        return self.opening + self.text_of(ids)

    def _accepts(self, sentence: str) -> bool:
        if finalize(sentence, 1) == "":  # debris, markup, a loop, a fragment
            return False
        if self.check is None:
            return True
        verdict = self.check(sentence)
        self.stats.verdicts.append(verdict)
        return verdict.ok

    # ------------------------------------------------------------ the loop
    def run(self, cancel: threading.Event) -> Iterator[str]:
        """Yield each shown sentence (with its leading space after the first)."""
        whole = self.opening.rstrip().endswith((".", "!"))
        if whole:  # a whole sentence made from the events ("You step into the Cellar."): shown
            # when it passes too (in a dark room it may copy the engine's own words)
            verdict = self.check(self.opening.strip()) if self.check is not None else None
            if verdict is not None:
                self.stats.verdicts.append(verdict)
            if verdict is None or verdict.ok:
                self.shown.append(self.opening.strip())
                yield self.opening.strip()
        base = self.backend.positions(self.cache)[0] + len(self.prompt)  # positions before the first generated one
        feed = self.prompt
        banned: list[int] = []
        tries = 0
        t_budget: float | None = None
        # Characters already settled: a whole-sentence opening; a partial one ("You light the
        # hand lamp") is the start of the first sentence, checked with it.
        done_chars = len(self.opening) if whole else 0
        # A whole-sentence opening is the engine's line, not one of the model's sentences.
        made_by_engine = len(self.shown)
        while (len(self.shown) - made_by_engine < self.max_sentences
               and self.stats.steps < self.max_tokens):
            processors = self.processors(self.committed, len(feed)) if self.processors else []
            if banned:
                processors = processors + [ban_first(banned)]
            steps = generate_tokens(self.backend, feed, self.cache, self.sampler, processors or None,
                                    self.max_tokens - self.stats.steps)
            attempt = []
            outcome = "budget"
            sentence = ""
            try:
                for token in steps:
                    now = self.clock()
                    if self.stats.first_token_at is None:
                        self.stats.first_token_at = now
                        t_budget = now + self.budget_s
                    self.stats.last_token_at = now
                    self.stats.steps += 1
                    if cancel.is_set():
                        self.stats.cancelled = True
                        outcome = "cancel"
                        break
                    if token in self.eos:
                        outcome = "end"
                        break
                    attempt.append(int(token))
                    text = self._text(self.committed + attempt)[done_chars:]
                    clean = cut_at_stop(text)
                    ends = sentence_ends(clean)
                    if ends and len(clean.rstrip()) > ends[0]:
                        sentence = clean[:ends[0]].strip()
                        outcome = "sentence"
                        break
                    if len(clean) < len(text):
                        outcome = "stop"
                        break
                    if len(attempt) >= MAX_SENTENCE_TOKENS:
                        outcome = "long"
                        break
            finally:
                steps.close()
            if outcome == "cancel":
                break
            if outcome in ("end", "stop", "budget"):
                clean = cut_at_stop(self._text(self.committed + attempt)[done_chars:]).strip()
                ends = sentence_ends(clean)
                sentence = clean[:ends[0]].strip() if ends else ""
            if sentence and self._accepts(sentence):
                keep = self._sentence_tokens(attempt, done_chars, sentence)
                self.committed += keep
                self.shown.append(sentence)
                yield sentence if len(self.shown) == 1 else " " + sentence
                done_chars = len(self._text(self.committed))
                tries, banned = 0, []
                if outcome != "sentence":
                    break  # the model ended the reply: nothing more to say
            else:
                if sentence:
                    self.stats.rejected += 1
                if outcome == "budget":
                    break
                tries += 1
                if attempt:
                    banned.append(attempt[0])
                out_of_time = t_budget is not None and self.clock() > t_budget
                if tries > self.retries or out_of_time:
                    break
                self.stats.retries += 1
            # Rewind to the end of the shown text and resample from there.
            self.backend.trim_cache(self.cache, base + len(self.committed) - 1)
            feed = [self.committed[-1] if self.committed else self.suffix_last]
        self.backend.trim_cache(self.cache, base + len(self.committed))
        if not self.shown and not self.stats.cancelled:
            fallback = self.opening.strip().rstrip(",;:")
            if not fallback.endswith((".", "!")):
                fallback += "."
            if len(fallback.split()) >= 3 and (
                    self.fallback_check is None or self.fallback_check(fallback).ok):
                self.stats.fallback = True
                self.shown.append(fallback)
                yield fallback

    def _sentence_tokens(self, attempt: list[int], done_chars: int, sentence: str) -> list[int]:
        """The shortest run of `attempt` whose text holds the whole accepted sentence."""
        for k in range(1, len(attempt) + 1):
            text = self._text(self.committed + attempt[:k])[done_chars:]
            if text.strip().startswith(sentence):
                return attempt[:k]
        return list(attempt)

    @property
    def final_text(self) -> str:
        return " ".join(self.shown)
