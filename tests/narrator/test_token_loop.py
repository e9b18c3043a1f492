"""The narrator's token loop continues a prompt exactly as mlx-lm's generate_step does."""

from __future__ import annotations

import mlx.core as mx
import pytest
from mlx_lm.generate import generate_step
from mlx_lm.models.cache import make_prompt_cache
from mlx_lm.sample_utils import make_logits_processors

from game.narrator.backends.mlx_backend import MLXBackend
from game.narrator.generation.sampling import make_fast_sampler
from game.narrator.generation.token_loop import generate_tokens
from tests.narrator.narrator_tiny import make_model

PROMPT = [5, 9, 14, 3, 3, 27, 8, 41, 2, 19]


def greedy(scores: mx.array) -> mx.array:
    return mx.argmax(scores, axis=-1)


def _theirs(model, max_tokens: int, processors=None, sampler=greedy) -> list[int]:
    steps = generate_step(mx.array(PROMPT), model, max_tokens=max_tokens, sampler=sampler,
                          logits_processors=processors, prompt_cache=make_prompt_cache(model))
    return [int(token) for token, _ in steps]


def _ours(model, max_tokens: int, processors=None, sampler=greedy) -> list[int]:
    return list(generate_tokens(MLXBackend(model), PROMPT, make_prompt_cache(model), sampler,
                                processors, max_tokens))


@pytest.mark.parametrize("max_tokens", [1, 2, 12])
def test_greedy_tokens_equal_generate_steps(max_tokens: int) -> None:
    model = make_model(64, seed=3)
    assert _ours(model, max_tokens) == _theirs(model, max_tokens)


def test_logits_processors_see_the_prompt_and_every_token_fed() -> None:
    model = make_model(64, seed=3)
    penalty = make_logits_processors(repetition_penalty=3.0)
    assert _ours(model, 16, penalty) == _theirs(model, 16, penalty)
    assert _ours(model, 16, penalty) != _ours(model, 16)  # the penalty does change this reply
    seen_lengths: list[int] = []
    list(generate_tokens(MLXBackend(model), PROMPT, make_prompt_cache(model), greedy,
                         [lambda tokens, logits: seen_lengths.append(tokens.size) or logits], 4))
    assert seen_lengths == [len(PROMPT), len(PROMPT) + 1, len(PROMPT) + 2, len(PROMPT) + 3]


def test_seeded_sampling_repeats_and_matches_the_log_softmax_version() -> None:
    """The sampler only compares scores: logits and generate_step's log-probs draw alike."""
    model = make_model(64, seed=3)
    sampler = make_fast_sampler(0.8, 0.95, candidates=32)
    mx.random.seed(7)
    first = _ours(model, 10, sampler=sampler)
    mx.random.seed(7)
    assert _ours(model, 10, sampler=sampler) == first
    mx.random.seed(7)
    assert _theirs(model, 10, sampler=sampler) == first


def test_nothing_to_continue_or_nothing_asked() -> None:
    model = make_model(64, seed=3)
    with pytest.raises(ValueError):
        list(generate_tokens(MLXBackend(model), [], make_prompt_cache(model), greedy))
    cache = make_prompt_cache(model)
    assert list(generate_tokens(MLXBackend(model), PROMPT, cache, greedy, None, 0)) == []
    assert cache[0].offset == len(PROMPT)  # the whole prompt is in the cache


def test_long_prompts_go_in_chunks_with_the_same_result(monkeypatch) -> None:
    from game.narrator.generation import token_loop

    model = make_model(64, seed=3)
    whole = _ours(model, 8)
    monkeypatch.setattr(token_loop, "PREFILL_STEP", 3)
    cache = make_prompt_cache(model)
    assert list(generate_tokens(MLXBackend(model), PROMPT, cache, greedy, None, 8)) == whole
    assert cache[0].offset == len(PROMPT) + 7  # the prompt and every token fed back
