"""Pick the narrator runtime for the settings: off, fake, or the MLX model.

Kept apart so that the UI and CLI call one function (`game.narrator.make_narrator`). Nothing
imported here imports MLX: the MLX narrator imports it on its own worker thread when it starts.
"""

from __future__ import annotations

from game.narrator.api import Narrator
from game.narrator.runtime.fake import FakeNarrator, NullNarrator
from game.narrator.runtime.worker import MLXNarrator
from game.narrator.settings import NarratorSettings


def make_narrator(settings: NarratorSettings) -> Narrator:
    """`settings.mode`: "off" → NullNarrator, "fake" → FakeNarrator, else the MLX narrator."""
    if settings.mode == "off":
        return NullNarrator()
    if settings.mode == "fake":
        return FakeNarrator(tokens_per_s=settings.fake_tokens_per_s)
    return MLXNarrator(settings)
