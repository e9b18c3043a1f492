"""Atomic writes: real write failures (file-size limit, permissions) leave the old file intact."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from game.saves.atomic import atomic_write_bytes, remove_stale_temps
from game.saves.errors import SaveWriteError

REPO = Path(__file__).resolve().parents[1]


def test_write_replaces_content_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "castle.json"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["castle.json"]


def test_creates_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "slot.json"
    atomic_write_bytes(target, b"x")
    assert target.read_bytes() == b"x"


def test_file_size_limit_failure_keeps_previous_save(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG), like a full disk would (ENOSPC)."""
    target = tmp_path / "castle.json"
    atomic_write_bytes(target, b"previous save")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(SaveWriteError) as caught:
            atomic_write_bytes(target, b"x" * 100_000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    message = str(caught.value)
    assert str(target) in message and "unchanged" in message
    assert target.read_bytes() == b"previous save"
    assert [p.name for p in tmp_path.iterdir()] == ["castle.json"]


def test_permission_denied_is_reported(tmp_path: Path) -> None:
    """A folder the player cannot write to: a clear SaveWriteError, the old save untouched."""
    folder = tmp_path / "saves"
    folder.mkdir()
    target = folder / "castle.json"
    target.write_bytes(b"old")
    folder.chmod(0o555)
    tmp_path.chmod(0o755)
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from game.saves.atomic import atomic_write_bytes\n"
        "from game.saves.errors import SaveWriteError\n"
        "if os.geteuid() == 0:  # root ignores permissions: become nobody (after imports)\n"
        "    os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        "    atomic_write_bytes(Path(sys.argv[1]), b'new')\n"
        "except SaveWriteError as e:\n"
        "    print(e)\n"
    )
    try:
        result = subprocess.run([sys.executable, "-c", code, str(target)], cwd=REPO,
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        folder.chmod(0o755)
    assert "permission denied" in result.stdout, result.stdout + result.stderr
    assert target.read_bytes() == b"old"


def test_stale_temps_are_removed_only_when_old(tmp_path: Path) -> None:
    target = tmp_path / "castle.json"
    stale = tmp_path / ".castle.json.99.abcd.tmp"
    fresh = tmp_path / ".castle.json.98.abcd.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (1, 1))
    remove_stale_temps(target)
    assert not stale.exists() and fresh.exists()
