"""The narrated `adventure run --narrator on|fake` and the machine-readable `--format jsonl`.

Each command's authoritative text is printed first, then its narration streams under it; with
jsonl, one record per turn (`NarratedTurn`) and a last one with the outcome.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Sequence, TextIO

from game.engine.events import TurnResult
from game.engine.game import Game
from game.narrator import (
    NarrationRequest,
    NarrationStats,
    Narrator,
    NarratorStatus,
    turn_facts,
)
from game.play.history import default_history_turns
from game.play.narration_policy import should_narrate
from game.play.script_run import ScriptRun, ends_run, shown_text
from game.play.session import Session


class WaitingSink:
    """Collects one request's narration (optionally echoing it as it streams) and lets the
    caller wait for its end; `first_at` is when its first text arrived (perf_counter)."""

    def __init__(self, out: TextIO | None, err: TextIO) -> None:
        self.out, self.err = out, err
        self.done = threading.Event()
        self.final = ""
        self.stats: NarrationStats | None = None
        self.shown = ""
        self.error = ""
        self.first_at: float | None = None
        self._request_id = -1

    def expect(self, request_id: int) -> None:
        self._request_id, self.final, self.stats, self.shown = request_id, "", None, ""
        self.error, self.first_at = "", None
        self.done.clear()

    def on_token(self, request_id: int, text: str) -> None:
        if request_id == self._request_id:
            if self.first_at is None:
                self.first_at = time.perf_counter()
            if self.out is not None:
                if not self.shown:
                    self.out.write("\n")
                self.out.write(text)
                self.out.flush()
            self.shown += text

    def on_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        if request_id == self._request_id:
            self.final, self.stats = final_text, stats
            self.done.set()

    def on_error(self, request_id: int, message: str) -> None:
        if request_id == self._request_id:
            self.error = message
            print(f"(narrator: {message})", file=self.err)
            self.done.set()

    def on_status(self, status: NarratorStatus, detail: str) -> None:
        if status in ("loading", "error"):
            print(f"(narrator {status}: {detail})", file=self.err)


@dataclass
class NarratedTurn:
    """One narrated turn as a machine-readable record (`adventure run --format jsonl`)."""

    command: str
    engine_text: str
    narration: str              # what the player was shown ("" when nothing was)
    events: list[dict[str, Any]]
    room: str
    visible: list[str]          # item ids in scope, not carried
    inventory: list[str]        # item ids carried
    stats: dict[str, Any]
    first_word_s: float | None  # submit -> first narrated text on screen
    error: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=False)


def stats_record(stats: NarrationStats | None) -> dict[str, Any]:
    """The narrator's stats as plain JSON values."""
    if stats is None:
        return {}
    record = asdict(stats)
    record.update(record.pop("extra", {}))
    return record


def narrate(narrator: Narrator, sink: WaitingSink, request: NarrationRequest,
            timeout_s: float = 900.0) -> None:
    """Submit one request and wait for its end (cancelling it after `timeout_s`)."""
    sink.expect(request.request_id)
    narrator.submit(request, sink)
    if not sink.done.wait(timeout_s):
        narrator.cancel()
        sink.done.wait(5)


def turn_record(game: Game, result: TurnResult, request: NarrationRequest | None,
                sink: WaitingSink | None, submitted_at: float = 0.0) -> NarratedTurn:
    """The record of a turn just played (and narrated when `request` is given)."""
    facts = request.facts if request is not None and request.facts is not None \
        else turn_facts(game, result)
    shown = sink.final if sink is not None else ""
    first = (sink.first_at - submitted_at) if sink is not None and sink.first_at else None
    return NarratedTurn(
        command=result.command, engine_text=result.text, narration=shown,
        events=[e.to_dict() for e in result.events], room=facts.room_id,
        visible=[i.id for i in facts.in_scope if not i.held],
        inventory=[i.id for i in facts.in_scope if i.held],
        stats=stats_record(sink.stats if sink is not None else None), first_word_s=first,
        error=sink.error if sink is not None else "")


def _print_stats(stats: NarrationStats, err: TextIO) -> None:
    print(f"(cache={stats.cache} prefilled={stats.prompt_tokens_prefilled} "
          f"ttft={stats.ttft_s:.2f}s shown={stats.first_shown_s:.2f}s "
          f"tok/s={stats.tokens_per_s:.1f} rejected={stats.sentences_rejected} "
          f"retries={stats.retries})", file=err)


def run_narrated(game: Game, commands: Sequence[str], narrator: Narrator,
                 out: TextIO | None = None, err: TextIO | None = None,
                 timeout_s: float = 900.0, stats_out: bool = False,
                 jsonl: bool = False, history_turns: int | None = None) -> ScriptRun:
    """Play `commands`, printing each command's text and then its narration.

    The printed narration is the shown text (the narrator shows only checked, whole
    sentences). With `jsonl`, one JSON object per turn is printed instead (see `NarratedTurn`),
    and a last object with the outcome. `history_turns` defaults to the narrator's default.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    sink = WaitingSink(None if jsonl else out, err)
    narrator.start(sink)
    session = Session(game, shown=shown_text)
    session.history_turns = default_history_turns() if history_turns is None else history_turns
    run = ScriptRun(game, [session.intro().text])
    if not jsonl:
        out.write(run.blocks[0] + "\n")
    try:
        for command in commands:
            result = session.execute(command)
            block = f"> {command}\n{shown_text(result)}".rstrip("\n")
            if not jsonl:
                out.write("\n" + block + "\n")
                out.flush()
            request = None
            submitted = time.perf_counter()
            if should_narrate(result):
                request = session.request_for(result)
                narrate(narrator, sink, request, timeout_s)
                if not jsonl and sink.shown and sink.final != sink.shown.strip():
                    out.write("\n" + (sink.final or "(narration withdrawn)"))
                if not jsonl and sink.shown:
                    out.write("\n")
                if sink.final:
                    block += "\n\n" + sink.final
                if stats_out and sink.stats is not None:
                    _print_stats(sink.stats, err)
                narrator.prefetch(session.adjacent_scenes(), game.world.narrator)
            if jsonl:
                record = turn_record(game, result, request, sink if request else None, submitted)
                out.write(record.to_json() + "\n")
                out.flush()
            run.blocks.append(block)
            if ends_run(result):
                break
    finally:
        narrator.close()
    if jsonl:
        out.write(json.dumps({"outcome": run.outcome_line()}) + "\n")
    else:
        out.write("\n" + run.outcome_line() + "\n")
    return run


def run_unnarrated_jsonl(game: Game, commands: Sequence[str], out: TextIO) -> ScriptRun:
    """`adventure run --format jsonl --narrator off`: the same records, with no narration."""
    run = ScriptRun(game, [game.intro().text])
    for command in commands:
        result = game.execute(command)
        out.write(turn_record(game, result, None, None).to_json() + "\n")
        run.blocks.append(f"> {command}\n{result.text}")
        if ends_run(result):
            break
    out.write(json.dumps({"outcome": run.outcome_line()}) + "\n")
    return run
