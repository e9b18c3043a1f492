"""What the narrator's worker thread runs: a synchronous engine, one request at a time.

The thread (`worker.NarratorThread`) owns everything about concurrency: the queue, request ids,
cancellation, status reporting and the failure policy. An engine only turns one request into
text on the calling thread, so the same thread serves the model (`generation.narration.
NarrationEngine`) and the deterministic fake (`fake.FakeNarrationEngine`), and the fake
narrator exercises the real queue. Nothing here imports MLX.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from game.narrator.api import NarrationRequest, NarrationStats, NarratorStatus

if TYPE_CHECKING:
    from game.engine.events import Scene
    from game.engine.world import NarratorStyle

StatusFn = Callable[[NarratorStatus, str], None]
"""Reports the engine's state while it works ("prefilling", "streaming") with a detail line."""
StopFn = Callable[[], bool]
"""Polled between small pieces of idle work: True when a request is waiting."""
ProgressFn = Callable[[str, float], None]
"""Loading progress: a message and the fraction done."""


@dataclass
class NarrationRun:
    """An iterator over one narration's visible text; `stats`/`final_text` are set at the end."""

    request_id: int
    pieces: Iterator[str]
    stats: NarrationStats | None = None
    final_text: str = ""
    verdicts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # every checked
    # sentence and its defect kinds (empty: shown), for transcripts and the benchmark

    def __iter__(self) -> Iterator[str]:
        return self.pieces


class Engine(Protocol):
    """A narration engine as the worker thread drives it (every call on that one thread)."""

    def stream(self, request: NarrationRequest, cancel: threading.Event | None = None,
               started_at: float | None = None, status: StatusFn | None = None) -> NarrationRun:
        """Start narrating `request`; iterating the run generates. `cancel` is checked between
        pieces; `started_at` (perf_counter) is where the time to first token counts from."""
        ...

    def prefetch_scene(self, style: NarratorStyle | None, scene: Scene,
                       should_stop: StopFn | None = None, status: StatusFn | None = None) -> bool:
        """Idle work: make entering `scene` cheap; False when `should_stop` interrupted it."""
        ...

    def flush(self, should_stop: StopFn | None = None) -> int:
        """Idle work: persist what is worth keeping; returns how many things were written."""
        ...

    def discard_partial(self) -> None:
        """Forget half-done work after a failure (its state cannot be trusted)."""
        ...


EngineOpener = Callable[[ProgressFn], tuple[Engine, str]]
"""Builds the engine on the worker thread (the model must belong to it); returns it and the
model's name for status lines. May raise: the thread reports the failure and answers every
request with an error."""
