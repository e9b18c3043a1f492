"""Pick the narrator runtime for the settings: off, fake, or the MLX model.

Kept apart so that the UI and CLI import one function and never MLX: the MLX narrator's module
is imported only when it is chosen (and MLX itself only on its worker thread).
"""

from __future__ import annotations

from game.narrator.api import Narrator
from game.narrator.runtime.fake import FakeNarrator, NullNarrator
from game.narrator.settings import NarratorSettings


def make_narrator(settings: NarratorSettings) -> Narrator:
    """`settings.mode`: "off" → NullNarrator, "fake" → FakeNarrator, else the MLX narrator."""
    if settings.mode == "off":
        return NullNarrator()
    if settings.mode == "fake":
        return FakeNarrator(tokens_per_s=settings.fake_tokens_per_s)
    from game.narrator.runtime.worker import MLXNarrator

    return MLXNarrator(settings)
