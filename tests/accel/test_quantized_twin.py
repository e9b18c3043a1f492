"""Decode steps read the GGUF's quantized weights through the kernel front end, and stay correct.

Fast tests register small random matrices (4-bit and 8-bit affine groups, as MLX reads GGUF
Q4_1/Q8_0) with the kernel front end sitting in libmlx's sgemm slot and compare MLX's one-row
products with numpy (to 1e-4 of the largest output: the AVX2 kernel holds x as int16). The test marked `model` decodes the real SmolLM2 token by token and
compares the logits with llama.cpp running the same GGUF.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest

from game.accel import kernels
from game.accel.switches import AccelSwitches
from game.accel.quantized_twin import QUANTIZED_TWIN_FILE, register_quantized_twins
from tests.accel.kernel_support import kernel_built_with, library  # noqa: F401 (a fixture)

needs_kernels = pytest.mark.skipif(
    not sys.platform.startswith("linux") or kernels.find_compiler() is None,
    reason="the kernel front end needs Linux and a C compiler")


class TinyStack(nn.Module):
    """Two float32 projections standing in for a model's layers."""

    def __init__(self, weights: dict[str, mx.array]) -> None:
        super().__init__()
        self.layers = [nn.Linear(1, 1, bias=False) for _ in weights]
        for layer, weight in zip(self.layers, weights.values()):
            layer.weight = weight


def _quantized(rng: np.random.Generator, n: int, k: int, bits: int) -> tuple[mx.array, ...]:
    dense = mx.array(rng.standard_normal((n, k)).astype(np.float32))
    q, scales, biases = mx.quantize(dense, group_size=32, bits=bits)
    return q, scales, biases, mx.dequantize(q, scales, biases, group_size=32, bits=bits)


def _model_with_twin(tmp_path: Path, shapes: list[tuple[int, int, int]]) -> tuple[TinyStack, list[mx.array]]:
    rng = np.random.default_rng(11)
    twin, weights = {}, {}
    for i, (n, k, bits) in enumerate(shapes):
        q, scales, biases, dense = _quantized(rng, n, k, bits)
        twin[f"layers.{i}.q"], twin[f"layers.{i}.scales"], twin[f"layers.{i}.biases"] = q, scales, biases
        weights[f"layers.{i}"] = dense.astype(mx.float32)
    mx.eval(list(weights.values()))
    mx.save_safetensors(str(tmp_path / QUANTIZED_TWIN_FILE), twin)
    return TinyStack(weights), list(weights.values())


def _row_product(x: np.ndarray, weight: mx.array) -> np.ndarray:
    return np.array(mx.matmul(mx.array(x), weight.T))


