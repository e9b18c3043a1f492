"""The narrator's history window: the recent turns a narration request carries.

One size for every front end: `NarratorSettings.history_turns` turns before the one being
narrated. The window keeps the current turn as well, so a save (which stores the window) lets
a loaded game narrate its next turn with the same context as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.narrator import NarratorSettings


def default_history_turns() -> int:
    """The narrator's default window (`NarratorSettings.history_turns`)."""
    return NarratorSettings().history_turns


@dataclass
class HistoryWindow:
    """"> command / text" lines of the current turn and the `turns` before it."""

    turns: int = field(default_factory=default_history_turns)
    _lines: list[str] = field(default_factory=list)

    def add(self, command: str, text: str) -> None:
        self._lines.append(f"> {command} / {text}")
        del self._lines[: -(max(self.turns, 0) + 1)]

    def restore(self, lines: list[str]) -> None:
        """Takes over a saved window (trimmed to this window's size)."""
        self._lines = list(lines)[-(max(self.turns, 0) + 1):]

    @property
    def lines(self) -> list[str]:
        """The whole window, oldest first (what saves store)."""
        return list(self._lines)

    def before_current(self) -> list[str]:
        """The turns before the current one: the history of the current turn's request."""
        return self._lines[:-1]
