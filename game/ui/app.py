"""The Textual application: owns the narrator and the save store, and switches screens.

Screens ask the app for the things that outlive a game: narration (one narrator, started once,
its model loading in the background while the player already plays), saving and loading, the
settings and the theme. The narrator's worker thread reaches the app only through messages
(`game.ui.narration.MessageSink`), which the app hands to the game screen on its own thread.
"""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Callable, Iterable

from textual.app import App, SystemCommand
from textual.reactive import reactive
from textual.screen import Screen

from game import paths
from game.narrator.api import NarrationRequest, Narrator
from game.narrator.settings import (NarratorSettings, SettingsError, config_dir, config_file,
                                    save_settings)
from game.ui.narration import (MessageSink, NarrationDone, NarrationFailed, NarrationTokens,
                               NarratorStatusChanged)
from game.ui.preferences import load_theme, save_theme
from game.ui.saving import SaveSlots
from game.ui.screens.dialogs import LoadScreen, QuitScreen
from game.ui.screens.game import GameScreen
from game.ui.screens.settings import SettingsChoice, SettingsScreen
from game.ui.screens.title import TitleScreen
from game.play.session import Session
from game.ui.view_models import NarratorInfo
from game.ui.world_list import list_worlds

NarratorFactory = Callable[[NarratorSettings], Narrator]
DEFAULT_THEME = "textual-dark"
_READY = ("idle", "streaming", "prefilling")


