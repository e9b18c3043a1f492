"""KV caches of prompt prefixes: prefilled once, reused for every action, kept in memory and on disk.

Why: a room's prefix (rules, exemplars, location) is ~600 tokens and identical for every action
there, while the per-turn suffix is ~50. Prefilling the prefix once and reusing its KV cache makes
the time to first token depend on the suffix only. Reuse is by *trimming*: after a narration the
entry's cache holds prefix + suffix + generated tokens, and the next checkout trims it back to the
prefix length (a counter change, no copy, no recompute), or, given the tokens about to follow
the prefix, to the longest run of them the cache already holds (as llama.cpp reuses the common
prefix of consecutive prompts: the next turn's suffix often starts with the same items and
inventory lines), so only the rest is prefilled. A new room is built by *copying* the
cache of the longest stored prefix of its tokens (normally the world's shared rules + exemplars)
and prefilling only the rest.

Memory is bounded by a byte budget (least recently used entries are dropped). Entries are saved
with `save_prompt_cache` plus metadata (format version, model id, prefix hash, token count and a
checksum of the arrays) and loaded by later runs; a file whose metadata, shapes or checksum do not
match is ignored, deleted and rebuilt, never trusted.

Thread rule: an instance belongs to the thread that owns the model (MLX arrays must not cross
threads). Nothing here is locked; the worker is the only caller.
"""

from __future__ import annotations

import logging
import os
import re
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import mlx.core as mx
import numpy as np
from mlx_lm.generate import generate_step
from mlx_lm.models.cache import (
    KVCache,
    can_trim_prompt_cache,
    load_prompt_cache,
    make_prompt_cache,
    save_prompt_cache,
    trim_prompt_cache,
)

from game.narrator.prompt.builder import common_prefix_len, token_hash

log = logging.getLogger(__name__)

FORMAT_VERSION = "2"  # 2: KV layers saved with room for a turn after the prefix (padded)
FILE_SUFFIX = ".safetensors"

StopFn = Callable[[], bool]
ProgressFn = Callable[[int, int], None]


class PrefillInterrupted(Exception):
    """`should_stop` returned True between two prefill chunks; the work done so far is kept."""


@dataclass
class CacheEntry:
    """One prefilled prefix. `cache` may hold extra tokens after use; `n_tokens` is the prefix."""

    key: str
    n_tokens: int
    cache: list[Any]
    nbytes: int
    dirty: bool = True  # not yet on disk
    last_used: float = field(default_factory=time.monotonic)
    # Tokens known to follow the prefix in `cache` (what the last user fed): the first
    # len(tail) positions after the prefix hold exactly these, or the tail is cut shorter.
    tail: tuple[int, ...] = ()
    checkouts: int = 0  # times handed out: only the latest checkout may record its tail


@dataclass(frozen=True)
class Checkout:
    """A cache positioned exactly at the end of the requested prefix, and how it was obtained.

    The cache belongs to the store: extend it freely for one generation; the next call to the
    store trims it back (or drops it). `prefilled` counts the tokens run through the model now.
    """

    cache: list[Any]
    source: str          # "hit" | "disk" | "partial" | "miss"
    prefilled: int
    n_tokens: int
    key: str = ""
    reused: int = 0      # leading tokens of the requested continuation already in `cache`
    checkout: int = 0    # which checkout of the entry this is (see remember_tail)


def cache_nbytes(cache: Sequence[Any]) -> int:
    """Bytes held by a prompt cache (allocated buffers, not just the used part)."""
    total = 0
    for c in cache:
        try:
            total += int(c.nbytes)
        except (NotImplementedError, AttributeError):
            total += sum(int(a.nbytes) for a in _arrays(c.state))
    return total


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


# Free positions saved after a prefix: a turn's suffix (~45-90 tokens) and its narration (72 by
# default) fit without growing the cache; a longer turn grows it as usual.
ROOM_AFTER_LOAD = 192


