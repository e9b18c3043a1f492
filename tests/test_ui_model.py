"""End to end with the real embedded model: a command's narration streams into the story pane."""

from __future__ import annotations

import asyncio
import time

import pytest

from game.ui.screens.game import GameScreen
from game.ui.widgets.status_bar import StatusBar
from game.ui.widgets.story import StoryPane
from ui_support import enter, make_app

LOAD_TIMEOUT_S = 600   # first run converts the embedded GGUF; later runs load in seconds
NARRATION_TIMEOUT_S = 180


async def wait_for(predicate, timeout: float, pilot) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await pilot.pause()
        await asyncio.sleep(0.2)


@pytest.mark.model
async def test_real_model_narration_streams_into_the_story(tmp_path):
    app = make_app(tmp_path, mode="on")  # the default (embedded) model via make_narrator
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_for(lambda: app.narrator is not None and app.narrator.status == "idle"
                       or app.narrator_info.status == "error", LOAD_TIMEOUT_S, pilot)
        assert app.narrator_info.status == "idle", app.narrator_info
        story = screen.query_one(StoryPane)
        pieces: list[str] = []
        append = story.append_narration
        story.append_narration = lambda text: (pieces.append(text), append(text))  # type: ignore[method-assign]

        await enter(pilot, "examine signpost")
        assert screen.current_request is not None, "the command was sent to the narrator"

        await wait_for(lambda: screen.current_request is None, NARRATION_TIMEOUT_S, pilot)
        narration = [p.text for p in story.paragraphs() if p.kind == "narration"]
        assert len(pieces) > 1, "the narration arrived in streamed pieces"
        assert narration and narration[-1].strip(), "the narration was kept in the story"
        info = screen.query_one(StatusBar).info
        assert info.ttft_s is not None and info.ttft_s > 0 and info.cache in ("hit", "miss", "disk", "partial")
        assert info.model
