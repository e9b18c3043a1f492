"""Narrator benchmark: cached vs cold first token, disk cache, streaming overhead, llama.cpp.

Run: `python bench/narrator.py [--rounds N] [--no-llamacpp]`. Everything is measured side by
side in one run (this machine is shared and noisy, so ratios of interleaved measurements are
what count). The last line is machine-readable:

    ttft_cached_over_cold=R1 ttft_disk_over_cold=R2 tps_vs_bare=R3 gen_tps_vs_llamacpp=R4 ttft_vs_llamacpp=R5

* R1: narrator time to first token with the room's prefix cached in memory / whole prompt cold.
* R2: first token in a fresh process whose prefix cache comes from disk / cold.
* R3: narrator generation tokens/s / a bare `mlx_lm.stream_generate` loop, same model, same
  sampling settings, same prompt cache.
* R4: narrator generation tokens/s / llama.cpp's on the same GGUF (llama-cpp-python, 2 threads).
* R5: narrator cached first token / llama.cpp's cached first token (its own prefix reuse).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from game.engine.game import Game  # noqa: E402
from game.engine.loader import load_world  # noqa: E402
from game.narrator.api import NarrationRequest  # noqa: E402
from game.narrator.backends.mlx_model import embedded_gguf_path, load_narrator_model  # noqa: E402
from game.narrator.prompt.builder import common_prefix_len  # noqa: E402
from game.narrator.settings import NarratorSettings  # noqa: E402
from game.paths import resolve_world  # noqa: E402

WORLD = "crystal_caverns"
# Narrated commands in the world's first room ("setup; ...; command"): one room, one prefix.
ACTIONS = ["x cairn", "x cairn; take flute", "listen", "smell", "x cairn; take flute; examine flute",
           "x cairn; take flute; play flute"]
LLAMA_THREADS = 2


@dataclass
class Sample:
    ttft_s: float
    tokens_per_s: float
    generated: int


def requests(actions: list[str]) -> list[NarrationRequest]:
    """Real engine outcomes in the world's first room, as the game would send them."""
    world = load_world(resolve_world(WORLD))
    out = []
    for i, line in enumerate(actions):
        *setup, command = [part.strip() for part in line.split(";")]
        game = Game(world)
        game.intro()
        for earlier in setup:
            game.execute(earlier)
        result = game.execute(command)
        out.append(NarrationRequest(i + 1, world.id, world.narrator, game.scene(), command,
                                    result.text, tuple(result.events), ()))
    return out


def settings() -> NarratorSettings:
    """Fixed sampling so every contender generates comparable text; disk cache on. Two
    sentences, as before the one-sentence default: this bench measures decoding speed, and a
    one-sentence narration is too short a run to measure it against 48 bare tokens."""
    return NarratorSettings(seed=0, max_tokens=48, max_sentences=2)


# ------------------------------------------------------------------------------ narrator (MLX)

def narrate(engine, request: NarrationRequest) -> Sample:
    run = engine.stream(request)
    for _ in run:
        pass
    stats = run.stats
    return Sample(stats.ttft_s, stats.tokens_per_s, stats.generated_tokens)


def bare_stream_generate(loaded, engine, request: NarrationRequest, max_tokens: int) -> Sample:
    """mlx-lm's own streaming loop on the same prompt, prefix cache copy and sampler settings."""
    import mlx.core as mx
    from mlx_lm import stream_generate
    from mlx_lm.sample_utils import make_logits_processors, make_sampler

    s = engine.settings
    parts = engine.prompt(request)
    checkout = engine.store.get_or_prefill(parts.prefix, checkpoints=[parts.base_len])
    mx.random.seed(0)
    t0 = time.perf_counter()
    first = None
    n = 0
    for response in stream_generate(
            loaded.model, loaded.tokenizer, mx.array(list(parts.suffix), dtype=mx.uint32),
            max_tokens=max_tokens, sampler=make_sampler(temp=s.temperature, top_p=s.top_p),
            logits_processors=make_logits_processors(repetition_penalty=s.repetition_penalty),
            prompt_cache=checkout.cache):
        n += 1
        if first is None:
            first = time.perf_counter()
        last = time.perf_counter()
    gen = (n - 1) / (last - first) if n > 1 else 0.0
    return Sample(first - t0, gen, n)


