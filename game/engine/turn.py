"""The working context of one command: the world, the state being changed, and the output.

Verbs, rules and effects all write through a `Turn`, so the plain text and the structured
events are produced side by side and can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.engine.events import Event
from game.engine.failures import Failure
from game.engine.index import WorldIndex
from game.engine.state import GameState
from game.engine.world import Item, World


@dataclass
class Turn:
    world: World
    index: WorldIndex
    state: GameState
    paragraphs: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    note: str = ""   # a parenthetical like "(first taking the key)" that heads the next paragraph
    # The action's direct and indirect object while its rules run: what `$object` and
    # `$indirect` in their effects stand for (None outside a rule, or for a command without one).
    command_object: str | None = None
    command_indirect: str | None = None

    def say(self, text: str) -> None:
        """Add a paragraph of plain text (empty strings are ignored)."""
        text = text.strip("\n")
        if text:
            if self.note:
                text = f"{self.note}\n{text}"
                self.note = ""
            self.paragraphs.append(text)

    def aside(self, text: str) -> None:
        """A parenthetical the classic way: on its own line just above what follows."""
        self.note = f"{self.note}\n{text}" if self.note else text

    def emit(self, event_kind: str, /, **data: Any) -> None:
        self.events.append(Event(event_kind, data))

    def fail(self, reason: Failure, text: str, **ids: Any) -> None:
        """A refusal: printed, and reported as a `failed` event with a machine-readable reason."""
        self.say(text)
        self.emit("failed", reason=reason, **ids)

    def item(self, item_id: str) -> Item:
        return self.world.items[item_id]

    @property
    def text(self) -> str:
        if self.note:   # an aside nothing followed (should not happen, but never lose text)
            self.paragraphs.append(self.note)
            self.note = ""
        return "\n\n".join(self.paragraphs)
