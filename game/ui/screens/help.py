"""The help screen: the command set with examples, and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

HELP_TEXT = """\
**How to play.** Type what you want to do and press **Enter**. Short sentences work best.

| To… | type, for example |
|---|---|
| move | `north`, `n`, `go up`, `enter`, `out` |
| look around | `look` (`l`), `examine lamp` (`x lamp`) |
| take and drop | `take lamp`, `get all`, `drop coin` |
| see what you carry | `inventory` (`i`) |
| use things | `open chest`, `unlock door with key`, `put coin in box` |
| light and wear | `light lantern`, `turn on torch`, `wear cloak` |
| read, eat, drink | `read note`, `eat bread`, `drink water` |
| talk and give | `give coin to guard` |
| wait, repeat | `wait` (`z`), `again` (`g`) |
| score, undo | `score`, `undo` |

**Tab** completes verbs, exits and the names of things you can see; **↑/↓** recall earlier
commands. The story appears at once; the narrator's prose follows in *italics*.

**Keys**

| key | does |
|---|---|
| F1 | this help |
| Esc | stop the narration |
| Ctrl+S / Ctrl+L | save / load |
| Ctrl+Z | undo the last turn |
| F2 | show or hide the map |
| Ctrl+P | command palette |
| Ctrl+Q | quit (your game is saved automatically) |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="help"):
            yield Static("Esc, F1 or Q closes this.", id="help-close")
            yield Markdown(HELP_TEXT)
