"""Narrators without a model: a deterministic fake (tests, UI benchmarks, demos) and "off".

`FakeNarrator` is the real worker thread (`worker.NarratorThread`: its queue, request ids,
cancellation within one token, status reporting) running `FakeNarrationEngine`, which streams
text derived from the request (command and engine text) at a set rate, so a UI test can predict
it exactly with `fake_narration(request)`. It never imports MLX.

`NullNarrator` is `--narrator off`: it reports status "off" and answers every request at once
with an empty narration, so the UI needs no special case.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Sequence

from game.narrator.api import NarrationRequest, NarrationSink, NarrationStats, NarratorStatus
from game.narrator.runtime.engine import Engine, NarrationRun, ProgressFn, StatusFn, StopFn
from game.narrator.runtime.worker import NarratorThread

if TYPE_CHECKING:
    from game.engine.events import Scene
    from game.engine.world import NarratorStyle

FAKE_MODEL = "fake"


def fake_narration(request: NarrationRequest) -> str:
    """The text FakeNarrator streams for `request`: second person, one or two sentences."""
    first = " ".join(request.result_text.split()).split(". ")[0].rstrip(".!?")
    command = " ".join(request.command.split()) or "wait"
    room = getattr(request.scene, "room_name", "") or "the room"
    text = f"You {command} in {room}."
    if first:
        text += f" The world answers: {first[:1].lower()}{first[1:]}."
    return text


def fake_tokens(text: str) -> list[str]:
    """Split like a BPE tokenizer would, roughly: words keep their leading space."""
    return re.findall(r"\s*\S+", text)


class FakeNarrationEngine:
    """An `Engine` streaming `fake_narration(request)`, one piece per `1 / tokens_per_s` s.

    `ttft_s` is a pause before the first piece (the model "thinking"); a cancel ends it at once.
    Prefetched scenes are only recorded (`prefetched`, for tests).
    """

    def __init__(self, tokens_per_s: float = 40.0, ttft_s: float = 0.0) -> None:
        self._interval = 1.0 / tokens_per_s
        self._ttft_s = ttft_s
        self.prefetched: list[Scene] = []

    def stream(self, request: NarrationRequest, cancel: threading.Event | None = None,
               started_at: float | None = None, status: StatusFn | None = None) -> NarrationRun:
        run = NarrationRun(request.request_id, iter(()))
        run.pieces = self._pieces(run, request, cancel or threading.Event(),
                                  time.perf_counter() if started_at is None else started_at, status)
        return run

    def _pieces(self, run: NarrationRun, request: NarrationRequest, cancel: threading.Event,
                submitted: float, status: StatusFn | None) -> Iterator[str]:
        if status is not None:
            status("streaming", FAKE_MODEL)
        text = fake_narration(request)
        pieces = fake_tokens(text)
        if self._ttft_s:
            cancel.wait(self._ttft_s)
        sent = 0
        t_first = None
        for piece in pieces:
            if cancel.is_set():
                break
            if t_first is None:
                t_first = time.perf_counter()
            yield piece
            sent += 1
            if cancel.wait(self._interval):
                break
        elapsed = time.perf_counter() - (t_first or submitted)
        cancelled = sent < len(pieces)
        run.final_text = text if not cancelled else ""
        run.stats = NarrationStats("hit", 0, len(pieces), (t_first or time.perf_counter()) - submitted,
                                   sent / elapsed if elapsed > 0 and sent else 0.0, sent,
                                   cancelled=cancelled)

    def prefetch_scene(self, style: NarratorStyle | None, scene: Scene,
                       should_stop: StopFn | None = None, status: StatusFn | None = None) -> bool:
        self.prefetched.append(scene)
        return True

    def flush(self, should_stop: StopFn | None = None) -> int:
        return 0

    def discard_partial(self) -> None:
        pass


class FakeNarrator(NarratorThread):
    """The worker thread running a `FakeNarrationEngine` (built after `load_s` seconds)."""

    def __init__(self, tokens_per_s: float = 40.0, load_s: float = 0.0,
                 ttft_s: float = 0.0) -> None:
        self.engine = FakeNarrationEngine(tokens_per_s, ttft_s)
        self._load_s = load_s
        super().__init__(self._open, FAKE_MODEL, "fake model")

    def _open(self, progress: ProgressFn) -> tuple[Engine, str]:
        if self._load_s:
            time.sleep(self._load_s)
        return self.engine, FAKE_MODEL


class NullNarrator:
    """`--narrator off`: no thread, no model; every request ends at once with no narration."""

    def start(self, status_sink: NarrationSink | None = None) -> None:
        if status_sink is not None:
            status_sink.on_status("off", "narration is off")

    def submit(self, request: NarrationRequest, sink: NarrationSink) -> None:
        sink.on_done(request.request_id, NarrationStats.empty(), "")

    def cancel(self) -> None:
        pass

    def prefetch(self, scenes: Sequence[Scene], style: NarratorStyle | None = None) -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def status(self) -> NarratorStatus:
        return "off"

    @property
    def model_name(self) -> str:
        return "off"
