"""The game's one door to the CPU accelerator (`game.accel`): switches, cache folder, status.

Why a module of its own: the accelerator imports nothing from the game, so what it needs from
the game (the switches in the environment, the cache folder) is handed over here, and an
import-linter contract lets no other module of the game import `game.accel`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from game.accel import (
    QUANTIZED_TWIN_FILE,
    AccelStatus,
    AccelSwitches,
    Accelerated,
    InvalidSwitch,
    accelerate,
    twin_tensors,
)
from game.paths import cache_dir

__all__ = ["QUANTIZED_TWIN_FILE", "AccelStatus", "Accelerated", "InvalidSwitch", "accelerate_model",
           "read_switches", "twin_tensors"]


def read_switches() -> AccelSwitches:
    """The accelerator's switches from this process's environment; raises InvalidSwitch."""
    return AccelSwitches.from_environ(os.environ)


def accelerate_model(model: Any, folder: Path, switches: AccelSwitches) -> Accelerated:
    """Every enabled part of the accelerator for ``model`` (loaded from ``folder``)."""
    return accelerate(model, folder, switches, cache_dir())