def disk_child(cache_dir: str, index: int) -> None:
    """In a fresh process: warm MLX up on an unrelated prompt, then narrate from the disk cache."""
    from game.narrator.generation.narration import NarrationEngine

    loaded = load_narrator_model(None)
    engine = NarrationEngine(loaded, settings(), Path(cache_dir))
    from mlx_lm import generate

    generate(loaded.model, loaded.tokenizer, "Hello", max_tokens=2)
    run = engine.stream(requests(ACTIONS)[index])
    for _ in run:
        pass
    run_stats = {"ttft_s": run.stats.ttft_s, "tokens_per_s": run.stats.tokens_per_s, "cache": run.stats.cache, "prefix_s": run.stats.extra.get("prefix_s")}
    print("DISK " + json.dumps(run_stats))


def disk_ttft(cache_dir: Path, index: int) -> tuple[float, str]:
    env = dict(os.environ)
    out = subprocess.run([sys.executable, __file__, "--disk-child", str(cache_dir), str(index)],
                         env=env, capture_output=True, text=True, timeout=900)
    for line in out.stdout.splitlines():
        if line.startswith("DISK "):
            result = json.loads(line[5:])
            print("  disk child:", result, file=sys.stderr)
            return result["ttft_s"], result["cache"]
    raise RuntimeError(f"disk child failed: {out.stderr[-2000:]}")


# ------------------------------------------------------------------------------ llama.cpp

class LlamaCpp:
    """The same GGUF under llama-cpp-python, which reuses the longest common token prefix itself."""

    def __init__(self, threads: int = LLAMA_THREADS) -> None:
        from llama_cpp import Llama

        self.llm = Llama(str(embedded_gguf_path()), n_ctx=2048, n_threads=threads,
                         n_threads_batch=threads, n_batch=512, verbose=False, seed=0)

    def run(self, tokens: list[int], max_tokens: int, cold: bool) -> tuple[Sample, float]:
        """One generation; returns the sample and the prefill rate (prompt tokens evaluated / s)."""
        s = settings()
        if cold:
            self.llm.reset()
        reused = common_prefix_len(self.llm._input_ids.tolist(), tokens) if not cold else 0
        t0 = time.perf_counter()
        first = last = None
        n = 0
        for _ in self.llm.generate(tokens, temp=s.temperature, top_p=s.top_p, top_k=0,
                                   repeat_penalty=s.repetition_penalty, reset=True):
            now = time.perf_counter()
            if first is None:
                first = now
            last = now
            n += 1
            if n >= max_tokens:
                break
        evaluated = max(1, len(tokens) - min(reused, len(tokens) - 1))
        gen = (n - 1) / (last - first) if n > 1 else 0.0
        return Sample(first - t0, gen, n), evaluated / (first - t0)


# ------------------------------------------------------------------------------ main

