"""KV caches of prompt prefixes: prefilled once, reused for every action, kept in memory and on disk.

Why: a room's prefix (rules, exemplars, location) is hundreds of tokens and identical for every
action there, while the per-turn suffix is tens. Prefilling the prefix once and reusing its KV cache makes
the time to first token depend on the suffix only. Reuse is by *trimming*: after a narration the
entry's cache holds prefix + suffix + generated tokens, and the next checkout trims it back to the
prefix length (a counter change, no copy, no recompute), or, given the tokens about to follow
the prefix, to the longest run of them the cache already holds (as llama.cpp reuses the common
prefix of consecutive prompts: the next turn's suffix often starts with the same items and
inventory lines), so only the rest is prefilled. A new room is built by *copying* the
cache of the longest stored prefix of its tokens (normally the world's shared rules + exemplars)
and prefilling only the rest.

Memory is bounded by a byte budget (least recently used entries are dropped). Entries are saved
through the model backend (`backends.protocol.ModelBackend.save_cache`) with metadata (model id,
prefix hash, token count; the backend adds its format version and a checksum) and loaded by later
runs; a file whose metadata, layer shapes or checksum do not match is ignored, deleted and
rebuilt, never trusted.

Thread rule: an instance belongs to the thread that owns the model (MLX arrays must not cross
threads). Nothing here is locked; the worker is the only caller.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from game.atomic_file import replacing
from game.narrator.api import CacheSource
from game.narrator.backends.protocol import Cache, CacheFileRejected, ModelBackend
from game.narrator.generation.forward import (
    PrefillInterrupted,
    ProgressFn,
    StopFn,
    prefill,
)
from game.narrator.prompt.builder import common_prefix_len, token_hash

log = logging.getLogger(__name__)

@dataclass
class CacheEntry:
    """One prefilled prefix. `cache` may hold extra tokens after use; `n_tokens` is the prefix."""

    key: str
    n_tokens: int
    cache: Cache
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

    cache: Cache
    source: CacheSource
    prefilled: int
    n_tokens: int
    key: str = ""
    reused: int = 0      # leading tokens of the requested continuation already in `cache`
    checkout: int = 0    # which checkout of the entry this is (see remember_tail)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "model"


class PrefixCacheStore:
    """In-memory LRU of prefix KV caches for one model, backed by a folder of cache files.

    `budget_bytes` bounds memory (0 disables the in-memory cache beyond the entry in use);
    `directory` None disables persistence.
    """

    def __init__(self, backend: ModelBackend, budget_bytes: int,
                 directory: Path | None = None, disk_budget_bytes: int = 2 << 30) -> None:
        self.backend = backend
        self.model_id = backend.model_id
        self.budget_bytes = budget_bytes
        self.disk_budget_bytes = disk_budget_bytes
        self.directory = directory / _safe_name(self.model_id) if directory is not None else None
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._partial: tuple[str, tuple[int, ...], Cache] | None = None
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
        source: CacheSource = "miss"
        start: Cache | None = None
        start_len = 0
        offsets = set(self.backend.positions(self._partial[2])) if self._partial is not None else set()
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
                start, start_len = self.backend.copy_cache(got.cache), cp
                source = "partial" if got.source != "miss" else "miss"
                break
        if start is None:
            start = self.backend.make_cache()
        self._partial = (key, tokens, start)
        try:
            prefilled += prefill(self.backend, start, tokens[start_len:], chunk, should_stop,
                                 progress)
        except PrefillInterrupted as stop:
            raise PrefillInterrupted(prefilled + int(stop.args[0])) from None
        self._partial = None
        entry = CacheEntry(key, len(tokens), start, self.backend.cache_nbytes(start))
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
        offsets = set(self.backend.positions(entry.cache))
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
                continuation: Sequence[int] = ()) -> tuple[Cache, int] | None:
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
        if not self.backend.can_trim(entry.cache):
            return self.backend.copy_cache(entry.cache), 0
        offsets = self.backend.positions(entry.cache)
        if min(offsets) < entry.n_tokens:
            self._entries.pop(entry.key, None)
            return None
        tail = entry.tail[:offsets[0] - entry.n_tokens] if len(set(offsets)) == 1 else ()
        kept = min(common_prefix_len(tail, continuation), max(len(continuation) - 1, 0))
        self.backend.trim_cache(entry.cache, entry.n_tokens + kept)
        entry.tail = tail[:kept]
        entry.nbytes = self.backend.cache_nbytes(entry.cache)
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
        suffix = self.backend.cache_file_suffix
        return self.directory / f"{key}{suffix}" if self.directory is not None else None

    def _path_exists(self, key: str) -> bool:
        path = self._path(key)
        return path is not None and path.is_file()

    def _metadata(self, entry: CacheEntry) -> dict[str, str]:
        return {"model_id": self.model_id, "prefix_hash": entry.key, "n_tokens": str(entry.n_tokens)}

    def _save(self, entry: CacheEntry) -> None:
        path = self._path(entry.key)
        if path is None:
            return
        try:
            # The backend's writer wants a file name (with its suffix); `replacing` renames it
            # into place only once it is whole. A cache is worth no fsync: a lost one is refilled.
            with replacing(path, durable=False, suffix=self.backend.cache_file_suffix) as tmp:
                self.backend.save_cache(tmp, entry.cache, entry.n_tokens, self._metadata(entry))
            entry.dirty = False
        except OSError as exc:  # a full or read-only disk costs speed next run, nothing else
            log.warning("cannot save prompt cache %s: %s", path, exc)

    def _load(self, key: str, n_tokens: int) -> CacheEntry | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        problem = None
        try:
            cache, meta = self.backend.load_cache(path, n_tokens)
            problem = self._check(meta, key, n_tokens)
        except CacheFileRejected as exc:  # another format, layout or a damaged file
            problem = str(exc)
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
        entry = CacheEntry(key, n_tokens, cache, self.backend.cache_nbytes(cache), dirty=False)
        self._insert(entry)
        return entry

    def _check(self, meta: dict[str, str], key: str, n_tokens: int) -> str | None:
        """Why a loaded cache must not be used, or None when it was made for this model and
        prefix (its fit to the model's layers is the backend's check)."""
        if meta.get("model_id") != self.model_id:
            return f"made by model {meta.get('model_id')!r}, not {self.model_id!r}"
        if meta.get("prefix_hash") != key or meta.get("n_tokens") != str(n_tokens):
            return "made for another prefix"
        return None

    def _prune_disk(self) -> None:
        """Keep this model's cache folder under the disk budget (oldest files go first)."""
        if self.directory is None or not self.directory.is_dir():
            return
        files = sorted(self.directory.glob(f"*{self.backend.cache_file_suffix}"),
                       key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for p in files:
            if total <= self.disk_budget_bytes:
                break
            total -= p.stat().st_size
            try:
                p.unlink()
            except OSError:
                pass
