"""Small modal dialogs: quit confirmation, the ending panel, save-slot name, load picker.

Each returns its answer through `dismiss` (Textual's screen result) so the game screen decides
what to do; none of them knows about the engine.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from game.ui.view_models import EndingInfo, SlotChoice

QUIT, MAIN_MENU = "quit", "menu"


class QuitScreen(ModalScreen[str]):
    """"Really quit?" — quit (the app autosaves and exits), go to the main menu, or keep playing.

    Dismissed with QUIT, MAIN_MENU, or "" (keep playing: the safe default of Esc and n).
    """

    BINDINGS = [
        Binding("escape,n", "dismiss('')", "Keep playing"),
        Binding("y", "dismiss('quit')", "Quit"),  # Ctrl+Q again: see AdventureApp.action_quit
        Binding("m", "main_menu", "Main menu"),
    ]

    def __init__(self, autosaves: bool) -> None:
        super().__init__()
        self._autosaves = autosaves

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Quit the game?", classes="dialog-title")
            if self._autosaves:
                yield Static("Your game is saved as you play: Continue on the title screen resumes it, "
                             "now or next time.")
            with Horizontal(classes="buttons"):
                yield Button("Quit (y)", variant="error", id="yes")
                if self._autosaves:
                    yield Button("Main menu (m)", id="menu")
                yield Button("Keep playing (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_main_menu(self) -> None:
        if self._autosaves:   # only offered from a game
            self.dismiss(MAIN_MENU)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"yes": QUIT, "menu": MAIN_MENU}.get(event.button.id or "", ""))


class EndingScreen(ModalScreen[str]):
    """The game is over: the ending, score and turns; restart, undo, load, main menu or quit.

    Esc closes it and leaves the story to read (UNDO, RESTART and RESTORE still work there).
    """

    BINDINGS = [
        Binding("escape", "choose('')", "Close"),
        Binding("m", "choose('menu')", "Main menu"),
        Binding("r", "choose('restart')", "Restart"),
        Binding("u,ctrl+z", "choose('undo')", "Undo"),
        Binding("l,ctrl+l", "choose('load')", "Load"),
        Binding("q,ctrl+q", "choose('quit')", "Quit"),
    ]

    def __init__(self, info: EndingInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        heading = "You have won!" if info.kind == "win" else "You have lost."
        score = f"{info.score} of {info.max_score}" if info.max_score else str(info.score)
        with Vertical(classes=f"dialog ending {info.kind}", id="ending"):
            yield Label(heading, classes="dialog-title", id="ending-title")
            yield Static(info.message, id="ending-message")
            yield Static(f"Score {score} in {info.turns} turns", id="ending-score")
            with Horizontal(classes="buttons"):
                yield Button("Restart", id="restart", variant="primary")
                yield Button("Undo", id="undo")
                yield Button("Load", id="load")
                yield Button("Main menu", id="menu")
                yield Button("Quit", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#restart", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "")


class SaveScreen(ModalScreen[str | None]):
    """Asks for a save slot name."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, default: str = "quicksave") -> None:
        super().__init__()
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save game", classes="dialog-title")
            yield Input(self._default, placeholder="slot name", id="slot")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        value = self.query_one("#slot", Input).value.strip()
        self.dismiss(value or None if event.button.id == "save" else None)


class LoadScreen(ModalScreen[str | None]):
    """Picks a saved game; the caller lists the slots (newest first) and loads the answer."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, slots: list[SlotChoice]) -> None:
        super().__init__()
        self._slots = slots

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Load a saved game", classes="dialog-title")
            if self._slots:
                yield OptionList(*(Option(s.label, id=s.slot) for s in self._slots), id="slots")
            else:
                yield Static("No saved games yet.", id="no-saves")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)
