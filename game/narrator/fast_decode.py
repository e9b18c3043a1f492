"""One-token decode steps of mlx-lm llama models on the CPU, in a fraction of the MLX operations.

Why: on the CPU, MLX's fused `mx.fast` kernels (rms_norm, rope, scaled_dot_product_attention)
fall back to compositions of small operations. One decode step of SmolLM2-135M built ~4,200
graph nodes (the rotary embedding alone recomputes its frequency table with arange, exp, cos
and sin in every layer, twice), and each node costs MLX's scheduler a few microseconds: more
time than the matrix products themselves once those read quantized weights.

How: for a single new token with a KV cache, `FastDecodeModel` runs the same mathematics as
`mlx_lm.models.llama` with
* the rotary angles computed once per step (not 60 times), from the same frequencies;
* each layer's norm + q/k/v projections + rotation, and its output projection + norm + MLP,
  as two `mx.compile`d functions shared by every layer (elementwise chains fuse into one
  kernel; the matrix products stay MLX matmuls, so the quantized decode path still applies);
* attention written out directly (the cache's own `update_and_fetch`, one matmul per side).
Everything else (prompts of more than one token, other architectures, Metal) goes to the
wrapped model unchanged. Tests compare its logits with the stock model's.
"""

from __future__ import annotations

import math
from typing import Any

import mlx.core as mx
import mlx.nn as nn


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


def _rotate(x: mx.array, cos: mx.array, sin: mx.array) -> mx.array:
    """Rotary embedding, "traditional" layout (pairs of adjacent dimensions): x is (..., dims/2, 2)."""
    x1, x2 = x[..., 0], x[..., 1]
    return mx.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


def _rotate_halves(x: mx.array, cos: mx.array, sin: mx.array) -> mx.array:
    """Rotary embedding, default layout (first half pairs with second half): x is (..., dims)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return mx.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


class FastDecodeModel:
    """Wraps an mlx-lm llama `Model`: one-token steps take the short path, all else the original.

    Attribute access falls through to the wrapped model, so mlx-lm helpers that read
    `layers`, `make_cache` or `args` keep working.
    """

    fast_decode = True

    def __init__(self, model: Any) -> None:
        self.inner = model
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
        self._final = mx.compile(self._make_final(model.model.norm.eps))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    # -------------------------------------------------------------- the compiled pieces

    def _make_pre(self, eps: float):
        n_heads, n_kv, head_dim, scale = self._n_heads, self._n_kv, self._head_dim, self._scale
        rotate = _rotate if self._traditional else _rotate_halves
        shape_q = (n_heads, head_dim // 2, 2) if self._traditional else (n_heads, head_dim)
        shape_k = (n_kv, head_dim // 2, 2) if self._traditional else (n_kv, head_dim)

        def pre(x, norm, wq, wk, wv, cos, sin):
            h = _rms(x, norm, eps)
            q = rotate((h @ wq.T).reshape(shape_q), cos, sin) * scale
            k = rotate((h @ wk.T).reshape(shape_k), cos, sin)
            v = h @ wv.T
            return (q.reshape(1, n_kv, n_heads // n_kv, head_dim), k.reshape(1, n_kv, 1, head_dim),
                    v.reshape(1, n_kv, 1, head_dim))

        return pre

    @staticmethod
    def _make_post(eps: float):
        def post(x, attn, wo, norm, wg, wu, wd):
            h = x + attn @ wo.T
            m = _rms(h, norm, eps)
            return h + (nn.silu(m @ wg.T) * (m @ wu.T)) @ wd.T

        return post

    @staticmethod
    def _make_final(eps: float):
        def final(h, norm, head):
            return _rms(h, norm, eps) @ head.T

        return final

    # -------------------------------------------------------------- the step

    def __call__(self, inputs: mx.array, cache: Any = None, input_embeddings: mx.array | None = None) -> mx.array:
        if input_embeddings is not None or cache is None or inputs.shape != (1, 1):
            return self.inner(inputs, cache=cache, input_embeddings=input_embeddings)
        model = self.inner.model
        theta = (cache[0].offset * self._rope_scale) * self._freqs
        cos, sin = mx.cos(theta), mx.sin(theta)
        h = model.embed_tokens(inputs)
        for layer, layer_cache, eps_in, eps_post in zip(model.layers, cache, self._eps_in, self._eps_post):
            attn, mlp = layer.self_attn, layer.mlp
            q, k, v = self._pre[eps_in](h, layer.input_layernorm.weight, attn.q_proj.weight,
                                         attn.k_proj.weight, attn.v_proj.weight, cos, sin)
            keys, values = layer_cache.update_and_fetch(k, v)
            scores = mx.softmax(q @ keys.swapaxes(-1, -2), axis=-1, precise=True)
            out = (scores @ values).reshape(1, 1, -1)
            h = self._post[eps_post](h, out, attn.o_proj.weight, layer.post_attention_layernorm.weight,
                                     mlp.gate_proj.weight, mlp.up_proj.weight, mlp.down_proj.weight)
        tied = self.inner.args.tie_word_embeddings
        head = model.embed_tokens.weight if tied else self.inner.lm_head.weight
        return self._final(h, model.norm.weight, head)
