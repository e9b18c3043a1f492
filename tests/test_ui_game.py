"""Pilot tests of the game screen with the narrator off: story, panels, map, keys, saves."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Button, Static

from game import paths
from game.engine.game import Game
from game.engine.loader import load_world
from game.narrator.settings import load_settings
from game.ui.screens.dialogs import EndingScreen, LoadScreen, QuitScreen, SaveScreen
from game.ui.screens.game import GameScreen
from game.ui.screens.help import HelpScreen
from game.ui.screens.settings import SettingsScreen
from game.ui.screens.title import TitleScreen
from game.ui.widgets.map_view import MapView
from game.ui.widgets.status_bar import StatusBar
from game.ui.widgets.story import StoryPane
from ui_support import enter, make_app, screen_text, walkthrough


def static_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_start_shows_intro_side_panel_map_and_status(tmp_path):
    intro = Game(load_world(paths.worlds_dir() / "tutorial.yaml")).intro().text
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GameScreen)
        assert screen.query_one(StoryPane).plain_text() == intro
        assert static_text(screen, "#location") == "Boat Landing"
        assert static_text(screen, "#exits") == "Exits: north"
        assert static_text(screen, "#inventory") == "(nothing)"
        assert "Score 0/30" in static_text(screen, "#score")
        assert "[@Boat" in str(screen.query_one(MapView).render())
        assert screen.query_one(StatusBar).info.status == "off"
        assert "narrator off" in screen_text(pilot)


async def test_typed_commands_update_story_panel_and_map(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "take sign", keys=True)
        await enter(pilot, "n", keys=True)
        screen = app.screen
        story = screen.query_one(StoryPane).plain_text()
        assert "> take sign" in story and "> n" in story
        assert static_text(screen, "#location") == "Cliff Path"
        assert "Turns 2" in static_text(screen, "#score")
        drawing = str(screen.query_one(MapView).render())
        assert "[@Cliff" in drawing and "[Boat" in drawing
        # The landing is drawn below the cliff path (south), joined by a vertical bar.
        rows = drawing.splitlines()
        cliff = next(i for i, row in enumerate(rows) if "[@Cliff" in row)
        assert "│" in rows[cliff + 1] and "[Boat" in rows[cliff + 2]


async def test_unknown_word_shows_a_hint_and_the_next_command_clears_it(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "examine sgin")
        hint = app.screen.query_one("#hint", Static)
        assert hint.display and "sgin" in str(hint.render())
        story = app.screen.query_one(StoryPane).plain_text()
        assert "Did you mean 'sign'?" in story  # the close known word is offered, once
        await enter(pilot, "look")
        assert not hint.display


async def test_history_and_completion_in_the_game(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "look")
        box = app.screen.query_one("#command")
        await pilot.press("up")
        assert box.value == "look"
        box.value = ""
        await pilot.press("x", "space", "s", "i", "tab")
        assert box.value == "x signpost" or box.value.startswith("x sign")


async def test_undo_key_takes_back_a_turn(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "n")
        assert static_text(app.screen, "#location") == "Cliff Path"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert static_text(app.screen, "#location") == "Boat Landing"
        story = app.screen.query_one(StoryPane).plain_text()
        assert "> undo\nPrevious turn undone." in story        # the same as typing UNDO
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "You can't undo any further." in app.screen.query_one(StoryPane).plain_text()


async def test_help_map_toggle_and_settings_theme(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, GameScreen)
        await pilot.press("f2")
        assert not app.screen.query_one(MapView).display
        await pilot.press("f2")
        assert app.screen.query_one(MapView).display
        app.open_settings()
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#theme").value = "nord"
        await pilot.click("#apply")
        await pilot.pause()
        assert app.theme == "nord" and isinstance(app.screen, GameScreen)


async def test_save_then_load_restores_the_game(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        app.screen.query_one("#slot").value = "cliff"
        await pilot.press("enter")
        await pilot.pause()
        await enter(pilot, "n")
        assert static_text(app.screen, "#location") != "Cliff Path"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LoadScreen)
        app.screen.dismiss("cliff")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)
        assert static_text(app.screen, "#location") == "Cliff Path"
        assert "Restored" in app.screen.query_one(StoryPane).plain_text()


async def test_every_turn_is_autosaved(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "n")
        await pilot.pause()
        latest = app.saves.store.latest_autosave()
        assert latest is not None and latest.location == "Cliff Path" and latest.turns == 1
        await enter(pilot, "s")
        await pilot.pause()
        assert app.saves.store.latest_autosave().location == "Boat Landing"


async def test_quit_confirms_autosaves_and_continue_resumes(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "n")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")  # changed our mind
        assert isinstance(app.screen, GameScreen)
        await pilot.press("ctrl+q")
        await pilot.press("y")
        await pilot.pause()
    assert app.saves.latest() is not None

    again = make_app(tmp_path, world=None)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, TitleScreen)
        assert not again.screen.query_one("#continue", Button).disabled
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(again.screen, GameScreen)
        assert static_text(again.screen, "#location") == "Cliff Path"

    # `adventure play --load SLOT` goes straight into the saved game.
    slot = app.saves.latest()
    direct = make_app(tmp_path, world=None, load_slot=slot)
    async with direct.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(direct.screen, GameScreen)
        assert static_text(direct.screen, "#location") == "Cliff Path"


async def test_title_screen_lists_worlds_and_starts_one(tmp_path):
    app = make_app(tmp_path, world=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(pilot)
        assert "The Lighthouse Keeper's Lesson" in text and "7 rooms" in text
        assert "The Crystal Caverns" in text and "16 rooms" in text
        assert app.screen.query_one("#continue", Button).disabled  # no saves yet
        titles = [o.prompt for o in app.screen.query_one("#worlds")._options]
        index = next(i for i, p in enumerate(titles) if "Lighthouse" in Text.assemble(p).plain)
        app.screen.query_one("#worlds").highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)
        assert app.screen.session.world.id


async def test_palette_offers_the_game_commands_and_footer_shows_the_keys(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Save game", "Load game", "Undo", "Help", "Stop narration", "Toggle map",
                "Settings", "Quit"} <= titles
        footer = screen_text(pilot).splitlines()[-1]
        for label in ("Help", "Stop", "Save", "Load", "Undo", "Map", "Quit"):
            assert label in footer


async def test_narrow_terminals_give_the_side_panel_room_to_the_story(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        side = app.screen.query_one("#side")
        assert side.display and side.region.width >= 28
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert app.screen.has_class("narrow") and side.region.width == 0
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert side.region.width > 28


async def test_ctrl_q_twice_quits_and_autosaves(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "n")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert app.saves.latest() is not None


async def test_settings_changed_on_screen_are_there_in_a_new_app(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVENTURE_CONFIG", str(tmp_path / "config"))  # what load_settings reads
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_settings()
        await pilot.pause()
        app.screen.query_one("#theme").value = "nord"
        app.screen.query_one("#temperature").value = "0.8"
        app.screen.query_one("#max-tokens").value = "50"
        await pilot.click("#apply")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)

    # The narrator switch was not touched, so the session's mode (off) was not saved.
    assert "mode" not in (tmp_path / "config" / "narrator.toml").read_text(encoding="utf-8")
    # As launch.py does: the file, then the command-line flags (`--narrator off` wins).
    again = make_app(tmp_path, settings=load_settings(mode="off"), theme=None)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert again.theme == "nord"
        assert (again.settings.temperature, again.settings.max_tokens) == (0.8, 50)
        again.open_settings()
        await pilot.pause()
        assert again.screen.query_one("#temperature").value == "0.8"


async def test_settings_that_cannot_be_saved_still_apply_with_a_notice(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "narrator.toml").write_text("temperature = = 1\n", encoding="utf-8")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_settings()
        await pilot.pause()
        app.screen.query_one("#temperature").value = "0.8"
        await pilot.click("#apply")
        await pilot.pause()
        assert app.settings.temperature == 0.8 and isinstance(app.screen, GameScreen)
        notes = [n.message for n in app._notifications]
        assert any("cannot parse" in n and "this session only" in n for n in notes)


async def test_main_menu_from_the_quit_dialog_and_continue_resumes_the_game(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter(pilot, "n")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen) and "Main menu (m)" in screen_text(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen) and app.game_screen is None
        assert not app.screen.query_one("#continue", Button).disabled
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)
        assert app.screen.session.game.state.room == "cliff_path"


async def test_the_ending_panel_closes_with_escape_and_offers_the_main_menu(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for line in walkthrough("tutorial"):
            await enter(pilot, line)
        assert isinstance(app.screen, EndingScreen) and "Main menu" in screen_text(pilot)
        await pilot.press("escape")              # close it and read the story
        await pilot.pause()
        assert isinstance(app.screen, GameScreen) and app.screen.session.game.ended is not None
        await enter(pilot, "undo")               # the typed commands still work
        assert app.screen.session.game.ended is None
        await enter(pilot, "light lantern")
        assert isinstance(app.screen, EndingScreen)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)


async def test_the_palette_offers_the_main_menu(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Main menu" in commands
        app.main_menu()
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)


async def test_the_status_bar_never_says_its_state_twice(tmp_path):
    from game.ui.view_models import NarratorInfo

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 24)) as pilot:
        bar = app.screen.query_one(StatusBar)
        bar.info = NarratorInfo("loading", "loading model (100%)")
        await pilot.pause()
        assert bar.render().plain == "narrator loading model (100%)"
        bar.info = NarratorInfo("loading", "converting SmolLM2 for MLX (40%)")
        await pilot.pause()
        assert bar.render().plain == "narrator loading converting SmolLM2 for MLX (40%)"


async def test_continue_with_nothing_saved_says_why_and_help_says_how_to_close(tmp_path):
    app = make_app(tmp_path, world=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)
        await pilot.press("c")
        await pilot.pause()
        assert any("no saved game to continue" in n.message for n in app._notifications)
        assert isinstance(app.screen, TitleScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and "Esc, F1 or Q closes this." in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)


async def test_the_title_chooses_the_beginners_world_first_and_then_the_last_played(tmp_path):
    app = make_app(tmp_path, world=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        worlds = app.screen.query_one("#worlds")
        assert "Lighthouse" in str(worlds.get_option_at_index(0).prompt)   # the beginner's world
        assert worlds.highlighted == 0
        caverns = next(n for n, w in enumerate(app.screen._worlds) if w.world_id == "crystal_caverns")
        worlds.highlighted = caverns
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)
        await enter(pilot, "look")                  # autosaved: a campaign to come back to
        app.main_menu()
        await pilot.pause()
        assert app.screen.query_one("#worlds").highlighted == caverns   # a returning player


async def test_saving_and_restoring_say_so_in_the_story_in_the_players_terms(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await enter(pilot, "n")
        await enter(pilot, "save mine")
        await pilot.pause()
        story = app.screen.query_one(StoryPane).plain_text()
        assert "Saved to “mine”: The Lighthouse Keeper's Lesson, Cliff Path, turn 1." in story
        await enter(pilot, "n")
        await enter(pilot, "restore mine")
        await pilot.pause()
        story = app.screen.query_one(StoryPane).plain_text()
        assert "Restored “mine”: The Lighthouse Keeper's Lesson, Cliff Path, turn 1." in story
        assert story.rstrip().endswith("Exits: north and south.")   # the room, as LOOK shows it
        assert app.screen.session.game.state.turns == 1             # and no turn spent on it

    again = make_app(tmp_path, world=None)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        story = again.screen.query_one(StoryPane).plain_text()
        assert "Restored your autosave: The Lighthouse Keeper's Lesson, Cliff Path" in story
        assert "autosave-" not in story
