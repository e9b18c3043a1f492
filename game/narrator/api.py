"""The narrator's public contract: what the UI and the CLI hand in, and what comes back.

The narrator only *adds* prose after the engine has decided everything: it reads a request built
from the engine's events and scene, streams text back through a sink, and never touches the game
state. Every implementation (the MLX narrator, the fake one, the null one) satisfies `Narrator`,
so the UI is written once against this module and never imports MLX.

Sink callbacks are called from the narrator's own worker thread. A UI must marshal them onto its
own thread (Textual: post a message, as game/ui/narration.py does); a CLI may simply print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:  # the engine types are only needed for annotations
    from game.engine.events import Event, Scene
    from game.engine.world import NarratorStyle
    from game.narrator.grounding.facts import TurnFacts

NarratorStatus = Literal["loading", "prefilling", "streaming", "idle", "off", "error"]

# An idle status's detail is the model's name, then, after this separator, anything the player
# should keep seeing while the narrator works (a CPU accelerator part that fell back).
NOTE_SEPARATOR = "; "


def idle_detail(model: str, note: str) -> str:
    """The detail of an idle status: the model, and the note when there is one."""
    return f"{model}{NOTE_SEPARATOR}{note}" if note else model


def status_note(detail: str) -> str:
    """The note part of an idle status's detail ("" when it only names the model)."""
    return detail.partition(NOTE_SEPARATOR)[2]
CacheSource = Literal["hit", "miss", "disk", "partial"]
"""Where the prefix's KV cache came from: already in memory ("hit"), loaded from a file written by
an earlier run ("disk"), computed now from nothing ("miss"), or extended from a cached shared part
such as the rules and exemplars common to all rooms ("partial")."""


@dataclass(frozen=True)
class NarrationRequest:
    """One command's outcome, as the narrator may see it.

    `result_text` is the engine's authoritative text: the narration may colour it but must never
    contradict it. `history` holds a few recent (command, text) lines, oldest first, so the prose
    can stay coherent without the prompt growing.
    """

    request_id: int
    world_id: str
    style: "NarratorStyle"
    scene: "Scene"
    command: str
    result_text: str
    events: Sequence["Event"] = ()
    history: Sequence[str] = ()
    facts: "TurnFacts | None" = None  # what the narration is checked against (None: unchecked)


@dataclass(frozen=True)
class NarrationStats:
    """Per-request measurements the UI shows and the benchmark reads."""

    cache: CacheSource
    prompt_tokens_prefilled: int   # tokens actually run through the model for this request
    prompt_tokens_total: int       # prefix + suffix
    ttft_s: float                  # submit → first streamed token
    tokens_per_s: float            # decode steps per second after the first token
    generated_tokens: int
    cancelled: bool = False
    prefix_tokens: int = 0
    sentences_rejected: int = 0    # candidate sentences the grounding check refused
    retries: int = 0               # times generation was rewound to the last good sentence
    first_shown_s: float = 0.0     # submit -> first narration text handed to the sink
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def empty(cls, cancelled: bool = False, extra: dict[str, float] | None = None) -> NarrationStats:
        """The stats of a narration that ran nothing through the model: cancelled before it
        started, not narrated at all, or narrated without a model (as a cache "hit": nothing
        had to be prefilled)."""
        return cls("hit", 0, 0, 0.0, 0.0, 0, cancelled=cancelled, extra=dict(extra or {}))


@runtime_checkable
class NarrationSink(Protocol):
    """Receives a narration as it streams. Called from the narrator's worker thread."""

    def on_token(self, request_id: int, text: str) -> None:
        """A piece of visible narration text (already cleaned; may be several characters)."""

    def on_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        """The narration ended (finished or cancelled). `final_text` is the post-processed
        narration to keep; it may be "" (show only the engine's text) and may be shorter than the
        concatenated tokens when an unfinished sentence was dropped."""

    def on_error(self, request_id: int, message: str) -> None:
        """The narration failed; the game goes on with the engine's text. One line, for humans."""

    def on_status(self, status: NarratorStatus, detail: str) -> None:
        """The narrator's state changed (loading the model, prefilling a room, idle, error...)."""


@runtime_checkable
class Narrator(Protocol):
    """A narrator runtime. All methods return at once; work happens on the narrator's thread."""

    def start(self, status_sink: NarrationSink | None = None) -> None:
        """Start the single long-lived worker thread (and begin loading the model).

        `status_sink` gets the `on_status` calls from the start (the loading progress), until
        a `submit` brings a sink of its own."""

    def submit(self, request: NarrationRequest, sink: NarrationSink) -> None:
        """Narrate `request`, cancelling any narration in progress first."""

    def cancel(self) -> None:
        """Stop the current narration within one token (its sink still gets `on_done`)."""

    def prefetch(self, scenes: Sequence["Scene"], style: "NarratorStyle | None" = None) -> None:
        """Idle-time prefill of these scenes' prefixes (adjacent rooms); yields to `submit`."""

    def close(self) -> None:
        """Stop the worker thread and release the model. Safe to call twice."""

    @property
    def status(self) -> NarratorStatus:
        """The current state."""

    @property
    def model_name(self) -> str:
        """A short human name of the model ("off" / "fake" for the non-model narrators)."""
