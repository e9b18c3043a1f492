"""End to end with the real embedded model: a command's narration streams into the story pane,
and the UI's event loop stays responsive while the model generates."""

from __future__ import annotations

import asyncio
import time

import pytest

from game.ui.screens.game import GameScreen
from game.ui.widgets.status_bar import StatusBar
from game.ui.widgets.story import StoryPane
from ui_support import make_app

LOAD_TIMEOUT_S = 600   # first run converts the embedded GGUF; later runs load in seconds
NARRATION_TIMEOUT_S = 180


async def wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.mark.model
async def test_real_model_narration_arrives_in_the_story(tmp_path):
    app = make_app(tmp_path, mode="on")  # the default (embedded) model via make_narrator
    async with app.run_test(size=(100, 30)):
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_for(lambda: app.narrator_info.status in ("idle", "error")
                       and app.narrator is not None, LOAD_TIMEOUT_S)
        assert app.narrator_info.status == "idle", app.narrator_info
        story = screen.query_one(StoryPane)
        pieces: list[str] = []
        append = story.append_narration
        story.append_narration = lambda text: (pieces.append(text), append(text))  # type: ignore[method-assign]

        lags: list[float] = []
        done = False

        async def probe() -> None:  # how late the UI loop runs a 10 ms timer while generating
            while not done:
                start = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - start - 0.01)

        watcher = asyncio.create_task(probe())
        screen.run_command("examine signpost")  # what pressing Enter does
        assert screen.current_request is not None, "the command was sent to the narrator"
        await wait_for(lambda: screen.current_request is None, NARRATION_TIMEOUT_S)
        done = True
        await watcher

        narration = [p.text for p in story.paragraphs() if p.kind == "narration"]
        # checked sentences arrive whole, each once it passed the grounding check
        assert pieces, "the narration arrived"
        assert all(p.strip()[-1:] in ".!" for p in pieces), pieces
        assert narration and narration[-1].strip(), "the narration was kept in the story"
        assert narration[-1] == "".join(pieces).strip()
        assert max(lags) < 0.5, f"the UI loop stalled for {max(lags) * 1000:.0f} ms"
        info = screen.query_one(StatusBar).info
        assert info.ttft_s is not None and info.ttft_s > 0
        assert info.cache in ("hit", "miss", "disk", "partial") and info.model
