"""What the screens ask of the app, and what the saving service reports, as Textual messages.

Screens post these instead of calling the app: they bubble from the screen to the app, whose
`on_...` handlers start games, save, load, open the settings and quit. So no screen imports the
app, and each request is a value a test can post and inspect.
"""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from game.play.session import Session


class NewGameRequested(Message):
    """Start the world in `world` from its beginning (a world picked, or a restart)."""

    def __init__(self, world: Path) -> None:
        super().__init__()
        self.world = world


class ContinueRequested(Message):
    """Resume the most recent save."""


class LoadRequested(Message):
    """Load `slot`; None lets the player choose in the load dialog."""

    def __init__(self, slot: str | None = None) -> None:
        super().__init__()
        self.slot = slot


class SaveRequested(Message):
    """Save `session` to `slot` ("quicksave" is the quicksave slot)."""

    def __init__(self, session: Session, slot: str) -> None:
        super().__init__()
        self.session = session
        self.slot = slot


class AutosaveRequested(Message):
    """A turn was played: autosave `session` once its text is on screen."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class SettingsRequested(Message):
    """Open the settings dialog."""


class QuitRequested(Message):
    """Ask the player whether to quit (quitting autosaves)."""


class MainMenuRequested(Message):
    """Leave the game for the title screen (the game is autosaved every turn; Continue resumes it)."""


class GameSaved(Message):
    """The saving service wrote `slot`."""

    def __init__(self, slot: str) -> None:
        super().__init__()
        self.slot = slot


class SaveFailed(Message):
    """A save (`autosave` True: an autosave, reported once) could not be written."""

    def __init__(self, problem: str, autosave: bool = False) -> None:
        super().__init__()
        self.problem = problem
        self.autosave = autosave
