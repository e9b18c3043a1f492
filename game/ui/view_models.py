"""What the widgets draw, as plain data: built from a play session, drawn by the widgets.

Kept out of the widget modules so that the play layer's data can be turned into view data, and
tested, without Textual; widgets and screens import these, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from game.engine.world import Ending, World
from game.play.session import Session
from game.ui.map_layout import MapData, MapRoom


@dataclass(frozen=True)
class PanelInfo:
    """The side panel: where the player is, the way out, what they carry, how they do."""

    location: str
    exits: tuple[str, ...]
    inventory: tuple[str, ...]
    score: int
    max_score: int
    turns: int
    dark: bool = False


@dataclass(frozen=True)
class NarratorInfo:
    """A snapshot of what the status bar shows; replaced as a whole so the bar re-renders once."""

    status: str = "off"
    detail: str = ""
    model: str = ""
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    cache: str | None = None


@dataclass(frozen=True)
class EndingInfo:
    """The ending panel: how the game ended, and the score."""

    kind: str        # "win" or "lose"
    message: str
    score: int
    max_score: int
    turns: int


@dataclass(frozen=True)
class SlotChoice:
    """One saved game in the load dialog."""

    slot: str
    label: str


@dataclass(frozen=True)
class SettingsChoice:
    """The settings dialog's answer (validated there)."""

    narrator_on: bool
    temperature: float
    max_tokens: int
    theme: str


def panel_info(session: Session) -> PanelInfo:
    scene = session.game.scene()
    state = session.game.state
    return PanelInfo(
        location=scene.room_name,
        exits=tuple(scene.exits),
        inventory=tuple(scene.inventory),
        score=state.score,
        max_score=session.world.max_score,
        turns=state.turns,
        dark=scene.dark,
    )


def ending_info(session: Session, ending: Ending) -> EndingInfo:
    """The ending panel of a game that has just reached `ending`."""
    state = session.game.state
    return EndingInfo(ending.kind, ending.message, state.score, session.world.max_score,
                      state.turns)


@dataclass(frozen=True)
class WorldMap:
    """A world's room graph for the map, built once per world: the world never changes, so a
    1,000-room world is not copied on every turn (nor compared whole by the map's reactive)."""

    world: World

    @cached_property
    def rooms(self) -> dict[str, MapRoom]:
        return {
            room.id: MapRoom(room.id, room.name, {e.direction: e.to for e in room.exits})
            for room in self.world.rooms.values()
        }

    def data(self, session: Session) -> MapData:
        """The whole room graph with what has been visited; the map draws only visited rooms."""
        state = session.game.state
        return MapData(self.rooms, frozenset(state.visited), state.room)
