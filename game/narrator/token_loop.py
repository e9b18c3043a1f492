"""The narrator's decoding loop: mlx-lm's `generate_step`, without its per-token log-softmax.

Why: `generate_step` turns every token's logits into log-probabilities over the whole
vocabulary (`logits - logsumexp(logits)`) and evaluates them, because its API yields them.
The narrator never reads them, and its sampler only compares scores, so that is 49,152
scalar exponentials per token (~1.3 ms on the CPU here) for nothing.

What stays the same as `generate_step`: the prompt but its last token is processed first and
the cache state evaluated; then each step runs the model on one token, applies the logits
processors to the tokens seen so far, samples, and the next step is queued with
`mx.async_eval` before the current token is handed out, so Python's work overlaps the model's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import mlx.core as mx

LogitsProcessor = Callable[[mx.array, mx.array], mx.array]
PREFILL_STEP = 2048  # as mlx-lm's default prefill_step_size
_CLEAR_EVERY = 256   # tokens between MLX buffer-cache clears, as generate_step does


def generate_tokens(model: Any, prompt: Sequence[int], cache: list[Any],
                    sampler: Callable[[mx.array], mx.array],
                    processors: Sequence[LogitsProcessor] | None = None,
                    max_tokens: int = 256) -> Iterator[int]:
    """Yield up to ``max_tokens`` token ids continuing ``prompt`` on ``cache`` (updated in place)."""
    if not prompt:
        raise ValueError("the prompt must hold at least one token")
    tokens = mx.array(list(prompt), dtype=mx.uint32)
    done = 0
    while len(prompt) - done > 1:
        n = min(PREFILL_STEP, len(prompt) - done - 1)
        model(tokens[done:done + n][None], cache=cache)
        mx.eval([c.state for c in cache])
        done += n
    seen = tokens[:done]  # the tokens the processors see: the prompt, then each fed token

    def step(token: mx.array) -> mx.array:
        nonlocal seen
        logits = model(token[None], cache=cache)[:, -1, :]
        if processors:
            seen = mx.concatenate([seen, token])
            for processor in processors:
                logits = processor(seen, logits)
        return sampler(logits)

    if max_tokens == 0:
        return
    y = step(tokens[done:])
    mx.async_eval(y)
    produced = 0
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
