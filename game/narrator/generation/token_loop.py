"""The narrator's decoding loop: mlx-lm's `generate_step`, without its per-token log-softmax.

Why: `generate_step` turns every token's logits into log-probabilities over the whole
vocabulary (`logits - logsumexp(logits)`) and evaluates them, because its API yields them.
The narrator never reads them, and its sampler only compares scores, so that is an exponential
per vocabulary entry and token for nothing (docs/narrator.md has the cost).

And one forward pass fewer before the first token: `generate_step` runs the prompt but its
last token, then the last token alone; here the (rest of the) prompt and the first sampled
token come from one pass, as llama.cpp does it.

What stays the same as `generate_step`: prompts longer than 2,048 tokens go in chunks with
the cache state evaluated in between; each step applies the logits processors to all tokens
seen so far and samples; the next step is queued with `mx.async_eval` before the current
token is handed out, so Python's work overlaps the model's.

Except for the first token, which is handed out before the second step is queued: queuing a
step dispatches its thousand-odd operations, and MLX keeps the dispatching thread only a
hundred or so operations ahead of the computing one, so the first token would otherwise wait
behind most of a decode step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import mlx.core as mx

from game.narrator.backends.protocol import Cache, ModelBackend
from game.narrator.generation.forward import prefill

LogitsProcessor = Callable[[mx.array, mx.array], mx.array]
PREFILL_STEP = 2048  # as mlx-lm's default prefill_step_size
_CLEAR_EVERY = 256   # tokens between MLX buffer-cache clears, as generate_step does


def generate_tokens(backend: ModelBackend, prompt: Sequence[int], cache: Cache,
                    sampler: Callable[[mx.array], mx.array],
                    processors: Sequence[LogitsProcessor] | None = None,
                    max_tokens: int = 256) -> Iterator[int]:
    """Yield up to ``max_tokens`` token ids continuing ``prompt`` on ``cache`` (updated in place)."""
    if not prompt:
        raise ValueError("the prompt must hold at least one token")
    if max_tokens == 0:
        prefill(backend, cache, prompt, PREFILL_STEP)
        return
    # All but the last (at most PREFILL_STEP) tokens go in as prefill; those run with the first token.
    done = (len(prompt) - 1) // PREFILL_STEP * PREFILL_STEP
    prefill(backend, cache, prompt[:done], PREFILL_STEP)
    tokens = mx.array(list(prompt), dtype=mx.uint32)
    seen = tokens[:done]  # the tokens the processors see: the prompt, then each fed token
    forward = backend.forward

    def step(fed: mx.array) -> mx.array:
        nonlocal seen
        logits = forward(fed, cache)
        if processors:
            seen = mx.concatenate([seen, fed])
            for processor in processors:
                logits = processor(seen, logits)
        return sampler(logits)

    y = step(tokens[done:])  # the rest of the prompt and the first token in one forward pass
    mx.async_eval(y)
    yield int(y.item())  # before the second step is queued (see the module docstring)
    if max_tokens == 1:
        return
    y = step(y)
    mx.async_eval(y)
    produced = 1
    while True:
        if produced + 1 < max_tokens:
            next_y = step(y)
            mx.async_eval(next_y)
        yield int(y.item())
        produced += 1
        if produced == max_tokens:
            return
        if produced % _CLEAR_EVERY == 0:
            mx.clear_cache()
        y = next_y
