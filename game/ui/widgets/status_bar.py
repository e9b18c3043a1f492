"""One line at the bottom: the narrator's state and its last narration's measurements.

The figures come from `NarrationStats` (time to first token, tokens/s, prefix cache hit/miss),
so a player can see at a glance whether the model is loading, thinking or done.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from game.narrator import status_note
from game.ui.view_models import NarratorInfo

_STATE_STYLE = {
    "loading": "status--busy", "prefilling": "status--busy", "streaming": "status--busy",
    "idle": "status--ok", "off": "status--off", "error": "status--error",
}


class StatusBar(Widget):
    """`narrator: idle · SmolLM2 · ttft 0.21s · 38.5 tok/s · cache hit`."""

    COMPONENT_CLASSES = {"status--busy", "status--ok", "status--off", "status--error", "status--dim"}
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    StatusBar > .status--busy { color: $text-warning; text-style: bold; }
    StatusBar > .status--ok { color: $text-success; text-style: bold; }
    StatusBar > .status--off { color: $text-muted; }
    StatusBar > .status--error { color: $text-error; text-style: bold; }
    StatusBar > .status--dim { color: $text-muted; }
    """

    info: reactive[NarratorInfo] = reactive(NarratorInfo, layout=False)

    def render(self) -> Text:
        info = self.info
        dim = self.get_component_rich_style("status--dim", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("narrator ", dim)
        text.append(info.status, self.get_component_rich_style(_STATE_STYLE.get(info.status, "status--dim"), partial=True))
        if info.detail and info.status in ("loading", "prefilling", "error"):
            text.append(f" {_without_leading(info.detail, info.status)}", dim)  # progress or the reason
        elif info.status in ("idle", "streaming") and status_note(info.detail):
            # a fallback the player should keep seeing (the CPU accelerator could not start)
            text.append(f" ({status_note(info.detail)})", self.get_component_rich_style("status--busy", partial=True))
        parts = []
        if info.model:
            parts.append(info.model)
        if info.ttft_s is not None:
            parts.append(f"ttft {info.ttft_s:.2f}s")
        if info.tokens_per_s is not None:
            parts.append(f"{info.tokens_per_s:.1f} tok/s")
        if info.cache:
            parts.append(f"cache {info.cache}")
        for part in parts:
            text.append(" · ", dim)
            text.append(part)
        return text


def _without_leading(detail: str, status: str) -> str:
    """The detail without a first word that repeats the status ("loading loading model")."""
    first, _, rest = detail.partition(" ")
    return rest if first.lower() == status and rest else detail
