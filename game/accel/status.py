"""What the accelerator did for one model: the parts in use, and each part that fell back and why.

Why one object: a fallback costs speed, never correctness, so nothing fails when a part is
missing; the only way a player or a bug report learns that decoding runs several times slower
than it could is this status, shown by the narrator (status bar, `adventure run`) and the
benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

# The parts, in the order the entry function tries them.
FAST_BLAS = "fast BLAS"
JIT_FLAGS = "JIT flags"
KERNELS = "kernels"
QUANTIZED_TWINS = "quantized twins"
LEAN_FORWARD = "lean forward"
DECODE_STEP = "decode-step kernel"
ACCELERATOR = "accelerator"  # the whole accelerator (master switch off)
PARTS = (FAST_BLAS, JIT_FLAGS, KERNELS, QUANTIZED_TWINS, LEAN_FORWARD, DECODE_STEP)


@dataclass(frozen=True)
class AccelStatus:
    """`active`: (part, how) of every part in use; `fallbacks`: (part, reason) of every part that
    was wanted but is not in use; `decode`: how one-token steps run; `note`: why nothing applies
    on this platform ("" where the accelerator applies)."""

    active: tuple[tuple[str, str], ...] = ()
    fallbacks: tuple[tuple[str, str], ...] = ()
    decode: str = "float32 decode"
    note: str = ""

    @property
    def fell_back(self) -> bool:
        return bool(self.fallbacks)

    def is_active(self, part: str) -> bool:
        return any(name == part for name, _ in self.active)

    def summary(self) -> str:
        """One short line: "" when every part runs (or none applies), else what fell back."""
        if not self.fallbacks:
            return ""
        return "accelerator fell back: " + "; ".join(f"{part} ({reason})" for part, reason in self.fallbacks)

    def describe(self) -> str:
        """Every part with how it runs or why not (benchmarks, bug reports)."""
        lines = [f"{part}: {how}" for part, how in self.active]
        lines += [f"{part}: fell back ({reason})" for part, reason in self.fallbacks]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines + [f"decode: {self.decode}"])
