"""Bridges the narrator's worker thread to the Textual event loop.

The narrator calls its sink from its own thread (the only thread that touches MLX). Textual
widgets must only be touched from the app's thread, and the narrator must never wait on the UI,
so each callback becomes a Textual message posted to the app: `post_message` is thread-safe and
returns at once (unlike `call_from_thread`, which would block the worker until the UI ran the
callback, tying token generation to screen refreshes).

Tokens are coalesced: they collect in a buffer and only one `NarrationTokens` message is in
flight at a time; the app drains everything that arrived meanwhile. When the UI is idle each
token is shown as it comes; when it is busy (a frame being drawn, a key being handled) several
tokens go into one update instead of queueing one message each in front of the player's keys.
"""

from __future__ import annotations

import threading

from textual.message import Message
from textual.message_pump import MessagePump

from game.narrator import NarrationStats


class NarrationTokens(Message):
    """Streamed prose is waiting in the sink: take it with `MessageSink.take_tokens()`."""


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
        self._pending: list[tuple[int, str]] = []
        self._posted = False

    def on_token(self, request_id: int, text: str) -> None:
        with self._lock:
            if self._pending and self._pending[-1][0] == request_id:
                self._pending[-1] = (request_id, self._pending[-1][1] + text)
            else:
                self._pending.append((request_id, text))
            if self._posted:
                return
            self._posted = True
        self._target.post_message(NarrationTokens())

    def take_tokens(self) -> list[tuple[int, str]]:
        """(request id, text) runs that arrived since the last call, oldest first. UI thread."""
        with self._lock:
            pending, self._pending, self._posted = self._pending, [], False
        return pending

    def on_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        self._target.post_message(NarrationDone(request_id, stats, final_text))

    def on_error(self, request_id: int, message: str) -> None:
        self._target.post_message(NarrationFailed(request_id, message))

    def on_status(self, status: str, detail: str) -> None:
        self._target.post_message(NarratorStatusChanged(status, detail))
