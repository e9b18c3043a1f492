"""Steps of mlx-lm llama models with a KV cache on the CPU, in a fraction of the MLX operations.

Why: on the CPU, MLX's fused `mx.fast` kernels (rms_norm, rope, scaled_dot_product_attention)
fall back to compositions of small operations. One decode step of SmolLM2-135M built ~4,200
graph nodes (the rotary embedding alone recomputes its frequency table with arange, exp, cos
and sin in every layer, twice), and each node costs MLX's scheduler a few microseconds: more
time than the matrix products themselves once those read quantized weights.

How: for every call with a KV cache (a decode step, a turn's suffix, a room prefix in chunks),
`FastDecodeModel` runs the same mathematics as `mlx_lm.models.llama` with
* the rotary angles computed once per call (not 60 times), from the same frequencies, and
  the rotation written as one elementwise expression;
* the weights' transposed views made once, not per step;
* each layer's norm + q/k/v projections + rotation, and its output projection + norm + MLP,
  as two `mx.compile`d functions shared by every layer (elementwise chains fuse into one
  kernel; the matrix products stay MLX matmuls, so the quantized decode path still applies),
  on 2-D activations (a 3-D matmul input costs a flatten and an unflatten node each) with the
  residual adds folded into `addmm`;
* attention written out directly: the cache's own `update_and_fetch`, query heads grouped by
  key head, a compiled softmax for a decode step, one additive causal mask per call;
* for calls of several tokens, the softmax and the MLP's silu gate from the kernel library
  when there is one (prompt_ops.py: MLX computes `exp` one float at a time);
* `last_logits`: after a prompt, only the last position through the vocabulary projection;
* one-token steps in the kernel library instead, once `use_kernel_step` has attached one that
  agrees with this path (decode_step.py: the whole step in one call, no graph at all).
Calls without a cache, other architectures and Metal go to the wrapped model unchanged
(`supports_fast_decode`). Tests compare its logits with the stock model's.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import mlx.core as mx
import mlx.nn as nn

# Up to this many tokens, `last_logits` (a turn's suffix) runs in the kernel library too when a
# kernel step is attached (one call instead of an MLX graph with a synchronisation per layer).
KERNEL_PROMPT_TOKENS = 512


def supports_fast_decode(model: Any) -> bool:
    """Whether ``model`` is an mlx-lm llama whose layers this module reproduces exactly."""
    try:
        from mlx_lm.models import llama
    except ImportError:
        return False
    if not isinstance(model, llama.Model) or mx.default_device() != mx.cpu:
        return False
    inner = model.model
    if getattr(inner, "swa_idx", None) is not None:
        return False  # sliding-window layers need masks this path does not build
    for layer in inner.layers:
        attn, mlp = layer.self_attn, layer.mlp
        rope = attn.rope
        if type(rope) is not nn.RoPE or rope.dims != attn.head_dim:
            return False
        projections = (attn.q_proj, attn.k_proj, attn.v_proj, attn.o_proj,
                       mlp.gate_proj, mlp.up_proj, mlp.down_proj)
        if any(type(p) is not nn.Linear or "bias" in p for p in projections):
            return False
        if type(layer.input_layernorm) is not nn.RMSNorm or type(layer.post_attention_layernorm) is not nn.RMSNorm:
            return False
    return type(inner.norm) is nn.RMSNorm


def _rms(x: mx.array, weight: mx.array, eps: float) -> mx.array:
    return x * mx.rsqrt(mx.mean(mx.square(x), axis=-1, keepdims=True) + eps) * weight


def _rotate(x: mx.array, cos: mx.array, sin: mx.array, swapped: mx.array) -> mx.array:
    """Rotary embedding as one elementwise expression: x * cos + pair-swapped x * signed sin.

    `cos`/`sin` are laid out per dimension (see `_angles`), `swapped` is x with each rotation
    pair exchanged, so the whole rotation fuses into a single compiled kernel.
    """
    return x * cos + swapped * sin


@mx.compile
def _softmax(scores: mx.array) -> mx.array:
    """Softmax over the last axis as fused elementwise kernels (see jit_flags.py for why)."""
    exp = mx.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


@mx.compile
def _masked_softmax(scores: mx.array, mask: mx.array) -> mx.array:
    scores = scores + mask
    exp = mx.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def _swap_pairs(x: mx.array, traditional: bool) -> mx.array:
    """x with the two members of each rotation pair exchanged (a strided view, no copy)."""
    if traditional:  # pairs are adjacent dimensions (2i, 2i+1)
        return x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)[..., ::-1].reshape(x.shape)
    return mx.concatenate([x[..., x.shape[-1] // 2:], x[..., : x.shape[-1] // 2]], axis=-1)


class PromptOps(Protocol):
    """Steps of multi-token calls done outside MLX's graph (see prompt_ops.KernelPromptOps)."""

    def causal_softmax(self, scores: mx.array, length: int, offset: int) -> mx.array: ...

    def silu_mul(self, gate: mx.array, up: mx.array) -> mx.array: ...


