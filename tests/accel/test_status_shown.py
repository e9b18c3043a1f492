"""A fallback of the CPU accelerator is never silent: the narrator's status, the status bar and
`adventure run` show it, with its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from game.accel import AccelSwitches, accelerate
from game.narrator.backends.mlx_model import LoadedModel
from game.narrator.runtime.worker import MLXNarrator
from game.narrator.settings import NarratorSettings
from game.ui.widgets.status_bar import NarratorInfo, StatusBar
from tests.narrator.narrator_tiny import RecordingSink, make_tiny

REPO = Path(__file__).resolve().parents[2]
NOTE = "accelerator fell back: accelerator (ADVENTURE_ACCEL=off)"


def _worker_statuses(tmp_path: Path, switches: AccelSwitches) -> list[tuple[str, str]]:
    """The statuses a worker reports while it loads a tiny model through the real entry function."""
    def loader(spec, progress):
        tiny = make_tiny()
        done = accelerate(tiny.model, tmp_path, switches, tmp_path)
        return LoadedModel(done.model, tiny.tokenizer, "tiny", tmp_path, done)

    narrator = MLXNarrator(NarratorSettings(disk_cache=False), loader=loader)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        assert sink.wait_for(lambda: any(status == "idle" for status, _ in sink.statuses))
        return list(sink.statuses)
    finally:
        narrator.close()


def test_the_worker_reports_a_fallback_while_loading_and_when_idle(tmp_path: Path) -> None:
    statuses = _worker_statuses(tmp_path, AccelSwitches.all_off())
    assert ("loading", f"tiny; {NOTE}") in statuses
    assert statuses[-1] == ("idle", f"tiny; {NOTE}")


def test_without_a_fallback_the_idle_detail_is_the_model_name(tmp_path: Path) -> None:
    def loader(spec, progress):
        tiny = make_tiny()
        return LoadedModel(tiny.model, tiny.tokenizer, "tiny", tmp_path)  # nothing fell back

    narrator = MLXNarrator(NarratorSettings(disk_cache=False), loader=loader)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        assert sink.wait_for(lambda: any(status == "idle" for status, _ in sink.statuses))
        assert sink.statuses[-1] == ("idle", "tiny")
        assert not any("accelerator" in detail for _, detail in sink.statuses)
    finally:
        narrator.close()


class _Bar(App):
    def compose(self) -> ComposeResult:
        yield StatusBar()


async def test_the_status_bar_shows_the_fallback_while_the_narrator_loads_and_works() -> None:
    async with _Bar().run_test(size=(160, 3)) as pilot:
        bar = pilot.app.query_one(StatusBar)
        for status in ("loading", "idle", "streaming"):
            bar.info = NarratorInfo(status, f"tiny; {NOTE}", model="tiny")
            await pilot.pause()
            assert NOTE in bar.render().plain, status
        bar.info = NarratorInfo("idle", "tiny", model="tiny")   # nothing fell back: no note
        await pilot.pause()
        assert bar.render().plain == "narrator idle · tiny"


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
