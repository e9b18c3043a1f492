"""A prompt's transcendental steps in the kernel library (csrc/softmax.c, csrc/silu.c).

Why leave MLX's graph for them: on the CPU, MLX computes `exp` one float at a time, which made
the masked softmax of a turn's suffix a third of the forward pass; vectorised in C it is
several times faster (docs/accelerator.md). The price is a synchronisation per step (the input must exist before the C
code reads it), which a decode step could not afford but a prompt of many rows can. Decode
steps keep MLX's compiled kernels.

Both steps write their result over their input's buffer: the input is always the caller's
fresh product (referenced by nothing else), so no copy goes back into MLX: an allocation and a
copy per layer saved.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import mlx.core as mx
import numpy as np


def writable_float32(array: mx.array) -> tuple[mx.array, np.ndarray]:
    """``array`` evaluated, with a writable numpy view of a float32 buffer holding it: MLX's own
    buffer (no copy; the array returned is ``array``) when it is contiguous float32, else a
    converted copy (the array returned is that new MLX array). Writes go straight into MLX."""
    mx.eval(array)
    view = np.asarray(array)  # no copy
    if view.dtype == np.float32 and view.flags.c_contiguous and view.flags.writeable:
        return array, view
    array = mx.array(np.ascontiguousarray(view, dtype=np.float32))
    return array, np.asarray(array)


def _in_place(array: mx.array, compute: Callable[[np.ndarray], None]) -> mx.array:
    """Evaluate ``array`` and let ``compute`` overwrite its float32 buffer (see writable_float32)."""
    array, view = writable_float32(array)
    compute(view)
    return array


class KernelPromptOps:
    """FastDecodeModel's multi-token steps, computed by the kernel library."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self._softmax = library.adv_causal_softmax
        self._silu_mul = library.adv_silu_mul

    def causal_softmax(self, scores: mx.array, length: int, offset: int) -> mx.array:
        """``softmax(scores + causal mask)`` for FastDecodeModel's grouped query rows.

        ``scores`` has shape (..., blocks x length, keys): blocks of ``length`` query rows at
        positions offset .. offset + length - 1, each seeing keys 0 .. its own position.
        """
        def compute(buffer: np.ndarray) -> None:
            keys = buffer.shape[-1]
            self._softmax(buffer.ctypes.data, buffer.ctypes.data, buffer.size // keys, length, keys, offset)

        return _in_place(scores, compute)

    def silu_mul(self, gate: mx.array, up: mx.array) -> mx.array:
        """``silu(gate) * up`` (the llama MLP's gate), same shapes."""
        if gate.shape != up.shape:
            raise ValueError(f"gate {gate.shape} and up {up.shape} differ")
        mx.eval(gate, up)  # one evaluation: both come from the same products
        up_view = np.ascontiguousarray(np.asarray(up), dtype=np.float32)
        return _in_place(gate, lambda buffer: self._silu_mul(buffer.ctypes.data, up_view.ctypes.data, buffer.size))
