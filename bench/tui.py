"""Benchmark: key-press echo latency and UI CPU per token while narration streams.

The game runs as it does for a player: a child process with a real terminal (a pty, 80x24,
Textual's normal Linux driver), the fake narrator streaming at 200 tokens/s without pause (a
new command is submitted whenever one narration ends). The parent types letters into the
command input at human-like intervals and times each one from writing the key to the pty until
the input's new contents appear in the terminal output. The child counts the streamed tokens
and its own CPU time, so CPU per token covers everything the UI does per token (messages,
wrapping, rendering, terminal output) plus the fake narrator's thread.

Usage: python bench/tui.py [--keys N] [--rate TOKENS_PER_S] [--size 80x24]
Last line: key_echo_median_ms=X key_echo_p99_ms=Y
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import os
import pty
import random
import select
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

READY_MARK = b"narrator "
LETTERS = "zqxj"  # unlikely in narration, so their echo is unambiguous


# ---------------------------------------------------------------- child: the app under load
def run_child(stats_path: Path, rate: float, mode: str) -> None:
    from game import paths
    from game.narrator.settings import NarratorSettings
    from game.ui.app import AdventureApp
    from game.ui.narration import NarrationDone
    from game.ui.screens.game import GameScreen

    from textual.binding import Binding

    class BenchApp(AdventureApp):
        """The real app, plus counters and a driver that keeps narration streaming."""

        BINDINGS = [Binding("f12", "finish", show=False, priority=True)]

        tokens = 0
        narrations = 0
        _passage = None
        started_cpu = 0.0
        started_wall = 0.0

        # Textual runs the handlers of every class in the MRO, so these add to the app's own
        # (which still show the tokens and start the game) rather than replace them.
        def on_narration_done(self, message: NarrationDone) -> None:
            if self.started_wall:
                self.tokens += message.stats.generated_tokens

        def on_mount(self) -> None:
            self.set_timer(1.0, lambda: self.set_interval(0.05, self._keep_streaming))
            self.set_timer(2.0, self._start_measuring)

        def _start_measuring(self) -> None:
            self.started_cpu = time.process_time()
            self.started_wall = time.perf_counter()

        def _keep_streaming(self) -> None:
            """Re-narrates a long passage whenever the narrator falls idle.

            The fake narrator retells the first sentence of the engine's text, so the passage
            (the world's intro, as one sentence) gives narrations of about 100 tokens: the
            figures are then about streaming, not about running one engine turn per sentence.
            """
            screen = self.game_screen
            if mode == "off" or not isinstance(screen, GameScreen) or screen.current_request:
                return
            if self._passage is None:
                self._passage = screen.run_command("look")
                text = " ".join(screen.session.world.intro.split()).replace(". ", "; ")
                self._passage = dataclasses.replace(self._passage, text=text)
            screen._narrate(self._passage)
            self.narrations += 1

        def action_finish(self) -> None:
            """F12 from the typist: write the figures and leave."""
            cpu = time.process_time() - self.started_cpu
            wall = time.perf_counter() - self.started_wall
            stats_path.write_text(json.dumps({
                "tokens": self.tokens, "cpu_s": cpu, "wall_s": wall,
                "narrations": self.narrations, "narrator": self.narrator_info.model,
            }))
            if self.narrator is not None:
                self.narrator.close()
            self.exit()

    settings = NarratorSettings(mode=mode, fake_tokens_per_s=rate)
    app = BenchApp(settings, world=paths.worlds_dir() / "tutorial.yaml",
                   saves_dir=Path(tempfile.mkdtemp(prefix="bench-tui-")), theme="textual-dark")
    profile_to = os.environ.get("BENCH_TUI_PROFILE")  # a file for cProfile stats (diagnosis)
    if profile_to:
        import cProfile

        cProfile.runctx("app.run()", globals(), {"app": app}, profile_to)
    else:
        app.run()


# ---------------------------------------------------------------- parent: the typist
TRANSCRIPT = bytearray()  # everything the app wrote, saved when something goes wrong


def read_available(fd: int, timeout: float) -> bytes:
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return b""
    try:
        data = os.read(fd, 65536)
    except OSError:
        return b""
    TRANSCRIPT.extend(data)
    return data


def measure(keys: int, rate: float, size: tuple[int, int], mode: str = "fake") -> tuple[list[float], dict]:
    stats_path = Path(tempfile.mkdtemp(prefix="bench-tui-")) / "stats.json"
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLORTERM"] = "truecolor"  # as most terminals today; else Textual maps every
        # colour down to 256 per segment, which is a cost of the terminal, not of this UI
        os.environ.pop("TEXTUAL", None)
        try:
            run_child(stats_path, rate, mode)
        except BaseException as exc:  # noqa: BLE001 - report anything, the parent reads it
            stats_path.with_name("error.txt").write_text(repr(exc))
        os._exit(0)
    cols, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    buffer = b""
    deadline = time.monotonic() + 60
    while READY_MARK not in buffer:
        if time.monotonic() > deadline:
            Path("/tmp/bench_tui_fail.txt").write_bytes(buffer)
            raise SystemExit("the app did not start within 60 s; its output is in /tmp/bench_tui_fail.txt")
        buffer += read_available(fd, 0.5)
    time.sleep(2.5)  # let narration get going (the child starts counting at 2 s)
    while read_available(fd, 0.05):
        pass
    rng = random.Random(7)
    latencies: list[float] = []
    misses = 0
    value = ""
    for _ in range(keys):
        if len(value) >= 24:  # clear the line (Ctrl+U) and let that redraw settle
            os.write(fd, b"\x15")
            value = ""
            end = time.monotonic() + 0.1
            while time.monotonic() < end:
                read_available(fd, 0.02)
        ch = rng.choice(LETTERS)
        value += ch
        target = value.encode()
        seen = b""
        start = time.perf_counter()
        os.write(fd, ch.encode())
        while True:
            chunk = read_available(fd, 0.5)
            seen += chunk
            if target in seen:
                latencies.append((time.perf_counter() - start) * 1000)
                misses = 0
                break
            if time.perf_counter() - start > 5:  # counted as a 5 s echo: a miss is not hidden
                latencies.append(5000.0)
                misses += 1
                print(f"no echo of {value!r} within 5 s", file=sys.stderr)
                if misses >= 3:
                    Path("/tmp/bench_tui_fail.txt").write_bytes(bytes(TRANSCRIPT))
                    raise SystemExit("the app stopped echoing (output in /tmp/bench_tui_fail.txt)")
                os.write(fd, b"\x15")  # start a fresh line
                value = ""
                break
        gap_end = time.monotonic() + rng.uniform(0.02, 0.06)
        while time.monotonic() < gap_end:  # keep draining so the child never blocks on output
            read_available(fd, 0.01)
    os.write(fd, b"\x1b[24~")  # F12: the child writes its figures and exits
    while True:  # drain until the child exits
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            break
        read_available(fd, 0.1)
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    stats["terminal_bytes"] = len(TRANSCRIPT)
    if stats_path.with_name("error.txt").exists():
        print("the app failed:", stats_path.with_name("error.txt").read_text(), file=sys.stderr)
    return latencies, stats


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--rate", type=float, default=200.0, help="fake narrator tokens/s")
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--narrator", choices=("fake", "off"), default="fake",
                        help="off gives the baseline without streaming")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.split("x"))
    latencies, stats = measure(args.keys, args.rate, (cols, rows), args.narrator)
    median = statistics.median(latencies)
    p99 = percentile(latencies, 99)
    streaming = f"fake narrator at {args.rate:g} tokens/s" if args.narrator == "fake" else "no narrator"
    print(f"terminal {cols}x{rows}, {streaming}, {len(latencies)} keys")
    print(f"key echo: median {median:.1f} ms, p90 {percentile(latencies, 90):.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(latencies):.1f} ms (target p99 < 50 ms)")
    if stats.get("tokens"):
        per_token_ms = stats["cpu_s"] / stats["tokens"] * 1000
        print(f"streamed {stats['tokens']} tokens in {stats['wall_s']:.1f} s "
              f"({stats['tokens'] / stats['wall_s']:.0f} tokens/s, {stats['narrations']} narrations); "
              f"process CPU {stats['cpu_s']:.2f} s = {per_token_ms:.2f} ms per token "
              f"({stats['cpu_s'] / stats['wall_s'] * 100:.0f}% of one core)")
    else:
        print("no token statistics from the app (did the narrator stream?)")
    print(f"terminal output: {stats['terminal_bytes'] / 1024:.0f} KiB in total")
    print(f"key_echo_median_ms={median:.2f} key_echo_p99_ms={p99:.2f}")


if __name__ == "__main__":
    main()
