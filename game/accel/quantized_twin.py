"""Decode from the GGUF's own 4-bit/8-bit weights while MLX keeps its float32 copy for prompts.

Why: on the CPU a decode step is one row times every weight matrix, so its cost is the bytes
read. The float32 model reads 540 MB per token; its quantized twin (the GGUF's codes, scales
and biases, written next to the converted model) reads ~95 MB. Prompt prefill stays on
OpenBLAS GEMM with the float32 weights, where MLX is already fast.

How: the kernel front end in libmlx's `cblas_sgemm` slot (gemm_slot.py, csrc/qgemv.c) looks the
weight operand of every one-row product up in a table keyed by the address of MLX's float32
buffer. `register_quantized_twins` fills that table for a loaded model, holding a reference to
every registered MLX array so that no address can be freed and reused while it is in the
table, and checks every registered matrix against numpy before trusting it. If any check
fails, nothing stays registered and decoding uses the float32 path.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUANTIZED_TWIN_FILE = "decode-quantized.safetensors"
GROUP_SIZE = 32
_TOLERANCE = 2e-3  # relative to the largest |output|: f16 vs f32 rounding of the dequantized weights


@dataclass
class QuantizedTwins:
    """The weights registered with the kernel front end for one model; `close` unregisters them.

    It holds every registered MLX array and numpy view, so no registered address can be freed
    and reused while it lives; dropping it (or `close`) unregisters them all.
    """

    library: Any
    names: list[str]
    bits: dict[int, int] = field(default_factory=dict)  # bits -> number of matrices
    _keep: list[Any] = field(default_factory=list, repr=False)
    _finalizer: Any = field(default=None, repr=False)

    def describe(self) -> str:
        kinds = ", ".join(f"{count} x {bits}-bit" for bits, count in sorted(self.bits.items()))
        return f"quantized decode ({kinds})"

    @property
    def active(self) -> bool:
        """Whether the weights are still registered (not closed, not finalized)."""
        return self._finalizer is not None and self._finalizer.alive

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


def twin_tensors(gguf_weights: dict[str, Any], module_name) -> dict[str, Any]:
    """The quantized twin of a GGUF's quantized matrices, by mlx-lm module name (for conversion)."""
    import mlx.core as mx

    twin: dict[str, Any] = {}
    for key in sorted(gguf_weights):
        if not key.endswith(".scales"):
            continue
        base = key[: -len(".scales")]
        name = module_name(base)
        twin[f"{name}.q"] = gguf_weights[f"{base}.weight"]
        twin[f"{name}.scales"] = gguf_weights[key].astype(mx.float32)
        twin[f"{name}.biases"] = gguf_weights[f"{base}.biases"].astype(mx.float32)
    return twin


def _module(model: Any, dotted: str) -> Any:
    node = model
    for part in dotted.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node


def _register_all(library: Any, entries: list[tuple[Any, ...]]) -> None:
    for key_array, n, k, bits, q, scales, biases in entries:
        status = library.adv_register(key_array.ctypes.data, n, k, bits, q.ctypes.data,
                                      scales.ctypes.data, biases.ctypes.data)
        if status != 0:
            raise RuntimeError(f"the kernel library refused a {n}x{k} {bits}-bit matrix (code {status})")


def _unregister(library: Any, keys: list[int]) -> None:
    for key in keys:
        library.adv_unregister(key)


def _agrees(weight: Any, weight_np: Any, rng: Any) -> bool:
    """An MLX one-row product through the front end equals numpy's product of the float32 weights.

    numpy multiplies in float32 (its own BLAS): exact to ~1e-6 of the largest output, far inside
    the tolerance, and without a float64 copy of every matrix at load time (0.17 s of it here).
    """
    import mlx.core as mx
    import numpy as np

    x = rng.standard_normal(weight_np.shape[1]).astype(np.float32)
    got = np.array(mx.matmul(mx.array(x[None]), weight.T))[0]
    want = weight_np @ x
    scale = max(float(np.abs(want).max()), 1e-6)
    return float(np.abs(got - want).max()) <= _TOLERANCE * scale


def register_quantized_twins(model: Any, folder: Path, library: Any) -> QuantizedTwins | None:
    """Register ``model``'s float32 weights with their quantized twin from ``folder``.

    Returns None when the folder has no twin or a matrix does not match; raises nothing for
    a missing or odd twin (decoding then simply stays on the float32 path).
    """
    import mlx.core as mx
    import numpy as np

    path = folder / QUANTIZED_TWIN_FILE
    if library is None or not path.is_file():
        return None
    twin = mx.load(str(path))
    names = sorted({key.rsplit(".", 1)[0] for key in twin})
    entries: list[tuple[Any, ...]] = []
    keep: list[Any] = []
    bits_count: dict[int, int] = {}
    weights: list[tuple[Any, Any]] = []
    for name in names:
        weight = _module(model, name).weight
        if weight.dtype != mx.float32 or weight.ndim != 2:
            return None
        n, k = weight.shape
        # Views of MLX's own buffers where the layout allows (no second copy of the twin).
        q = np.ascontiguousarray(np.asarray(twin[f"{name}.q"]).view(np.uint8))
        bits = q.shape[1] * 8 // k
        scales = np.ascontiguousarray(np.asarray(twin[f"{name}.scales"]), dtype=np.float32)
        biases = np.ascontiguousarray(np.asarray(twin[f"{name}.biases"]), dtype=np.float32)
        if q.shape[0] != n or bits not in (4, 8) or scales.shape != (n, k // GROUP_SIZE) or biases.shape != scales.shape:
            return None
        weight_np = np.asarray(weight)  # MLX's own buffer (no copy): its address is the key
        entries.append((weight_np, n, k, bits, q, scales, biases))
        keep.extend([weight, weight_np, q, scales, biases])
        weights.append((weight, weight_np))
        bits_count[bits] = bits_count.get(bits, 0) + 1
    keys = [entry[0].ctypes.data for entry in entries]
    try:
        _register_all(library, entries)
    except RuntimeError:
        _unregister(library, keys)
        return None
    rng = np.random.default_rng(0)
    if not all(_agrees(weight, weight_np, rng) for weight, weight_np in weights):
        _unregister(library, keys)
        return None
    twins = QuantizedTwins(library, names, bits_count, keep)
    twins._finalizer = weakref.finalize(twins, _unregister, library, keys)
    return twins
