"""The seam between the narrator's generation stage and a model runtime.

`generation/` (the prefix cache, the token loop, checked generation) needs a handful of
token-level operations from a model: load it, make a KV cache, run tokens through it (for their logits,
or only to fill it), trim or copy it, and keep it in a file. `ModelBackend` names exactly those,
so that the generation code is written once and a runtime other than MLX (a model server, a
grounded runtime) plugs in here. `mlx_backend.MLXBackend` is the one implementation today.

A cache is the runtime's own object, opaque to the generation code; it is one entry per layer
because a failed forward pass can leave layers at different lengths, and the prefix cache must
see that to rewind correctly. Tokens and logits are MLX arrays: the samplers and logits
processors of `generation/` are MLX code.

Thread rule: a backend and its caches belong to the thread that created them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import mlx.core as mx
    from mlx_lm.tokenizer_utils import TokenizerWrapper

Cache = list[Any]
"""A KV cache as its backend makes it: one backend-specific object per layer."""
ProgressFn = Callable[[str, float], None]
"""Loading progress: a message for the player and the fraction done."""


class CacheFileRejected(Exception):
    """A cache file that must not be used (another format, model layout, or damaged); the
    message says why, for the log."""


@runtime_checkable
class ModelBackend(Protocol):
    """A token-level model runtime (see the module docstring)."""

    model_id: str           # stable across runs: names the cache folder, checked in cache files
    tokenizer: TokenizerWrapper  # the model's Hugging Face tokenizer, as mlx-lm wraps it
    cache_file_suffix: str  # the file name ending of `save_cache`'s format (".safetensors")

    @classmethod
    def load(cls, spec: str | None, progress: ProgressFn | None = None) -> ModelBackend:
        """The model that `spec` names (None: the default one), ready to run. Call it on the
        thread that will use the backend."""
        ...

    def make_cache(self) -> Cache:
        """An empty KV cache for this model."""
        ...

    def forward(self, tokens: mx.array, cache: Cache) -> mx.array:
        """Run the 1-D `tokens` through `cache` (extended in place); the logits of the last
        position, shape (1, vocabulary), not yet evaluated. The decoding hot path: one call
        per token."""
        ...

    def extend(self, tokens: Sequence[int], cache: Cache) -> None:
        """Run `tokens` through `cache` and evaluate it (prefill: no logits wanted)."""
        ...

    def positions(self, cache: Cache) -> list[int]:
        """How many positions each layer holds."""
        ...

    def can_trim(self, cache: Cache) -> bool:
        """Whether `trim_cache` works on this cache (rotating or recurrent layers cannot)."""
        ...

    def trim_cache(self, cache: Cache, length: int) -> None:
        """Cut every layer longer than `length` back to it, in place (no copy, no recompute)."""
        ...

    def copy_cache(self, cache: Cache) -> Cache:
        """An independent, evaluated copy holding only the used positions."""
        ...

    def cache_nbytes(self, cache: Cache) -> int:
        """Bytes the cache holds (allocated, not just used)."""
        ...

    def save_cache(self, path: Path, cache: Cache, length: int, metadata: dict[str, str]) -> None:
        """Write the first `length` positions of `cache` and `metadata` to `path`."""
        ...

    def load_cache(self, path: Path, length: int) -> tuple[Cache, dict[str, str]]:
        """A cache of `length` positions and its metadata, read from a `save_cache` file.
        Raises CacheFileRejected when the file does not fit this model, or any error the
        reading raised."""
        ...
