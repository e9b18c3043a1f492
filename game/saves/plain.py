"""Saving for the plain line loop (`adventure play --plain`): the shell side of SAVE/RESTORE.

The engine answers `save castle` / `restore castle` with a meta request; the loop hands it here.
`PlainSaves` also keeps the transcript the loop printed and autosaves after every turn, so a
plain game that is closed or killed resumes with `adventure play --plain --load autosave`.
A failed autosave is reported once and play goes on (the previous autosave stays valid).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.engine.events import TurnResult
from game.engine.game import Game

from .document import TranscriptEntry
from .errors import SaveError
from .slots import QUICKSAVE
from .store import LoadedGame, Origin, SaveStore
from .worlds import WorldLibrary


@dataclass
class PlainSaves:
    """Persistence for one plain-loop session."""

    store: SaveStore
    library: WorldLibrary = field(default_factory=WorldLibrary)
    transcript: list[TranscriptEntry] = field(default_factory=list)
    origin: Origin = field(default_factory=Origin)
    autosave_enabled: bool = True
    _autosave_failed: bool = False

    def adopt(self, loaded: LoadedGame) -> Game:
        """Continue a loaded game: take over its transcript and replay origin."""
        self.transcript = list(loaded.transcript)
        self.origin = loaded.origin
        return loaded.game

    def record(self, game: Game, line: str, result: TurnResult) -> str | None:
        """Note a turn and autosave. Returns a message for the player when the autosave failed."""
        self.transcript.append(TranscriptEntry(line, result.text, "", result.state.turns))
        if not self.autosave_enabled or (result.meta or "").startswith(("save:", "restore:")):
            return None
        try:
            self.store.autosave(game, self.transcript, origin=self.origin)
        except SaveError as error:
            if not self._autosave_failed:
                self._autosave_failed = True
                return f"(Autosave failed: {error})"
        return None

    def handle(self, meta: str, game: Game) -> tuple[Game, str]:
        """Carry out "save:<slot>" or "restore:<slot>". Returns (game to continue, message)."""
        verb, _, slot = meta.partition(":")
        slot = slot.strip() or QUICKSAVE
        if verb == "save":
            try:
                if slot == QUICKSAVE:
                    path = self.store.quicksave(game, self.transcript, origin=self.origin)
                else:
                    path = self.store.save(slot, game, self.transcript, origin=self.origin)
            except SaveError as error:
                return game, str(error)
            return game, f"Saved to '{path.stem}'."
        try:
            loaded = self.store.load(slot, WorldLibrary(folder=self.library.folder,
                                                        preloaded=[game.world]))
        except SaveError as error:
            return game, str(error)
        restored = self.adopt(loaded)
        notes = "".join(f"\n({warning})" for warning in loaded.warnings)
        return restored, f"Restored '{loaded.info.slot}'.{notes}\n\n{where(restored)}"


def where(game: Game) -> str:
    """The current room, as a reminder after a restore (without spending a turn on LOOK)."""
    scene = game.scene()
    return f"{scene.room_name}\n{scene.room_description}"
