"""Crash-safe writes of save files: `game.atomic_file` with the saves' own error message.

The write itself (temp file, fsync, rename, folder fsync) is `game.atomic_file.write_atomically`;
this module only turns its OSError into a SaveWriteError that tells the player the previous
save in that slot is unchanged.
"""

from __future__ import annotations

from pathlib import Path

from game.atomic_file import TEMP_SUFFIX, describe_os_error, remove_stale_temps, temp_path_for, write_atomically

from .errors import SaveWriteError

__all__ = ["TEMP_SUFFIX", "atomic_write_bytes", "describe_os_error", "remove_stale_temps", "temp_path_for"]


def atomic_write_bytes(path: Path, data: bytes, *, what: str = "the save", durable: bool = True) -> None:
    """Replace `path` with `data` atomically; raise SaveWriteError (old file intact) on failure."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SaveWriteError(
            f"Could not write {what} to {path}: could not create the folder {directory} "
            f"({describe_os_error(error)}).", path) from error
    try:
        write_atomically(path, data, durable=durable, mode=0o644)
    except OSError as error:
        raise SaveWriteError(
            f"Could not write {what} to {path}: {describe_os_error(error)}. "
            "The previous save in that slot (if any) is unchanged.", path) from error
