"""Attention probabilities of a prompt's rows from the native causal softmax (native/softmax.c).

Why leave MLX's graph for this one step: on the CPU, MLX computes `exp` one float at a time
and a masked softmax in five strided passes; for a turn's 58-token suffix over 910 keys that
was 3.6 ms per layer, a third of the forward pass, against ~0.2 ms vectorised in C. The price
is one synchronisation per layer (the scores must exist before the C code reads them), which a
decode step could not afford but a prompt of many rows can. Decode steps keep MLX's softmax.
"""

from __future__ import annotations

import ctypes

import mlx.core as mx
import numpy as np


class CausalSoftmax:
    """``softmax(scores + causal mask)`` for FastDecodeModel's grouped query rows.

    ``scores`` has shape (..., blocks x length, keys): blocks of ``length`` query rows at
    positions offset .. offset + length - 1, each seeing keys 0 .. its own position.
    """

    def __init__(self, library: ctypes.CDLL) -> None:
        self._softmax = library.adv_causal_softmax

    def __call__(self, scores: mx.array, length: int, offset: int) -> mx.array:
        """The probabilities, written over ``scores``' own buffer when it is contiguous float32.

        ``scores`` must be the caller's fresh product (referenced by nothing else): overwriting
        it in place saves a 1.9 MB allocation and copy back into MLX per layer, about a third
        of this step's time. Other layouts get a converted copy instead.
        """
        mx.eval(scores)
        view = np.asarray(scores)  # MLX's buffer, no copy
        in_place = view.dtype == np.float32 and view.flags.c_contiguous and view.flags.writeable
        if not in_place:
            view = np.ascontiguousarray(view, dtype=np.float32)
        keys = view.shape[-1]
        self._softmax(view.ctypes.data, view.ctypes.data, view.size // keys, length, keys, offset)
        return scores if in_place else mx.array(view)
