"""The UI driven by messages: narration arrives as coalescing messages, screens ask by message,
and the narrator is started without a Textual worker thread."""

from __future__ import annotations

import asyncio
import threading

from textual.app import App

from game.narrator.api import NarrationStats
from game.ui.messages import LoadRequested, SettingsRequested
from game.ui.narration import MessageSink, NarrationDone, NarrationTokens
from game.ui.screens.dialogs import LoadScreen
from game.ui.screens.game import GameScreen
from game.ui.screens.settings import SettingsScreen
from game.ui.widgets.story import StoryPane
from ui_support import enter, make_app


class Recorder(App[None]):
    """A bare app that records the narration messages it handles."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, str]] = []
        self.done: list[int] = []

    def on_narration_tokens(self, message: NarrationTokens) -> None:
        self.seen.append((message.request_id, message.text))

    def on_narration_done(self, message: NarrationDone) -> None:
        self.done.append(message.request_id)


def test_token_messages_carry_the_whole_text_so_far_and_merge_within_a_request():
    a, b = NarrationTokens(1, "The"), NarrationTokens(1, "The gull")
    assert a.can_replace(b) and not a.can_replace(NarrationTokens(2, "A"))
    assert not a.can_replace(NarrationDone(1, NarrationStats("hit", 0, 0, 0.0, 0.0, 0), ""))


async def test_tokens_waiting_in_the_queue_become_one_update_in_order():
    app = Recorder()
    async with app.run_test() as pilot:
        sink = MessageSink(app)
        worker = threading.Thread(target=lambda: (
            [sink.on_token(7, word) for word in ("The", " gull", " cries", ".")],
            [sink.on_token(8, word) for word in ("A", " bell")],
            sink.on_done(8, NarrationStats("hit", 0, 0, 0.0, 0.0, 2), "A bell")))
        worker.start()
        worker.join()
        await pilot.pause()
        await asyncio.sleep(0.05)
        await pilot.pause()
    # Posted back to back from the narrator's thread, each request's tokens merged into its
    # last message; nothing was lost, and a new request started from its own first token.
    assert app.seen[-1] == (8, "A bell") and (7, "The gull cries.") in app.seen
    assert len(app.seen) < 6 and app.done == [8]
    assert all(text.startswith("A") for rid, text in app.seen if rid == 8)


async def test_streamed_prose_is_shown_once_however_the_messages_merged(tmp_path):
    app = make_app(tmp_path, mode="off")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        screen.current_request = 5
        screen.query_one(StoryPane).begin_narration()
        for text in ("Waves", "Waves break", "Waves break", "Waves break on rocks."):
            screen.narration_streamed(5, text)
        screen.narration_streamed(4, "stale request")
        paragraphs = [p.text for p in screen.query_one(StoryPane).paragraphs()
                      if p.kind == "narration"]
        assert paragraphs[-1] == "Waves break on rocks."


async def test_screens_ask_the_app_by_message(tmp_path):
    app = make_app(tmp_path, mode="off")
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.post_message(LoadRequested())
        await pilot.pause()
        assert isinstance(app.screen, LoadScreen)
        app.screen.dismiss(None)
        await pilot.pause()
        app.screen.post_message(SettingsRequested())
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)


async def test_the_narrator_starts_without_a_textual_worker(tmp_path):
    app = make_app(tmp_path, mode="fake", fake_rate=2000)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.narrator is not None and len(app.workers) == 0
        await enter(pilot, "x sign")
        assert len(app.workers) == 0
