"""The narrator's worker thread: one long-lived thread that owns the engine and does all its work.

Why one thread: since MLX 0.31.2 a stream belongs to the thread that created it, so a model or
KV cache made on one thread can fail on another (mlx#3727, mlx-lm#1181). The worker thread
builds the engine (loading the model), prefills and generates; other threads only exchange
plain Python objects with it under a lock (requests in, sink callbacks out). The thread is
generic over its engine (`runtime.engine.Engine`): `MLXNarrator` runs the model's
`NarrationEngine`, `fake.FakeNarrator` a deterministic one, so both share this queue.

Cancellation: every request gets its own `threading.Event`; a new `submit` (or `cancel`) sets the
current one, and the engine checks it between tokens, so the narration stops within one token.
Idle work (prefetching adjacent rooms, writing caches to disk) checks "is a request waiting?"
between small chunks and gives way at once.

Failure policy: nothing here may stop the game. An engine that fails to load, runs out of memory
or raises mid-stream produces `on_error`/`on_status("error", ...)` and the worker carries on;
requests made while no engine is loaded get an immediate `on_error` naming the cause.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from game.narrator.api import NarrationRequest, NarrationSink, NarrationStats, NarratorStatus, idle_detail
from game.narrator.backends.mlx_model import ModelUnavailable
from game.narrator.runtime.engine import Engine, EngineOpener, ProgressFn
from game.narrator.settings import NarratorSettings

if TYPE_CHECKING:
    from game.engine.events import Scene
    from game.engine.world import NarratorStyle
    from game.narrator.backends.mlx_backend import LoadedModelLike
    from game.narrator.backends.protocol import ModelBackend

log = logging.getLogger(__name__)
_CLOSE_TIMEOUT_S = 120.0

Loader = Callable[[str | None, ProgressFn], "ModelBackend | LoadedModelLike"]


def default_loader(spec: str | None, progress: ProgressFn) -> ModelBackend:
    """The model named by `spec` (embedded SmolLM2, HF ids, folders), loaded on the worker thread."""
    from game.narrator.backends.mlx_backend import MLXBackend

    return MLXBackend.load(spec, progress)


def default_cache_directory() -> Path:
    from game.paths import cache_dir

    return cache_dir() / "prompt-cache"


@dataclass
class _Job:
    request: NarrationRequest
    sink: NarrationSink
    submitted_at: float
    cancel: threading.Event = field(default_factory=threading.Event)


def _deliver(callback: Callable[..., None], *args: Any) -> None:
    """Call a sink method; a faulty one is logged, never allowed to stop the worker."""
    try:
        callback(*args)
    except Exception:
        log.exception("narrator sink %s failed", getattr(callback, "__name__", callback))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class NarratorThread:
    """A `Narrator` running the engine that `open_engine` builds on its own thread.

    `model_name` names the model until the engine says better; `loading_detail` is the status
    line while it loads. `park_when_done` keeps the finished thread alive (see `_park`): needed
    once the thread has used MLX.
    """

    def __init__(self, open_engine: EngineOpener, model_name: str, loading_detail: str,
                 prefetch: bool = True, idle_poll_s: float = 0.5,
                 park_when_done: bool = False) -> None:
        self._open_engine = open_engine
        self._prefetch_enabled = prefetch
        self._idle_poll_s = idle_poll_s
        self._loading_detail = loading_detail
        self._park_when_done = park_when_done
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._jobs: deque[_Job] = deque()
        self._current: _Job | None = None
        self._prefetch: list[tuple[NarratorStyle | None, Scene]] = []
        self._last_style: NarratorStyle | None = None
        self._status: NarratorStatus = "loading"
        self._status_sink: NarrationSink | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()  # set once the worker has flushed and let go of the engine
        self._model_name = model_name
        self._idle_detail = ""  # set when loading: the model and what the CPU accelerator could not do
        self.load_error: str | None = None

    # ---------------------------------------------------------------- Narrator protocol
    def start(self, status_sink: NarrationSink | None = None) -> None:
        """Start the worker (it builds the engine first). `status_sink` gets on_status calls
        until the first `submit` supplies a sink of its own."""
        with self._lock:
            if status_sink is not None:
                self._status_sink = status_sink
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="narrator", daemon=True)
            self._thread.start()

    def submit(self, request: NarrationRequest, sink: NarrationSink) -> None:
        with self._wake:
            self._cancel_all_locked()
            self._jobs.append(_Job(request, sink, time.perf_counter()))
            self._status_sink = sink
            self._last_style = request.style
            self._wake.notify_all()

    def cancel(self) -> None:
        with self._lock:
            self._cancel_all_locked()

    def _cancel_all_locked(self) -> None:
        """Flags the narration in progress and every queued one as cancelled (lock held)."""
        if self._current is not None:
            self._current.cancel.set()
        for job in self._jobs:
            job.cancel.set()

    def prefetch(self, scenes: Sequence[Scene], style: NarratorStyle | None = None) -> None:
        if not self._prefetch_enabled:
            return
        with self._wake:
            use = style if style is not None else self._last_style
            self._prefetch = [(use, s) for s in scenes]
            self._wake.notify_all()

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._cancel_all_locked()
            self._wake.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            # Wait for the final cache flush (cancellation stops generation within a token;
            # only disk writes remain). A parked thread never ends: see `_park`.
            if not self._finished.wait(timeout=_CLOSE_TIMEOUT_S):
                log.warning("narrator worker still busy after %.0f s at close", _CLOSE_TIMEOUT_S)

    @property
    def status(self) -> NarratorStatus:
        return self._status

    @property
    def model_name(self) -> str:
        return self._model_name

    # ---------------------------------------------------------------- worker thread
    def _set_status(self, status: NarratorStatus, detail: str = "") -> None:
        self._status = status
        sink = self._status_sink
        if sink is not None:
            try:
                sink.on_status(status, detail)
            except Exception:  # a faulty UI callback must not kill the narrator
                log.exception("narrator status callback failed")

    def _has_request(self) -> bool:
        return bool(self._jobs) or self._closing

    def _run(self) -> None:
        engine = self._load()
        while True:
            with self._wake:
                while not self._jobs and not self._closing and not (
                        engine is not None and self._prefetch):
                    if not self._wake.wait(timeout=self._idle_poll_s) and engine is not None:
                        break  # idle timeout: a chance to flush caches
                if self._closing:
                    break
                jobs = list(self._jobs)
                self._jobs.clear()
                prefetch = self._prefetch.pop(0) if (not jobs and self._prefetch) else None
                self._current = jobs[-1] if jobs else None
            for stale in jobs[:-1]:  # superseded before they started: end them cleanly
                self._finish_cancelled(stale)
            if jobs:
                self._narrate(engine, jobs[-1])
                with self._lock:
                    self._current = None
            elif prefetch is not None and engine is not None:
                self._prefetch_one(engine, *prefetch)
            elif engine is not None:
                self._flush(engine)
        if engine is not None:
            self._flush(engine, final=True)  # what this run prefilled serves the next run
        del engine
        self._set_status("off", "closed")
        self._finished.set()
        if self._park_when_done:
            self._park()

    @staticmethod
    def _park() -> None:
        """Wait forever instead of returning (the worker has already signalled it is done).

        Why: when a thread that used MLX ends, MLX's thread-local destructors take the GIL
        after `join()` has already returned; if the interpreter is finalizing by then, CPython
        kills the thread mid-destructor and the process aborts ("terminate called without an
        active exception", exit status 134, at the end of a narrated `adventure run`).
        A parked daemon thread is simply dropped at process exit, with no destructors run.
        """
        threading.Event().wait()

    def _load(self) -> Engine | None:
        self._set_status("loading", self._loading_detail)

        def progress(message: str, fraction: float) -> None:
            self._set_status("loading", f"{message} ({fraction:.0%})")

        try:
            engine, self._model_name = self._open_engine(progress)
        except Exception as exc:  # ModelUnavailable, OOM, corrupt weights...
            # ModelUnavailable messages are written for the player; others get their type
            self.load_error = str(exc) if isinstance(exc, ModelUnavailable) else _one_line(exc)
            log.warning("narrator model failed to load: %s", self.load_error)
            self._set_status("error", self.load_error)
            return None
        self._set_status("idle", self._idle_detail or self._model_name)
        return engine

    def _finish_cancelled(self, job: _Job) -> None:
        _deliver(job.sink.on_done, job.request.request_id, NarrationStats.empty(cancelled=True), "")


    def _narrate(self, engine: Engine | None, job: _Job) -> None:
        rid = job.request.request_id
        if engine is None:
            _deliver(job.sink.on_error, rid, f"narrator unavailable: {self.load_error}")
            return
        if job.cancel.is_set():
            self._finish_cancelled(job)
            return
        try:
            run = engine.stream(job.request, job.cancel, job.submitted_at, self._set_status)
            for piece in run:
                _deliver(job.sink.on_token, rid, piece)
            _deliver(job.sink.on_done, rid, run.stats or NarrationStats.empty(), run.final_text)
            self._set_status("idle", self._idle_detail or self._model_name)
        except Exception as exc:  # generation failure, out of memory: report and carry on
            log.exception("narration %s failed", rid)
            engine.discard_partial()
            message = f"narration failed: {_one_line(exc)}"
            _deliver(job.sink.on_error, rid, message)
            self._set_status("error", message)
            # the worker and the model survive: ready for the next command ("error" stays only
            # when no model could be loaded at all)
            self._set_status("idle", f"{self._model_name} (last narration failed)")

    def _prefetch_one(self, engine: Engine, style: NarratorStyle | None, scene: Scene) -> None:
        try:
            done = engine.prefetch_scene(style, scene, self._has_request, self._set_status)
        except Exception as exc:
            log.warning("prefetch of %s failed: %s", scene.room_id, exc)
            engine.discard_partial()
            return
        if not done:
            with self._lock:  # interrupted by a request: try again when idle
                self._prefetch.insert(0, (style, scene))
        elif not self._has_request():
            self._set_status("idle", self._idle_detail or self._model_name)

    def _flush(self, engine: Engine, final: bool = False) -> None:
        try:
            engine.flush(None if final else self._has_request)
        except Exception as exc:
            log.warning("saving prompt caches failed: %s", exc)


class MLXNarrator(NarratorThread):
    """The `Narrator` backed by the MLX model (see the module docstring for the threading rules).

    `loader` replaces the model resolution (tests pass tiny models); `cache_directory` the
    prompt-cache folder (default: the user's cache folder when `settings.disk_cache`).
    """

    def __init__(self, settings: NarratorSettings, loader: Loader | None = None,
                 cache_directory: Path | None = None, idle_poll_s: float = 0.5) -> None:
        self._settings = settings
        self._loader = loader or default_loader
        self._cache_directory = cache_directory
        name = settings.model or "SmolLM2-135M-Instruct"
        super().__init__(self._open, name, f"loading {name}", prefetch=settings.prefetch,
                         idle_poll_s=idle_poll_s, park_when_done=True)

    def _open(self, progress: ProgressFn) -> tuple[Engine, str]:
        from game.narrator.generation.narration import NarrationEngine  # imports MLX on this thread

        loaded = self._loader(self._settings.model or None, progress)
        directory = self._cache_directory
        if directory is None and self._settings.disk_cache:
            directory = default_cache_directory()
        engine = NarrationEngine(loaded, self._settings, directory)
        note = getattr(loaded, "status_note", "")  # a CPU accelerator part fell back
        if note:
            self._idle_detail = idle_detail(engine.model_id, note)
            self._set_status("loading", self._idle_detail)
        return engine, engine.model_id
