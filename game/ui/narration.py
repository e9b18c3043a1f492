"""Bridges the narrator's worker thread to the Textual event loop, as typed messages.

The narrator calls its sink from its own thread (the only thread that touches MLX). Textual
widgets must only be touched from the app's thread, and the narrator must never wait on the UI,
so each callback becomes a Textual message posted to the app: `post_message` is thread-safe and
returns at once (unlike `call_from_thread`, which would block the worker until the UI ran the
callback, tying token generation to screen refreshes).

Tokens are coalesced by Textual itself: each `NarrationTokens` carries everything streamed so
far for its request, so when several wait in the queue (a frame being drawn, a key being
handled) `can_replace` lets the newest stand for all of them, and the UI makes one update
instead of one per token in front of the player's keys. When the UI is idle each token is shown
as it comes.
"""

from __future__ import annotations

import threading

from textual.message import Message
from textual.message_pump import MessagePump

from game.narrator import NarrationStats


class NarrationTokens(Message):
    """Request `request_id` has streamed `text` so far (all of it, not only the new tokens)."""

    def __init__(self, request_id: int, text: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.text = text

    def can_replace(self, message: Message) -> bool:
        """A later message of the same request holds all of this one's text."""
        return isinstance(message, NarrationTokens) and message.request_id == self.request_id


class NarrationDone(Message):
    """Request `request_id` finished or was cancelled; `final_text` is what to keep."""

    def __init__(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.stats = stats
        self.final_text = final_text


class NarrationFailed(Message):
    """Request `request_id` failed; the game goes on with the engine's text."""

    def __init__(self, request_id: int, message: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.message = message


class NarratorStatusChanged(Message):
    """The narrator is loading, prefilling, streaming, idle, off or in error."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__()
        self.status = status
        self.detail = detail


class MessageSink:
    """A `NarrationSink` that turns every callback into a message for `target` (the app)."""

    def __init__(self, target: MessagePump) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._request_id: int | None = None
        self._streamed = ""

    def on_token(self, request_id: int, text: str) -> None:
        with self._lock:  # worker thread; one request streams at a time
            if request_id != self._request_id:
                self._request_id, self._streamed = request_id, ""
            self._streamed += text
            streamed = self._streamed
        self._target.post_message(NarrationTokens(request_id, streamed))

    def on_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        self._target.post_message(NarrationDone(request_id, stats, final_text))

    def on_error(self, request_id: int, message: str) -> None:
        self._target.post_message(NarrationFailed(request_id, message))

    def on_status(self, status: str, detail: str) -> None:
        self._target.post_message(NarratorStatusChanged(status, detail))
