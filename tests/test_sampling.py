"""The fast sampler draws from the same nucleus distribution as mlx-lm's sampler."""

from __future__ import annotations

import mlx.core as mx
import numpy as np

from game.narrator.generation.sampling import make_fast_sampler


def _logprobs(vocab: int = 5000) -> np.ndarray:
    """A language-model-like distribution: a few likely tokens over a long, thin tail."""
    rng = np.random.default_rng(11)
    logits = rng.standard_normal(vocab).astype(np.float32) - 8.0
    likely = rng.choice(vocab, 12, replace=False)
    logits[likely] = np.linspace(3.0, -1.0, 12)
    return logits - np.log(np.exp(logits.astype(np.float64)).sum()).astype(np.float32)


def _expected(logprobs: np.ndarray, temp: float, top_p: float) -> np.ndarray:
    """Exact mlx-lm semantics: nucleus on the untempered distribution, then temperature."""
    p = np.exp(logprobs.astype(np.float64))
    order = np.argsort(-p)
    keep = order[: int(np.searchsorted(np.cumsum(p[order]), top_p * p.sum()) + 1)]
    weights = np.zeros_like(p)
    weights[keep] = np.exp(logprobs[keep].astype(np.float64) / temp)
    return weights / weights.sum()


def _frequencies(sampler, logprobs: np.ndarray, draws: int = 20000) -> np.ndarray:
    mx.random.seed(5)
    batch = mx.broadcast_to(mx.array(logprobs)[None], (draws, logprobs.shape[0]))
    tokens = np.array(sampler(batch))
    return np.bincount(tokens, minlength=logprobs.shape[0]) / draws


def test_matches_the_exact_nucleus_distribution() -> None:
    lp = _logprobs()
    want = _expected(lp, temp=0.7, top_p=0.9)
    got = _frequencies(make_fast_sampler(0.7, 0.9), lp)
    assert np.abs(got - want).max() < 0.02
    assert got[want == 0].sum() == 0  # nothing outside the nucleus, ever


def test_without_top_p_it_samples_the_candidates_at_temperature() -> None:
    lp = _logprobs(300)
    want = _expected(lp, temp=1.0, top_p=1.0)
    got = _frequencies(make_fast_sampler(1.0, 1.0, candidates=300), lp)
    assert np.abs(got - want).max() < 0.02


def test_only_candidates_are_drawn_when_the_nucleus_is_wider() -> None:
    lp = np.full(1000, -np.log(1000), dtype=np.float32)  # flat: the nucleus is 900 tokens wide
    got = _frequencies(make_fast_sampler(1.0, 0.9, candidates=50), lp, draws=5000)
    assert (got > 0).sum() <= 50


def test_zero_temperature_is_greedy() -> None:
    lp = _logprobs()
    assert int(make_fast_sampler(0.0, 0.9)(mx.array(lp)[None])[0]) == int(np.argmax(lp))
