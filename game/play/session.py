"""One game in play: the engine's `Game`, what the player was shown, the narrator's history.

Every front end that keeps a transcript plays through a `Session`: the TUI, the plain line loop
and the narrated scripted run (the unnarrated one drives a `Game` directly: it keeps none).
It forwards lines to the engine, keeps the transcript (saves carry it) and the history window
(narration requests carry it), and builds the narration requests; it has no rules of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from game.engine.events import Scene, TurnResult
from game.engine.game import Game
from game.engine.loader import load_world
from game.engine.world import World
from game.narrator import NarrationRequest
from game.play.history import HistoryWindow
from game.play.narration import request_for
from game.saves.document import TranscriptEntry
from game.saves.store import LoadedGame, Origin


def engine_text(result: TurnResult) -> str:
    """The engine's own text for a turn (what the TUI and the plain loop show)."""
    return result.text


@dataclass
class Session:
    """A `Game` plus what the player has seen of it."""

    game: Game
    transcript: list[TranscriptEntry] = field(default_factory=list)
    history: HistoryWindow = field(default_factory=HistoryWindow)
    origin: Origin | None = None  # where a loaded game's command log began (saves need it)
    # What the front end shows for a turn (the history keeps it): the engine's text, except in
    # a scripted run, which prints a note for the shell requests it does not carry out.
    shown: Callable[[TurnResult], str] = engine_text

    @classmethod
    def new(cls, world_path: Path, history_turns: int | None = None) -> "Session":
        session = cls(Game(load_world(world_path)))
        if history_turns is not None:
            session.history_turns = history_turns
        return session

    @classmethod
    def resumed(cls, loaded: LoadedGame, history_turns: int | None = None) -> "Session":
        """Continues a loaded game: its transcript, replay origin and narrator history."""
        session = cls(loaded.game, transcript=list(loaded.transcript), origin=loaded.origin)
        if history_turns is not None:
            session.history_turns = history_turns
        session.restore_history(loaded.narrator_history)
        return session

    @property
    def world(self) -> World:
        return self.game.world

    @property
    def history_turns(self) -> int:
        """How many turns before the current one a narration request carries."""
        return self.history.turns

    @history_turns.setter
    def history_turns(self, turns: int) -> None:
        self.history.turns = turns

    def intro(self) -> TurnResult:
        result = self.game.intro()
        self.transcript.append(TranscriptEntry("", result.text, turn=0))
        return result

    def execute(self, line: str) -> TurnResult:
        result = self.game.execute(line)
        self.transcript.append(TranscriptEntry(line, result.text, turn=result.state.turns))
        self.history.add(line, self.shown(result))
        return result

    def undo(self) -> bool:
        return self.game.undo()

    def add_narration(self, text: str) -> None:
        """Keeps shown narration with its turn (saves carry it; replay does not need it)."""
        if text and self.transcript:
            self.transcript[-1].narration = text

    def restore_history(self, history: list[str]) -> None:
        self.history.restore(history)

    @property
    def narrator_history(self) -> list[str]:
        """The recent turns the narrator is shown (saved so a loaded game narrates coherently)."""
        return self.history.lines

    def request_for(self, result: TurnResult) -> NarrationRequest:
        """The narration request for this turn's outcome, with the turns before it."""
        return request_for(self.game, result, self.history.before_current())

    def adjacent_scenes(self) -> list[Scene]:
        """What the player would see through each exit they can pass: the narrator's idle
        prefill of the rooms next door."""
        return self.game.adjacent_scenes()

    def completions(self) -> list[str]:
        return self.game.completions()

    def place_summary(self) -> str:
        """Where the game stands, in the player's terms: "The Lighthouse Keeper's Lesson, Cliff Path, turn 7"."""
        state = self.game.state
        return f"{self.world.title}, {self.game.scene().room_name}, turn {state.turns}"

    def where(self) -> str:
        """The current room, as a reminder after a restore (without spending a turn on LOOK)."""
        scene = self.game.scene()
        return f"{scene.room_name}\n{scene.room_description}"
