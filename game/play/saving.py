"""Saving and loading a `Session`: one way for the TUI and the plain loop.

The store (`game.saves.store.SaveStore`) deals in games, transcripts, narrator histories and
replay origins; a session holds all four, so front ends deal in sessions and slot names only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from game.play.session import Session
from game.saves.errors import SaveError
from game.saves.slots import QUICKSAVE
from game.saves.store import SaveStore
from game.saves.worlds import WorldLibrary


def save_session(store: SaveStore, slot: str, session: Session) -> Path:
    """Saves to `slot`; the name "quicksave" (or none) means the quicksave slot."""
    if not slot or slot == QUICKSAVE:
        return store.quicksave(session.game, session.transcript, session.narrator_history,
                               origin=session.origin)
    return store.save(slot, session.game, session.transcript, session.narrator_history,
                      origin=session.origin)


def autosave_session(store: SaveStore, session: Session) -> Path:
    """Writes the next autosave ring entry. Raises SaveError or OSError."""
    return store.autosave(session.game, session.transcript, session.narrator_history,
                          origin=session.origin)


@dataclass
class LoadedSession:
    """A session continued from a save, the slot it came from (the file's own name when the
    slot was "autosave") and the notes for the player (an upgraded format, a replayed log)."""

    session: Session
    slot: str
    warnings: list[str]


def load_session(store: SaveStore, slot: str, library: WorldLibrary,
                 history_turns: int | None = None) -> LoadedSession:
    """The session saved in `slot`. Raises SaveError."""
    loaded = store.load(slot, library)
    return LoadedSession(Session.resumed(loaded, history_turns), loaded.info.slot,
                         list(loaded.warnings))


@dataclass
class Autosaver:
    """Autosaves after every turn; a failure is reported once (until an autosave works again)
    and play goes on, the previous autosave staying valid."""

    store: SaveStore
    failed: bool = False

    def autosave(self, session: Session) -> SaveError | OSError | None:
        """Writes the next autosave; returns the error to tell the player about, if any."""
        try:
            autosave_session(self.store, session)
        except (SaveError, OSError) as error:
            first, self.failed = not self.failed, True
            return error if first else None
        self.failed = False
        return None
