"""The command line: an `Input` with shell-like history and tab completion.

History is kept here (not in the engine) because it is about what the player typed, including
lines the engine rejected. Completion words come from a callable so the input always asks the
game for what is in scope now; the same words drive Textual's inline suggestion (ghost text).
"""

from __future__ import annotations

from typing import Callable

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

from game.ui.completion import candidates, suggest

WordSource = Callable[[], list[str]]


class CompletionSuggester(Suggester):
    """Ghost text completing the last word from the game's current vocabulary."""

    def __init__(self, words: WordSource) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._words = words

    async def get_suggestion(self, value: str) -> str | None:
        return suggest(value, self._words())


class CommandInput(Input):
    """Input with up/down history and Tab cycling through completions."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous command", show=False),
        Binding("down", "history(1)", "Next command", show=False),
        Binding("tab", "complete", "Complete", show=False, priority=True),
    ]

    def __init__(self, words: WordSource | None = None, **kwargs) -> None:
        self._words: WordSource = words or (lambda: [])
        super().__init__(suggester=CompletionSuggester(self._words), **kwargs)
        self.history: list[str] = []
        self._history_pos = 0
        self._draft = ""
        self._cycle: list[str] = []
        self._cycle_pos = -1

    def _watch_value(self, value: str) -> None:
        """Input's own watcher, minus the whole-screen layout pass it triggers per keystroke.

        Textual's Input grows its virtual width with the text, and a virtual-size change asks
        the screen for a new layout. This input's size never depends on its text (full width,
        fixed height), so that pass only costs time: bench/tui.py measured it as the bulk of
        the work per key press on the game screen. The repaint still happens.
        """
        self._layout_muted = True
        try:
            super()._watch_value(value)
        finally:
            self._layout_muted = False

    def refresh(self, *regions, repaint: bool = True, layout: bool = False,
                recompose: bool = False):  # type: ignore[override]
        if getattr(self, "_layout_muted", False):
            layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def set_words(self, words: WordSource) -> None:
        """Points completion at a new source (a new game)."""
        self._words = words
        self.suggester = CompletionSuggester(words)

    def remember(self, line: str) -> None:
        """Adds a submitted line to the history (skipping blanks and immediate repeats)."""
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._history_pos = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._history_pos == len(self.history):
            self._draft = self.value
        self._history_pos = max(0, min(len(self.history), self._history_pos + step))
        self.value = self._draft if self._history_pos == len(self.history) else self.history[self._history_pos]
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        """First Tab completes to the first match; further Tabs cycle through the others."""
        if self._cycle and self.value == self._cycle[self._cycle_pos]:
            self._cycle_pos = (self._cycle_pos + 1) % len(self._cycle)
        else:
            self._cycle = candidates(self.value, self._words())
            self._cycle_pos = 0
            if not self._cycle:
                self.app.bell()
                return
            if len(self._cycle) > 1:
                self.notify(", ".join(self._cycle[:8]) + (" …" if len(self._cycle) > 8 else ""),
                            title="Completions", timeout=3)
        self.value = self._cycle[self._cycle_pos]
        self.cursor_position = len(self.value)
