"""A temperature + top-p sampler that does not sort the whole vocabulary every token.

Why: mlx-lm's `make_sampler(temp, top_p)` sorts the whole vocabulary's log-probabilities per
token, which on the CPU is a large share of a decode step (docs/narrator.md). Nucleus sampling
only ever keeps a handful of tokens, so we first take the `candidates` most likely tokens with
an O(V) `argpartition` and apply top-p and temperature among those.

Semantics match mlx-lm's sampler (top-p applied to the untempered distribution, then a
categorical draw at temperature `temp`), except that the nucleus is taken within the top
`candidates` tokens: it differs only when those hold less than `top_p` of the probability mass,
and then it samples from the candidates (never from the long tail). llama.cpp applies
top-k=40 before top-p by default for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable

import mlx.core as mx

Sampler = Callable[[mx.array], mx.array]
DEFAULT_CANDIDATES = 256


def make_fast_sampler(temp: float, top_p: float = 1.0, candidates: int = DEFAULT_CANDIDATES) -> Sampler:
    """A sampler: logits or log-probs (B, V) -> tokens (B,).

    It only looks at differences between scores, so raw logits do as well as log-probs (the
    narrator's token loop skips the log-softmax over the whole vocabulary). Compiled, with
    MLX's random state as its implicit input and output (as mlx-lm compiles its samplers), so
    its dozen small operations fuse and run as a few.
    """
    if temp <= 0:
        return lambda logprobs: mx.argmax(logprobs, axis=-1)
    inv_temp = 1.0 / temp

    def sample(logprobs: mx.array) -> mx.array:
        k = min(candidates, logprobs.shape[-1])
        if k < logprobs.shape[-1]:
            index = mx.argpartition(-logprobs, k - 1, axis=-1)[..., :k]
            top = mx.take_along_axis(logprobs, index, axis=-1)
        else:
            index, top = None, logprobs
        if 0 < top_p < 1:
            top = nucleus(top, top_p)
        choice = mx.random.categorical(top * inv_temp, axis=-1)
        if index is None:
            return choice
        return mx.take_along_axis(index, choice[..., None], axis=-1).squeeze(-1)

    return mx.compile(sample, inputs=mx.random.state, outputs=mx.random.state)


def nucleus(logprobs: mx.array, top_p: float) -> mx.array:
    """Mask (-inf) every token outside the smallest set holding `top_p` of the given mass.

    The mass is measured among the given scores only (the candidates), so they need not be
    normalised.
    """
    ordered = mx.sort(logprobs, axis=-1)
    probs = mx.exp((ordered - ordered[..., -1:]).astype(mx.float32))  # relative to the best: no overflow
    mass_above = mx.cumsum(probs, axis=-1, reverse=True, inclusive=False)
    total = mass_above[..., :1] + probs[..., :1]
    dropped = (mass_above >= top_p * total).sum(axis=-1, keepdims=True)
    threshold = mx.take_along_axis(ordered, dropped, axis=-1)
    return mx.where(logprobs < threshold, -float("inf"), logprobs)
