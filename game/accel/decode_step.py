"""One-token decode steps computed whole by the native library (native/decode_step.c).

Why: as an MLX graph a decode step of SmolLM2-135M is ~1,200 operations. MLX's CPU backend
runs them on its own thread and paces the Python thread that dispatches them, so each step is
a few hundred hand-offs between two threads (futex wake-ups, inter-processor interrupts on a
VM) and a malloc or two per operation; the arithmetic was only half of it (docs/performance.md,
section 18). `decode_step.c` runs the same mathematics in plain loops on the calling thread,
reading the quantized twins that quantized_decode.py registered and writing the new key and
value straight into the KV cache's MLX buffers. Sampling and the logits processors stay in MLX.

Safety: the step writes only position `offset` of each layer's cache, past every view MLX has
handed out ([:offset]); the caches are evaluated first, grown exactly as mlx-lm's `KVCache`
grows them, and only plain `KVCache` layers with contiguous float32 buffers take this path.
`FastDecodeModel.use_native_step` compares a native step with the MLX path at load; any
difference, an unregistered weight or an unusual cache leaves the MLX path in charge.

Threads: on a machine with two or more cores a helper thread (native/rowshare.c) takes chunks
of each large product's rows while the step's own thread works through the rest; it spins
200 µs for the next product, then sleeps. Greedy decoding alternated in one process: 62.7 ->
71.6 and 63.8 -> 72.1 tok/s (spinning 0-50 µs gained less, 500-5000 µs no more).

`ADVENTURE_NATIVE_STEP=off` keeps the MLX graph for decode steps, `=single` the native step
without the helper (benchmarks, bug reports).
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

import mlx.core as mx
import numpy as np
from mlx_lm.models.cache import KVCache

from game.accel.prompt_ops import writable_float32

NATIVE_STEP_ENV = "ADVENTURE_NATIVE_STEP"
HELPER_SPIN_US = 200
_TOLERANCE = 1e-3  # relative to the largest logit: int16 activations, another summation order


class _Model(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in
                ("layers", "dims", "hidden", "heads", "kv_heads", "head_dim", "vocab", "traditional")] + \
               [(name, ctypes.c_float) for name in ("rope_scale", "attn_scale", "final_eps")] + \
               [(name, ctypes.c_void_p) for name in ("freqs", "embed", "final_norm", "head")]


class _Layer(ctypes.Structure):
    _fields_ = [(name, ctypes.c_void_p) for name in
                ("in_norm", "post_norm", "wq", "wk", "wv", "wo", "wg", "wu", "wd")] + \
               [("eps_in", ctypes.c_float), ("eps_post", ctypes.c_float)]


def _buffer(array: mx.array) -> np.ndarray:
    """MLX's own float32 buffer of ``array`` as numpy (no copy); ValueError if it is not one."""
    mx.eval(array)
    view = np.asarray(array)
    if view.dtype != np.float32 or not view.flags.c_contiguous:
        raise ValueError("not a contiguous float32 array")
    return view


