"""The side panel: where the player is, the way out, what they carry, how they are doing.

Fed a plain `PanelInfo` (game.ui.view_models, built from the engine's `Scene` and state), so it
can be tested and snapshotted without a game.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from game.ui.view_models import PanelInfo


class SidePanel(VerticalScroll):
    """Location, exits, inventory and score, each in its own labelled block."""

    DEFAULT_CSS = """
    SidePanel { height: auto; max-height: 60%; padding: 0 1; scrollbar-size-vertical: 1; }
    SidePanel > Static { width: 1fr; }
    SidePanel > #location { text-style: bold; color: $text-accent; }
    SidePanel > .heading { color: $text-muted; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="location")
        yield Static("", id="exits")
        yield Static("Inventory", classes="heading")
        yield Static("", id="inventory")
        yield Static("", id="score", classes="heading")

    def show(self, info: PanelInfo) -> None:
        self.query_one("#location", Static).update(Text(info.location))
        exits = ", ".join(info.exits) if info.exits else "none you can see"
        self.query_one("#exits", Static).update(Text(f"Exits: {exits}"))
        carried = "\n".join(f"• {name}" for name in info.inventory) or "(nothing)"
        self.query_one("#inventory", Static).update(Text(carried))
        score = f"Score {info.score}/{info.max_score}" if info.max_score else f"Score {info.score}"
        self.query_one("#score", Static).update(Text(f"{score}  ·  Turns {info.turns}"))
