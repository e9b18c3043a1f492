"""Settings: narrator on/off, temperature, max tokens and the colour theme.

Returns a `SettingsChoice`; the app applies it (themes through Textual's theme system, the
narrator values through a new `NarratorSettings`). Values are validated here so the narrator
never sees one its own validation would reject.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Integer, Number
from textual.widgets import Button, Input, Label, Select, Switch

from game.ui.view_models import SettingsChoice


class SettingsScreen(ModalScreen[SettingsChoice | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: SettingsChoice, themes: list[str]) -> None:
        super().__init__()
        self._current = current
        self._themes = themes

    def compose(self) -> ComposeResult:
        cur = self._current
        with Vertical(classes="dialog", id="settings"):
            yield Label("Settings", classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Narrator", classes="field-label")
                yield Switch(cur.narrator_on, id="narrator")
            with Horizontal(classes="field"):
                yield Label("Temperature", classes="field-label")
                yield Input(f"{cur.temperature:g}", id="temperature",
                            validators=[Number(minimum=0.0, maximum=2.0)])
            with Horizontal(classes="field"):
                yield Label("Max tokens", classes="field-label")
                yield Input(str(cur.max_tokens), id="max-tokens",
                            validators=[Integer(minimum=1, maximum=1024)])
            with Horizontal(classes="field"):
                yield Label("Theme", classes="field-label")
                yield Select([(t, t) for t in self._themes], value=cur.theme,
                             allow_blank=False, id="theme")
            with Horizontal(classes="buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "apply":
            self.dismiss(None)
            return
        temperature = self.query_one("#temperature", Input)
        max_tokens = self.query_one("#max-tokens", Input)
        for field in (temperature, max_tokens):
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                self.notify("; ".join(result.failure_descriptions), severity="error",
                            title=f"{field.id}")
                field.focus()
                return
        self.dismiss(SettingsChoice(
            narrator_on=self.query_one("#narrator", Switch).value,
            temperature=float(temperature.value),
            max_tokens=int(max_tokens.value),
            theme=str(self.query_one("#theme", Select).value),
        ))