class NativeDecodeStep:
    """Decode steps of one mlx-lm llama through `adv_decode_step`; build with `for_model`."""

    def __init__(self, library: ctypes.CDLL, model: Any, decode: Any, freqs: mx.array) -> None:
        """``decode``: the QuantizedDecode registration whose twins the step reads; ``freqs``: the
        rotary frequencies exactly as FastDecodeModel computes them (one per pair)."""
        inner = model.model
        self._decode = decode
        attn = inner.layers[0].self_attn
        self._library = library  # declared by native.declare
        self._kv_heads, self._head_dim = attn.n_kv_heads, attn.head_dim
        self._keep: list[np.ndarray] = []  # every buffer whose address the step holds

        def address(array: mx.array) -> int:
            view = _buffer(array)
            self._keep.append(view)
            return view.ctypes.data

        tied = model.args.tie_word_embeddings
        head = inner.embed_tokens.weight if tied else model.lm_head.weight
        self._vocab = int(head.shape[0])
        self._model = _Model(
            layers=len(inner.layers), dims=int(inner.embed_tokens.weight.shape[1]),
            hidden=int(inner.layers[0].mlp.gate_proj.weight.shape[0]), heads=attn.n_heads,
            kv_heads=attn.n_kv_heads, head_dim=attn.head_dim, vocab=self._vocab,
            traditional=int(bool(attn.rope.traditional)), rope_scale=float(attn.rope.scale),
            attn_scale=float(attn.scale),
            final_eps=float(inner.norm.eps), freqs=address(freqs.astype(mx.float32)),
            embed=address(inner.embed_tokens.weight),
            final_norm=address(inner.norm.weight), head=address(head))
        layers = (_Layer * len(inner.layers))()
        for slot, layer in zip(layers, inner.layers):
            a, mlp = layer.self_attn, layer.mlp
            slot.in_norm, slot.post_norm = address(layer.input_layernorm.weight), address(layer.post_attention_layernorm.weight)
            slot.wq, slot.wk, slot.wv, slot.wo = (address(p.weight) for p in (a.q_proj, a.k_proj, a.v_proj, a.o_proj))
            slot.wg, slot.wu, slot.wd = (address(p.weight) for p in (mlp.gate_proj, mlp.up_proj, mlp.down_proj))
            slot.eps_in, slot.eps_post = layer.input_layernorm.eps, layer.post_attention_layernorm.eps
        self._layers = layers

    @classmethod
    def for_model(cls, library: ctypes.CDLL | None, fast: Any, decode: Any) -> NativeDecodeStep | None:
        """The native step for ``fast`` (a FastDecodeModel) reading ``decode``'s twins, or None
        where it cannot run: no library or registration, opted out, weights that are not
        float32. (FastDecodeModel.use_native_step then checks it against MLX's step.)"""
        setting = os.environ.get(NATIVE_STEP_ENV, "").strip().lower()
        if library is None or decode is None or setting in ("off", "0", "no", "false"):
            return None
        try:
            step = cls(library, fast.inner, decode, fast.rope_frequencies)
        except (ValueError, AttributeError):
            return None
        if setting != "single" and (os.cpu_count() or 1) > 1:
            library.adv_rowshare_start(HELPER_SPIN_US)  # once per process; later calls no-ops
        return step

    def handles(self, cache: Any) -> bool:
        """Whether this step can extend ``cache`` in place (plain mlx-lm KVCache layers) now: the
        twins must still be registered (a closed registration leaves steps to MLX)."""
        return (self._decode.active and isinstance(cache, list) and len(cache) == self._model.layers
                and all(type(layer) is KVCache and self._fits(layer) for layer in cache))

    def _fits(self, layer: KVCache) -> bool:
        """Keys and values laid out as the step writes them: (1, kv heads, positions, head dim)."""
        if layer.keys is None:
            return layer.values is None
        shape = tuple(layer.keys.shape)
        return (len(shape) == 4 and shape[0] == 1 and shape[1] == self._kv_heads and shape[3] == self._head_dim
                and tuple(layer.values.shape) == shape
                and layer.keys.dtype == mx.float32 and layer.values.dtype == mx.float32)

    def logits(self, token: int, cache: list[Any]) -> mx.array:
        """Logits (1, vocab) for ``token`` at position ``cache[0].offset``; extends the cache by one."""
        return self.forward([token], cache)

    def forward(self, tokens: list[int], cache: list[Any]) -> mx.array:
        """Logits (1, vocab) of the last of ``tokens``, fed at ``cache[0].offset``; extends the
        cache by all of them (several: a turn's suffix, its products as OpenBLAS GEMMs)."""
        count = len(tokens)
        pos = int(cache[0].offset)
        if count < 1 or any(int(layer.offset) != pos for layer in cache):
            raise ValueError("nothing to feed, or the cache's layers disagree about its length")
        keys, values, capacity = [], [], []
        for layer in cache:
            if layer.keys is None or pos + count > layer.keys.shape[2]:
                # Grow exactly as KVCache does (its update writes zeros, rewritten below).
                blank = mx.zeros((1, self._kv_heads, count, self._head_dim), mx.float32)
                layer.update_and_fetch(blank, blank)
                layer.offset -= count
            layer.keys, k_view = writable_float32(layer.keys)  # the step writes into these buffers
            layer.values, v_view = writable_float32(layer.values)
            keys.append(k_view.ctypes.data)
            values.append(v_view.ctypes.data)
            capacity.append(int(k_view.shape[2]))
        out = np.empty(self._vocab, dtype=np.float32)
        pointers = ((ctypes.c_void_p * len(keys))(*keys), (ctypes.c_void_p * len(values))(*values),
                    (ctypes.c_int * len(capacity))(*capacity), out.ctypes.data)
        description = (ctypes.addressof(self._model), ctypes.addressof(self._layers))
        if count == 1:
            status = self._library.adv_decode_step(*description, int(tokens[0]), pos, *pointers)
        else:
            fed = np.ascontiguousarray(tokens, dtype=np.int32)
            status = self._library.adv_prompt_step(*description, fed.ctypes.data, count, pos, *pointers)
        if status != 0:
            raise RuntimeError(f"native decode step failed (code {status})")
        for layer in cache:
            layer.offset += count
        return mx.array(out)[None]


def agrees(step: NativeDecodeStep, mlx_logits: Any, model: Any) -> bool:
    """A native step, then a native call of several tokens, give the MLX path's logits after the
    same short prompt (prefilled once; each path continues its own copy of the cache)."""
    from mlx_lm.models.cache import make_prompt_cache

    from game.narrator.backends.mlx_backend import compact_copy

    theirs = make_prompt_cache(model)
    mx.eval(model(mx.array([list(range(1, 9))]), cache=theirs))
    ours = compact_copy(theirs)
    for fed in ([5], [5, 9, 2, 7, 3, 11]):
        want = np.array(mlx_logits(mx.array([fed]), theirs), dtype=np.float64).reshape(-1)
        got = np.array(step.forward(fed, ours), dtype=np.float64).reshape(-1)
        scale = max(float(np.abs(want).max()), 1e-6)
        if not np.abs(got - want).max() <= _TOLERANCE * scale:
            return False
    return True
