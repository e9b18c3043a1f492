"""Crash-safe file replacement, the one implementation every writer in the game uses.

Why one: saves, settings, prompt caches and memo files all replace a file that the next start
reads, and each must leave either the old file or the new one, never half of either. The new
content goes to a hidden temporary file in the same folder (same file system, so the rename
is atomic), is flushed (and, for files that must survive a power cut, fsync'd), then
`os.replace`d over the target, and the folder is fsync'd so the rename itself is durable.
On any OSError the temporary file is removed and the error propagates unchanged; callers turn
it into their own message (`describe_os_error` gives the plain reason).
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".tmp"

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.EROFS: "the folder is on a read-only filesystem",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a file is in the way of the folder",
}


def describe_os_error(error: OSError) -> str:
    """A short human reason for an OSError, without the Python noise."""
    return _REASONS.get(error.errno or 0, error.strerror or str(error))


def temp_path_for(path: Path, suffix: str = "") -> Path:
    """A fresh hidden temporary name next to `path` (hidden so listings never mistake it for a file).

    `suffix` goes after the temporary marker, for writers that insist on a file extension.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}{suffix}")


def _fsync_directory(directory: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory for fsync; NTFS journals the rename.
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(path: Path, *, durable: bool = True, suffix: str = "") -> Iterator[Path]:
    """Yields a temporary path next to `path`; when the block ends normally it replaces `path`.

    For writers that take a file name rather than bytes (a library's own save function). If the
    block raises, or the rename fails, the temporary file is removed and `path` is untouched.
    `durable=False` skips the folder fsync (the writer decides whether to fsync its file).
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(path, suffix)
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        try:
            temp.unlink()
        except OSError:
            pass
        raise
    if durable:
        try:
            _fsync_directory(directory)
        except OSError:
            pass  # the rename happened; only durability across a power cut is weakened


def write_atomically(path: Path, data: bytes | str, *, durable: bool = True, mode: int | None = None) -> None:
    """Replace `path` with `data` (str is written as UTF-8); the old file is intact on any OSError.

    `durable=False` skips the fsyncs (still atomic against a crash of this process, not against
    power loss): for caches, where losing the newest content costs nothing but time. `mode`:
    the new file's permissions (default: the old file's, else 0o644).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644
    with replacing(path, durable=durable) as temp:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temps(path: Path, older_than_s: float = 60.0) -> None:
    """Delete temporary files left next to `path` by writers that were killed mid-write.

    Only files older than `older_than_s` go, so a write running in another process right now
    is never disturbed.
    """
    now = time.time()
    for leftover in path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"):
        try:
            if now - leftover.stat().st_mtime > older_than_s:
                leftover.unlink()
        except OSError:
            pass
