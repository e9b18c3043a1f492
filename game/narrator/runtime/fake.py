"""Narrators without a model: a deterministic fake (tests, UI benchmarks, demos) and "off".

`FakeNarrator` behaves like the MLX narrator from the outside: its own worker thread, request
ids, streaming at a set rate, cancellation within one token, idle status, prefetch accepted.
The text is derived from the request (command and engine text), so a UI test can predict it
exactly with `fake_narration(request)`. It never imports MLX.

`NullNarrator` is `--narrator off`: it reports status "off" and answers every request at once
with an empty narration, so the UI needs no special case.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from typing import Any, Sequence

from game.narrator.api import NarrationRequest, NarrationSink, NarrationStats, NarratorStatus


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


class FakeNarrator:
    """A `Narrator` streaming `fake_narration(request)` at `tokens_per_s` on its own thread."""

    def __init__(self, tokens_per_s: float = 40.0, load_s: float = 0.0,
                 ttft_s: float = 0.0) -> None:
        self._interval = 1.0 / tokens_per_s
        self._load_s = load_s
        self._ttft_s = ttft_s
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._jobs: deque[tuple[NarrationRequest, NarrationSink, threading.Event, float]] = deque()
        self._current: threading.Event | None = None
        self._status: NarratorStatus = "loading"
        self._status_sink: NarrationSink | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        self.prefetched: list[Any] = []  # scenes handed to prefetch, for tests

    def start(self, status_sink: NarrationSink | None = None) -> None:
        with self._lock:
            if status_sink is not None:
                self._status_sink = status_sink
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="fake-narrator", daemon=True)
            self._thread.start()

    def submit(self, request: NarrationRequest, sink: NarrationSink) -> None:
        with self._wake:
            if self._current is not None:
                self._current.set()
            for job in self._jobs:
                job[2].set()
            self._jobs.append((request, sink, threading.Event(), time.perf_counter()))
            self._status_sink = sink
            self._wake.notify_all()

    def cancel(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.set()
            for job in self._jobs:
                job[2].set()

    def prefetch(self, scenes: Sequence[Any], style: Any = None, world_id: str = "") -> None:
        with self._lock:
            self.prefetched.extend(scenes)

    def close(self) -> None:
        with self._wake:
            self._closing = True
            if self._current is not None:
                self._current.set()
            self._wake.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def status(self) -> NarratorStatus:
        return self._status

    @property
    def model_name(self) -> str:
        return "fake"

    def _set_status(self, status: NarratorStatus, detail: str = "") -> None:
        self._status = status
        if self._status_sink is not None:
            self._status_sink.on_status(status, detail)

    def _run(self) -> None:
        self._set_status("loading", "fake model")
        if self._load_s:
            time.sleep(self._load_s)
        self._set_status("idle", "fake")
        while True:
            with self._wake:
                while not self._jobs and not self._closing:
                    self._wake.wait()
                if self._closing:
                    break
                jobs = list(self._jobs)
                self._jobs.clear()
                self._current = jobs[-1][2]
            for request, sink, _, _ in jobs[:-1]:
                sink.on_done(request.request_id,
                             NarrationStats("hit", 0, 0, 0.0, 0.0, 0, cancelled=True), "")
            self._stream(*jobs[-1])
            with self._lock:
                self._current = None
        self._set_status("off", "closed")

    def _stream(self, request: NarrationRequest, sink: NarrationSink, cancel: threading.Event,
                submitted: float) -> None:
        self._set_status("streaming", "fake")
        text = fake_narration(request)
        pieces = fake_tokens(text)
        if self._ttft_s:
            cancel.wait(self._ttft_s)  # the model "thinking"; a cancel ends it at once
        sent: list[str] = []
        t_first = None
        for piece in pieces:
            if cancel.is_set():
                break
            if t_first is None:
                t_first = time.perf_counter()
            sink.on_token(request.request_id, piece)
            sent.append(piece)
            if cancel.wait(self._interval):
                break
        elapsed = time.perf_counter() - (t_first or submitted)
        cancelled = len(sent) < len(pieces)
        final = text if not cancelled else ""
        stats = NarrationStats("hit", 0, len(pieces), (t_first or time.perf_counter()) - submitted,
                               len(sent) / elapsed if elapsed > 0 and sent else 0.0, len(sent),
                               cancelled=cancelled)
        sink.on_done(request.request_id, stats, final)
        self._set_status("idle", "fake")


class NullNarrator:
    """`--narrator off`: no thread, no model; every request ends at once with no narration."""

    def start(self, status_sink: NarrationSink | None = None) -> None:
        if status_sink is not None:
            status_sink.on_status("off", "narration is off")

    def submit(self, request: NarrationRequest, sink: NarrationSink) -> None:
        sink.on_done(request.request_id, NarrationStats("hit", 0, 0, 0.0, 0.0, 0), "")

    def cancel(self) -> None:
        pass

    def prefetch(self, scenes: Sequence[Any], style: Any = None, world_id: str = "") -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def status(self) -> NarratorStatus:
        return "off"

    @property
    def model_name(self) -> str:
        return "off"
