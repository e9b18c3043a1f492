"""Every switch of the CPU accelerator, parsed in one place from an environment mapping.

Why one place: the parts used to read their own variables with different spellings of "off",
so `ADVENTURE_NATIVE=0` worked where `ADVENTURE_BLAS=0` was silently ignored. Here every
switch accepts the same words (off/0/false/no, on/1/true/yes, any case; empty or unset means
the default), a few switches keep their extra historical values (`reference`, `plain`,
`single`, `openblas-gemm`), and anything else is refused with a message naming the variable
and the accepted values. The table of switches is in docs/accelerator.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ACCEL_ENV = "ADVENTURE_ACCEL"
BLAS_ENV = "ADVENTURE_BLAS"
KERNELS_ENV = "ADVENTURE_NATIVE"
COMPILER_ENV = "ADVENTURE_CC"
DECODE_STEP_ENV = "ADVENTURE_NATIVE_STEP"
JIT_ENV = "ADVENTURE_MLX_JIT"
LEAN_FORWARD_ENV = "ADVENTURE_FAST_DECODE"

OFF_WORDS = ("off", "0", "false", "no")
ON_WORDS = ("on", "1", "true", "yes")

BlasMode = Literal["front-end", "gemm-only", "off"]
DecodeStepMode = Literal["helper-thread", "single-thread", "off"]


class InvalidSwitch(ValueError):
    """An accelerator variable holds a value it does not accept; the message says which ones."""


def _choice(environ: Mapping[str, str], name: str, default: str, extra: Mapping[str, str] = {}) -> str:
    """The value of switch ``name``: "on", "off" or one of ``extra``'s meanings (default if unset)."""
    raw = environ.get(name, "")
    word = raw.strip().lower()
    if not word:
        return default
    if word in OFF_WORDS:
        return "off"
    if word in ON_WORDS:
        return "on"
    if word in extra:
        return extra[word]
    accepted = ", ".join((*OFF_WORDS, *ON_WORDS, *extra))
    raise InvalidSwitch(f"{name}={raw!r} is not understood; use one of: {accepted}")


@dataclass(frozen=True)
class AccelSwitches:
    """Which parts of the accelerator may run; `from_environ` reads them, the defaults run all."""

    enabled: bool = True                           # ADVENTURE_ACCEL: off turns every part off
    blas: BlasMode = "front-end"                   # ADVENTURE_BLAS
    kernels: bool = True                           # ADVENTURE_NATIVE
    compilers: tuple[str, ...] = ()                # ADVENTURE_CC, then $CC (then cc, gcc, clang)
    decode_step: DecodeStepMode = "helper-thread"  # ADVENTURE_NATIVE_STEP
    jit_flags: bool = True                         # ADVENTURE_MLX_JIT
    lean_forward: bool = True                      # ADVENTURE_FAST_DECODE

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AccelSwitches:
        """The switches set in ``environ`` (pass `os.environ`); raises InvalidSwitch.

        Every variable is checked even when the master switch is off, so a typo never waits
        for the day the accelerator is turned back on.
        """
        blas = _choice(environ, BLAS_ENV, "on", {"reference": "off", "openblas-gemm": "gemm-only"})
        step = _choice(environ, DECODE_STEP_ENV, "on", {"single": "single-thread"})
        switches = cls(
            enabled=True,
            blas="front-end" if blas == "on" else blas,  # type: ignore[arg-type]
            kernels=_choice(environ, KERNELS_ENV, "on") == "on",
            compilers=tuple(c for c in (environ.get(COMPILER_ENV, "").strip(), environ.get("CC", "").strip()) if c),
            decode_step="helper-thread" if step == "on" else step,  # type: ignore[arg-type]
            jit_flags=_choice(environ, JIT_ENV, "on", {"plain": "off"}) == "on",
            lean_forward=_choice(environ, LEAN_FORWARD_ENV, "on") == "on",
        )
        return switches if _choice(environ, ACCEL_ENV, "on") == "on" else cls.all_off()

    @classmethod
    def all_off(cls) -> AccelSwitches:
        """Every part off (what `ADVENTURE_ACCEL=off` means)."""
        return cls(enabled=False, blas="off", kernels=False, decode_step="off", jit_flags=False,
                   lean_forward=False)
