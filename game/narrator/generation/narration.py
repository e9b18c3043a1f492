"""Synchronous narration on a loaded model: prompt → cached prefix → streamed, cleaned text.

This is the part that does the work; `worker.py` only runs it on its own thread and routes the
results. Keeping it synchronous lets the benchmark (bench/narrator.py) and the tests drive
exactly the code the game uses, without threads: ::

    engine = NarrationEngine(loaded, settings, cache_directory)
    run = engine.stream(request)
    for text in run:            # cleaned text pieces as they are generated
        print(text, end="")
    run.stats, run.final_text   # measurements and the post-processed narration

Every call must come from the thread that loaded the model (MLX streams are per thread).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import mlx.core as mx
from mlx_lm.sample_utils import make_logits_processors

from game.narrator.api import NarrationRequest, NarrationStats
from game.narrator.backends.mlx_backend import LoadedModelLike, MLXBackend
from game.narrator.backends.protocol import ModelBackend
from game.narrator.generation.checked import CheckedGeneration
from game.narrator.grounding.checker import TurnCheck
from game.narrator.grounding.language import warm_up as warm_up_language
from game.narrator.prompt.cleanup import StreamCleaner
from game.narrator.generation.forward import PrefillInterrupted
from game.narrator.generation.prefix_cache import Checkout, PrefixCacheStore
from game.narrator.prompt.builder import PromptParts, build_prefix, build_prompt
from game.narrator.generation.sampling import make_fast_sampler
from game.narrator.generation.steering import NounTokens, penalty_processor
from game.narrator.generation.token_loop import LogitsProcessor, generate_tokens
from game.narrator.runtime.engine import NarrationRun, StatusFn
from game.narrator.settings import NarratorSettings

if TYPE_CHECKING:
    from game.engine.events import Scene
    from game.engine.world import NarratorStyle
    from mlx_lm.tokenizer_utils import TokenizerWrapper

SHOWN_MEMORY = 64  # sentences remembered per world for the repetition check


def decoded_after(tokenizer: TokenizerWrapper, primer: Sequence[int], primer_text: str,
                  ids: Sequence[int]) -> str:
    """The text of `ids` decoded after the `primer` tokens (whose text is `primer_text`), so a
    leading space survives; a tokenizer whose decode is not prefix-stable decodes them alone."""
    text = tokenizer.decode(list(primer) + list(ids))
    if text.startswith(primer_text):
        return text[len(primer_text):]
    return tokenizer.decode(list(ids))


class IncrementalDecoder:
    """Token ids → text pieces, decoding each new token *after* the prompt's opening tokens.

    Why not mlx-lm's streaming detokenizer: it starts empty, so the first generated token loses
    its leading space ("You" + "follow" → "Youfollow"). Decoding opening+generated and taking the
    difference keeps the space for every tokenizer family (BPE and SentencePiece). An incomplete
    UTF-8 sequence (U+FFFD at the end) is held back until its last byte arrives.
    """

    def __init__(self, tokenizer: TokenizerWrapper, primer: Sequence[int]) -> None:
        self._tokenizer = tokenizer
        self._primer = list(primer)
        self._base = tokenizer.decode(self._primer)
        self._ids: list[int] = []
        self._emitted = 0

    def add(self, token: int) -> str:
        self._ids.append(int(token))
        new = decoded_after(self._tokenizer, self._primer, self._base, self._ids)
        if new.endswith("\ufffd"):
            return ""
        out = new[self._emitted:]
        self._emitted = len(new)
        return out


class NarrationEngine:
    """A model backend, its prefix cache store and the sampling settings."""

    def __init__(self, model: ModelBackend | LoadedModelLike, settings: NarratorSettings,
                 cache_directory: Path | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        """``model``: a backend, or a loaded mlx-lm model (then run by `MLXBackend`, which holds
        it). ``clock``: where the timing statistics read the time (tests pass a scripted one)."""
        self.backend: ModelBackend = model if isinstance(model, ModelBackend) \
            else MLXBackend.from_loaded(model)
        self._clock = clock
        self.tokenizer = self.backend.tokenizer
        self.model_id: str = self.backend.model_id
        self.settings = settings
        self.store = PrefixCacheStore(self.backend, settings.cache_budget_mb * 1024 * 1024,
                                      cache_directory if settings.disk_cache else None)
        self._shown: dict[str, deque[str]] = {}
        self._nouns = NounTokens(self.tokenizer)  # one pass over the vocabulary, at load
        warm_up_language()  # the tagger's lexicon loads here, not on the first turn
        self._eos = set(getattr(self.tokenizer, "eos_token_ids", None) or [])
        eos_id = getattr(self.tokenizer, "eos_token_id", None)
        if eos_id is not None:
            self._eos.add(int(eos_id))

    # ---------------------------------------------------------------- prompts
    def prompt(self, request: NarrationRequest) -> PromptParts:
        history = list(request.history)[-self.settings.history_turns:] \
            if self.settings.history_turns > 0 else []
        names, scope = None, ()
        if self._grounded(request):
            facts = request.facts
            names = {i.id: i.name for i in facts.in_scope + facts.elsewhere}
            # what the command could name: the items in scope now, and those the turn moved
            # away ("put oil in lamp": the flask is gone after the turn)
            here = tuple(i.id for i in facts.in_scope)
            scope = here + tuple(i for i in facts.acted_on if i not in here)
        return build_prompt(self.tokenizer, request.style, request.scene, request.command,
                            request.result_text, request.events, history, names, scope)

    def _grounded(self, request: NarrationRequest) -> bool:
        return self.settings.grounding and request.facts is not None

    def _shown_before(self, world_id: str) -> deque[str]:
        """The sentences shown earlier in this world's session (for the repetition check)."""
        if world_id not in self._shown:
            self._shown = {world_id: deque(maxlen=SHOWN_MEMORY)}
        return self._shown[world_id]

    def prefetch_scene(self, style: NarratorStyle | None, scene: Scene,
                       should_stop: Callable[[], bool] | None = None,
                       status: StatusFn | None = None) -> bool:
        """Have one room's prefix ready in memory: loaded from disk (a few tens of ms) or
        prefilled; False if interrupted (resumable). Entering that room is then a memory hit."""
        parts = build_prefix(self.tokenizer, style, scene)
        if self.store.in_memory(parts.prefix):
            return True
        if status is not None and not self.store.has(parts.prefix):
            status("prefilling", f"preparing {scene.room_name}")
        try:
            self.store.get_or_prefill(parts.prefix, checkpoints=[parts.base_len],
                                      should_stop=should_stop, chunk=16)  # yields fast
        except PrefillInterrupted:
            return False
        return True

    # ---------------------------------------------------------------- narration
    def stream(self, request: NarrationRequest, cancel: threading.Event | None = None,
               started_at: float | None = None, status: StatusFn | None = None) -> NarrationRun:
        """Start narrating `request`; iterate the returned run to generate.

        `cancel` is checked before prefill chunks and between tokens. `started_at` (a reading
        of the engine's clock, `time.perf_counter()` unless a test scripts it, e.g. when the
        player pressed Enter) is where the time to first token counts from; by default, now.
        """
        run = NarrationRun(request.request_id, iter(()))
        run.pieces = self._generate(run, request, cancel or threading.Event(),
                                    self._clock() if started_at is None else started_at,
                                    status)
        return run

    def _generate(self, run: NarrationRun, request: NarrationRequest, cancel: threading.Event,
                  t0: float, status: StatusFn | None) -> Iterator[str]:
        s = self.settings
        parts = self.prompt(request)
        if status is not None and not self.store.has(parts.prefix):
            status("prefilling", request.scene.room_name)
        try:
            co = self.store.get_or_prefill(parts.prefix, checkpoints=[parts.base_len],
                                           should_stop=cancel.is_set, chunk=128,
                                           continuation=parts.suffix)
        except PrefillInterrupted as stop:
            run.stats = NarrationStats("miss", int(stop.args[0]), len(parts.tokens), 0.0, 0.0, 0,
                                       cancelled=True, prefix_tokens=parts.prefix_len)
            return
        t_prefix = self._clock()
        if status is not None:
            status("streaming", request.scene.room_name)
        if s.seed is not None:
            mx.random.seed(s.seed)
        feed = parts.suffix[co.reused:]  # the suffix's leading tokens may still be cached
        n_prompt = len(feed)
        if self._grounded(request):
            yield from self._checked(run, request, parts, co, feed, cancel, t0, t_prefix)
            return
        processors = [
            (lambda toks, logits, p=p: p(toks[n_prompt:], logits))  # penalise only the reply
            for p in make_logits_processors(repetition_penalty=s.repetition_penalty)
        ] if s.repetition_penalty and s.repetition_penalty != 1.0 else None
        steps = generate_tokens(self.backend, feed, co.cache,
                                make_fast_sampler(s.temperature, s.top_p), processors, s.max_tokens)
        decoder = IncrementalDecoder(self.tokenizer, parts.opening_tokens)
        cleaner = StreamCleaner(s.max_sentences)
        head = cleaner.feed(parts.opening)  # shown with the first generated token
        if cleaner.done and head:  # the opening is already the whole narration
            yield head
            head = ""
        generated = 0  # visible tokens (not the end-of-text token)
        fed = list(parts.suffix)  # then every token generated (each is fed back in turn)
        t_first: float | None = None
        t_last = t_prefix
        cancelled = False
        try:
            for token in steps:
                now = self._clock()
                if t_first is None:
                    t_first = now
                t_last = now
                fed.append(int(token))
                if cancel.is_set():
                    cancelled = True
                    break
                if int(token) in self._eos:
                    break
                generated += 1
                piece = cleaner.feed(decoder.add(int(token)))
                if piece:
                    yield head + piece
                    head = ""
                if cleaner.done or cancel.is_set():
                    cancelled = cancel.is_set()
                    break
            # Only a narration that ran its course vouches for the cache's tail; after an
            # error (a failed evaluation) or an abandoned run it is not reused.
            self.store.remember_tail(co, fed)
        finally:
            steps.close()
            run.final_text = cleaner.finish()  # complete sentences only, even when cancelled
            ttft = (t_first - t0) if t_first is not None else 0.0
            gen_time = t_last - t_first if t_first is not None else 0.0
            # Decode steps, the end-of-text token's included (it is a step too): the rate's count.
            steps_done = len(fed) - len(parts.suffix)
            run.stats = NarrationStats(
                cache=co.source, prompt_tokens_prefilled=co.prefilled + n_prompt,
                prompt_tokens_total=len(parts.tokens), ttft_s=ttft,
                tokens_per_s=(steps_done - 1) / gen_time if steps_done > 1 and gen_time > 0 else 0.0,
                generated_tokens=generated, cancelled=cancelled, prefix_tokens=parts.prefix_len,
                extra={"prefix_s": t_prefix - t0, "suffix_reused": float(co.reused),
                       "prefix_fallback": 1.0 if parts.prefix_fallback else 0.0})

    def _checked(self, run: NarrationRun, request: NarrationRequest, parts: PromptParts,
                 co: Checkout, feed: Sequence[int], cancel: threading.Event, t0: float,
                 t_prefix: float) -> Iterator[str]:
        """The grounded narration: only sentences that pass the check are shown (see
        checked.py); the run's stats say how many were refused."""
        s = self.settings
        shown_before = self._shown_before(request.world_id)
        check = TurnCheck(request.facts, list(shown_before))
        primer = list(parts.opening_tokens)
        base_text = self.tokenizer.decode(primer)

        def text_of(ids: list[int]) -> str:
            return decoded_after(self.tokenizer, primer, base_text, ids).rstrip("\ufffd")

        penalty = make_logits_processors(repetition_penalty=s.repetition_penalty) \
            if s.repetition_penalty and s.repetition_penalty != 1.0 else []

        steer = [penalty_processor(self._nouns.ungrounded(check.vocabulary))] \
            if s.steer_nouns else []

        def processors(reply: list[int], n_fed: int) -> list[LogitsProcessor]:
            before = mx.array(reply, dtype=mx.uint32)
            # the penalty sees the reply only: the shown sentences, then this call's tokens
            return steer + [
                (lambda toks, logits, p=p: p(mx.concatenate([before, toks[n_fed:]]), logits))
                for p in penalty]

        gen = CheckedGeneration(
            self.backend, co.cache, feed, parts.suffix[-1], make_fast_sampler(s.temperature, s.top_p),
            text_of, parts.opening, check.check, self._eos, s.max_sentences, s.max_tokens,
            s.sentence_retries, s.retry_budget_s, self._clock, processors,
            lambda sentence: check.check(sentence, against_shown=False))
        t_shown: float | None = None
        try:
            for piece in gen.run(cancel):
                if t_shown is None:
                    t_shown = self._clock()
                yield piece
            self.store.remember_tail(co, list(parts.suffix) + gen.committed)
        finally:
            g = gen.stats
            run.final_text = gen.final_text
            shown_before.extend(gen.shown)
            t_first = g.first_token_at
            gen_time = (g.last_token_at - t_first) if t_first is not None and g.last_token_at else 0.0
            run.stats = NarrationStats(
                cache=co.source, prompt_tokens_prefilled=co.prefilled + len(feed),
                prompt_tokens_total=len(parts.tokens),
                ttft_s=(t_first - t0) if t_first is not None else 0.0,
                tokens_per_s=(g.steps - 1) / gen_time if g.steps > 1 and gen_time > 0 else 0.0,
                generated_tokens=len(gen.committed), cancelled=g.cancelled,
                prefix_tokens=parts.prefix_len, sentences_rejected=g.rejected, retries=g.retries,
                first_shown_s=(t_shown - t0) if t_shown is not None else 0.0,
                extra={"prefix_s": t_prefix - t0, "suffix_reused": float(co.reused),
                       "prefix_fallback": 1.0 if parts.prefix_fallback else 0.0,
                       "decode_steps": float(g.steps), "opening_only": 1.0 if g.fallback else 0.0})
            run.verdicts = [(v.sentence, v.kinds) for v in g.verdicts]

    def flush(self, should_stop: Callable[[], bool] | None = None) -> int:
        """Persist new prefix caches (call when idle)."""
        return self.store.flush(should_stop)

    def discard_partial(self) -> None:
        """Forget an interrupted prefill (after a failure its cache cannot be trusted)."""
        self.store.clear_partial()
