"""Let MLX build its fused CPU kernels for this CPU (`-march=native`) on Linux.

Why: `mx.compile` on the CPU writes C++ for each fused elementwise kernel and builds it by
running `g++ -std=c++17 -O3 ...` through the shell, with no target flags. So an `exp` in a
fused kernel is scalar code calling libm's `fmaf` six times. With `-march=native` the compiler
emits the FMA instructions inline (MLX's SIMD width on x86 stays 1), about four times faster
for a compiled `exp` (docs/accelerator.md).

How: MLX runs the plain command `g++`, so the first `g++` on PATH builds the kernels. We write
a two-line wrapper that adds `-march=native` and put its folder first on this process's PATH,
once we have checked that the real g++ accepts the flag. MLX keeps built kernels by name in
`$TMPDIR/mlx/<version>/cpu` and reuses them whatever flags built them, so TMPDIR points to a
folder of our own, keyed by compiler and CPU: kernels built elsewhere without the flag (or for
another CPU) are never picked up. Both variables change for this process only, and only when
the accelerator's entry function calls `tune_mlx_jit`.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from game.accel.kernels import cpu_signature

WRAPPER_PREFIX = "mlx-jit-"
_FLAGS = ("-march=native",)


def _accepts_flags(compiler: str) -> bool:
    try:
        out = subprocess.run([compiler, *_FLAGS, "-x", "c++", "-E", "-o", os.devnull, os.devnull],
                             capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0


def tune_mlx_jit(cache_dir: Path) -> tuple[bool, str]:
    """Put the `g++ -march=native` wrapper (kept in ``cache_dir/native``) first on PATH, once
    per process; returns whether it is in place and what was done or why not."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "aarch64"):
        return False, "not Linux x86-64/arm64"
    real = shutil.which("g++")
    if real is None:
        return False, "no g++ on PATH"
    if Path(real).parent.parent.name.startswith(WRAPPER_PREFIX):
        return True, "already in place"  # our wrapper is first on PATH already
    key = hashlib.sha256(f"{real}|{' '.join(_FLAGS)}|{cpu_signature()}".encode()).hexdigest()[:12]
    folder = cache_dir / "native" / f"{WRAPPER_PREFIX}{key}"
    wrapper = folder / "bin" / "g++"
    if not wrapper.is_file():
        if not _accepts_flags(real):
            return False, f"{real} does not accept {' '.join(_FLAGS)}"
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        tmp = wrapper.with_name(f".g++.{os.getpid()}")
        tmp.write_text(f"#!/bin/sh\nexec {shlex.quote(real)} {' '.join(_FLAGS)} \"$@\"\n")
        tmp.chmod(0o755)
        os.replace(tmp, wrapper)
    (folder / "tmp").mkdir(exist_ok=True)
    os.environ["PATH"] = f"{wrapper.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["TMPDIR"] = str(folder / "tmp")
    return True, f"MLX kernels built with {' '.join(_FLAGS)}"
