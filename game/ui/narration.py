"""Bridges the narrator's worker thread to the Textual event loop.

The narrator calls its sink from its own thread (the only thread that touches MLX). Textual
widgets must only be touched from the app's thread, and the narrator must never wait on the UI,
so each callback becomes a Textual message posted to the app: `post_message` is thread-safe and
returns at once (unlike `call_from_thread`, which would block the worker until the UI ran the
callback, tying token generation to screen refreshes).
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump

from game.narrator.api import NarrationStats


class NarrationToken(Message):
    """Streamed prose for request `request_id`."""

    def __init__(self, request_id: int, text: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.text = text


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

    def on_token(self, request_id: int, text: str) -> None:
        self._target.post_message(NarrationToken(request_id, text))

    def on_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        self._target.post_message(NarrationDone(request_id, stats, final_text))

    def on_error(self, request_id: int, message: str) -> None:
        self._target.post_message(NarrationFailed(request_id, message))

    def on_status(self, status: str, detail: str) -> None:
        self._target.post_message(NarratorStatusChanged(status, detail))
