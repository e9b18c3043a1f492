"""Pilot tests of streamed narration with the deterministic FakeNarrator."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from game.narrator.runtime.fake import FakeNarrator, fake_narration
from game.narrator.runtime.worker import MLXNarrator
from game.ui.screens.dialogs import EndingScreen
from game.ui.screens.game import GameScreen
from game.ui.screens.settings import SettingsChoice
from game.ui.widgets.command_input import CommandInput
from game.ui.widgets.status_bar import StatusBar
from game.ui.widgets.story import StoryPane
from ui_support import enter, make_app, screen_text, walkthrough


async def until(pilot, predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
        await pilot.pause()


async def ready(pilot) -> GameScreen:
    app = pilot.app
    await until(pilot, lambda: app.narrator is not None and app.narrator.status == "idle")
    screen = app.screen
    assert isinstance(screen, GameScreen)
    await until(pilot, lambda: screen.current_request is None)  # the intro's narration
    return screen


def narrations(screen: GameScreen) -> list[str]:
    return [p.text for p in screen.query_one(StoryPane).paragraphs() if p.kind == "narration"]


async def test_narration_streams_beneath_the_engine_text(tmp_path):
    app = make_app(tmp_path, mode="fake", fake_rate=500)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        story = screen.query_one(StoryPane)
        sent = []
        submit = app.narrator.submit
        app.narrator.submit = lambda request, sink: (sent.append(request), submit(request, sink))
        await enter(pilot, "x sign")
        await until(pilot, lambda: screen.current_request is None)
        kinds = [p.kind for p in story.paragraphs()][-4:]
        assert kinds == ["gap", "command", "engine", "narration"]
        assert narrations(screen)[-1] == fake_narration(sent[-1])
        # The narration has its own look, distinct from the engine's text.
        assert (story.get_component_rich_style("story--narration")
                != story.get_component_rich_style("story--engine"))
        info = screen.query_one(StatusBar).info
        assert info.status == "idle" and info.model == "fake" and info.cache == "hit"
        assert info.tokens_per_s and info.tokens_per_s > 0
        assert "narrator idle" in screen_text(pilot)


async def test_typing_during_streaming_and_escape_cancels_within_a_token(tmp_path):
    app = make_app(tmp_path, mode="fake", fake_rate=10)  # slow: about three seconds of prose
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        story = screen.query_one(StoryPane)
        await enter(pilot, "x sign")
        await until(pilot, lambda: story.narrating and narrations(screen)[-1] != "")
        await pilot.press("l", "o", "o", "k")  # typing while the prose streams
        assert screen.query_one(CommandInput).value == "look"
        assert story.narrating, "still streaming while the player typed"
        await pilot.press("escape")
        cut = narrations(screen)[-1]
        assert cut.endswith(" …") and not story.narrating
        assert screen.current_request is None
        await asyncio.sleep(0.4)  # four token intervals: nothing more may arrive
        await pilot.pause()
        assert narrations(screen)[-1] == cut
        assert screen.query_one(CommandInput).value == "look"  # the typed text is kept
        await until(pilot, lambda: app.narrator.status == "idle")


async def test_a_new_command_cancels_the_narration_in_progress(tmp_path):
    app = make_app(tmp_path, mode="fake", fake_rate=10)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        story = screen.query_one(StoryPane)
        await enter(pilot, "x sign")
        await until(pilot, lambda: story.narrating and narrations(screen)[-1] != "")
        first = screen.current_request
        await enter(pilot, "look")
        assert screen.current_request not in (None, first)  # the new one is streaming
        # Its first words arrive a token interval or two later (later still on a busy machine).
        await until(pilot, lambda: narrations(screen)[-1].startswith("You look"))
        cut, new = narrations(screen)[-2:]
        # The old one, cut and kept: a prefix of its fake text, marked as cut short.
        assert cut.endswith(" …") and "You x sign in Boat Landing.".startswith(cut[:-2])
        assert new.startswith("You look") and story.narrating


async def test_the_game_plays_in_plain_text_while_the_model_loads(tmp_path):
    app = make_app(tmp_path, mode="fake",
                   narrator_factory=lambda s: FakeNarrator(tokens_per_s=500, load_s=1.5))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await until(pilot, lambda: app.narrator_info.status == "loading")
        await enter(pilot, "x sign")
        assert "weathered wooden signpost" in screen.query_one(StoryPane).plain_text().lower()
        assert screen.current_request is None and narrations(screen) == []
        await until(pilot, lambda: app.narrator_info.status == "idle", timeout=15)
        await enter(pilot, "n")
        await until(pilot, lambda: screen.current_request is None)
        assert len(narrations(screen)) == 1


async def test_a_narrator_that_fails_to_load_becomes_a_notification(tmp_path):
    def broken_loader(spec, progress):
        raise RuntimeError("no weights here")

    app = make_app(tmp_path, mode="on",
                   narrator_factory=lambda s: MLXNarrator(s, loader=broken_loader))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.narrator_info.status == "error", timeout=30)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("no weights here" in m for m in messages), messages
        await enter(pilot, "n")  # the game goes on in plain text
        assert "Cliff Path" in app.screen.query_one(StoryPane).plain_text()


async def test_full_walkthroughs_with_the_fake_narrator(tmp_path):
    for world in ("tutorial", "crystal_caverns"):
        app = make_app(tmp_path / world, world=world, mode="fake", fake_rate=2000)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            for line in walkthrough(world):
                assert isinstance(app.screen, GameScreen), f"{world} ended before {line!r}"
                await enter(pilot, line)
            assert isinstance(app.screen, EndingScreen), world
            info = app.screen.info
            assert info.kind == "win" and info.score == info.max_score, (world, info)
            assert "You have won" in screen_text(pilot)
            game_screen = app.game_screen
            assert narrations(game_screen), "narration accompanied the play"
            await pilot.press("u")  # undo from the ending panel: back into the game
            await pilot.pause()
            assert app.screen is game_screen and game_screen.session.game.ended is None


async def test_settings_turn_narration_off_and_on_and_restart_with_new_sampling(tmp_path):
    made = []

    def factory(settings):
        made.append(settings)
        return FakeNarrator(tokens_per_s=2000)

    app = make_app(tmp_path, mode="fake", narrator_factory=factory)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        current = SettingsChoice(True, app.settings.temperature, app.settings.max_tokens, app.theme)
        app.apply_settings(dataclasses.replace(current, narrator_on=False))
        await pilot.pause()
        assert app.narrator_info.status == "off" and "narrator off" in screen_text(pilot)
        before = len(narrations(screen))
        await enter(pilot, "x sign")
        assert screen.current_request is None and len(narrations(screen)) == before

        first = app.narrator
        app.apply_settings(dataclasses.replace(current, temperature=0.9, max_tokens=40))
        await until(pilot, lambda: app.narrator is not None and app.narrator is not first
                    and app.narrator.status == "idle")
        assert (made[-1].temperature, made[-1].max_tokens) == (0.9, 40)
        assert first.status == "off"  # the old narrator was closed
        await enter(pilot, "n")
        await until(pilot, lambda: screen.current_request is None)
        assert len(narrations(screen)) == before + 1
