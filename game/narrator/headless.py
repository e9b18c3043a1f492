"""Narration outside the TUI: requests from engine results, adjacent rooms, `adventure run`.

`request_for` and `adjacent_scenes` are what any front end needs to drive a `Narrator` from a
`Game`; `run_narrated` is the narrated `adventure run --narrator on|fake`: it prints each
command's authoritative text, then streams the narration under it.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Sequence, TextIO

from game.engine.events import Scene, TurnResult
from game.engine.game import Game
from game.engine.script import SHELL_ONLY, ScriptRun
from game.narrator.api import NarrationRequest, NarrationStats, Narrator, NarratorStatus

def request_for(game: Game, result: TurnResult, history: Sequence[str] = (),
                request_id: int | None = None) -> NarrationRequest:
    """The narration request for a turn just played (the scene is the state after it).

    The default id is the monotonic clock in nanoseconds: increasing across games and restores
    in one process (a stale token can never carry the id of a newer request), with no counter
    kept in module state.
    """
    return NarrationRequest(
        request_id=time.monotonic_ns() if request_id is None else request_id,
        world_id=game.world.id, style=game.world.narrator, scene=game.scene(),
        command=result.command, result_text=result.text, events=list(result.events),
        history=list(history))


def adjacent_scenes(game: Game) -> list[Scene]:
    """The scenes the player would see on stepping through each exit of the current room.

    Computed by the engine itself on a copy of the state (the real game is untouched), so a
    prefetched prefix matches the one the next turn will ask for, unless entering the room
    changes it (a trigger), which only costs a cache miss.
    """
    room = game.world.rooms.get(game.state.room)
    if room is None:
        return []
    scenes: list[Scene] = []
    seen = {room.id}
    for exit_ in room.exits:
        if exit_.to in seen or exit_.to not in game.world.rooms:
            continue
        seen.add(exit_.to)
        state = game.state.copy()
        state.room = exit_.to
        scenes.append(Game(game.world, state).scene())
    return scenes


class _WaitingSink:
    """Prints narration as it streams and lets the caller wait for the end of one request."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.done = threading.Event()
        self.final = ""
        self.stats: NarrationStats | None = None
        self.shown = ""
        self._request_id = -1

    def expect(self, request_id: int) -> None:
        self._request_id, self.final, self.stats, self.shown = request_id, "", None, ""
        self.done.clear()

    def on_token(self, request_id: int, text: str) -> None:
        if request_id == self._request_id:
            if not self.shown:
                self.out.write("\n")
            self.shown += text
            self.out.write(text)
            self.out.flush()

    def on_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        if request_id == self._request_id:
            self.final, self.stats = final_text, stats
            self.done.set()

    def on_error(self, request_id: int, message: str) -> None:
        if request_id == self._request_id:
            print(f"(narrator: {message})", file=self.err)
            self.done.set()

    def on_status(self, status: NarratorStatus, detail: str) -> None:
        if status in ("loading", "error"):
            print(f"(narrator {status}: {detail})", file=self.err)


def run_narrated(game: Game, commands: Sequence[str], narrator: Narrator,
                 out: TextIO | None = None, err: TextIO | None = None,
                 timeout_s: float = 900.0, stats_out: bool = False) -> ScriptRun:
    """Play `commands`, printing each command's text and then its narration.

    The printed narration is the streamed text; when post-processing shortened it (an unfinished
    last sentence), the kept version is printed again in its place on a new line.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    sink = _WaitingSink(out, err)
    narrator.start(sink)
    run = ScriptRun(game, [game.intro().text])
    out.write(run.blocks[0] + "\n")
    history: list[str] = []
    try:
        for command in commands:
            result = game.execute(command)
            text = result.text
            if result.meta is not None and result.meta != "help" and not text:
                text = SHELL_ONLY
            block = f"> {command}\n{text}".rstrip("\n")
            out.write("\n" + block + "\n")
            out.flush()
            if result.meta is None:
                request = request_for(game, result, history)
                sink.expect(request.request_id)
                narrator.submit(request, sink)
                if not sink.done.wait(timeout_s):
                    narrator.cancel()
                    sink.done.wait(5)
                if sink.shown and sink.final != sink.shown.strip():
                    out.write("\n" + (sink.final or "(narration withdrawn)"))
                if sink.shown:
                    out.write("\n")
                if sink.final:
                    block += "\n\n" + sink.final
                if stats_out and sink.stats is not None:
                    s = sink.stats
                    print(f"(cache={s.cache} prefilled={s.prompt_tokens_prefilled} "
                          f"ttft={s.ttft_s:.2f}s tok/s={s.tokens_per_s:.1f})", file=err)
                narrator.prefetch(adjacent_scenes(game), game.world.narrator, game.world.id)
            history = (history + [f"> {command} / {text}"])[-6:]
            run.blocks.append(block)
            if result.meta == "quit":
                break
    finally:
        narrator.close()
    out.write("\n" + run.outcome_line() + "\n")
    return run
