"""Errors the saves package raises, each carrying a message meant for the player.

Every message names the file (or slot) and says what is wrong in plain words, because the
player is the one who has to decide what to do with a broken save; a stack trace helps nobody.
"""

from __future__ import annotations

from pathlib import Path


class SaveError(Exception):
    """A save could not be written or read. `str(error)` is the complete player-facing message."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class SlotNameError(SaveError):
    """The slot name is unusable (empty, too long, a path, a reserved name...)."""


class SaveWriteError(SaveError):
    """Writing failed (disk full, permission, read-only folder); the previous save is untouched."""


class SaveFormatError(SaveError):
    """The file is not a readable save: corrupt, truncated, foreign, too big, wrong types..."""


class SaveNotFoundError(SaveError):
    """There is no save in that slot."""


class WorldMismatchError(SaveError):
    """The save cannot be used with the world that is available (missing or changed world).

    `missing` lists what the saved state refers to that the current world no longer has.
    """

    def __init__(self, message: str, path: Path | None = None,
                 missing: list[str] | None = None) -> None:
        super().__init__(message, path)
        self.missing = list(missing or [])
