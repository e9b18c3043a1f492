"""Crash-safe file replacement: the old file or the new one, never half of either.

The new content goes to a temporary file in the same folder (same filesystem, so the rename
is atomic), is flushed and fsync'd, then `os.replace`d over the target, and finally the folder
itself is fsync'd so the rename survives a power cut. Any OSError on the way (disk full,
quota, permission, read-only filesystem) becomes a SaveWriteError with a plain explanation,
and the temporary file is removed; the previous file is never touched before the rename.
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from pathlib import Path

from .errors import SaveWriteError

TEMP_SUFFIX = ".tmp"

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.EROFS: "the folder is on a read-only filesystem",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a file is in the way of the saves folder",
}


def describe_os_error(error: OSError) -> str:
    """A short human reason for an OSError, without the Python noise."""
    return _REASONS.get(error.errno or 0, error.strerror or str(error))


def temp_path_for(path: Path) -> Path:
    """A fresh hidden temporary name next to `path` (hidden so listings never mistake it for a save)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _fsync_directory(directory: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory for fsync; NTFS journals the rename.
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, what: str = "the save", durable: bool = True) -> None:
    """Replace `path` with `data` atomically; raise SaveWriteError (old file intact) on failure.

    `durable=False` skips the fsyncs (still atomic against crashes of this process, not against
    power loss): for caches, where losing the newest content costs nothing but time.
    """
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SaveWriteError(
            f"Could not write {what} to {path}: could not create the folder {directory} "
            f"({describe_os_error(error)}).", path) from error
    temp = temp_path_for(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as error:
        try:
            temp.unlink()
        except OSError:
            pass
        raise SaveWriteError(
            f"Could not write {what} to {path}: {describe_os_error(error)}. "
            "The previous save in that slot (if any) is unchanged.", path) from error
    try:
        if durable:
            _fsync_directory(directory)
    except OSError:
        pass  # the rename happened; only durability across a power cut is weakened


def remove_stale_temps(path: Path, older_than_s: float = 60.0) -> None:
    """Delete temporary files left next to `path` by writers that were killed mid-save.

    Only files older than `older_than_s` go, so a save running in another process right now
    is never disturbed.
    """
    now = time.time()
    for leftover in path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"):
        try:
            if now - leftover.stat().st_mtime > older_than_s:
                leftover.unlink()
        except OSError:
            pass
