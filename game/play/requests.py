"""Shell requests: what a turn asks of the front end, as typed values.

The engine answers SAVE, RESTORE, QUIT and HELP with a request for the shell (`TurnResult.meta`,
its wire form "save:<slot>", "restore:<slot>", "quit", "help"); `shell_request` reads it here,
once, so the TUI, the plain loop, the scripted run and saving match on types instead of
re-parsing strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from game.engine.events import TurnResult
from game.saves.slots import QUICKSAVE


@dataclass(frozen=True)
class SaveRequest:
    """Save the game to `slot` ("quicksave" is the quicksave slot)."""

    slot: str = QUICKSAVE


@dataclass(frozen=True)
class LoadRequest:
    """Replace the game in play with the one saved in `slot`."""

    slot: str = QUICKSAVE


@dataclass(frozen=True)
class QuitRequest:
    """Leave the game (front ends autosave first where they save at all)."""


@dataclass(frozen=True)
class HelpRequest:
    """Show the commands (the engine's text already lists them; a TUI opens its help)."""


ShellRequest = SaveRequest | LoadRequest | QuitRequest | HelpRequest
SAVING_REQUESTS = (SaveRequest, LoadRequest)  # requests that read or write the saves


def shell_request(result: TurnResult) -> ShellRequest | None:
    """The shell request a turn made, or None for an ordinary turn."""
    meta = result.meta
    if meta is None:
        return None
    verb, _, slot = meta.partition(":")
    slot = slot.strip() or QUICKSAVE
    if verb == "save":
        return SaveRequest(slot)
    if verb == "restore":
        return LoadRequest(slot)
    if verb == "quit":
        return QuitRequest()
    if verb == "help":
        return HelpRequest()
    raise ValueError(f"unknown shell request from the engine: {meta!r}")
