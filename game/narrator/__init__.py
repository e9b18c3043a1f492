"""The narrator: prose added under the engine's text by a local model, streamed from its own thread.

This module is the narrator's public API: what the UI, the CLI, the play layer and the saves
use. The pipeline behind it reads by stage: `prompt/` (builder, cleanup), `generation/` (prefix
cache, the one prefill loop, the token loop, checked generation, `NarrationEngine`),
`grounding/` (facts and the check), `runtime/` (the worker thread, the fake and null
narrators, the factory), `backends/` (the model-runtime protocol and its MLX implementation).

Names are imported on first use, so `import game.narrator` costs next to nothing and never
imports MLX (the model runtime is imported on the narrator's own thread when it starts).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from game.narrator.api import (
        CacheSource,
        NarrationRequest,
        NarrationSink,
        NarrationStats,
        Narrator,
        NarratorStatus,
        status_note,
    )
    from game.narrator.grounding.facts import TurnFacts, turn_facts
    from game.narrator.runtime.factory import make_narrator
    from game.narrator.settings import (
        NarratorSettings,
        SettingsError,
        config_dir,
        config_file,
        load_settings,
        read_config_document,
        save_settings,
        update_config_file,
    )

_HOMES = {
    "game.narrator.api": ("CacheSource", "NarrationRequest", "NarrationSink", "NarrationStats",
                          "Narrator", "NarratorStatus", "status_note"),
    "game.narrator.grounding.facts": ("TurnFacts", "turn_facts"),
    "game.narrator.runtime.factory": ("make_narrator",),
    "game.narrator.settings": ("NarratorSettings", "SettingsError", "config_dir", "config_file",
                               "load_settings", "read_config_document", "save_settings",
                               "update_config_file"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)  # the module itself is imported once


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
