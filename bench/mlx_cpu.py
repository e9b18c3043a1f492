"""MLX on the CPU: BLAS routing and weight format, measured side by side.

Run: `python bench/mlx_cpu.py [--rounds N] [--configs a,b,...]`. Each configuration runs in its
own fresh process (the BLAS choice is per process), the configurations alternate round by
round, and the best round of each is reported (this machine is shared: the best round is the
least disturbed one). Configurations:

* accel-off     no part of the CPU accelerator (ADVENTURE_ACCEL=off): the bundled reference
                BLAS and mlx-lm's own forward pass
* reference     the bundled BLAS, the other parts left to fall back (ADVENTURE_BLAS=reference)
* openblas-gemm scipy-openblas32's sgemm for every float32 product (ADVENTURE_BLAS=openblas-gemm)
* openblas      the default: every part of the accelerator (the kernel front end in the sgemm
                slot, quantized twins, lean forward, decode-step kernel)
* bf16, q       the default accelerator with bfloat16 / the GGUF's 4-bit weights
                (ADVENTURE_WEIGHT_FORMAT)

The accelerator's switches are described in docs/accelerator.md.

Measured: float32 GEMM GFLOP/s (512x512), prefill tokens/s (64-token prompt), greedy decode
tokens/s (16 tokens after a 300-token context), all on the embedded SmolLM2-135M.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIGS = {
    "accel-off": {"ADVENTURE_ACCEL": "off"},
    "reference": {"ADVENTURE_BLAS": "reference"},
    "openblas-gemm": {"ADVENTURE_BLAS": "openblas-gemm"},
    "openblas": {},
    "bf16": {"ADVENTURE_WEIGHT_FORMAT": "bf16"},
    "q": {"ADVENTURE_WEIGHT_FORMAT": "q"},
}


# Every variable a configuration may set: cleared first, so each runs as its table row says.
SWITCHES = ("ADVENTURE_ACCEL", "ADVENTURE_BLAS", "ADVENTURE_NATIVE", "ADVENTURE_NATIVE_STEP",
            "ADVENTURE_MLX_JIT", "ADVENTURE_FAST_DECODE", "ADVENTURE_WEIGHT_FORMAT")


def child() -> None:
    """One configuration, in this process: print one JSON line of measurements."""
    sys.path.insert(0, str(REPO))
    from game.narrator.backends.mlx_model import load_narrator_model

    loaded = load_narrator_model(None)
    import mlx.core as mx
    from mlx_lm.models.cache import make_prompt_cache

    a = mx.random.normal((512, 512))
    b = mx.random.normal((512, 512))
    mx.eval(a @ b)
    t = time.perf_counter()
    for _ in range(3):
        mx.eval(a @ b)
    gflops = 3 * 2 * 512**3 / (time.perf_counter() - t) / 1e9

    model = loaded.model
    cache = make_prompt_cache(model)
    mx.eval(model(mx.array([list(range(1000, 1300))]), cache=cache))  # context + warm-up
    prompt = mx.array([list(range(2000, 2064))])
    fresh = make_prompt_cache(model)
    t = time.perf_counter()
    mx.eval(model(prompt, cache=fresh))
    prefill = 64 / (time.perf_counter() - t)

    token = mx.array([[42]])
    token = mx.argmax(model(token, cache=cache)[:, -1, :], axis=-1)[:, None]
    mx.eval(token)
    t = time.perf_counter()
    for _ in range(16):
        token = mx.argmax(model(token, cache=cache)[:, -1, :], axis=-1)[:, None]
        mx.eval(token)
    decode = 16 / (time.perf_counter() - t)
    status = loaded.accel_status
    print("RESULT " + json.dumps({"gflops": gflops, "prefill": prefill, "decode": decode,
                                  "blas": status.summary() or status.decode, "model": loaded.model_id}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child()
        return
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    best: dict[str, dict] = {}
    for r in range(args.rounds):
        for name in names:
            env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
            env.update(CONFIGS[name])
            out = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True,
                                 text=True, timeout=1200)
            line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(f"{name}: failed\n{out.stderr[-1500:]}")
                continue
            got = json.loads(line[7:])
            print(f"round {r + 1} {name:14s} gemm {got['gflops']:6.1f} GFLOP/s  prefill {got['prefill']:6.1f} tok/s"
                  f"  decode {got['decode']:5.1f} tok/s", flush=True)
            prev = best.get(name)
            best[name] = got if prev is None else {k: max(prev[k], got[k]) if isinstance(got[k], float)
                                                   else got[k] for k in got}
    print(f"\n{'config (best of ' + str(args.rounds) + ')':22s} {'GEMM GFLOP/s':>13s} {'prefill tok/s':>14s} {'decode tok/s':>13s}")
    for name in names:
        if name in best:
            g = best[name]
            print(f"{name:22s} {g['gflops']:13.1f} {g['prefill']:14.1f} {g['decode']:13.1f}   {g['model']} / {g['blas']}")


if __name__ == "__main__":
    main()
