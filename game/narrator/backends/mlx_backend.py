"""`ModelBackend` on an mlx-lm model: mlx-lm's KV caches, its forward pass, safetensors files.

The model is taken as loaded (`mlx_model.load_narrator_model`, or a test's tiny model); this
module only runs it. What it knows that the generation code must not: the cache classes and
their `offset`/`trim`, how a cache is copied without its unused capacity, and the file format
(mlx-lm's `save_prompt_cache` plus a format version, a checksum and spare room for a turn).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import mlx.core as mx
import numpy as np
from mlx_lm.models.cache import (
    KVCache,
    can_trim_prompt_cache,
    load_prompt_cache,
    make_prompt_cache,
    save_prompt_cache,
    trim_prompt_cache,
)

from game.narrator.backends.protocol import Cache, CacheFileRejected, ProgressFn

if TYPE_CHECKING:
    from mlx_lm.tokenizer_utils import TokenizerWrapper

FORMAT_VERSION = "2"  # 2: KV layers saved with room for a turn after the prefix (padded)

# Free positions saved after a prefix: a turn's suffix (~45-90 tokens) and its narration (72 by
# default) fit without growing the cache; a longer turn grows it as usual.
ROOM_AFTER_LOAD = 192


class MLXModel(Protocol):
    """An mlx-lm model, or a wrapper of one (the accelerator's): tokens (1, n) -> logits (1, n, V)."""

    def __call__(self, inputs: mx.array, cache: Cache | None = None) -> mx.array: ...


class LoadedModelLike(Protocol):
    """What a model loader hands over (`mlx_model.LoadedModel`, or a test's tiny model)."""

    model: MLXModel
    tokenizer: TokenizerWrapper
    model_id: str


def _arrays(state: Any) -> list[mx.array]:
    if isinstance(state, mx.array):
        return [state]
    if isinstance(state, (list, tuple)):
        return [a for s in state for a in _arrays(s)]
    return []


def compact_copy(cache: Sequence[Any]) -> list[Any]:
    """An independent copy holding only the used part (offset) of each layer's cache.

    MLX arrays are values: the copy's later in-place updates cannot reach the original.
    """
    out: list[Any] = []
    for c in cache:
        if isinstance(c, KVCache) and type(c) is KVCache:
            n = KVCache()
            if c.keys is not None:
                n.keys = mx.array(c.keys[..., : c.offset, :])
                n.values = mx.array(c.values[..., : c.offset, :])
            n.offset = c.offset
            out.append(n)
        else:  # other cache kinds: copy the full state and meta state
            n = type(c).__new__(type(c))
            n.state = [mx.array(a) if isinstance(a, mx.array) else a for a in c.state]
            if hasattr(c, "meta_state"):
                n.meta_state = c.meta_state
            out.append(n)
    mx.eval([a for c in out for a in _arrays(c.state)])
    return out


def cache_nbytes(cache: Sequence[Any]) -> int:
    """Bytes held by a prompt cache (allocated buffers, not just the used part)."""
    total = 0
    for c in cache:
        try:
            total += int(c.nbytes)
        except (NotImplementedError, AttributeError):
            total += sum(int(a.nbytes) for a in _arrays(c.state))
    return total


def cache_offset(cache: Sequence[Any]) -> int:
    """Tokens currently in the cache (the first layer speaks for all)."""
    return int(getattr(cache[0], "offset", 0)) if cache else 0


def add_room(cache: Sequence[Any], room: int) -> None:
    """Give each KV layer of ``cache`` (a copy the caller owns) ``room`` zero positions after
    its tokens, marked as used so that `save_prompt_cache` writes them.

    Why: a cache loaded exactly full is grown by mlx-lm's KVCache inside the first turn, which
    copies all of it, and in a fresh process that copy and the loaded arrays are both new
    memory (docs/narrator.md has the figures). The loader marks the padding free again
    (`offset`), keeping the capacity.
    """
    for layer in cache:
        if type(layer) is not KVCache or layer.keys is None:
            continue
        used = layer.offset  # positions past it (trimmed ones) are dropped, not saved
        layer.keys, layer.values = (
            mx.concatenate([a[..., :used, :], mx.zeros((*a.shape[:2], room, a.shape[3]), a.dtype)], axis=2)
            for a in (layer.keys, layer.values))
        layer.offset = used + room
    mx.eval([(layer.keys, layer.values) for layer in cache if type(layer) is KVCache])


def checksum(cache: Sequence[Any]) -> str:
    """CRC-32 over every array's shape and bytes: catches bit rot and truncation inside the data
    (not tampering: the cache is ours). CRC-32 rather than sha256 because it runs on the
    player's time whenever a room's cache comes from disk, and it is twice as fast."""
    crc = 0
    for a in _arrays([c.state for c in cache]):
        arr = np.asarray(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a)
        crc = zlib.crc32(str(arr.shape).encode(), crc)
        crc = zlib.crc32(memoryview(np.ascontiguousarray(arr)).cast("B"), crc)  # no bytes copy
    return f"crc32:{crc:08x}"


def _layer_shape(layer: Any) -> tuple[int, ...]:
    """A layer's per-token array shape (batch, heads, head dims), without its length."""
    arrays = _arrays(layer.state)
    return tuple(arrays[0].shape[:2]) + tuple(arrays[0].shape[3:]) if arrays else ()


class MLXBackend:
    """A `ModelBackend` running an mlx-lm model (or a wrapper with `last_logits`) on its caches.

    `loaded` (what the loader returned) is held for the backend's lifetime: a `LoadedModel`'s
    `accel` keeps the accelerator's quantized weights registered, and dropping it would
    unregister them (decoding then falls back to the float32 weights, several times slower).
    """

    cache_file_suffix = ".safetensors"

    def __init__(self, model: MLXModel, tokenizer: TokenizerWrapper | None = None, model_id: str = "",
                 loaded: LoadedModelLike | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.loaded = loaded
        # A wrapper that computes only the last position's logits, when the model has one.
        self._last_logits: Callable[[mx.array, Cache], mx.array] | None = \
            getattr(model, "last_logits", None)
        self._layout = self._reference_layout()

    @property
    def status_note(self) -> str:
        """What the CPU accelerator could not do for this model ("" when nothing fell back)."""
        return getattr(self.loaded, "status_note", "") if self.loaded is not None else ""

    @classmethod
    def from_loaded(cls, loaded: LoadedModelLike) -> MLXBackend:
        return cls(loaded.model, loaded.tokenizer, loaded.model_id, loaded=loaded)

    @classmethod
    def load(cls, spec: str | None, progress: ProgressFn | None = None) -> MLXBackend:
        """The model resolved, converted and accelerated by `mlx_model.load_narrator_model`."""
        from game.narrator.backends.mlx_model import load_narrator_model

        return cls.from_loaded(load_narrator_model(spec, progress))

    # ---------------------------------------------------------------- running the model
    def make_cache(self) -> Cache:
        return make_prompt_cache(self.model)

    def forward(self, tokens: mx.array, cache: Cache) -> mx.array:
        if self._last_logits is not None:
            return self._last_logits(tokens[None], cache)
        return self.model(tokens[None], cache=cache)[:, -1, :]

    def extend(self, tokens: Sequence[int], cache: Cache) -> None:
        self.model(mx.array(list(tokens), dtype=mx.uint32)[None], cache=cache)
        mx.eval([c.state for c in cache])

    # ---------------------------------------------------------------- caches in memory
    def positions(self, cache: Cache) -> list[int]:
        return [int(getattr(layer, "offset", 0)) for layer in cache]

    def can_trim(self, cache: Cache) -> bool:
        return can_trim_prompt_cache(cache)

    def trim_cache(self, cache: Cache, length: int) -> None:
        for layer in cache:
            offset = int(layer.offset)
            if offset > length:
                layer.trim(offset - length)

    def copy_cache(self, cache: Cache) -> Cache:
        return compact_copy(cache)

    def cache_nbytes(self, cache: Cache) -> int:
        return cache_nbytes(cache)

    # ---------------------------------------------------------------- cache files
    def save_cache(self, path: Path, cache: Cache, length: int, metadata: dict[str, str]) -> None:
        """The file holds `length` positions plus `ROOM_AFTER_LOAD` free ones (see `add_room`)."""
        compact = compact_copy(cache)
        if cache_offset(compact) != length:
            trim_prompt_cache(compact, cache_offset(compact) - length)
        add_room(compact, ROOM_AFTER_LOAD)
        save_prompt_cache(str(path), compact,
                          {**metadata, "format_version": FORMAT_VERSION, "checksum": checksum(compact)})

    def load_cache(self, path: Path, length: int) -> tuple[Cache, dict[str, str]]:
        cache, meta = load_prompt_cache(str(path), return_metadata=True)
        problem = self._problem(cache, meta, length)
        if problem is not None:
            raise CacheFileRejected(problem)
        for layer in cache:  # the saved padding: capacity for the next turn, not tokens
            if int(getattr(layer, "offset", length)) > length and can_trim_prompt_cache([layer]):
                layer.trim(layer.offset - length)
        return cache, meta

    def _reference_layout(self) -> list[tuple[str, tuple[int, ...]]]:
        """Cache class and per-token shape of each layer, from one token run through the model."""
        probe = make_prompt_cache(self.model)
        self.model(mx.array([[0]], dtype=mx.uint32), cache=probe)
        return [(type(c).__name__, _layer_shape(c)) for c in probe]

    def _problem(self, cache: list[Any], meta: dict[str, str], length: int) -> str | None:
        """Why a loaded cache does not fit this model and `length` tokens, or None."""
        if meta.get("format_version") != FORMAT_VERSION:
            return f"format version {meta.get('format_version')!r} != {FORMAT_VERSION}"
        if len(cache) != len(self._layout):
            return f"{len(cache)} layers, the model has {len(self._layout)}"
        for c, (cls, shape) in zip(cache, self._layout):
            arrays = _arrays(c.state)
            if type(c).__name__ != cls or not arrays:
                return f"cache class {type(c).__name__}, expected {cls}"
            a = arrays[0]
            if _layer_shape(c) != shape or cache_offset([c]) < length or a.shape[2] < length:
                return f"layer shape {tuple(a.shape)} does not fit {length} tokens of this model"
        if meta.get("checksum") != checksum(cache):
            return "checksum mismatch (damaged file)"
        return None