def add_room(cache: Sequence[Any], room: int) -> None:
    """Give each KV layer of ``cache`` (a copy the caller owns) ``room`` zero positions after
    its tokens, marked as used so that `save_prompt_cache` writes them.

    Why: a cache loaded exactly full is grown by mlx-lm's KVCache inside the first turn, which
    copies all of it, and in a fresh process that copy and the loaded arrays are both new
    memory: 83-139 ms against 30-41 ms for loading a padded file (same process, 852 tokens of
    SmolLM2). The loader trims the padding off again (`offset`), keeping the capacity.
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


def cache_offset(cache: Sequence[Any]) -> int:
    """Tokens currently in the cache (the first layer speaks for all)."""
    return int(getattr(cache[0], "offset", 0)) if cache else 0


def prefill(model: Any, cache: list[Any], tokens: Sequence[int], chunk: int = 256,
            should_stop: StopFn | None = None, progress: ProgressFn | None = None) -> int:
    """Run `tokens` through the model into `cache`, `chunk` tokens at a time.

    Uses mlx-lm's `generate_step` with `max_tokens=0` (it processes the whole prompt into the
    cache and returns), one chunk per call so that `should_stop` is checked between chunks.
    Returns the number of tokens processed; raises PrefillInterrupted (the cache then holds the
    chunks already done).
    """
    done = 0
    total = len(tokens)
    while done < total:
        if should_stop is not None and should_stop():
            raise PrefillInterrupted(done)
        part = mx.array(list(tokens[done: done + chunk]), dtype=mx.uint32)
        for _ in generate_step(part, model, max_tokens=0, prompt_cache=cache,
                               prefill_step_size=chunk):
            pass
        mx.eval([a for c in cache for a in _arrays(c.state)])
        done += len(part)
        if progress is not None:
            progress(done, total)
    return done


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "model"


def _checksum(cache: Sequence[Any]) -> str:
    """CRC-32 over every array's shape and bytes: catches bit rot and truncation inside the data
    (not tampering: the cache is ours). Twice as fast as sha256 (12 vs 25 ms per 39 MB), and it
    runs on the player's time whenever a room's cache comes from disk."""
    crc = 0
    for a in _arrays([c.state for c in cache]):
        arr = np.asarray(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a)
        crc = zlib.crc32(str(arr.shape).encode(), crc)
        crc = zlib.crc32(memoryview(np.ascontiguousarray(arr)).cast("B"), crc)  # no bytes copy
    return f"crc32:{crc:08x}"


class PrefixCacheStore:
    """In-memory LRU of prefix KV caches for one model, backed by a folder of cache files.

    `budget_bytes` bounds memory (0 disables the in-memory cache beyond the entry in use);
    `directory` None disables persistence.
    """

    def __init__(self, model: Any, model_id: str, budget_bytes: int,
                 directory: Path | None = None, disk_budget_bytes: int = 2 << 30) -> None:
        self.model = model
        self.model_id = model_id
        self.budget_bytes = budget_bytes
        self.disk_budget_bytes = disk_budget_bytes
        self.directory = directory / _safe_name(model_id) if directory is not None else None
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._partial: tuple[str, tuple[int, ...], list[Any]] | None = None
        self._layout = self._reference_layout()
        self.rejected_files: list[str] = []  # cache files ignored (corrupt, foreign, stale)

    # ---------------------------------------------------------------- public
    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())

    def keys(self) -> list[str]:
        """Keys in LRU order (least recent first)."""
        return list(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def in_memory(self, tokens: Sequence[int]) -> bool:
        return token_hash(tokens) in self._entries

    def has(self, tokens: Sequence[int]) -> bool:
        """True when this prefix is ready in memory or (probably) on disk."""
        key = token_hash(tokens)
        return key in self._entries or (self._path(key) is not None and self._path(key).is_file())

    def get_or_prefill(self, tokens: Sequence[int], checkpoints: Sequence[int] = (),
                       should_stop: StopFn | None = None, chunk: int = 256,
                       progress: ProgressFn | None = None,
                       continuation: Sequence[int] = ()) -> Checkout:
        """A cache holding exactly `tokens`: from memory, from disk, or prefilled now.

        `continuation`: the tokens the caller will feed next. The cache then also keeps the
        leading ones of them that it already holds from the last use (`Checkout.reused`, never
        all of them: the caller needs at least one token to run); report what was fed with
        `remember_tail`.

        `checkpoints` are lengths of shared sub-prefixes (e.g. the world's rules + exemplars):
        each is cached as an entry of its own so that other prefixes starting with it only
        prefill the rest. Raises PrefillInterrupted if `should_stop` fires; calling again with
        the same tokens resumes where it stopped.
        """
        tokens = tuple(int(t) for t in tokens)
        key = token_hash(tokens)
        entry = self._entries.get(key)
        if entry is not None:
            rewound = self._rewind(entry, continuation)
            if rewound is not None:
                return Checkout(rewound[0], "hit", 0, entry.n_tokens, key, rewound[1], entry.checkouts)
        entry = self._load(key, len(tokens))
        if entry is not None:
            rewound = self._rewind(entry)
            if rewound is not None:
                return Checkout(rewound[0], "disk", 0, entry.n_tokens, key, 0, entry.checkouts)

        prefilled = 0
        source = "miss"
        start: list[Any] | None = None
        start_len = 0
        offsets = {int(getattr(c, "offset", -1)) for c in self._partial[2]} \
            if self._partial is not None else set()
        if self._partial is not None and self._partial[0] == key and len(offsets) == 1:
            start, start_len, source = self._partial[2], offsets.pop(), "partial"
        else:
            for cp in sorted({c for c in checkpoints if 0 < c < len(tokens)}, reverse=True):
                sub = tokens[:cp]
                sub_key = token_hash(sub)
                if sub_key in self._entries or self._path_exists(sub_key):
                    got = self.get_or_prefill(sub, should_stop=should_stop, chunk=chunk)
                else:  # build the shared part first, as its own entry, then branch from it
                    got = self.get_or_prefill(sub, should_stop=should_stop, chunk=chunk,
                                              progress=progress)
                    prefilled += got.prefilled
                start, start_len = compact_copy(got.cache), cp
                source = "partial" if got.source != "miss" else "miss"
                break
        if start is None:
            start = make_prompt_cache(self.model)
        self._partial = (key, tokens, start)
        try:
            prefilled += prefill(self.model, start, tokens[start_len:], chunk, should_stop,
                                 progress)
        except PrefillInterrupted as stop:
            raise PrefillInterrupted(prefilled + int(stop.args[0])) from None
        self._partial = None
        entry = CacheEntry(key, len(tokens), start, cache_nbytes(start))
        self._insert(entry)
        rewound = self._rewind(entry)
        return Checkout(rewound[0] if rewound else start, source, prefilled, entry.n_tokens, key, 0,
                        entry.checkouts)

    def remember_tail(self, checkout: Checkout, fed: Sequence[int]) -> None:
        """Record the tokens fed after the prefix into `checkout.cache` (continuation first).

        Only what the cache can hold is kept (its offset bounds it), so a generation stopped
        half-way, whose last token was never run, still leaves a true record. A checkout that is
        not the entry's latest (its cache has been rewound for someone else since) records
        nothing.
        """
        entry = self._entries.get(checkout.key)
        if entry is None or entry.cache is not checkout.cache or entry.checkouts != checkout.checkout:
            return
        offsets = {int(getattr(layer, "offset", -1)) for layer in entry.cache}
        held = offsets.pop() - entry.n_tokens if len(offsets) == 1 else 0
        entry.tail = tuple(int(t) for t in fed)[:max(held, 0)]

    def flush(self, should_stop: StopFn | None = None) -> int:
        """Write entries not yet on disk; returns how many were written. Call when idle."""
        if self.directory is None:
            return 0
        written = 0
        for entry in list(self._entries.values()):
            if should_stop is not None and should_stop():
                break
            if entry.dirty:
                self._save(entry)
                written += 1
        if written:
            self._prune_disk()
        return written

    # ---------------------------------------------------------------- memory
    def _rewind(self, entry: CacheEntry,
                continuation: Sequence[int] = ()) -> tuple[list[Any], int] | None:
        """The entry's cache trimmed in place (no copy, no recompute) to its prefix plus the
        longest run of `continuation` its recorded tail starts with, and that run's length.

        Each layer is trimmed by its own excess, so a generation that failed half-way through a
        forward pass (some layers one token ahead) still rewinds correctly; the tail is kept
        only when all layers agree. A layer *shorter* than the prefix means the entry is
        damaged: it is dropped (None). Caches that cannot be trimmed (rotating or recurrent
        layers) are never handed out: each use gets a copy.
        """
        entry.last_used = time.monotonic()
        entry.checkouts += 1
        self._entries.move_to_end(entry.key)
        if not can_trim_prompt_cache(entry.cache):
            return compact_copy(entry.cache), 0
        offsets = [int(getattr(layer, "offset", 0)) for layer in entry.cache]
        if min(offsets) < entry.n_tokens:
            self._entries.pop(entry.key, None)
            return None
        tail = entry.tail[:offsets[0] - entry.n_tokens] if len(set(offsets)) == 1 else ()
        kept = min(common_prefix_len(tail, continuation), max(len(continuation) - 1, 0))
        for layer, offset in zip(entry.cache, offsets):
            if offset > entry.n_tokens + kept:
                layer.trim(offset - entry.n_tokens - kept)
        entry.tail = tail[:kept]
        entry.nbytes = cache_nbytes(entry.cache)
        self._evict(keep=entry.key)
        return entry.cache, kept

    def clear_partial(self) -> None:
        """Forget an interrupted prefill (after an error its state cannot be trusted)."""
        self._partial = None

    def _insert(self, entry: CacheEntry) -> None:
        self._entries[entry.key] = entry
        self._entries.move_to_end(entry.key)
        self._evict(keep=entry.key)

    def _evict(self, keep: str) -> None:
        """Drop least recently used entries until within budget (the one in use always stays)."""
        while self.nbytes > self.budget_bytes and len(self._entries) > 1:
            oldest = next(iter(self._entries))
            if oldest == keep:
                self._entries.move_to_end(keep)
                oldest = next(iter(self._entries))
                if oldest == keep:
                    break
            victim = self._entries.pop(oldest)
            if victim.dirty and self.directory is not None:
                self._save(victim)  # evicted work is not lost: the next visit loads it

    # ---------------------------------------------------------------- disk
    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key}{FILE_SUFFIX}" if self.directory is not None else None

    def _path_exists(self, key: str) -> bool:
        path = self._path(key)
        return path is not None and path.is_file()

    def _metadata(self, entry: CacheEntry, cache: Sequence[Any]) -> dict[str, str]:
        return {"format_version": FORMAT_VERSION, "model_id": self.model_id,
                "prefix_hash": entry.key, "n_tokens": str(entry.n_tokens),
                "checksum": _checksum(cache)}

    def _save(self, entry: CacheEntry) -> None:
        path = self._path(entry.key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            compact = compact_copy(entry.cache)
            if cache_offset(compact) != entry.n_tokens:
                trim_prompt_cache(compact, cache_offset(compact) - entry.n_tokens)
            add_room(compact, ROOM_AFTER_LOAD)
            tmp = path.with_name(f".{entry.key}.{os.getpid()}.tmp{FILE_SUFFIX}")
            save_prompt_cache(str(tmp), compact, self._metadata(entry, compact))
            os.replace(tmp, path)
            entry.dirty = False
        except OSError as exc:  # a full or read-only disk costs speed next run, nothing else
            log.warning("cannot save prompt cache %s: %s", path, exc)

    def _load(self, key: str, n_tokens: int) -> CacheEntry | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        problem = None
        try:
            cache, meta = load_prompt_cache(str(path), return_metadata=True)
            problem = self._check(cache, meta, key, n_tokens)
        except Exception as exc:  # corrupt header, truncated data, unknown cache class...
            problem = f"unreadable ({type(exc).__name__}: {exc})"
        if problem is not None:
            log.warning("ignoring prompt cache %s: %s", path, problem)
            self.rejected_files.append(f"{path.name}: {problem}")
            try:
                path.unlink()
            except OSError:
                pass
            return None
        for layer in cache:  # the saved padding: capacity for the next turn, not tokens
            if int(getattr(layer, "offset", n_tokens)) > n_tokens and can_trim_prompt_cache([layer]):
                layer.trim(layer.offset - n_tokens)
        entry = CacheEntry(key, n_tokens, cache, cache_nbytes(cache), dirty=False)
        self._insert(entry)
        return entry

    def _reference_layout(self) -> list[tuple[str, tuple[int, ...]]]:
        """Cache class and per-token shape of each layer, from one token run through the model."""
        probe = make_prompt_cache(self.model)
        self.model(mx.array([[0]], dtype=mx.uint32), cache=probe)
        layout = []
        for c in probe:
            arrays = _arrays(c.state)
            shape = tuple(arrays[0].shape[:2]) + tuple(arrays[0].shape[3:]) if arrays else ()
            layout.append((type(c).__name__, shape))
        return layout

    def _check(self, cache: list[Any], meta: dict[str, str], key: str,
               n_tokens: int) -> str | None:
        """Why a loaded cache must not be used, or None when it matches this model and prefix."""
        if meta.get("format_version") != FORMAT_VERSION:
            return f"format version {meta.get('format_version')!r} != {FORMAT_VERSION}"
        if meta.get("model_id") != self.model_id:
            return f"made by model {meta.get('model_id')!r}, not {self.model_id!r}"
        if meta.get("prefix_hash") != key or meta.get("n_tokens") != str(n_tokens):
            return "made for another prefix"
        if len(cache) != len(self._layout):
            return f"{len(cache)} layers, the model has {len(self._layout)}"
        for c, (cls, shape) in zip(cache, self._layout):
            arrays = _arrays(c.state)
            if type(c).__name__ != cls or not arrays:
                return f"cache class {type(c).__name__}, expected {cls}"
            a = arrays[0]
            got = tuple(a.shape[:2]) + tuple(a.shape[3:])
            if got != shape or cache_offset([c]) < n_tokens or a.shape[2] < n_tokens:
                return f"layer shape {tuple(a.shape)} does not fit {n_tokens} tokens of this model"
        if meta.get("checksum") != _checksum(cache):
            return "checksum mismatch (damaged file)"
        return None

    def _prune_disk(self) -> None:
        """Keep this model's cache folder under the disk budget (oldest files go first)."""
        if self.directory is None or not self.directory.is_dir():
            return
        files = sorted(self.directory.glob(f"*{FILE_SUFFIX}"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for p in files:
            if total <= self.disk_budget_bytes:
                break
            total -= p.stat().st_size
            try:
                p.unlink()
            except OSError:
                pass
