"""Slot names: what a player may call a save, and where that slot lives on disk.

A slot name becomes a file name, so it must never be able to point anywhere else (no `..`,
no separators, no absolute paths, no drive letters) and must be portable to every filesystem
the game runs on (no Windows device names such as CON or NUL, no case-only differences).
Names are normalised (trimmed, lower-cased, inner spaces become `-`) so that `save My Castle`
and `restore my castle` agree.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import SlotNameError

MAX_SLOT_LENGTH = 40
SAVE_SUFFIX = ".json"
QUICKSAVE = "quicksave"
AUTOSAVE_PREFIX = "autosave-"
AUTOSAVE_RING = 5

_SLOT_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)


def autosave_slot(index: int) -> str:
    """The slot name of autosave ring entry `index` (0-based)."""
    return f"{AUTOSAVE_PREFIX}{index}"


def slot_in_words(slot: str) -> str:
    """A slot as the player thinks of it: "your autosave", "your quicksave", or its name in quotes."""
    if is_autosave_slot(slot) or slot == "autosave":
        return "your autosave"
    if slot == QUICKSAVE:
        return "your quicksave"
    return f"“{slot}”"


def is_autosave_slot(slot: str) -> bool:
    return slot.startswith(AUTOSAVE_PREFIX) and slot[len(AUTOSAVE_PREFIX):].isdigit()


def normalize_slot(raw: str) -> str:
    """Trim, lower-case and join inner whitespace with `-` (no validation)."""
    return "-".join(raw.strip().lower().split())


def validate_slot(raw: object, *, allow_reserved: bool = False) -> str:
    """Return the normalised slot name, or raise SlotNameError explaining what is wrong.

    `allow_reserved` lets callers read (or the store write) the quicksave and autosave slots;
    players naming a save cannot take those names, so that `save autosave-1` cannot be silently
    overwritten by the next autosave.
    """
    if not isinstance(raw, str):
        raise SlotNameError(f"A save slot name must be text, not {type(raw).__name__}.")
    shown = raw.strip()[:60]
    if not raw.strip():
        raise SlotNameError("A save slot needs a name, for example: save castle")
    if "\x00" in raw or any(ord(c) < 32 for c in raw):
        raise SlotNameError("A save slot name cannot contain control characters.")
    if "/" in raw or "\\" in raw or raw.strip().startswith("~") or re.match(r"^[A-Za-z]:", raw.strip()):
        raise SlotNameError(
            f"'{shown}' looks like a path; a slot is a plain name such as 'castle' "
            "(no '/', '\\', '~' or drive letters).")
    if ".." in raw or raw.strip().startswith("."):
        raise SlotNameError(f"'{shown}' cannot be used: slot names cannot contain '..' or start with '.'.")
    slot = normalize_slot(raw)
    if len(slot) > MAX_SLOT_LENGTH:
        raise SlotNameError(
            f"The slot name '{shown}...' is too long ({len(slot)} characters; at most {MAX_SLOT_LENGTH}).")
    if not _SLOT_RE.fullmatch(slot):
        raise SlotNameError(
            f"'{shown}' cannot be used as a slot name: use letters, digits, '-' and '_' "
            "(starting with a letter or digit).")
    if slot in _WINDOWS_DEVICES or slot.split(".")[0] in _WINDOWS_DEVICES:
        raise SlotNameError(f"'{shown}' is a reserved device name on Windows; choose another slot name.")
    if not allow_reserved and (slot == QUICKSAVE or is_autosave_slot(slot) or slot == "autosave"):
        raise SlotNameError(
            f"'{slot}' is kept for the game's own quicksave/autosave; choose another slot name.")
    return slot


def slot_path(directory: Path, slot: str) -> Path:
    """The file holding `slot` (which must already be validated)."""
    return directory / f"{slot}{SAVE_SUFFIX}"


def slot_from_path(path: Path) -> str | None:
    """The slot name a save file stands for, or None for files the store does not own."""
    if path.suffix != SAVE_SUFFIX or path.name.startswith("."):
        return None
    try:
        return validate_slot(path.stem, allow_reserved=True) if path.stem == normalize_slot(path.stem) else None
    except SlotNameError:
        return None
