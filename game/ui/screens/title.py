"""The title screen: pick a world, continue the latest autosave, load, settings, quit.

The narrator model loads in the background meanwhile; its progress shows at the bottom and
the player may start at once (the game plays in plain text until the model is ready).
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from game.ui.messages import (
    ContinueRequested,
    LoadRequested,
    NewGameRequested,
    QuitRequested,
    SettingsRequested,
)
from game.ui.view_models import NarratorInfo
from game.ui.widgets.status_bar import StatusBar
from game.ui.world_list import WorldEntry

DEFAULT_TITLE = "CRYSTAL ADVENTURE"


def world_prompt(entry: WorldEntry) -> Text:
    """Two or three lines per world: title, author and size, then its blurb."""
    text = Text()
    text.append(entry.title, "bold")
    if entry.problem:
        text.append("  (cannot be played)\n", "italic")
        text.append(entry.problem, "dim")
        return text
    byline = f"  by {entry.author}" if entry.author else ""
    text.append(f"{byline} · {entry.rooms} rooms")
    if entry.blurb:
        text.append("\n" + entry.blurb, "italic")
    return text


class TitleScreen(Screen[None]):
    BINDINGS = [
        Binding("c", "continue_game", "Continue"),
        Binding("l", "load", "Load"),
        Binding("s", "settings", "Settings"),
        Binding("f1", "help", "Help"),
        Binding("q,ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self, worlds: list[WorldEntry], art: str = "", can_continue: bool = False,
                 preselect: int = 0) -> None:
        super().__init__()
        self._worlds = worlds
        self._preselect = preselect
        self._art = art.rstrip("\n")
        self._can_continue = can_continue

    def compose(self) -> ComposeResult:
        yield Static(Text(self._art or DEFAULT_TITLE), id="title-art")
        with Horizontal(id="title-body"):
            with Vertical(id="worlds-box"):
                yield Static("Choose a world", classes="section-title")
                options = [Option(world_prompt(w), id=str(i), disabled=bool(w.problem))
                           for i, w in enumerate(self._worlds)]
                if options:
                    yield OptionList(*options, id="worlds")
                else:
                    yield Static("No worlds found.", id="no-worlds")
            with Vertical(id="menu"):
                yield Button("Continue", id="continue", disabled=not self._can_continue,
                             compact=True)
                yield Button("Load game", id="load", compact=True)
                yield Button("Settings", id="settings", compact=True)
                yield Button("Quit", id="quit", variant="error", compact=True)
        with Horizontal(id="loading"):
            yield Static("Loading the narrator; you can start playing now.", id="loading-label")
            yield ProgressBar(total=None, show_eta=False, id="model-progress")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "narrator_info", self._show_narrator_info)
        if self.query("#worlds"):
            worlds = self.query_one("#worlds", OptionList)
            worlds.highlighted = self._preselect
            worlds.focus()

    def _show_narrator_info(self, info: NarratorInfo) -> None:
        """Status line, and a progress bar while the model loads (a percentage if reported)."""
        self.query_one(StatusBar).info = info
        self.query_one("#loading").display = info.status == "loading"
        percent = re.search(r"(\d+)%", info.detail)
        bar = self.query_one("#model-progress", ProgressBar)
        if info.status == "loading" and percent:
            bar.update(total=100, progress=int(percent.group(1)))
        elif info.status == "loading":
            bar.update(total=None)

    def set_can_continue(self, value: bool) -> None:
        self._can_continue = value
        self.query_one("#continue", Button).disabled = not value

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        entry = self._worlds[int(event.option.id or 0)]
        self.post_message(NewGameRequested(entry.path))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"continue": self.action_continue_game, "load": self.action_load,
                   "settings": self.action_settings, "quit": self.action_quit}
        actions[event.button.id or "quit"]()

    def action_continue_game(self) -> None:
        if self._can_continue:
            self.post_message(ContinueRequested())
        else:
            self.notify("There is no saved game to continue yet: choose a world to start one.",
                        title="Continue")

    def action_load(self) -> None:
        self.post_message(LoadRequested())

    def action_settings(self) -> None:
        self.post_message(SettingsRequested())

    def action_quit(self) -> None:
        self.post_message(QuitRequested())

    def action_help(self) -> None:
        from game.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())
