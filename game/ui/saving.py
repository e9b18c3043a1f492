"""The UI's saving service: save/load a `Session`, list slots for the load dialog.

A thin adapter over `game.play.saving` (which carries a session's transcript, narrator history
and replay origin into the store and back). What the player should hear about (saved, not
saved, an autosave that failed) is posted to the app as messages (`game.ui.messages`), which
shows them; loading hands the session back to the app that asked for it.
"""

from __future__ import annotations

from pathlib import Path

from textual.message_pump import MessagePump

from game.play.saving import Autosaver, autosave_session, load_session, save_session
from game.play.session import Session
from game.saves.errors import SaveError
from game.saves.listing import describe_save
from game.saves.store import SaveInfo, SaveStore
from game.saves.worlds import WorldLibrary
from game.ui.messages import GameSaved, SaveFailed
from game.ui.view_models import SlotChoice


class SaveSlots:
    """The save store of the app; outcomes are posted to `target` (the app)."""

    def __init__(self, directory: Path, worlds_dir: Path, target: MessagePump) -> None:
        self.store = SaveStore(directory)
        self._library = WorldLibrary(folder=worlds_dir)
        self._autosaver = Autosaver(self.store)
        self._target = target

    def save(self, slot: str, session: Session) -> None:
        """Saves to `slot` (the name "quicksave", or none, means the quicksave slot)."""
        try:
            save_session(self.store, slot, session)
        except Exception as exc:  # any failure is a notice; the game goes on
            self._target.post_message(SaveFailed(str(exc)))
            return
        self._target.post_message(GameSaved(slot))

    def autosave(self, session: Session) -> Path:
        """Writes the next autosave ring entry now. Raises SaveError or OSError."""
        return autosave_session(self.store, session)

    def autosave_after_turn(self, session: Session) -> None:
        """Autosaves; a failure is posted once (again only after an autosave worked)."""
        error: SaveError | OSError | None = self._autosaver.autosave(session)
        if error is not None:
            self._target.post_message(SaveFailed(str(error), autosave=True))

    def load(self, slot: str, history_turns: int | None = None) -> tuple[Session, list[str]]:
        loaded = load_session(self.store, slot, self._library, history_turns)
        return loaded.session, loaded.warnings

    def latest_info(self) -> SaveInfo | None:
        """The most recently written readable save, for the title screen."""
        return self.store.latest()

    def latest(self) -> str | None:
        """The slot "Continue" resumes: the most recently written readable save."""
        info = self.store.latest()
        return info.slot if info is not None else None

    def choices(self) -> list[SlotChoice]:
        return [SlotChoice(info.slot, describe_save(info)) for info in self.store.list() if info.ok]
