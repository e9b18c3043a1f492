"""The CPU accelerator for MLX on Linux: faster matrix products, C kernels, leaner llama steps.

One entry: `accelerate(model, model_folder, switches, cache_dir)` does every part for a loaded
mlx-lm model and returns an `Accelerated`: the model to run, one `AccelStatus` (what is active,
what fell back and why) and every reference that must stay alive while the model runs. Nothing
in this package imports the game, and nothing here touches the process (libmlx's symbol table,
os.environ, threads) until `accelerate` runs with the part enabled. What each part does and
what it was measured to gain is in docs/accelerator.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.accel.status import (
    ACCELERATOR,
    DECODE_STEP,
    FAST_BLAS,
    JIT_FLAGS,
    KERNELS,
    LEAN_FORWARD,
    QUANTIZED_TWINS,
    AccelStatus,
)
from game.accel.switches import (
    ACCEL_ENV,
    BLAS_ENV,
    DECODE_STEP_ENV,
    JIT_ENV,
    KERNELS_ENV,
    LEAN_FORWARD_ENV,
    AccelSwitches,
    InvalidSwitch,
)
from game.accel.quantized_twin import QUANTIZED_TWIN_FILE, twin_tensors  # for model conversion

__all__ = ["AccelStatus", "AccelSwitches", "Accelerated", "InvalidSwitch", "accelerate",
           "twin_tensors", "QUANTIZED_TWIN_FILE"]


@dataclass(frozen=True)
class Accelerated:
    """What `accelerate` made of a model. Hold it as long as `model` runs: it owns the quantized
    twins' registration (dropping it unregisters them) and the kernel library."""

    model: Any                 # the model to call: a FastDecodeModel, or the one passed in
    status: AccelStatus
    warmed_up: bool = False    # the decode-step check ran prompts and steps: no warm-up needed
    twins: Any = None          # QuantizedTwins, or None
    kernels: Any = None        # the kernel library (ctypes.CDLL) in libmlx's sgemm slot, or None


def _off(variable: str) -> str:
    """The reason of a part switched off: the setting that did it."""
    return f"{variable}=off"


def accelerate(model: Any, model_folder: Path, switches: AccelSwitches, cache_dir: Path) -> Accelerated:
    """Speed up ``model`` (an mlx-lm model loaded from ``model_folder``) as far as ``switches``
    allow; ``cache_dir`` holds the compiled kernels and the JIT wrapper. Never raises for a
    part that cannot run: it falls back and says so in the status."""
    if not switches.enabled:
        return Accelerated(model, AccelStatus(fallbacks=((ACCELERATOR, _off(ACCEL_ENV)),)))
    if not sys.platform.startswith("linux"):
        return Accelerated(model, AccelStatus(note="not Linux: MLX uses Accelerate/Metal"))
    from game.accel.decode_step import KernelDecodeStep
    from game.accel.gemm_slot import ensure_fast_blas, gemm_front_end
    from game.accel.jit_flags import tune_mlx_jit
    from game.accel.kernels import KernelLibrary, load_kernels
    from game.accel.llama_forward import FastDecodeModel, supports_fast_decode
    from game.accel.prompt_ops import KernelPromptOps
    from game.accel.quantized_twin import register_quantized_twins

    active: list[tuple[str, str]] = []
    fallbacks: list[tuple[str, str]] = []
    built: list[KernelLibrary] = []

    def kernels_for_the_slot() -> KernelLibrary:
        kernel = (load_kernels(cache_dir, switches.compilers) if switches.kernels
                  else KernelLibrary(None, _off(KERNELS_ENV)))
        built.append(kernel)
        return kernel

    if switches.blas == "off":
        fallbacks.append((FAST_BLAS, _off(BLAS_ENV)))
        blas_detail = "fast BLAS is off"
    else:
        blas = ensure_fast_blas(switches.blas, kernels_for_the_slot)
        (active if blas.backend == "openblas" else fallbacks).append(
            (FAST_BLAS, f"{blas.detail}, {blas.threads} threads" if blas.backend == "openblas" else blas.detail))
        blas_detail = blas.detail
    if not switches.jit_flags:
        fallbacks.append((JIT_FLAGS, _off(JIT_ENV)))
    else:
        tuned, how = tune_mlx_jit(cache_dir)
        (active if tuned else fallbacks).append((JIT_FLAGS, how))

    library = gemm_front_end()
    if library is not None:
        active.append((KERNELS, built[0].detail if built else "in libmlx's sgemm slot"))
    elif built:
        fallbacks.append((KERNELS, built[0].detail))
    else:
        fallbacks.append((KERNELS, f"not in libmlx's sgemm slot: {blas_detail}"))

    twins = register_quantized_twins(model, model_folder, library)
    if twins is not None:
        active.append((QUANTIZED_TWINS, twins.describe()))
    elif library is None:
        fallbacks.append((QUANTIZED_TWINS, "needs the kernels"))
    elif not (model_folder / QUANTIZED_TWIN_FILE).is_file():
        fallbacks.append((QUANTIZED_TWINS, f"no {QUANTIZED_TWIN_FILE} in the model folder"))
    else:
        fallbacks.append((QUANTIZED_TWINS, "a twin did not match its float32 weights"))

    run, warmed_up = model, False
    # The lean forward groups 3 query heads per key head; only the kernel front end keeps such
    # products off OpenBLAS's sgemm, which is slower for them than the stock forward pass.
    if not switches.lean_forward:
        fallbacks.append((LEAN_FORWARD, _off(LEAN_FORWARD_ENV)))
    elif library is None:
        fallbacks.append((LEAN_FORWARD, "needs the kernels"))
    elif not supports_fast_decode(model):
        fallbacks.append((LEAN_FORWARD, "not an mlx-lm llama this path reproduces"))
    else:
        run = FastDecodeModel(model, KernelPromptOps(library))
        active.append((LEAN_FORWARD, "compiled llama steps"))
    if not isinstance(run, FastDecodeModel):
        fallbacks.append((DECODE_STEP, "needs the lean forward"))
    elif switches.decode_step == "off":
        fallbacks.append((DECODE_STEP, _off(DECODE_STEP_ENV)))
    else:
        step = KernelDecodeStep.for_model(library, run, twins, switches.decode_step == "helper-thread")
        if step is None:
            fallbacks.append((DECODE_STEP, "needs the quantized twins" if twins is None
                              else "the weights are not contiguous float32"))
        elif run.use_kernel_step(step):
            warmed_up = True  # its check ran a prompt and steps both ways
            active.append((DECODE_STEP, switches.decode_step))
        else:
            fallbacks.append((DECODE_STEP, "disagreed with MLX's step at load"))

    decode = twins.describe() if twins is not None else "float32 decode"
    if warmed_up:
        decode += ", kernel one-token steps"
    elif isinstance(run, FastDecodeModel):
        decode += ", compiled one-token steps"
    status = AccelStatus(active=tuple(active), fallbacks=tuple(fallbacks), decode=decode)
    return Accelerated(run, status, warmed_up, twins, library)
