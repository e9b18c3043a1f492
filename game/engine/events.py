"""What a turn produces, for the layers above the engine.

`TurnResult.text` is the authoritative plain text (a classic IF game's output, complete on its
own); `events` say the same thing as data (kinds and ids) so the narrator can retell it and the
UI can react (score, endings) without parsing prose. `Scene` bounds what the narrator may
mention: only what the player can currently perceive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.engine.state import GameState
from game.engine.world import Ending


@dataclass
class Event:
    """One thing that happened. `data` holds ids and details (JSON-safe values only)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": dict(self.data)}


@dataclass
class TurnResult:
    """The outcome of one `Game.execute` call (one typed line, possibly several commands)."""

    command: str
    text: str
    events: list[Event]
    state: GameState
    ending: Ending | None = None
    # A request for the shell: "quit", "save:<slot>", "restore:<slot>", "help". Front ends
    # read it as a typed value through game.play.requests.shell_request.
    meta: str | None = None


@dataclass
class Scene:
    """What the player can perceive right now: the narrator's whole world."""

    room_id: str
    room_name: str
    room_description: str
    exits: list[str]
    fixed_features: list[str]
    visible_items: list[str]
    inventory: list[str]
    dark: bool