def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-llamacpp", action="store_true")
    parser.add_argument("--llama-threads", type=int, default=LLAMA_THREADS,
                        help="llama.cpp threads (default 2; the narrator's OpenBLAS uses cores-1)")
    parser.add_argument("--disk-child", nargs=2, metavar=("CACHE_DIR", "INDEX"))
    args = parser.parse_args()
    if args.disk_child:
        disk_child(args.disk_child[0], int(args.disk_child[1]))
        return

    from game.accel.gemm_slot import blas_status
    from game.narrator.generation.narration import NarrationEngine

    t = time.perf_counter()
    loaded = load_narrator_model(None)
    print(f"model {loaded.model_id} loaded in {time.perf_counter() - t:.1f} s; BLAS: {blas_status()}; "
          f"decode: {loaded.decode_detail()}")
    reqs = requests(ACTIONS)
    workdir = Path(tempfile.mkdtemp(prefix="narrator-bench-"))
    engine = NarrationEngine(loaded, settings(), workdir / "cache")
    parts = engine.prompt(reqs[0])
    print(f"prompt: prefix {parts.prefix_len} tokens, suffixes "
          f"{[len(engine.prompt(r).suffix) for r in reqs]} tokens")
    narrate(engine, reqs[0])  # warm-up (MLX kernels, sampler compile)

    llama = None if args.no_llamacpp else LlamaCpp(args.llama_threads)
    cold, cached, narr_tps, bare_tps = [], [], [], []
    ll_cold, ll_cached, ll_tps, ll_prefill, our_prefill = [], [], [], [], []
    for r in range(args.rounds):
        req = reqs[1 + r % (len(reqs) - 1)]
        # cold: nothing cached anywhere, the whole prompt is prefilled
        cold_engine = NarrationEngine(loaded, settings(), None)
        c = narrate(cold_engine, req)
        cold.append(c.ttft_s)
        our_prefill.append(len(cold_engine.prompt(req).tokens) / c.ttft_s)
        # cached: the room's prefix is in memory (prefilled by an earlier action there)
        narrate(engine, reqs[0])
        h = narrate(engine, req)
        cached.append(h.ttft_s)
        narr_tps.append(h.tokens_per_s)
        bare_tps.append(bare_stream_generate(loaded, engine, req, max(8, h.generated)).tokens_per_s)
        if llama is not None:
            tokens = list(engine.prompt(req).tokens)
            lc, rate = llama.run(tokens, 16, cold=True)
            ll_cold.append(lc.ttft_s)
            ll_prefill.append(rate)
            llama.run(list(engine.prompt(reqs[0]).tokens), 2, cold=False)  # same room, other action
            lh, _ = llama.run(tokens, max(8, h.generated), cold=False)
            ll_cached.append(lh.ttft_s)
            ll_tps.append(lh.tokens_per_s)
        print(f"round {r + 1}: cold {c.ttft_s:.3f}s cached {h.ttft_s:.3f}s narrator {h.tokens_per_s:.1f} tok/s "
              f"bare {bare_tps[-1]:.1f} tok/s" + (f" | llama.cpp cold {ll_cold[-1]:.3f}s cached "
                                                 f"{ll_cached[-1]:.3f}s {ll_tps[-1]:.1f} tok/s" if llama else ""))
    engine.flush()
    disk_runs = [disk_ttft(workdir / "cache", 1 + r % (len(reqs) - 1)) for r in range(args.rounds)]
    disk = [ttft for ttft, _ in disk_runs]
    print(f"fresh-process runs: {[f'{t:.3f}s ({source})' for t, source in disk_runs]}")

    rows = [
        ("ttft cold (whole prompt)", f"{med(cold):.3f} s", f"{med(ll_cold):.3f} s" if llama else "-"),
        ("ttft cached prefix", f"{med(cached):.3f} s", f"{med(ll_cached):.3f} s" if llama else "-"),
        ("ttft prefix from disk (fresh process)", f"{med(disk):.3f} s", "-"),
        ("prefill tok/s (cold prompt)", f"{med(our_prefill):.0f}", f"{med(ll_prefill):.0f}" if llama else "-"),
        ("generation tok/s (narrator)", f"{med(narr_tps):.1f}", f"{med(ll_tps):.1f}" if llama else "-"),
        ("generation tok/s (bare stream_generate)", f"{med(bare_tps):.1f}", "-"),
    ]
    print(f"\n{'measure (median of ' + str(args.rounds) + ')':42s} {'narrator (MLX)':>16s} "
          f"{'llama.cpp ' + str(args.llama_threads) + 't':>12s}")
    for name, ours, theirs in rows:
        print(f"{name:42s} {ours:>16s} {theirs:>12s}")
    r4 = med(narr_tps) / med(ll_tps) if llama else float("nan")
    r5 = med(cached) / med(ll_cached) if llama else float("nan")
    print(f"ttft_cached_over_cold={med(cached) / med(cold):.3f} ttft_disk_over_cold={med(disk) / med(cold):.3f} "
          f"tps_vs_bare={med(narr_tps) / med(bare_tps):.3f} gen_tps_vs_llamacpp={r4:.3f} ttft_vs_llamacpp={r5:.3f}")


if __name__ == "__main__":
    main()
