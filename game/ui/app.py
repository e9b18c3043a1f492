"""The Textual application: switches screens and answers what they ask for.

Screens post request messages (`game.ui.messages`: a new game, save, load, settings, quit) that
the app handles in its `on_...` handlers; they never call it, nor import this module. The
services post what they have to say as messages too: the narrator (`NarratorService`, its
worker thread reaching the app only through `game.ui.narration.MessageSink`) and the saving
service (`SaveSlots`). The app hands streamed narration to the game screen on its own thread.
"""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.reactive import reactive
from textual.screen import Screen

from game import paths
from game.config_files import ConfigFileError
from game.narrator import Narrator, NarratorSettings
from game.play.session import Session
from game.saves.slots import slot_in_words
from game.ui.messages import (
    AutosaveRequested,
    ContinueRequested,
    GameSaved,
    LoadRequested,
    MainMenuRequested,
    NewGameRequested,
    QuitRequested,
    SaveFailed,
    SaveRequested,
    SettingsRequested,
)
from game.ui.narration import (
    NarrationDone,
    NarrationFailed,
    NarrationTokens,
    NarratorStatusChanged,
)
from game.ui.narrator_service import (
    NarratorFactory,
    NarratorService,
    default_narrator_factory,
)
from game.ui.preferences import (
    narrator_changes,
    persist_settings,
    saved_theme_or_default,
)
from game.ui.saving import SaveSlots
from game.ui.screens.dialogs import MAIN_MENU, QUIT, LoadScreen, QuitScreen
from game.ui.screens.game import GameScreen
from game.ui.screens.settings import SettingsChoice, SettingsScreen
from game.ui.screens.title import TitleScreen
from game.ui.view_models import NarratorInfo
from game.ui.world_list import list_worlds, preselected


