"""The TUI asks the narrator only for turns the play layer's policy narrates."""

from __future__ import annotations

from game.ui.screens.game import GameScreen
from game.ui.widgets.story import StoryPane
from test_ui_narration import until
from ui_support import enter, make_app


async def test_an_unnarratable_turn_ends_at_once_without_narration(tmp_path):
    app = make_app(tmp_path, mode="fake", fake_rate=2000)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.narrator is not None and app.narrator.status == "idle")
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await until(pilot, lambda: screen.current_request is None)  # the intro's narration
        asked: list[str] = []
        submit = app.narrator.submit
        app.narrator.submit = lambda request, sink: (asked.append(request.command),
                                                     submit(request, sink))
        story = screen.query_one(StoryPane)
        before = [p.kind for p in story.paragraphs()].count("narration")
        for line in ("xyzzy", "i", "take unicorn", "undo"):
            await enter(pilot, line)
            assert screen.current_request is None, line
        assert asked == [] and [p.kind for p in story.paragraphs()].count("narration") == before
        await enter(pilot, "x sign")
        await until(pilot, lambda: screen.current_request is None)
        assert asked == ["x sign"]
