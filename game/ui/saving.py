"""The UI's view of the save store: save/load a `Session`, list slots for the load dialog.

A thin adapter over `game.saves.store.SaveStore`: it carries the session's transcript,
narrator history and replay origin into the store and back, so that screens deal in sessions
and slot names only.
"""

from __future__ import annotations

from pathlib import Path

from game.saves.slots import QUICKSAVE
from game.saves.listing import describe_save
from game.saves.store import SaveStore
from game.saves.worlds import WorldLibrary
from game.ui.screens.dialogs import SlotChoice
from game.ui.session import Session


class SaveSlots:
    def __init__(self, directory: Path, worlds_dir: Path) -> None:
        self.store = SaveStore(directory)
        self._library = WorldLibrary(folder=worlds_dir)

    def save(self, slot: str, session: Session) -> Path:
        """Saves to `slot`; the name "quicksave" (or none) means the quicksave slot."""
        if not slot or slot == QUICKSAVE:
            return self.store.quicksave(session.game, session.transcript,
                                        session.narrator_history, origin=session.origin)
        return self.store.save(slot, session.game, session.transcript, session.narrator_history,
                               origin=session.origin)

    def autosave(self, session: Session) -> Path:
        return self.store.autosave(session.game, session.transcript, session.narrator_history,
                                   origin=session.origin)

    def load(self, slot: str) -> tuple[Session, list[str]]:
        loaded = self.store.load(slot, self._library)
        session = Session(loaded.game, transcript=list(loaded.transcript), origin=loaded.origin)
        session.restore_history(loaded.narrator_history)
        return session, list(loaded.warnings)

    def latest(self) -> str | None:
        """The slot "Continue" resumes: the most recently written readable save."""
        info = self.store.latest()
        return info.slot if info is not None else None

    def choices(self) -> list[SlotChoice]:
        return [SlotChoice(info.slot, describe_save(info)) for info in self.store.list() if info.ok]
