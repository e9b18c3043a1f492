"""Steps through `FastDecodeModel` give the stock mlx-lm llama's logits: prompts in chunks, then tokens.

The tiny random llama (real mlx-lm classes, grouped-query attention) runs both ways from the
same prompt cache; the marked test checks that the real model generates the same tokens.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest
from mlx_lm.models import llama
from mlx_lm.models.cache import make_prompt_cache, trim_prompt_cache

from game.accel import kernels
from game.accel.llama_forward import FastDecodeModel, supports_fast_decode
from game.accel.prompt_ops import KernelPromptOps
from game.paths import cache_dir
from tests.narrator.narrator_tiny import make_model

needs_compiler = pytest.mark.skipif(kernels.find_compiler() is None, reason="the kernel softmax needs a C compiler")


@pytest.fixture(scope="module")
def kernel_ops() -> KernelPromptOps:
    kernel = kernels.load_kernels(cache_dir())
    assert kernel.library is not None, kernel.detail
    return KernelPromptOps(kernel.library)


def _softmax_variant(request: pytest.FixtureRequest, which: str) -> KernelPromptOps | None:
    return request.getfixturevalue("kernel_ops") if which == "kernel" else None


SOFTMAX_VARIANTS = pytest.mark.parametrize("which", ["mlx", pytest.param("kernel", marks=needs_compiler)])


def _twin(traditional: bool, **changes) -> llama.Model:
    """The tiny model's weights in a llama built with other arguments (rope layout, scaling...)."""
    base = make_model(300, seed=4, layers=3)
    args = llama.ModelArgs(**{**base.args.__dict__, "rope_traditional": traditional, **changes})
    model = llama.Model(args)
    model.update(base.parameters())
    mx.eval(model.parameters())
    return model


def _prefilled(model: llama.Model, tokens: list[int]) -> list:
    cache = make_prompt_cache(model)
    mx.eval(model(mx.array([tokens]), cache=cache))
    return cache


@pytest.mark.parametrize("traditional", [True, False], ids=["adjacent-pairs", "half-split"])
def test_one_token_steps_match_the_stock_model(traditional: bool) -> None:
    model = _twin(traditional)
    assert supports_fast_decode(model)
    fast = FastDecodeModel(model)
    prompt = list(range(20, 50))
    stock_cache, fast_cache = _prefilled(model, prompt), _prefilled(model, prompt)
    for step, token in enumerate(range(60, 80)):
        want = np.array(model(mx.array([[token]]), cache=stock_cache))
        got = np.array(fast(mx.array([[token]]), cache=fast_cache))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"step {step}")
    assert fast_cache[0].offset == stock_cache[0].offset == 50


@SOFTMAX_VARIANTS
def test_a_trimmed_cache_continues_at_the_right_position(which: str, request: pytest.FixtureRequest) -> None:
    """The narrator trims a room's cache back to its prefix: rotary positions and the causal
    mask follow the offset (the cache's buffer still holds the trimmed keys beyond it)."""
    model = _twin(True)
    fast = FastDecodeModel(model, _softmax_variant(request, which))
    for tokens in ([[7]], [[7, 8, 9, 10, 11]]):
        cache = _prefilled(model, list(range(20, 60)))
        trim_prompt_cache(cache, 15)
        fresh = _prefilled(model, list(range(20, 45)))
        np.testing.assert_allclose(np.array(fast(mx.array(tokens), cache=cache)),
                                   np.array(model(mx.array(tokens), cache=fresh)), rtol=1e-5, atol=1e-5)


@SOFTMAX_VARIANTS
@pytest.mark.parametrize("traditional", [True, False], ids=["adjacent-pairs", "half-split"])
def test_prompt_chunks_with_a_cache_match_the_stock_model(traditional: bool, which: str,
                                                          request: pytest.FixtureRequest) -> None:
    """A room prefix in chunks, then a turn's suffix: every position's logits, then decoding."""
    model = _twin(traditional)
    fast = FastDecodeModel(model, _softmax_variant(request, which))
    stock_cache, fast_cache = make_prompt_cache(model), make_prompt_cache(model)
    for chunk in ([range(20, 50)], [range(50, 57)], [range(57, 58)], [range(58, 70)]):
        tokens = mx.array([list(chunk[0])])
        np.testing.assert_allclose(np.array(fast(tokens, cache=fast_cache)),
                                   np.array(model(tokens, cache=stock_cache)), rtol=1e-5, atol=1e-5)
    assert fast_cache[0].offset == stock_cache[0].offset == 30 + 7 + 1 + 12


def test_calls_without_a_cache_go_to_the_stock_model() -> None:
    model = _twin(True)
    fast = FastDecodeModel(model)
    tokens = mx.array([[5, 6, 7, 8]])
    np.testing.assert_array_equal(np.array(fast(tokens)), np.array(model(tokens)))
    np.testing.assert_array_equal(np.array(fast(tokens[:, :1])), np.array(model(tokens[:, :1])))
    assert fast.layers is model.layers and len(fast.make_cache()) == 3  # mlx-lm helpers see the model


