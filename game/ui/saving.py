"""The UI's view of the save store: save/load a `Session`, list slots for the load dialog.

A thin adapter over `game.play.saving` (which carries a session's transcript, narrator history
and replay origin into the store and back), so that screens deal in sessions and slot names.
"""

from __future__ import annotations

from pathlib import Path

from game.play.saving import Autosaver, autosave_session, load_session, save_session
from game.play.session import Session
from game.saves.errors import SaveError
from game.saves.store import SaveInfo, SaveStore
from game.saves.worlds import WorldLibrary
from game.ui.view_models import SlotChoice


def describe(info: SaveInfo) -> str:
    """One line for the load dialog: slot, world, place, turns, when."""
    if not info.ok:
        return f"{info.slot}  (unreadable: {info.problem})"
    ended = "  (ended)" if info.ended else ""
    when = info.updated.replace("T", " ")[:16]
    return (f"{info.slot} · {info.world_title} · {info.location} · "
            f"turn {info.turns} · {when}{ended}")


class SaveSlots:
    def __init__(self, directory: Path, worlds_dir: Path) -> None:
        self.store = SaveStore(directory)
        self._library = WorldLibrary(folder=worlds_dir)
        self._autosaver = Autosaver(self.store)

    def save(self, slot: str, session: Session) -> Path:
        """Saves to `slot`; the name "quicksave" (or none) means the quicksave slot."""
        return save_session(self.store, slot, session)

    def autosave(self, session: Session) -> Path:
        """Writes the next autosave ring entry. Raises SaveError or OSError."""
        return autosave_session(self.store, session)

    def autosave_quietly(self, session: Session) -> SaveError | OSError | None:
        """Autosaves after a turn; the error to tell the player once, if any."""
        return self._autosaver.autosave(session)

    def load(self, slot: str, history_turns: int | None = None) -> tuple[Session, list[str]]:
        loaded = load_session(self.store, slot, self._library, history_turns)
        return loaded.session, loaded.warnings

    def latest(self) -> str | None:
        """The slot "Continue" resumes: the most recently written readable save."""
        info = self.store.latest()
        return info.slot if info is not None else None

    def choices(self) -> list[SlotChoice]:
        return [SlotChoice(info.slot, describe(info)) for info in self.store.list() if info.ok]