class AdventureApp(App[None]):
    """`adventure`: the title screen, then the game."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "Crystal Adventure"

    narrator_info: reactive[NarratorInfo] = reactive(NarratorInfo, layout=False)

    def __init__(
        self,
        settings: NarratorSettings | None = None,
        *,
        narrator_factory: NarratorFactory = default_narrator_factory,
        world: Path | None = None,
        load_slot: str | None = None,
        worlds_dir: Path | None = None,
        saves_dir: Path | None = None,
        theme: str | None = None,
        title_art: str | None = None,
        config_dir: Path | None = None,
    ) -> None:
        """`theme` None: the theme saved in the config folder (else the default).
        `config_dir` None: `game.paths.config_dir()` (honours $ADVENTURE_CONFIG);
        the settings screen saves there. `settings` should already come from that folder's
        `narrator.toml` with the command-line flags applied (see launch.py)."""
        super().__init__()
        self.settings = settings or NarratorSettings()
        self._start_world = world
        self._start_slot = load_slot
        self.worlds_dir = worlds_dir or paths.worlds_dir()
        self.saves = SaveSlots(saves_dir or paths.saves_dir(), self.worlds_dir, self)
        self._initial_theme = theme
        self._config_dir = config_dir
        self._title_art = title_art
        self.narration = NarratorService(self, narrator_factory, self.settings.mode != "off")
        self.game_screen: GameScreen | None = None

    @property
    def narrator(self) -> Narrator | None:
        """The narrator in use (None while narration is off or it could not start)."""
        return self.narration.narrator

    @property
    def narration_on(self) -> bool:
        return self.narration.enabled

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        self.theme = self._initial_theme or self._saved_theme()
        self.narrator_info = NarratorInfo("off" if not self.narration_on else "loading",
                                          model=self.settings.mode if self.settings.mode == "fake" else "")
        if self.narration_on:
            self._start_narrator()
        if self._start_slot:
            self.load_game(self._start_slot)
        elif self._start_world:
            self.start_world(self._start_world)
        else:
            self.push_screen(self.title_screen())
        self.call_after_refresh(self._freeze_startup_objects)

    @property
    def config_dir(self) -> Path:
        """Where the settings screen saves (`narrator.toml`, `ui.toml`)."""
        return self._config_dir if self._config_dir is not None else paths.config_dir()

    def _saved_theme(self) -> str:
        """The theme from `ui.toml`; a broken file or an unknown name costs a notice, not the game."""
        theme, problem = saved_theme_or_default(self.config_dir, self.available_themes)
        if problem is not None:
            self.notify(problem, title="Settings", severity="warning")
        return theme

    def _freeze_startup_objects(self) -> None:
        """Moves everything alive after start-up (modules, Textual, styles, the world) out of
        the garbage collector's reach. Full collections otherwise walk all of it and paused the
        UI for 20-50 ms every few seconds (bench/tui.py: the worst key echoes); objects made
        later are collected as usual."""
        gc.freeze()

    def title_screen(self) -> TitleScreen:
        art = self._title_art
        if art is None:
            art_file = paths.assets_dir() / "title.txt"
            art = art_file.read_text(encoding="utf-8") if art_file.is_file() else ""
        worlds = list_worlds(self.worlds_dir)
        latest = self.saves.latest_info()
        return TitleScreen(worlds, art, latest is not None,
                           preselected(worlds, latest.world_id if latest is not None else None))

    def _start_narrator(self) -> None:
        """Starts a narrator for the current settings (its model loads on its own thread)."""
        self.narration.start(self.settings)
        if self.narrator is not None:
            self.narrator_info = dataclasses.replace(self.narrator_info,
                                                     model=self.narrator.model_name)
        self._poll_narrator()

    def _poll_narrator(self) -> None:
        """Re-reads the status after the UI changed something (settings, a new narrator)."""
        status = self.narration.status(self.narrator_info.status)
        if status != self.narrator_info.status:
            self.narrator_info = dataclasses.replace(self.narrator_info, status=status, detail="")

    # ------------------------------------------------------------------ narration
    def on_narration_tokens(self, message: NarrationTokens) -> None:
        """Shows the prose streamed so far (Textual has merged the messages that waited).

        No rate cap on top of that coalescing: capping updates at 20/s with a timer halved the
        median key echo but lengthened the tail, and the tail is the target (docs/).
        """
        if self.game_screen is not None:
            self.game_screen.narration_streamed(message.request_id, message.text)

    def on_narration_done(self, message: NarrationDone) -> None:
        stats = message.stats
        self.narrator_info = dataclasses.replace(
            self.narrator_info, ttft_s=stats.ttft_s, tokens_per_s=stats.tokens_per_s,
            cache=stats.cache)
        if self.game_screen is not None:
            self.game_screen.narration_done(message.request_id, stats, message.final_text)

    def on_narration_failed(self, message: NarrationFailed) -> None:
        self.notify(message.message, title="Narrator", severity="error", timeout=6)
        if self.game_screen is not None:
            self.game_screen.narration_failed(message.request_id)

    def on_narrator_status_changed(self, message: NarratorStatusChanged) -> None:
        status = message.status if self.narration_on else "off"
        if status == "error" and message.detail and message.detail != self.narrator_info.detail:
            self.notify(f"{message.detail}. The game goes on without narration.",
                        title="Narrator", severity="error", timeout=8)
        self.narrator_info = dataclasses.replace(self.narrator_info, status=status,
                                                 detail=message.detail)

    # ------------------------------------------------------------------ games
    def start_world(self, path: Path) -> None:
        from game.engine.loader import WorldLoadError

        try:
            session = Session.new(path, self.settings.history_turns)
        except (WorldLoadError, OSError) as exc:
            self.notify(str(exc), title="Cannot open world", severity="error")
            return
        self._show_game(GameScreen(session, self.narration))

    def on_new_game_requested(self, message: NewGameRequested) -> None:
        self.start_world(message.world)

    def _show_game(self, screen: GameScreen) -> None:
        if self.game_screen is not None:
            self.game_screen.stop_narration()
        self.game_screen = screen
        if isinstance(self.screen, GameScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def on_save_requested(self, message: SaveRequested) -> None:
        self.saves.save(message.slot, message.session)

    def on_autosave_requested(self, message: AutosaveRequested) -> None:
        """Autosaves after the turn's text is on screen (a few ms; the ring keeps five)."""
        self.call_after_refresh(self.saves.autosave_after_turn, message.session)

    def on_game_saved(self, message: GameSaved) -> None:
        if self.game_screen is not None:   # said in the story, where the player is looking
            self.game_screen.saved(message.slot)
        else:
            self.notify(f"Saved to {slot_in_words(message.slot)}.", title="Saved", timeout=3)

    def on_save_failed(self, message: SaveFailed) -> None:
        if message.autosave:
            self.notify(f"Autosave failed: {message.problem}", title="Not saved",
                        severity="warning")
        else:
            self.notify(message.problem, title="Not saved", severity="error")

    def load_game(self, slot: str) -> None:
        try:
            session, warnings = self.saves.load(slot, self.settings.history_turns)
        except Exception as exc:
            self.notify(str(exc), title="Cannot load", severity="error")
            return
        for warning in warnings:
            self.notify(warning, title="Loaded with a warning", severity="warning")
        self._show_game(GameScreen(session, self.narration, restored=slot_in_words(slot)))
        self.post_message(AutosaveRequested(session))   # Continue now resumes the restored game

    def on_load_requested(self, message: LoadRequested) -> None:
        if message.slot is None:
            self.choose_and_load()
        else:
            self.load_game(message.slot)

    def on_continue_requested(self, message: ContinueRequested) -> None:
        self.continue_latest()

    def continue_latest(self) -> None:
        slot = self.saves.latest()
        if slot is None:
            self.notify("There is no autosave yet.", title="Continue")
            return
        self.load_game(slot)

    def choose_and_load(self) -> None:
        def chosen(slot: str | None) -> None:
            if slot:
                self.load_game(slot)

        self.push_screen(LoadScreen(self.saves.choices()), chosen)

    # ------------------------------------------------------------------ settings
    def on_settings_requested(self, message: SettingsRequested) -> None:
        self.open_settings()

    def open_settings(self) -> None:
        current = SettingsChoice(self.narration_on, self.settings.temperature,
                                 self.settings.max_tokens, self.theme)
        self.push_screen(SettingsScreen(current, sorted(self.available_themes)), self.apply_settings)

    def apply_settings(self, choice: SettingsChoice | None) -> None:
        if choice is None:
            return
        changes = narrator_changes(choice, self.settings, self.narration_on)
        theme_changed = choice.theme != self.theme
        self.theme = choice.theme
        if not choice.narrator_on and self.game_screen is not None:
            self.game_screen.stop_narration()
        sampling_changed = (choice.temperature, choice.max_tokens) != (
            self.settings.temperature, self.settings.max_tokens)
        # Turning narration on when it was started "off" means: use the model.
        mode = "on" if choice.narrator_on and self.settings.mode == "off" else None
        self.settings = self.settings.with_overrides(temperature=choice.temperature,
                                                     max_tokens=choice.max_tokens, mode=mode)
        self.narration.enabled = choice.narrator_on
        if self.narration_on and (sampling_changed or self.narrator is None):
            self._restart_narrator()
        self._poll_narrator()
        self._persist_settings(changes, choice.theme if theme_changed else None)

    def _persist_settings(self, changes: dict[str, object], theme: str | None) -> None:
        """Saves the changes for the next start; a failed write is a notice, the game goes on
        with the new settings for this session."""
        try:
            persist_settings(changes, theme, self.config_dir)
        except (ConfigFileError, OSError) as exc:
            self.notify(f"{exc}. The new settings apply to this session only.",
                        title="Settings not saved", severity="error", timeout=8)

    def _restart_narrator(self) -> None:
        """New sampling settings take effect in a fresh narrator (loaded in the background)."""
        self.narration.stop()
        self.narrator_info = dataclasses.replace(self.narrator_info, status="loading", detail="")
        self._start_narrator()

    # ------------------------------------------------------------------ palette and quitting
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Settings", "Narrator, temperature, max tokens, theme", self.open_settings)
        if isinstance(screen, GameScreen):
            yield SystemCommand("Save game", "Save to a named slot", screen.action_save)
            yield SystemCommand("Load game", "Load a saved game", screen.action_load)
            yield SystemCommand("Undo", "Take back the last turn", screen.action_undo)
            yield SystemCommand("Help", "Commands and keys", screen.action_help)
            yield SystemCommand("Main menu", "Back to the title screen (your game is saved)", self.main_menu)
            yield SystemCommand("Stop narration", "Cut the narrator short", screen.action_stop_narration)
            yield SystemCommand("Toggle map", "Show or hide the map", screen.action_toggle_map)

    def on_quit_requested(self, message: QuitRequested) -> None:
        self.action_quit()

    def on_main_menu_requested(self, message: MainMenuRequested) -> None:
        self.main_menu()

    def main_menu(self) -> None:
        """Back to the title screen; the game was autosaved on its last turn, so Continue resumes it."""
        if self.game_screen is not None:
            self.game_screen.stop_narration()
            self.game_screen = None
        while len(self.screen_stack) > 1 and not isinstance(self.screen, TitleScreen):
            self.pop_screen()
        title = self.title_screen()   # afresh: Continue now has a game to resume
        if isinstance(self.screen, TitleScreen):
            self.switch_screen(title)
        else:
            self.push_screen(title)

    def action_quit(self) -> None:
        if isinstance(self.screen, QuitScreen):
            self.screen.dismiss(QUIT)  # Ctrl+Q pressed again on the dialog: that is a yes
            return
        playing = self.game_screen is not None

        def answered(choice: str | None) -> None:
            if choice == QUIT:
                self.shutdown()
            elif choice == MAIN_MENU:
                self.post_message(MainMenuRequested())

        self.push_screen(QuitScreen(autosaves=playing), answered)

    def on_unmount(self) -> None:
        """However the app ends (quit, Ctrl+C, a test finishing), stop the narrator's thread."""
        self.narration.stop()

    def shutdown(self) -> None:
        """Autosaves the game in play, stops the narrator and exits."""
        if self.game_screen is not None:
            self.game_screen.stop_narration()
            try:
                self.saves.autosave(self.game_screen.session)
            except Exception as exc:  # leaving must not fail; say so on the way out
                self.notify(f"Autosave failed: {exc}", severity="error")
        self.narration.stop()
        self.exit()
