"""The plain line loop (`adventure play --plain`): useful over ssh and with screen readers.

It prints the engine's text, carries out SAVE and RESTORE against the save store, and
autosaves after every turn, so a plain game that is closed or killed resumes with
`adventure play --plain --load autosave`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, TextIO

from game.engine.game import Game
from game.play.requests import (
    SAVING_REQUESTS,
    LoadRequest,
    QuitRequest,
    SaveRequest,
    shell_request,
)
from game.play.saving import Autosaver, load_session, save_session
from game.play.session import Session
from game.saves.errors import SaveError
from game.saves.store import SaveStore
from game.saves.worlds import WorldLibrary

SAVES_LATER = "Saving is not available in this session (it was started without a saves folder)."


@dataclass
class PlainSaves:
    """The save store of one plain game, and where its worlds are found on RESTORE."""

    store: SaveStore
    library: WorldLibrary = field(default_factory=WorldLibrary)
    autosave_enabled: bool = True

    def __post_init__(self) -> None:
        self._autosaver = Autosaver(self.store)

    def autosave(self, session: Session) -> str | None:
        """Autosaves; a message for the player when the autosave failed."""
        if not self.autosave_enabled:
            return None
        error = self._autosaver.autosave(session)
        return f"(Autosave failed: {error})" if error is not None else None

    def carry_out(self, request: SaveRequest | LoadRequest,
                  session: Session) -> tuple[Session, str]:
        """Saves or restores. Returns (the session to continue, the message for the player)."""
        if isinstance(request, SaveRequest):
            try:
                path = save_session(self.store, request.slot, session)
            except SaveError as error:
                return session, str(error)
            return session, f"Saved to '{path.stem}'."
        library = WorldLibrary(folder=self.library.folder, preloaded=[session.world])
        try:
            loaded = load_session(self.store, request.slot, library)
        except SaveError as error:
            return session, str(error)
        notes = "".join(f"\n({warning})" for warning in loaded.warnings)
        return loaded.session, f"Restored '{loaded.slot}'.{notes}\n\n{loaded.session.where()}"


def play_plain(game: Game | Session, read: Callable[[str], str] = input,
               out: TextIO = sys.stdout, saves: PlainSaves | None = None,
               resumed: bool = False) -> int:
    """Plays until QUIT or the end of input.

    With `saves`, SAVE/RESTORE work and every turn is autosaved; `resumed` skips the intro of a
    loaded game and reminds the player where they are instead.
    """
    session = game if isinstance(game, Session) else Session(game)
    if resumed:
        print(session.where(), file=out)
    else:
        print(session.intro().text, file=out)
    while True:
        try:
            line = read("\n> ")
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        result = session.execute(line)
        if result.text:
            print(result.text, file=out)
        request = shell_request(result)
        if saves is not None and not isinstance(request, SAVING_REQUESTS):
            problem = saves.autosave(session)
            if problem:
                print(problem, file=out)
        if isinstance(request, QuitRequest):
            print("Goodbye.", file=out)
            return 0
        if isinstance(request, SAVING_REQUESTS):
            if saves is None:
                print(SAVES_LATER, file=out)
            else:
                session, message = saves.carry_out(request, session)
                print(message, file=out)