class FastDecodeModel:
    """Wraps an mlx-lm llama `Model`: calls with a KV cache take the short path, others the original.

    Attribute access falls through to the wrapped model, so mlx-lm helpers that read
    `layers`, `make_cache` or `args` keep working.
    """

    fast_decode = True

    def __init__(self, model: Any, prompt_ops: PromptOps | None = None) -> None:
        """``prompt_ops``: the softmax and silu gate of multi-token calls; None = MLX's own."""
        self.inner = model
        self._prompt_ops = prompt_ops
        self._kernel_step: Any = None  # see use_kernel_step
        attn = model.model.layers[0].self_attn
        self._n_heads, self._n_kv = attn.n_heads, attn.n_kv_heads
        self._head_dim, self._scale = attn.head_dim, attn.scale
        rope = attn.rope
        self._traditional, self._rope_scale = rope.traditional, rope.scale
        half = self._head_dim // 2
        # The frequencies exactly as MLX's rope computes them: base ** (-i / half).
        self._freqs = mx.exp(-mx.arange(0.0, half, dtype=mx.float32) * (math.log(rope.base) / half))
        self._eps_in = [layer.input_layernorm.eps for layer in model.model.layers]
        self._eps_post = [layer.post_attention_layernorm.eps for layer in model.model.layers]
        self._pre = {eps: mx.compile(self._make_pre(eps)) for eps in set(self._eps_in)}
        self._post = {eps: mx.compile(self._make_post(eps)) for eps in set(self._eps_post)}
        self._post_gates = {eps: mx.compile(self._make_post_gates(eps)) for eps in set(self._eps_post)}
        self._final = mx.compile(self._make_final(model.model.norm.eps))
        # Transposed views made once: each step then multiplies by a ready operand instead of
        # adding a transpose node per projection (they share the weights' buffers).
        self._weights = [
            [proj.weight.T for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj,
                                        layer.self_attn.o_proj, layer.mlp.gate_proj, layer.mlp.up_proj,
                                        layer.mlp.down_proj)]
            for layer in model.model.layers
        ]
        tied = model.args.tie_word_embeddings
        self._head_t = (model.model.embed_tokens.weight if tied else model.lm_head.weight).T
        mx.eval(self._weights, self._head_t)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    # -------------------------------------------------------------- the compiled pieces

    def _make_pre(self, eps: float):
        n_heads, n_kv, head_dim, scale = self._n_heads, self._n_kv, self._head_dim, self._scale
        traditional = self._traditional

        def pre(x, norm, wq_t, wk_t, wv_t, cos, sin):
            length = x.shape[0]
            h = _rms(x, norm, eps)
            q = (h @ wq_t).reshape(length, n_heads, head_dim)
            k = (h @ wk_t).reshape(length, n_kv, head_dim)
            q = _rotate(q, cos, sin, _swap_pairs(q, traditional)) * scale
            k = _rotate(k, cos, sin, _swap_pairs(k, traditional))
            v = (h @ wv_t).reshape(length, n_kv, head_dim)
            if length == 1:  # a decode step: no transposes needed (each costs a graph node)
                return (q.reshape(1, n_kv, n_heads // n_kv, head_dim), k.reshape(1, n_kv, 1, head_dim),
                        v.reshape(1, n_kv, 1, head_dim))
            # Queries grouped by key head: rows (repeat, position) of each key head's block.
            return (q.transpose(1, 0, 2).reshape(1, n_kv, (n_heads // n_kv) * length, head_dim),
                    k.transpose(1, 0, 2)[None], v.transpose(1, 0, 2)[None])

        return pre

    @staticmethod
    def _make_post_gates(eps: float):
        """The layer after attention up to the MLP's two products (a kernel silu gate can go
        between them and the down projection; `post` does all of it in one function)."""
        def post_gates(x, attn, wo_t, norm, wg_t, wu_t):
            h = mx.addmm(x, attn, wo_t)  # the residual add inside the product: one operation
            m = _rms(h, norm, eps)
            return h, m @ wg_t, m @ wu_t

        return post_gates

    @classmethod
    def _make_post(cls, eps: float):
        post_gates = cls._make_post_gates(eps)

        def post(x, attn, wo_t, norm, wg_t, wu_t, wd_t):
            h, gate, up = post_gates(x, attn, wo_t, norm, wg_t, wu_t)
            return mx.addmm(h, nn.silu(gate) * up, wd_t)

        return post

    @staticmethod
    def _make_final(eps: float):
        def final(h, norm, head_t):
            return _rms(h, norm, eps) @ head_t

        return final

    # -------------------------------------------------------------- the step

    def use_kernel_step(self, step: Any) -> bool:
        """Let ``step`` (a decode_step.KernelDecodeStep) compute one-token steps from now on,
        if its logits agree with this path's on a short prompt; returns whether it was taken."""
        from game.accel.decode_step import agrees

        if step is None or not agrees(step, self.last_logits, self):
            return False
        self._kernel_step = step
        return True

    @property
    def rope_frequencies(self) -> mx.array:
        """The rotary frequencies this path uses (a kernel step must rotate with the same ones)."""
        return self._freqs

    @property
    def kernel_steps(self) -> bool:
        """Whether one-token steps run in the kernel library (decode_step.py)."""
        return self._kernel_step is not None

    def _step_for(self, inputs: mx.array, cache: Any, most: int = 1) -> Any:
        """The kernel step for this call, if it feeds 1..``most`` tokens to a cache it can extend."""
        step = self._kernel_step
        if step is not None and inputs.ndim == 2 and inputs.shape[0] == 1 and 1 <= inputs.shape[1] <= most \
                and step.handles(cache):
            return step
        return None

    def __call__(self, inputs: mx.array, cache: Any = None, input_embeddings: mx.array | None = None) -> mx.array:
        if input_embeddings is not None or cache is None or inputs.ndim != 2 or inputs.shape[0] != 1:
            return self.inner(inputs, cache=cache, input_embeddings=input_embeddings)
        if (step := self._step_for(inputs, cache)) is not None:
            return step.logits(int(inputs[0, 0].item()), cache)[None]
        return self._final(self._layers(inputs, cache), self.inner.model.norm.weight, self._head_t)[None]

    def last_logits(self, inputs: mx.array, cache: Any) -> mx.array:
        """Logits of the last position only, (1, vocab): what sampling needs after a prompt.

        The vocabulary projection of every other position (57 x 49,152 x 576 for a typical
        turn) is skipped; MLX cannot push a slice through a matrix product by itself.
        """
        if inputs.ndim != 2 or inputs.shape[0] != 1:
            return self.inner(inputs, cache=cache)[:, -1, :]
        if (step := self._step_for(inputs, cache, KERNEL_PROMPT_TOKENS)) is not None:
            return step.forward([int(t) for t in inputs[0].tolist()], cache)
        hidden = self._layers(inputs, cache)
        return self._final(hidden[-1:], self.inner.model.norm.weight, self._head_t)

    def _layers(self, inputs: mx.array, cache: Any) -> mx.array:
        """The hidden state after every layer, (length, dims), with the cache updated."""
        model = self.inner.model
        length = inputs.shape[1]
        offset = cache[0].offset
        cos, sin = self._angles(offset, length)
        ops = self._prompt_ops if length > 1 else None
        mask = self._causal_mask(offset, length) if ops is None else None
        h = model.embed_tokens(inputs[0])  # (length, dims): 2-D products need no reshapes around them
        for layer, layer_cache, weights, eps_in, eps_post in zip(
                model.layers, cache, self._weights, self._eps_in, self._eps_post):
            q, k, v = self._pre[eps_in](h, layer.input_layernorm.weight, *weights[:3], cos, sin)
            keys, values = layer_cache.update_and_fetch(k, v)
            scores = q @ keys.swapaxes(-1, -2)
            if ops is not None:
                probs = ops.causal_softmax(scores, length, offset)
            else:
                probs = _softmax(scores) if mask is None else _masked_softmax(scores, mask)
            out = probs @ values
            if length == 1:
                out = out.reshape(1, -1)
            else:
                out = out.reshape(self._n_heads, length, self._head_dim).transpose(1, 0, 2).reshape(length, -1)
            if ops is not None:
                h, gate, up = self._post_gates[eps_post](h, out, weights[3], layer.post_attention_layernorm.weight,
                                                         *weights[4:6])
                h = mx.addmm(h, ops.silu_mul(gate, up), weights[6])
            else:
                h = self._post[eps_post](h, out, weights[3], layer.post_attention_layernorm.weight, *weights[4:])
        return h

    def _angles(self, offset: int, length: int) -> tuple[mx.array, mx.array]:
        """cos and signed sin of every dimension's rotary angle at positions offset.. (length, dims).

        Dimension d pairs with its partner p(d); rotating gives x[d] * cos - x[p] * sin for the
        first member of a pair and x[d] * cos + x[p] * sin for the second.
        """
        if length == 1:
            positions = mx.array([offset * self._rope_scale], dtype=mx.float32)
        else:
            positions = mx.arange(offset, offset + length, dtype=mx.float32) * self._rope_scale
        theta = positions[:, None] * self._freqs[None, :]
        cos, sin = mx.cos(theta), mx.sin(theta)
        if self._traditional:  # pairs (2i, 2i+1)
            cos2, sin2 = mx.repeat(cos, 2, axis=-1), mx.stack([-sin, sin], axis=-1).reshape(length, -1)
        else:
            cos2, sin2 = mx.concatenate([cos, cos], axis=-1), mx.concatenate([-sin, sin], axis=-1)
        return cos2[:, None, :], sin2[:, None, :]

    def _causal_mask(self, offset: int, length: int) -> mx.array | None:
        """Additive mask for the grouped query rows (repeat, position): row i sees keys <= offset + i."""
        if length == 1:
            return None
        rows = mx.arange(offset, offset + length)[:, None]
        allowed = mx.arange(offset + length)[None, :] <= rows
        mask = mx.where(allowed, mx.array(0.0, dtype=mx.float32), mx.array(-mx.inf, dtype=mx.float32))
        return mx.tile(mask, (self._n_heads // self._n_kv, 1))
