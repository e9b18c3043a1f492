"""One game in play, as the UI sees it: the engine's `Game`, the transcript, narration requests.

No Textual here and no rules either: it forwards lines to the engine, remembers what was shown
(for saves and the narrator's short history), and turns engine state into the plain data the
widgets draw (`PanelInfo`, `MapData`). Kept apart from the screens so it is testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from game.engine.events import Scene, TurnResult
from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.world import World
from game.narrator import NarrationRequest
from game.narrator.headless import adjacent_scenes, request_for
from game.saves.document import TranscriptEntry
from game.saves.store import Origin
from game.ui.map_layout import MapData, MapRoom
from game.ui.widgets.side_panel import PanelInfo

@dataclass
class Session:
    """A `Game` plus what the player has seen of it."""

    game: Game
    transcript: list[TranscriptEntry] = field(default_factory=list)
    history_turns: int = 3
    origin: Origin | None = None  # where a loaded game's command log began (saves need it)
    _recent: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, world_path: Path) -> "Session":
        return cls(Game(load_world(world_path)))

    @property
    def world(self) -> World:
        return self.game.world

    def intro(self) -> TurnResult:
        result = self.game.intro()
        self.transcript.append(TranscriptEntry("", result.text, turn=0))
        return result

    def execute(self, line: str) -> TurnResult:
        result = self.game.execute(line)
        self.transcript.append(TranscriptEntry(line, result.text, turn=result.state.turns))
        self._recent.append(f"> {line} / {result.text}")
        del self._recent[: -(max(self.history_turns, 0) + 1)]  # this turn + the ones before it
        return result

    def undo(self) -> bool:
        return self.game.undo()

    def add_narration(self, text: str) -> None:
        """Keeps shown narration with its turn (saves carry it; replay does not need it)."""
        if text and self.transcript:
            self.transcript[-1].narration = text

    def restore_history(self, history: list[str]) -> None:
        self._recent = list(history)[-(max(self.history_turns, 0) + 1):]

    @property
    def narrator_history(self) -> list[str]:
        """The recent turns the narrator is shown (saved so a loaded game narrates coherently)."""
        return list(self._recent)

    def request_for(self, result: TurnResult) -> NarrationRequest:
        """A narration request for this turn's outcome (the narrator's own helper builds it,
        so the TUI and `adventure run` ask in the same way), with the turns before it."""
        return request_for(self.game, result, self._recent[:-1])

    def adjacent_scenes(self) -> list[Scene]:
        """What the player would see through each exit: for the narrator's idle prefill."""
        return adjacent_scenes(self.game)

    def completions(self) -> list[str]:
        return self.game.completions()

    def panel_info(self) -> PanelInfo:
        scene = self.game.scene()
        state = self.game.state
        return PanelInfo(
            location=scene.room_name,
            exits=tuple(scene.exits),
            inventory=tuple(scene.inventory),
            score=state.score,
            max_score=self.world.max_score,
            turns=state.turns,
            dark=scene.dark,
        )

    @cached_property
    def _map_rooms(self) -> dict[str, MapRoom]:
        """The world's room graph for the map: the world never changes, so built once (a
        1,000-room world would otherwise be copied on every turn, and compared whole by the
        map's reactive)."""
        return {
            room.id: MapRoom(room.id, room.name, {e.direction: e.to for e in room.exits})
            for room in self.world.rooms.values()
        }

    def map_data(self) -> MapData:
        """The whole room graph with what has been visited; the map draws only visited rooms."""
        state = self.game.state
        return MapData(self._map_rooms, frozenset(state.visited), state.room)
