"""Build and load the accelerator's C kernels (`csrc/*.c`) with the system C compiler.

Why at run time: the kernels are tuned for the CPU they run on (`-march=native`: AVX2/FMA where
present) and the package stays pure Python, so `pip install` needs no compiler. The first
narrated session compiles them once (about a second) into the cache folder it is given, keyed
by the sources, the compiler and the CPU, and later sessions load the cached library. With no
compiler, or if it fails, the caller keeps the plain OpenBLAS path: slower decoding, same results.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# One library from every source: the sgemm front end (qgemv.c, its quantized rows in qrows.c),
# the prompt operations (softmax.c, silu.c, sharing simd.h) and the decode-step kernel
# (decode_step.c, its helper thread in rowshare.c). Headers count for the cache key, not the
# command line.
SOURCES = tuple(sorted(Path(__file__).with_name("csrc").glob("*.c")))
HEADERS = tuple(sorted(Path(__file__).with_name("csrc").glob("*.h")))
LIBRARY_PREFIX = "adventure-kernels-"
_COMPILE_TIMEOUT_S = 120


@dataclass(frozen=True)
class KernelLibrary:
    """The loaded kernel library, or why there is none (`library` is None then)."""

    library: ctypes.CDLL | None
    detail: str


def find_compiler(preferred: tuple[str, ...] = ()) -> str | None:
    """The C compiler to use: the first of ``preferred`` (AccelSwitches.compilers), then cc, gcc,
    clang, that is on the PATH."""
    for candidate in (*preferred, "cc", "gcc", "clang"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def cpu_signature() -> str:
    """What `-march=native` depends on: the CPU model and its feature flags."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            lines = [line for line in info if line.startswith(("model name", "flags", "Features", "CPU part"))]
        return "".join(sorted(set(lines)))
    except OSError:
        return platform.processor() or platform.machine()


def _compiler_version(compiler: str) -> str:
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.splitlines()[0] if out.stdout else compiler
    except (OSError, subprocess.SubprocessError):
        return compiler


def declare(library: ctypes.CDLL) -> ctypes.CDLL:
    """ctypes signatures of the kernel's entry points."""
    p, i = ctypes.c_void_p, ctypes.c_int
    library.adv_init.argtypes = [p, p]
    library.adv_init.restype = None
    library.adv_register.argtypes = [p, i, i, i, p, p, p]
    library.adv_register.restype = i
    library.adv_unregister.argtypes = [p]
    library.adv_unregister.restype = None
    library.adv_quantized_calls.argtypes = []
    library.adv_quantized_calls.restype = ctypes.c_long
    library.adv_causal_softmax.argtypes = [p, p, i, i, i, i]
    library.adv_causal_softmax.restype = None
    library.adv_silu_mul.argtypes = [p, p, ctypes.c_long]
    library.adv_silu_mul.restype = None
    # decode_step.c (decode_step.py passes its model and layer descriptions by address)
    library.adv_decode_step.argtypes = [p, p, i, i, p, p, p, p]
    library.adv_decode_step.restype = i
    library.adv_prompt_step.argtypes = [p, p, p, i, i, p, p, p, p]
    library.adv_prompt_step.restype = i
    # rowshare.c
    library.adv_rowshare_start.argtypes = [i]
    library.adv_rowshare_start.restype = i
    library.adv_rowshare_stop.argtypes = []
    library.adv_rowshare_stop.restype = None
    for name in ("adv_rowshare_helper_chunks", "adv_rowshare_caller_chunks"):
        getattr(library, name).argtypes = []
        getattr(library, name).restype = ctypes.c_long
    return library


# Tuned for this CPU first; plain optimised C (no AVX2 kernels) if the compiler refuses that.
FLAG_SETS: tuple[tuple[str, ...], ...] = (("-O3", "-march=native"), ("-O3",))


def build(compiler: str, sources: tuple[Path, ...], target: Path,
          flag_sets: tuple[tuple[str, ...], ...] = FLAG_SETS) -> str | None:
    """Compile ``sources`` into one library ``target`` atomically; None on success, else the complaint."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".so", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    error = ""
    try:
        for flags in flag_sets:
            cmd = [compiler, *flags, "-fPIC", "-shared", "-pthread", "-o", str(tmp), *map(str, sources), "-lm"]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=_COMPILE_TIMEOUT_S)
            except (OSError, subprocess.SubprocessError) as exc:
                return f"{compiler} could not run: {exc}"
            if out.returncode == 0:
                os.replace(tmp, target)
                return None
            error = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["failed"]
            error = error[0]
        return f"{compiler} failed: {error}"
    finally:
        tmp.unlink(missing_ok=True)


def load_kernels(cache_dir: Path, compilers: tuple[str, ...] = ()) -> KernelLibrary:
    """The kernels compiled for this CPU (built on first use into ``cache_dir/native``), or why
    they are unavailable. ``compilers``: tried before cc, gcc and clang."""
    compiler = find_compiler(compilers)
    if compiler is None:
        return KernelLibrary(None, "no C compiler found (install gcc or clang for faster decoding)")
    source = b"".join(path.read_bytes() for path in SOURCES + HEADERS)
    key = hashlib.sha256(source + _compiler_version(compiler).encode() + cpu_signature().encode())
    target = cache_dir / "native" / f"{LIBRARY_PREFIX}{key.hexdigest()[:16]}.so"
    if not target.is_file():
        problem = build(compiler, SOURCES, target)
        if problem is not None:
            return KernelLibrary(None, problem)
        for stale in target.parent.glob(f"{LIBRARY_PREFIX}*.so"):  # older sources or other CPUs
            if stale != target:
                stale.unlink(missing_ok=True)
        for old in target.parent.glob("qgemv-*.so"):  # the library's former name
            old.unlink(missing_ok=True)
    try:
        library = declare(ctypes.CDLL(str(target)))
    except (OSError, AttributeError) as exc:
        return KernelLibrary(None, f"cannot load {target.name}: {exc}")
    return KernelLibrary(library, f"{target.name} ({Path(compiler).name})")
