"""Whole decode steps in the kernel library give the stock mlx-lm llama's logits.

A tiny random llama (real mlx-lm classes, grouped-query attention) gets a quantized twin the
way a converted GGUF has one (4-bit layers, an 8-bit embedding that is also the output
projection; the float32 weights are the twin dequantized), so the kernel step and the stock
model compute the same function. The real model is covered in test_quantized_decode.py.
"""

from __future__ import annotations

import gc
from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest
from mlx.utils import tree_flatten
from mlx_lm.models import llama
from mlx_lm.models.cache import make_prompt_cache

from game.accel import Accelerated, AccelStatus
from game.accel import kernels
from game.accel.llama_forward import FastDecodeModel
from game.narrator.backends.mlx_model import LoadedModel
from game.narrator.generation.narration import NarrationEngine
from game.accel.decode_step import KernelDecodeStep
from game.accel.quantized_twin import QUANTIZED_TWIN_FILE, register_quantized_twins
from game.narrator.settings import NarratorSettings
from tests.narrator.narrator_tiny import make_tokenizer
from tests.accel.kernel_support import kernel_built_with, library  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(kernels.find_compiler() is None, reason="the kernel step needs a C compiler")


def _quantized_llama(folder: Path, traditional: bool, vocab: int = 320, hidden: int = 96,
                     heads: int = 6, intermediate: int = 128) -> llama.Model:
    """A tiny llama whose float32 weights are exactly its quantized twin's values (saved in folder)."""
    mx.random.seed(5)
    args = llama.ModelArgs(model_type="llama", hidden_size=hidden, num_hidden_layers=3,
                           intermediate_size=intermediate,
                           num_attention_heads=heads, num_key_value_heads=2, rms_norm_eps=1e-5,
                           vocab_size=vocab, rope_traditional=traditional, tie_word_embeddings=True)
    model = llama.Model(args)
    twin, weights = {}, {}
    for name, weight in tree_flatten(model.parameters()):
        if not name.endswith(".weight") or weight.ndim != 2:
            continue
        module = name[: -len(".weight")]
        bits = 8 if module == "model.embed_tokens" else 4
        q, scales, biases = mx.quantize(weight, group_size=32, bits=bits)
        twin[f"{module}.q"], twin[f"{module}.scales"], twin[f"{module}.biases"] = q, scales, biases
        weights[name] = mx.dequantize(q, scales, biases, group_size=32, bits=bits)
    model.load_weights(list(weights.items()), strict=False)
    mx.eval(model.parameters())
    mx.save_safetensors(str(folder / QUANTIZED_TWIN_FILE), twin)
    return model


def _kernel_model(folder: Path, library, traditional: bool = True):
    model = _quantized_llama(folder, traditional)
    decode = register_quantized_twins(model, folder, library)
    assert decode is not None
    fast = FastDecodeModel(model)
    assert fast.use_kernel_step(KernelDecodeStep.for_model(library, fast, decode))
    return model, fast, decode


def _prefilled(model, tokens: list[int]) -> list:
    cache = make_prompt_cache(model)
    mx.eval(model(mx.array([tokens]), cache=cache))
    return cache


@pytest.mark.parametrize("traditional", [True, False], ids=["adjacent-pairs", "half-split"])
def test_kernel_steps_match_the_stock_model_across_a_cache_growth(tmp_path: Path, library, traditional) -> None:
    """250 prompt tokens, then 12 steps: the cache grows past its first 256 positions on the way
    (mlx-lm's KVCache grows in steps of 256), and each step's logits equal the stock model's."""
    model, fast, decode = _kernel_model(tmp_path, library, traditional)
    prompt = [int(t) for t in np.random.default_rng(1).integers(3, 300, 250)]
    stock, ours = _prefilled(model, prompt), _prefilled(model, prompt)
    for step, token in enumerate(range(40, 52)):
        want = np.array(model(mx.array([[token]]), cache=stock))[0, -1]
        before = library.adv_quantized_calls()
        got = np.array(fast.last_logits(mx.array([[token]]), ours))[0]
        assert library.adv_quantized_calls() - before == 7 * 3 + 1  # every product on the twins
        np.testing.assert_allclose(got, want, atol=2e-3 * np.abs(want).max(), err_msg=f"step {step}")
        assert int(np.argmax(got)) == int(np.argmax(want))
    assert [c.offset for c in ours] == [262] * 3 and ours[0].keys.shape[2] == 512
    decode.close()


@pytest.mark.parametrize("count", [3, 20], ids=["few-rows-on-the-twins", "rows-as-a-gemm"])
def test_a_turns_suffix_runs_in_the_kernel_with_every_key_and_value_written(tmp_path: Path, library, count) -> None:
    """`last_logits` of several tokens (a turn's suffix) is one kernel call too: the last token's
    logits equal the stock model's, and so do the next step's (every position's key and value
    went into the cache)."""
    model, fast, decode = _kernel_model(tmp_path, library)
    prompt = list(range(3, 33))
    stock, ours = _prefilled(model, prompt), _prefilled(model, prompt)
    suffix = list(range(100, 100 + count))
    want = np.array(model(mx.array([suffix]), cache=stock))[0, -1]
    got = np.array(fast.last_logits(mx.array([suffix]), ours))[0]
    np.testing.assert_allclose(got, want, atol=2e-3 * np.abs(want).max())
    assert [c.offset for c in ours] == [30 + count] * 3
    want = np.array(model(mx.array([[7]]), cache=stock))[0, -1]
    got = np.array(fast.last_logits(mx.array([[7]]), ours))[0]
    np.testing.assert_allclose(got, want, atol=2e-3 * np.abs(want).max())
    decode.close()


