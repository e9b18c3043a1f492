"""A fallback of the CPU accelerator is never silent: `adventure run` shows it, with its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the accelerator is Linux-only")
def test_a_run_with_stats_names_the_part_that_fell_back(tmp_path: Path) -> None:
    script = tmp_path / "moves.txt"
    script.write_text("north\n")
    env = dict(os.environ, ADVENTURE_SAVES=str(tmp_path / "saves"), ADVENTURE_NATIVE_STEP="off")
    result = subprocess.run(
        [sys.executable, "-m", "game.cli", "run", "tutorial", "--script", str(script),
         "--narrator", "on", "--stats"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "accelerator fell back: decode-step kernel (ADVENTURE_NATIVE_STEP=off)" in result.stderr, result.stderr
    assert "(cache=" in result.stderr  # the narration itself still ran, with its statistics


def test_a_mistyped_switch_stops_the_narrator_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    script = tmp_path / "moves.txt"
    script.write_text("north\n")
    env = dict(os.environ, ADVENTURE_SAVES=str(tmp_path / "saves"), ADVENTURE_NATIVE="fast")
    result = subprocess.run(
        [sys.executable, "-m", "game.cli", "run", "tutorial", "--script", str(script), "--narrator", "on"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]  # the game goes on without narration
    assert "ADVENTURE_NATIVE='fast' is not understood; use one of: off, 0, false, no" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Cliff Path" in result.stdout