def test_models_it_cannot_reproduce_keep_their_own_forward_pass() -> None:
    assert not supports_fast_decode(_twin(True, rope_scaling={"rope_type": "llama3", "factor": 8.0,
                                                               "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                               "original_max_position_embeddings": 64}))
    assert not supports_fast_decode(_twin(True, attention_bias=True))
    assert not supports_fast_decode(object())


@pytest.mark.model
def test_the_real_model_generates_the_same_tokens_both_ways() -> None:
    from mlx_lm.generate import generate_step

    from game.narrator.backends.mlx_model import load_narrator_model

    loaded = load_narrator_model(None)
    assert isinstance(loaded.model, FastDecodeModel)
    prompt = mx.array(loaded.tokenizer.encode("The old lighthouse keeper climbed the stairs and"))

    def greedy(model) -> list[int]:
        cache = make_prompt_cache(loaded.model)
        steps = generate_step(prompt, model, max_tokens=24, prompt_cache=cache,
                              sampler=lambda logits: mx.argmax(logits, axis=-1))
        return [int(token) for token, _ in steps]

    assert greedy(loaded.model) == greedy(loaded.model.inner)


@pytest.mark.model
def test_without_the_kernel_front_end_the_stock_forward_pass_is_kept() -> None:
    """The grouped attention rows would go to OpenBLAS's sgemm there, which is slower."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("from game.narrator.backends.mlx_model import load_narrator_model; m = load_narrator_model(None); "
            "print(m.status_note); print(type(m.model).__name__, '|', m.decode_detail())")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, ADVENTURE_NATIVE="off"),
                         capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip().splitlines()[-1] == "Model | float32 decode", out.stderr[-2000:]
    # and it says so: the kernels and everything built on them fell back, with the reason
    assert "kernels (ADVENTURE_NATIVE=off)" in out.stdout, out.stdout


@SOFTMAX_VARIANTS
def test_last_logits_are_the_last_row_of_the_full_ones(which: str, request: pytest.FixtureRequest) -> None:
    model = _twin(True)
    fast = FastDecodeModel(model, _softmax_variant(request, which))
    full_cache, last_cache = _prefilled(model, [3, 4, 5]), _prefilled(model, [3, 4, 5])
    tokens = mx.array([list(range(30, 41))])
    full = np.array(fast(tokens, cache=full_cache))[:, -1, :]
    np.testing.assert_allclose(np.array(fast.last_logits(tokens, last_cache)), full, rtol=1e-5, atol=1e-5)
    assert last_cache[0].offset == full_cache[0].offset == 14


@needs_compiler
@pytest.mark.parametrize("length, offset, keys", [(1, 0, 1), (5, 0, 5), (7, 20, 27), (3, 9, 16), (58, 852, 910)])
def test_the_kernel_causal_softmax_matches_a_masked_softmax(kernel_ops: KernelPromptOps, length: int,
                                                             offset: int, keys: int) -> None:
    """Row i of each block sees keys 0..offset+i (also past the scores' last column: no overrun);
    masked places are exact zeros; large scores do not overflow; odd widths use the scalar tail."""
    rng = np.random.default_rng(length + offset)
    scores = (rng.standard_normal((1, 3, 2 * length, keys)) * 30).astype(np.float32)
    scores[..., 0] = 200.0  # an attention sink far above the rest
    visible = np.arange(keys)[None, :] <= offset + np.tile(np.arange(length), 2)[:, None]
    shifted = np.where(visible, scores.astype(np.float64), -np.inf)
    want = np.exp(shifted - shifted.max(axis=-1, keepdims=True))
    want /= want.sum(axis=-1, keepdims=True)
    got = np.array(kernel_ops.causal_softmax(mx.array(scores), length, offset))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    assert (got[..., ~visible] == 0.0).all()


@needs_compiler
@pytest.mark.parametrize("n", [1, 7, 8, 61, 89_088])
def test_the_kernel_silu_gate_matches_mlx(kernel_ops: KernelPromptOps, n: int) -> None:
    """Both signs, large magnitudes (no overflow), zero, and the scalar tail past the vectors."""
    rng = np.random.default_rng(n)
    gate = (rng.standard_normal(n) * 6).astype(np.float32)
    gate[:min(n, 4)] = [0.0, -95.0, 95.0, -0.0][:min(n, 4)]
    up = rng.standard_normal(n).astype(np.float32)
    want = np.array(nn.silu(mx.array(gate)) * mx.array(up))
    got = np.array(kernel_ops.silu_mul(mx.array(gate), mx.array(up)))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
