"""Saves benchmark: save and load time, and file size, for a 1,000-turn campaign.

Plays 1,000 lines on the largest shipped world (worlds/crystal_caverns.yaml): its walkthrough
(without the winning move, so the game goes on) followed by a loop of wandering commands (moves,
looks, examining, taking and dropping, some that fail); an ending is undone the way a player
would. Every turn gets a narration of typical length in the transcript, and the narrator's recent
history is kept, so the file is what a real campaign writes.

Measured (median of REPEATS, in-process, warm):
  save_ms    SaveStore.save: build the document, render JSON, atomic write with fsync of the
             file and the folder.
  load_ms    SaveStore.load of the player's own save: read, parse, validate, verify, rebuild the
             Game with its undo history. Verification is by remembered replay (see
             game/saves/vcache.py): the save's exact (engine, world, commands) -> (state, undo)
             outcome was proven when the live game wrote it, so loading compares hashes instead
             of re-running 1,000 commands.
  load_replay_ms  the same load with nothing remembered (an imported save, a cleared cache, a
             new engine version): the full replay of the command log from the world's start.
The last line is machine-readable: `save_ms=X load_ms=Y size_kb=Z`, where load_ms is the
full-replay load (the slower of the two, so the target is checked against the worst case).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.engine.game import Game  # noqa: E402
from game.engine.loader import load_world  # noqa: E402
from game.engine.script import read_script  # noqa: E402
from game.saves.document import TranscriptEntry  # noqa: E402
from game.saves.store import REMEMBERED, REPLAYED, SaveStore  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORLD = ROOT / "worlds" / "crystal_caverns.yaml"
WALKTHROUGH = ROOT / "worlds" / "crystal_caverns.walkthrough"
LINES = 1_000
REPEATS = 7
WANDER = [
    "look", "s", "x columns", "w", "x walls", "take sledge", "drop sledge", "e", "s",
    "x guardian", "i", "n", "n", "x altar", "score", "wait", "s", "s", "s", "w", "x chasm",
    "e", "n", "take all", "drop all", "n", "n", "x bowl", "listen", "inventory", "z",
]
NARRATION = ("Your footsteps ring off the crystal and come back changed, softer, as if the "
             "mountain were repeating them to itself. Somewhere below, water answers every "
             "drip, and the cold presses close against the lamp's small amber circle.")


def campaign(world) -> tuple[Game, list[TranscriptEntry], list[str]]:
    """Play LINES lines; returns the game, its transcript and the narrator history."""
    game = Game(world)
    transcript = [TranscriptEntry("", game.intro().text)]
    history: list[str] = []
    script = read_script(WALKTHROUGH)[:-1]  # everything but the winning move
    n = 0
    while len(game.command_log) < LINES:
        line = script[n] if n < len(script) else WANDER[(n - len(script)) % len(WANDER)]
        n += 1
        result = game.execute(line)
        transcript.append(TranscriptEntry(line, result.text, NARRATION, result.state.turns))
        history = (history + [f"> {line}\n{result.text}"])[-3:]
        if game.ended is not None and len(game.command_log) < LINES:
            result = game.execute("undo")
            transcript.append(TranscriptEntry("undo", result.text, "", result.state.turns))
    return game, transcript, history


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    value = action()
    return (time.perf_counter() - start) * 1000, value


def main() -> None:
    world = load_world(WORLD)
    game, transcript, history = campaign(world)
    print(f"campaign: {len(game.command_log)} lines, {game.state.turns} turns, score "
          f"{game.state.score}/{world.max_score}, {len(transcript)} transcript entries, "
          f"room {game.state.room}")
    with tempfile.TemporaryDirectory() as folder:
        store = SaveStore(Path(folder))
        saves, loads, replays = [], [], []
        for _ in range(REPEATS):
            ms, path = timed(lambda: store.save("campaign", game, transcript, history))
            saves.append(ms)
            ms, loaded = timed(lambda: SaveStore(Path(folder)).load("campaign", world))
            assert loaded.verification == REMEMBERED and loaded.game.state == game.state
            loads.append(ms)
            (Path(folder) / ".verified.json").unlink()
            ms, loaded = timed(lambda: SaveStore(Path(folder)).load("campaign", world))
            assert loaded.verification == REPLAYED and loaded.game.state == game.state
            replays.append(ms)
        size_kb = path.stat().st_size / 1024
    save_ms, load_ms, replay_ms = (statistics.median(v) for v in (saves, loads, replays))
    print(f"save (atomic, fsync):          median {save_ms:.1f} ms  (min {min(saves):.1f})")
    print(f"load, remembered verification: median {load_ms:.1f} ms  (min {min(loads):.1f})")
    print(f"load, full replay verification: median {replay_ms:.1f} ms  (min {min(replays):.1f})")
    print(f"file: {size_kb:.0f} KB")
    print(f"load_remembered_ms={load_ms:.1f}")
    print(f"save_ms={save_ms:.1f} load_ms={replay_ms:.1f} size_kb={size_kb:.0f}")


if __name__ == "__main__":
    main()