def default_narrator_factory(settings: NarratorSettings) -> Narrator:
    """The real narrator (imported lazily: loading MLX must not delay the first frame)."""
    from game.narrator.runtime.factory import make_narrator

    return make_narrator(settings)


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
        `config_dir` None: `game.narrator.settings.config_dir()` (honours $ADVENTURE_CONFIG);
        the settings screen saves there. `settings` should already come from that folder's
        `narrator.toml` with the command-line flags applied (see launch.py)."""
        super().__init__()
        self.settings = settings or NarratorSettings()
        self._narrator_factory = narrator_factory
        self._start_world = world
        self._start_slot = load_slot
        self.worlds_dir = worlds_dir or paths.worlds_dir()
        self.saves = SaveSlots(saves_dir or paths.saves_dir(), self.worlds_dir)
        self._initial_theme = theme
        self._config_dir = config_dir
        self._title_art = title_art
        self.narrator: Narrator | None = None
        self._narrator_loading = False
        self.narration_on = self.settings.mode != "off"
        self.game_screen: GameScreen | None = None
        self.sink = MessageSink(self)

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        self.theme = self._initial_theme or self._saved_theme()
        self.narrator_info = NarratorInfo("off" if not self.narration_on else "loading",
                                          model=self.settings.mode if self.settings.mode == "fake" else "")
        if self.narration_on:
            self._launch_narrator()
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
        return self._config_dir if self._config_dir is not None else config_dir()

    def _saved_theme(self) -> str:
        """The theme from `ui.toml`; a broken file or an unknown name costs a notice, not the game."""
        try:
            theme = load_theme(self.config_dir)
        except (SettingsError, OSError) as exc:
            self.notify(str(exc), title="Settings", severity="warning")
            return DEFAULT_THEME
        if theme is None:
            return DEFAULT_THEME
        if theme not in self.available_themes:
            self.notify(f"Unknown theme {theme!r} in {self.config_dir}; using {DEFAULT_THEME}.",
                        title="Settings", severity="warning")
            return DEFAULT_THEME
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
        return TitleScreen(list_worlds(self.worlds_dir), art, self.saves.latest() is not None)

    def _launch_narrator(self) -> None:
        """Starts building the narrator in a thread worker (once at a time)."""
        if self._narrator_loading:
            return  # `_narrator_ready` notices changed settings and starts again
        self._narrator_loading = True
        self.run_worker(self._start_narrator, thread=True, group="narrator", exit_on_error=False)

    def _start_narrator(self) -> None:
        """Worker thread: build and start the narrator (slow for a real model), then hand it over."""
        settings = self.settings
        try:
            narrator = self._narrator_factory(settings)
            # Status (model loading progress, errors) comes through our sink from the start.
            narrator.start(status_sink=self.sink)
        except Exception as exc:  # any failure: play on in plain text
            self.call_from_thread(self._narrator_failed, str(exc))
            return
        try:
            self.call_from_thread(self._narrator_ready, narrator, settings)
        except RuntimeError:  # the app closed while the model was loading
            narrator.close()

    def _narrator_failed(self, message: str) -> None:
        self._narrator_loading = False
        self.post_message(NarratorStatusChanged("error", f"The narrator could not start: {message}"))

    def _narrator_ready(self, narrator: Narrator, settings: NarratorSettings) -> None:
        self._narrator_loading = False
        if settings != self.settings or not self.narration_on:  # changed while it was loading
            narrator.close()
            if self.narration_on:
                self._launch_narrator()
            return
        self.narrator = narrator
        self.narrator_info = dataclasses.replace(self.narrator_info, model=narrator.model_name)
        self._poll_narrator()

    def _poll_narrator(self) -> None:
        """Re-reads the status after the UI changed something (settings, a new narrator)."""
        if not self.narration_on:
            status = "off"
        elif self.narrator is None:
            status = self.narrator_info.status
        else:
            status = self.narrator.status
        if status != self.narrator_info.status:
            self.narrator_info = dataclasses.replace(self.narrator_info, status=status, detail="")

    # ------------------------------------------------------------------ narration
    def _ready_narrator(self) -> Narrator | None:
        """The narrator, if narration is on and it can take work now."""
        narrator = self.narrator
        if self.narration_on and narrator is not None and narrator.status in _READY:
            return narrator
        return None

    def submit_narration(self, request: NarrationRequest) -> bool:
        """Asks for prose; False (play on in plain text) when the narrator is not ready."""
        narrator = self._ready_narrator()
        if narrator is None:
            return False
        narrator.submit(request, self.sink)
        return True

    def prefetch(self, session: Session) -> None:
        """Lets an idle narrator prefill the rooms next door (it yields at once to a request)."""
        narrator = self._ready_narrator()
        if narrator is not None:
            narrator.prefetch(session.adjacent_scenes(), session.world.narrator, session.world.id)

    def cancel_narration(self) -> None:
        if self.narrator is not None:
            self.narrator.cancel()

    def on_narration_tokens(self, message: NarrationTokens) -> None:
        self._deliver_tokens()

    def _deliver_tokens(self) -> None:
        """Shows all prose that arrived since the last delivery (see `MessageSink`).

        No rate cap on top of the sink's coalescing: capping updates at 20/s with a timer
        halved the median key echo and cut CPU per token by a third, but lengthened the tail
        (p99 ~50-59 ms against 35-49 ms uncapped, bench/tui.py), and the tail is the target.
        """
        for request_id, text in self.sink.take_tokens():
            if self.game_screen is not None:
                self.game_screen.narration_token(request_id, text)

    def on_narration_done(self, message: NarrationDone) -> None:
        self._deliver_tokens()  # the last tokens may still be waiting in the sink
        stats = message.stats
        self.narrator_info = dataclasses.replace(
            self.narrator_info, ttft_s=stats.ttft_s, tokens_per_s=stats.tokens_per_s,
            cache=stats.cache)
        if self.game_screen is not None:
            self.game_screen.narration_done(message.request_id, stats, message.final_text)

    def on_narration_failed(self, message: NarrationFailed) -> None:
        self._deliver_tokens()
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
        self._show_game(GameScreen(session))

    def restart_game(self, session: Session) -> None:
        self.start_world(Path(session.world.source))

    def _show_game(self, screen: GameScreen) -> None:
        if self.game_screen is not None:
            self.game_screen.stop_narration()
        self.game_screen = screen
        if isinstance(self.screen, GameScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def save_game(self, session: Session, slot: str) -> None:
        try:
            self.saves.save(slot, session)
        except Exception as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self.notify(f"Saved to “{slot}”.", title="Saved", timeout=3)

    def autosave_soon(self, session: Session) -> None:
        """Autosaves after the turn's text is on screen (a few ms; the ring keeps five)."""
        self.call_after_refresh(self._autosave, session)

    def _autosave(self, session: Session) -> None:
        error = self.saves.autosave_quietly(session)  # said once, not on every turn
        if error is not None:
            self.notify(f"Autosave failed: {error}", title="Not saved", severity="warning")

    def load_game(self, slot: str) -> None:
        try:
            session, warnings = self.saves.load(slot, self.settings.history_turns)
        except Exception as exc:
            self.notify(str(exc), title="Cannot load", severity="error")
            return
        for warning in warnings:
            self.notify(warning, title="Loaded with a warning", severity="warning")
        self._show_game(GameScreen(session, restored=f"“{slot}”"))

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
    def open_settings(self) -> None:
        current = SettingsChoice(self.narration_on, self.settings.temperature,
                                 self.settings.max_tokens, self.theme)
        self.push_screen(SettingsScreen(current, sorted(self.available_themes)), self.apply_settings)

    def apply_settings(self, choice: SettingsChoice | None) -> None:
        if choice is None:
            return
        changes = self._changed_settings(choice)
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
        self.narration_on = choice.narrator_on
        if self.narration_on and (sampling_changed or self.narrator is None):
            self._restart_narrator()
        self._poll_narrator()
        self._persist_settings(changes, choice.theme if theme_changed else None)

    def _changed_settings(self, choice: SettingsChoice) -> dict[str, object]:
        """The narrator values the player changed, as `narrator.toml` keys.

        Only these are saved: a value that came from a command-line flag for this run
        (`--narrator off`) must not become permanent because another setting was changed."""
        changes: dict[str, object] = {}
        if choice.temperature != self.settings.temperature:
            changes["temperature"] = choice.temperature
        if choice.max_tokens != self.settings.max_tokens:
            changes["max_tokens"] = choice.max_tokens
        if choice.narrator_on != self.narration_on:
            # On again keeps a "fake" narrator fake (as apply_settings does); off is "off".
            keep = self.settings.mode if self.settings.mode != "off" else "on"
            changes["mode"] = keep if choice.narrator_on else "off"
        return changes

    def _persist_settings(self, changes: dict[str, object], theme: str | None) -> None:
        """Saves the changes for the next start; a failed write is a notice, the game goes on
        with the new settings for this session."""
        try:
            if changes:
                directory = self.config_dir
                save_settings(changes, config_file(directory) or directory / "narrator.toml")
            if theme is not None:
                save_theme(theme, self.config_dir)
        except (SettingsError, OSError) as exc:
            self.notify(f"{exc}. The new settings apply to this session only.",
                        title="Settings not saved", severity="error", timeout=8)

    def _restart_narrator(self) -> None:
        """New sampling settings take effect in a fresh narrator (loaded in the background)."""
        old, self.narrator = self.narrator, None
        if old is not None:
            old.close()
        self.narrator_info = dataclasses.replace(self.narrator_info, status="loading", detail="")
        self._launch_narrator()

    # ------------------------------------------------------------------ palette and quitting
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Settings", "Narrator, temperature, max tokens, theme", self.open_settings)
        if isinstance(screen, GameScreen):
            yield SystemCommand("Save game", "Save to a named slot", screen.action_save)
            yield SystemCommand("Load game", "Load a saved game", screen.action_load)
            yield SystemCommand("Undo", "Take back the last turn", screen.action_undo)
            yield SystemCommand("Help", "Commands and keys", screen.action_help)
            yield SystemCommand("Stop narration", "Cut the narrator short", screen.action_stop_narration)
            yield SystemCommand("Toggle map", "Show or hide the map", screen.action_toggle_map)

    def action_quit(self) -> None:
        if isinstance(self.screen, QuitScreen):
            self.screen.dismiss(True)  # Ctrl+Q pressed again on the dialog: that is a yes
            return
        playing = self.game_screen is not None

        def answered(yes: bool | None) -> None:
            if yes:
                self.shutdown()

        self.push_screen(QuitScreen(autosaves=playing), answered)

    def on_unmount(self) -> None:
        """However the app ends (quit, Ctrl+C, a test finishing), stop the narrator's thread."""
        if self.narrator is not None:
            self.narrator.close()
            self.narrator = None

    def shutdown(self) -> None:
        """Autosaves the game in play, stops the narrator and exits."""
        if self.game_screen is not None:
            self.game_screen.stop_narration()
            try:
                self.saves.autosave(self.game_screen.session)
            except Exception as exc:  # leaving must not fail; say so on the way out
                self.notify(f"Autosave failed: {exc}", severity="error")
        if self.narrator is not None:
            self.narrator.close()
            self.narrator = None
        self.exit()
