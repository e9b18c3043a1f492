"""The app's one narrator: started once, restarted for new sampling settings, turned off and on.

Building a narrator is cheap (the runtime loads its model, and imports MLX, on its own worker
thread), so it is built and started right here on the UI thread; its progress, its tokens and
its failures reach the app only as messages through the `MessageSink`. Screens submit, cancel
and prefetch through this service, never through the app.
"""

from __future__ import annotations

from typing import Callable

from textual.message_pump import MessagePump

from game.narrator import NarrationRequest, Narrator, NarratorSettings
from game.play.session import Session
from game.ui.narration import MessageSink, NarratorStatusChanged

NarratorFactory = Callable[[NarratorSettings], Narrator]
_READY = ("idle", "streaming", "prefilling")


def default_narrator_factory(settings: NarratorSettings) -> Narrator:
    """The narrator for the settings (the runtime factory is imported on first use)."""
    from game.narrator import make_narrator

    return make_narrator(settings)


class NarratorService:
    """Owns the narrator's lifecycle; `enabled` is the player's narration switch."""

    def __init__(self, target: MessagePump, factory: NarratorFactory, enabled: bool) -> None:
        self.sink = MessageSink(target)
        self._target = target
        self._factory = factory
        self.enabled = enabled
        self.narrator: Narrator | None = None

    def start(self, settings: NarratorSettings) -> None:
        """Builds and starts a narrator for `settings`, closing the one before; its status
        (model loading, errors) comes through the sink from the start."""
        self.stop()
        try:
            narrator = self._factory(settings)
            narrator.start(status_sink=self.sink)
        except Exception as exc:  # any failure: play on in plain text
            self._target.post_message(
                NarratorStatusChanged("error", f"The narrator could not start: {exc}"))
            return
        self.narrator = narrator

    def stop(self) -> None:
        """Closes the narrator (its thread ends)."""
        old, self.narrator = self.narrator, None
        if old is not None:
            old.close()

    def _ready(self) -> Narrator | None:
        """The narrator, if narration is on and it can take work now."""
        narrator = self.narrator
        if self.enabled and narrator is not None and narrator.status in _READY:
            return narrator
        return None

    def submit(self, request: NarrationRequest) -> bool:
        """Asks for prose; False (play on in plain text) when the narrator is not ready."""
        narrator = self._ready()
        if narrator is None:
            return False
        narrator.submit(request, self.sink)
        return True

    def prefetch(self, session: Session) -> None:
        """Lets an idle narrator prefill the rooms next door (it yields at once to a request)."""
        narrator = self._ready()
        if narrator is not None:
            narrator.prefetch(session.adjacent_scenes(), session.world.narrator)

    def cancel(self) -> None:
        if self.narrator is not None:
            self.narrator.cancel()

    def status(self, shown: str) -> str:
        """The status to show now: "off" when narration is off, the narrator's own once there
        is one, else `shown` (what the last message said)."""
        if not self.enabled:
            return "off"
        return shown if self.narrator is None else self.narrator.status