def _int16_bound(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """How far the AVX2 kernel may be off: it holds x as int16 per group of 32 (step max|x| / 32767),
    so each element is within half a step, times its weight."""
    half_steps = np.abs(x).reshape(x.shape[0], -1, 32).max(axis=2) / (2 * 32767)
    return np.repeat(half_steps, 32, axis=1).astype(np.float64) @ np.abs(weight.astype(np.float64)).T


@needs_kernels
def test_one_row_products_run_on_the_quantized_twin(tmp_path: Path, library) -> None:
    model, weights = _model_with_twin(tmp_path, [(96, 64, 4), (200, 576, 4), (130, 96, 8)])
    decode = register_quantized_twins(model, tmp_path, library)
    assert decode is not None and decode.describe() == "quantized decode (2 x 4-bit, 1 x 8-bit)"
    rng = np.random.default_rng(5)
    for weight in weights:
        x = rng.standard_normal((1, weight.shape[1])).astype(np.float32)
        before = library.adv_quantized_calls()
        got = _row_product(x, weight)
        assert library.adv_quantized_calls() == before + 1  # answered by the kernel, not sgemv
        want = x.astype(np.float64) @ np.array(weight, dtype=np.float64).T
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    decode.close()


@needs_kernels
def test_prompts_and_scaled_products_keep_their_meaning(tmp_path: Path, library) -> None:
    model, weights = _model_with_twin(tmp_path, [(64, 96, 4)])
    decode = register_quantized_twins(model, tmp_path, library)
    weight = weights[0]
    rng = np.random.default_rng(6)
    w64 = np.array(weight, dtype=np.float64)
    prompt = rng.standard_normal((7, 96)).astype(np.float32)
    before = library.adv_quantized_calls()
    np.testing.assert_allclose(np.array(mx.array(prompt) @ weight.T), prompt @ w64.T, rtol=1e-4, atol=1e-4)
    assert library.adv_quantized_calls() == before  # seven rows: OpenBLAS GEMM on the float32 weights
    x = rng.standard_normal((1, 96)).astype(np.float32)
    c = rng.standard_normal((1, 64)).astype(np.float32)
    got = np.array(mx.addmm(mx.array(c), mx.array(x), weight.T, alpha=0.5, beta=2.0))
    want = 2.0 * c + 0.5 * (x @ w64.T)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    decode.close()


@needs_kernels
def test_closing_or_dropping_unregisters_every_matrix(tmp_path: Path, library) -> None:
    model, weights = _model_with_twin(tmp_path, [(64, 64, 4)])
    x = np.ones((1, 64), dtype=np.float32)
    decode = register_quantized_twins(model, tmp_path, library)
    decode.close()
    before = library.adv_quantized_calls()
    _row_product(x, weights[0])
    assert library.adv_quantized_calls() == before
    decode = register_quantized_twins(model, tmp_path, library)
    del decode
    gc.collect()
    before = library.adv_quantized_calls()
    _row_product(x, weights[0])
    assert library.adv_quantized_calls() == before


@needs_kernels
def test_a_twin_that_does_not_match_the_weights_is_not_used(tmp_path: Path, library) -> None:
    model, weights = _model_with_twin(tmp_path, [(64, 64, 4), (32, 64, 4)])
    twin = mx.load(str(tmp_path / QUANTIZED_TWIN_FILE))
    twin["layers.1.scales"] = twin["layers.1.scales"] * 1.5  # someone else's scales
    mx.save_safetensors(str(tmp_path / QUANTIZED_TWIN_FILE), twin)
    assert register_quantized_twins(model, tmp_path, library) is None
    before = library.adv_quantized_calls()
    _row_product(np.ones((1, 64), dtype=np.float32), weights[0])
    assert library.adv_quantized_calls() == before  # nothing stayed registered


@needs_kernels
def test_folders_without_a_twin_decode_in_float32(tmp_path: Path, library) -> None:
    model, _ = _model_with_twin(tmp_path, [(32, 32, 4)])
    (tmp_path / QUANTIZED_TWIN_FILE).unlink()
    assert register_quantized_twins(model, tmp_path, library) is None
    assert register_quantized_twins(model, tmp_path, None) is None


@needs_kernels
@pytest.mark.parametrize("flags", kernels.FLAG_SETS, ids=["this-cpu", "portable-c"])
def test_both_builds_of_the_kernel_compute_the_same_products(tmp_path: Path, flags: tuple[str, ...]) -> None:
    """The AVX2 kernels and the plain C fallback, called directly as MLX would call cblas_sgemm."""
    library, sgemm = kernel_built_with(flags, tmp_path)
    rng = np.random.default_rng(8)
    # 4-bit rows go in pairs and groups in blocks of eight (pairs of groups, a last lone one):
    # odd row counts and every kind of leftover group are here.
    shapes = ((64, 96, 4, 1), (70, 576, 4, 3), (40, 64, 8, 1), (33, 32, 4, 9), (31, 288, 4, 1),
              (17, 320, 4, 2), (65, 544, 4, 1), (12, 1536, 4, 1), (9, 256, 4, 4), (35, 608, 8, 1))
    for n, k, bits, rows in shapes:
        q, scales, biases, dense = _quantized(rng, n, k, bits)
        weight = np.array(dense, dtype=np.float32)
        q_np = np.ascontiguousarray(np.array(q).view(np.uint8))
        s_np, b_np = (np.ascontiguousarray(np.array(a, dtype=np.float32)) for a in (scales, biases))
        assert library.adv_register(weight.ctypes.data, n, k, bits, q_np.ctypes.data,
                                    s_np.ctypes.data, b_np.ctypes.data) == 0
        x = rng.standard_normal((rows, k)).astype(np.float32)
        x[:, :32] = 0.0  # a group of zeros (no int16 scale)
        x[:, -1] *= 50.0  # and an outlier, as hidden states have
        y = np.full((rows, n), np.nan, dtype=np.float32)
        before = library.adv_quantized_calls()
        sgemm(101, 111, 112, rows, n, k, 1.0, x.ctypes.data, k, weight.ctypes.data, k, 0.0, y.ctypes.data, n)
        assert library.adv_quantized_calls() - before == (rows if rows <= 4 else 0)
        want = x.astype(np.float64) @ weight.T.astype(np.float64)
        error = np.abs(y - want)
        assert (error <= _int16_bound(x, weight) + 1e-4 * np.abs(want).max()).all(), (n, k, bits, error.max())
        library.adv_unregister(weight.ctypes.data)


@needs_kernels
@pytest.mark.parametrize("flags", kernels.FLAG_SETS, ids=["this-cpu", "portable-c"])
def test_attention_sized_products_of_a_few_rows_are_exact(tmp_path: Path, flags: tuple[str, ...]) -> None:
    """Scores (A B^T) and outputs (A B) of 1-4 query rows against cached keys and values, with
    strides, alpha and beta, as MLX hands them to cblas_sgemm."""
    library, sgemm = kernel_built_with(flags, tmp_path)
    rng = np.random.default_rng(9)
    for m in (1, 2, 3, 4):
        for n, k, trans_b in ((37, 64, 112), (40, 56, 111), (64, 913, 111), (5, 7, 112)):
            a = rng.standard_normal((m, k + 3)).astype(np.float32)  # lda = k + 3
            b = rng.standard_normal((n, k + 1) if trans_b == 112 else (k, n + 5)).astype(np.float32)
            c = rng.standard_normal((m, n + 2)).astype(np.float32)
            op_b = b[:, :k].T if trans_b == 112 else b[:, :n]
            want = 0.5 * (a[:, :k].astype(np.float64) @ op_b) + 2.0 * c[:, :n]
            sgemm(101, 111, trans_b, m, n, k, 0.5, a.ctypes.data, k + 3, b.ctypes.data, b.shape[1],
                  2.0, c.ctypes.data, n + 2)
            np.testing.assert_allclose(c[:, :n], want, rtol=1e-4, atol=1e-4, err_msg=f"{m} {n} {k} {trans_b}")


@needs_kernels
def test_the_kernel_is_built_once_per_cpu_and_compiler(tmp_path: Path) -> None:
    (tmp_path / "native").mkdir()
    (tmp_path / "native" / "qgemv-0123456789abcdef.so").write_bytes(b"")  # the former name
    first = kernels.load_kernels(tmp_path)
    assert first.library is not None, first.detail
    built = list((tmp_path / "native").glob("*.so"))
    assert len(built) == 1 and built[0].name.startswith("adventure-kernels-")
    stamp = built[0].stat().st_mtime_ns
    again = kernels.load_kernels(tmp_path)
    assert again.library is not None and built[0].stat().st_mtime_ns == stamp


def test_no_compiler_leaves_the_float32_path(tmp_path: Path, monkeypatch) -> None:
    broken = tmp_path / "broken-cc"
    broken.write_text("#!/bin/sh\necho 'cc: fatal error: no input files' >&2\nexit 1\n")
    broken.chmod(0o755)
    kernel = kernels.load_kernels(tmp_path, AccelSwitches.from_environ({"ADVENTURE_CC": str(broken)}).compilers)
    assert kernel.library is None and "failed: cc: fatal error" in kernel.detail
    assert not list((tmp_path / "native").glob("*.so"))  # no half-built library left behind
    monkeypatch.setenv("PATH", str(tmp_path))
    compilers = AccelSwitches.from_environ({"ADVENTURE_CC": "no-such-compiler-here",
                                            "CC": "no-such-compiler-either"}).compilers
    assert compilers == ("no-such-compiler-here", "no-such-compiler-either")
    assert kernels.load_kernels(tmp_path, compilers) == kernels.KernelLibrary(
        None, "no C compiler found (install gcc or clang for faster decoding)")


@pytest.mark.model
@needs_kernels
def test_real_model_decodes_token_by_token_as_its_float32_self_and_llama_cpp() -> None:
    """Each decode step (one row, quantized twin) gives the float32 model's logits, and is as close
    to llama.cpp's on the same GGUF as the float32 model is."""
    from llama_cpp import Llama
    from mlx_lm.models.cache import make_prompt_cache

    from game.narrator.backends.mlx_model import embedded_gguf_path, load_narrator_model

    loaded = load_narrator_model(None)
    twins = loaded.accel.twins
    assert twins is not None, loaded.decode_detail()
    assert loaded.decode_detail() == "quantized decode (210 x 4-bit, 1 x 8-bit), kernel one-token steps"
    assert not loaded.accel.status.fell_back, loaded.accel.status.describe()
    ids = loaded.tokenizer.encode("You stand at the mouth of a cave. A cold wind blows from below.")

    def decode_one_by_one() -> list[np.ndarray]:
        cache = make_prompt_cache(loaded.model)
        return [np.array(loaded.model(mx.array([[token]]), cache=cache)[0, -1]) for token in ids]

    before = twins.library.adv_quantized_calls()
    quantized = decode_one_by_one()
    assert twins.library.adv_quantized_calls() - before == 211 * len(ids)
    twins.close()
    float32 = decode_one_by_one()
    reference = Llama(str(embedded_gguf_path()), n_ctx=128, n_threads=1, logits_all=True, verbose=False)
    reference.eval(ids)
    for step, (ours, dense) in enumerate(zip(quantized, float32)):
        theirs = np.array(reference.scores[step])
        assert np.corrcoef(ours, dense)[0, 1] > 0.99999, step
        assert int(np.argmax(ours)) == int(np.argmax(dense)), step
        assert np.corrcoef(ours, theirs)[0, 1] > min(0.998, np.corrcoef(dense, theirs)[0, 1] - 1e-4), step


def test_mlx_builds_fused_kernels_for_this_cpu_in_a_folder_of_its_own(tmp_path: Path, monkeypatch) -> None:
    """The g++ wrapper adds -march=native, and MLX's kernel folder moves with TMPDIR."""
    import subprocess

    from game.accel import jit_flags as mlx_jit

    if not sys.platform.startswith("linux") or shutil.which("g++") is None:
        pytest.skip("the MLX JIT wrapper is for Linux with g++")
    plain_path = [d for d in os.environ["PATH"].split(os.pathsep) if "mlx-jit-" not in d]
    monkeypatch.setenv("PATH", os.pathsep.join(plain_path))  # as before any model was loaded here
    monkeypatch.setenv("TMPDIR", os.environ.get("TMPDIR", "/tmp"))
    assert mlx_jit.tune_mlx_jit(tmp_path) == (True, "MLX kernels built with -march=native")
    wrapper = Path(shutil.which("g++"))
    assert wrapper.is_relative_to(tmp_path) and "-march=native" in wrapper.read_text()
    assert Path(os.environ["TMPDIR"]).is_relative_to(tmp_path)
    assert mlx_jit.tune_mlx_jit(tmp_path) == (True, "already in place")
    code = ("import mlx.core as mx; f = mx.compile(lambda a: mx.exp(a * 0.75) - 0.25); "
            "print(f(mx.array([0.0, 1.0])).tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert [round(v, 5) for v in eval(out.stdout)] == [0.75, round(2.117000016612675 - 0.25, 5)]
    assert list(Path(os.environ["TMPDIR"]).glob("mlx/*/cpu/*.so"))  # built with the wrapper, kept there


@pytest.mark.parametrize("value", ["plain", "off", "0", "False", "no"])
def test_the_mlx_jit_wrapper_can_be_declined(value: str) -> None:
    assert AccelSwitches.from_environ({"ADVENTURE_MLX_JIT": value}).jit_flags is False
