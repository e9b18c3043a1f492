"""Remembered verifications, so loading a long campaign does not replay it every time.

Replaying costs ~0.1 ms per command, so verifying a 1,000-turn save by replay alone takes
~100 ms. But replay only ever answers one question: "do these commands, from this base, on
this world, with this engine, lead to this state?" The answer never changes, so the store
remembers it. The key hashes everything the answer depends on (engine source, world file
content, base state, command log); the value hashes what was proven (state + undo history).

Entries are recorded when this game *produced* the state (every save: the live game is the
replay) or *replayed* it on load. A load whose key is known and whose state+undo digest
matches is verified without replay; any difference in the commands, the world, the engine or
the saved state misses and falls back to a full replay. Editing a save by hand therefore
cannot skip the check: it would have to forge this file as well, consistently.

The cache lives in the saves folder as `.verified.json` (not exported with a save), keeps the
most recent MAX_ENTRIES answers, and is disposable: a missing or unreadable cache only means
the next load replays.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import game.engine

from .atomic import atomic_write_bytes
from .errors import SaveError

CACHE_NAME = ".verified.json"
MAX_ENTRIES = 256


@functools.cache
def engine_fingerprint() -> str:
    """A hash of the engine's source: a changed engine must re-verify everything."""
    digest = hashlib.sha256()
    for path in sorted(Path(game.engine.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def replay_key(world_hash: str, base_state: dict[str, Any] | None, commands: list[str]) -> str:
    """What a verification depends on: engine, world content, starting point, commands."""
    digest = hashlib.sha256(engine_fingerprint().encode())
    digest.update(world_hash.encode())
    digest.update(_canonical(base_state))
    digest.update(_canonical(commands))
    return digest.hexdigest()


def outcome_digest(state: dict[str, Any], undo: list[dict[str, Any]]) -> str:
    """What a verification proves: the exact state and undo history the commands lead to."""
    return hashlib.sha256(_canonical(state) + b"\n" + _canonical(undo)).hexdigest()


class VerificationCache:
    """key -> outcome digest, persisted (without fsync: losing it only costs a replay)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / CACHE_NAME
        self._entries: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._entries is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                entries = data.get("entries", {}) if isinstance(data, dict) else {}
                self._entries = {k: v for k, v in entries.items()
                                 if isinstance(k, str) and isinstance(v, str)}
            except (OSError, ValueError, AttributeError):
                self._entries = {}
        return self._entries

    def confirms(self, key: str, digest: str) -> bool:
        return self._load().get(key) == digest

    def record(self, key: str, digest: str) -> None:
        entries = self._load()
        if entries.get(key) == digest:
            return
        entries.pop(key, None)
        entries[key] = digest
        while len(entries) > MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        try:
            atomic_write_bytes(self.path, _canonical({"version": 1, "entries": entries}),
                               what="the verification cache", durable=False)
        except SaveError:
            pass  # a cache that cannot be written only means a replay next time