def test_a_trimmed_cache_is_rewritten_at_its_offset(tmp_path: Path, library) -> None:
    """The narrator reuses a room's cache by trimming it: the next step writes its key and value
    at the offset, over what a longer earlier turn left there, and attends to nothing beyond."""
    model, fast, decode = _kernel_model(tmp_path, library)
    cache = _prefilled(model, list(range(10, 60)))
    for token in (70, 71, 72, 73):
        mx.eval(fast.last_logits(mx.array([[token]]), cache))
    for layer in cache:
        layer.trim(4)
    fresh = _prefilled(model, list(range(10, 60)))
    np.testing.assert_allclose(np.array(fast.last_logits(mx.array([[90]]), cache)),
                               np.array(model(mx.array([[90]]), cache=fresh))[:, -1], atol=1e-3)
    decode.close()


def test_after_the_twins_are_unregistered_steps_go_back_to_mlx(tmp_path: Path, library) -> None:
    model, fast, decode = _kernel_model(tmp_path, library)
    decode.close()
    cache = _prefilled(model, [5, 6, 7])
    before = library.adv_quantized_calls()
    got = np.array(fast.last_logits(mx.array([[8]]), cache))
    assert library.adv_quantized_calls() == before  # neither the kernel step nor the twins
    want = np.array(model(mx.array([[8]]), cache=_prefilled(model, [5, 6, 7])))[:, -1]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_the_narration_engine_keeps_the_twins_registered(tmp_path: Path, library) -> None:
    """The worker builds its engine and drops the loader's result: that must not unregister the
    quantized twins (it did once, silently sending every decode step to the float32 weights)."""
    model, fast, decode = _kernel_model(tmp_path, library)
    loaded = LoadedModel(fast, make_tokenizer(), "tiny-twin", tmp_path,
                         Accelerated(fast, AccelStatus(), True, decode, library))
    engine = NarrationEngine(loaded, NarratorSettings(disk_cache=False))
    del loaded, decode
    gc.collect()
    assert engine.backend.loaded.accel.twins.active
    cache = _prefilled(model, [5, 6, 7])
    before = library.adv_quantized_calls()
    mx.eval(engine.backend.model.last_logits(mx.array([[8]]), cache))
    assert library.adv_quantized_calls() - before == 22
    engine.backend.loaded.accel.twins.close()


def test_the_helper_thread_changes_no_number(tmp_path: Path, library) -> None:
    """Rows of the larger products are split with a helper thread; every row is still one
    thread's dot product, so the logits are bit for bit those of one thread."""
    model = _quantized_llama(tmp_path, True, vocab=512, hidden=256, heads=8, intermediate=352)
    decode = register_quantized_twins(model, tmp_path, library)
    fast = FastDecodeModel(model)
    assert fast.use_kernel_step(KernelDecodeStep.for_model(library, fast, decode))
    runs = []
    for helper in (False, True):
        library.adv_rowshare_stop()
        if helper:
            assert library.adv_rowshare_start(0) == 0
        shared_before = library.adv_rowshare_helper_chunks() + library.adv_rowshare_caller_chunks()
        cache = _prefilled(model, list(range(3, 40)))
        runs.append([np.array(fast.last_logits(mx.array([[t]]), cache)) for t in range(50, 58)])
        shared = library.adv_rowshare_helper_chunks() + library.adv_rowshare_caller_chunks() - shared_before
        assert (shared > 0) == helper
    for alone, shared in zip(*runs):
        assert np.array_equal(alone, shared)
    decode.close()


def test_without_a_library_or_twins_there_is_no_kernel_step(tmp_path: Path, library) -> None:
    """A missing registration or library gives no step (ADVENTURE_NATIVE_STEP=off is the entry
    function's: see test_entry.py); one thread only is a step all the same."""
    model = _quantized_llama(tmp_path, True)
    decode = register_quantized_twins(model, tmp_path, library)
    fast = FastDecodeModel(model)
    assert KernelDecodeStep.for_model(library, fast, decode, helper_thread=False) is not None
    assert KernelDecodeStep.for_model(None, fast, decode) is None
    assert KernelDecodeStep.for_model(library, fast, None) is None
    decode.close()


@pytest.mark.parametrize("flags", kernels.FLAG_SETS, ids=["this-cpu", "portable-c"])
def test_both_builds_of_the_library_step_alike(tmp_path: Path, flags: tuple[str, ...]) -> None:
    """The step built for this CPU (AVX2) and as plain C (for CPUs without it), each with its
    own registration table, against the stock model (which runs on the float32 weights here)."""
    library, _ = kernel_built_with(flags, tmp_path)
    model = _quantized_llama(tmp_path, True)
    decode = register_quantized_twins(model, tmp_path, library)
    assert decode is not None
    step = KernelDecodeStep.for_model(library, FastDecodeModel(model), decode)
    prompt = list(range(3, 40))
    stock, ours = _prefilled(model, prompt), _prefilled(model, prompt)
    for token in range(50, 56):
        want = np.array(model(mx.array([[token]]), cache=stock))[0, -1]
        got = np.array(step.logits(token, ours))[0]
        np.testing.assert_allclose(got, want, atol=2e-3 * np.abs(want).max())
    library.adv_rowshare_stop()
    decode.close()
