"""Settings that outlive a session: the colour theme in `ui.toml`, and which of the settings
dialog's narrator values go to `narrator.toml`.

Why a file of its own next to `narrator.toml` (same config folder, `$ADVENTURE_CONFIG`
overrides it): the narrator loader rejects unknown keys so that typos in sampling settings are
caught, and the narrator package must know nothing of the UI; a `theme` key in its file would
break both. The file is read and written with `game.config_files`, as the narrator settings
are, so it gets the same atomic, comment-keeping writes and the same clear errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection

from game.config_files import ConfigFileError, read_config_document, update_config_file
from game.narrator import NarratorSettings, config_file, save_settings
from game.paths import config_dir
from game.ui.view_models import SettingsChoice

UI_FILE = "ui.toml"
DEFAULT_THEME = "textual-dark"


def ui_file(directory: Path | None = None) -> Path:
    """`<config dir>/ui.toml` (whether or not it exists)."""
    return (directory if directory is not None else config_dir()) / UI_FILE


def load_theme(directory: Path | None = None) -> str | None:
    """The saved theme name, or None if none was saved. Raises ConfigFileError for a bad file."""
    path = ui_file(directory)
    if not path.is_file():
        return None
    theme = read_config_document(path).get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigFileError(f"{path}: theme must be a string")
    return theme


def save_theme(theme: str, directory: Path | None = None) -> Path:
    """Writes the theme to `ui.toml`, keeping anything else in it. Raises ConfigFileError."""
    path = ui_file(directory)
    update_config_file(path, {"theme": theme})
    return path


def saved_theme_or_default(directory: Path, available: Collection[str]) -> tuple[str, str | None]:
    """The theme to start with and, when the saved one cannot be used, why (a notice for the
    player: a broken file or an unknown name costs a notice, not the game)."""
    try:
        theme = load_theme(directory)
    except (ConfigFileError, OSError) as exc:
        return DEFAULT_THEME, str(exc)
    if theme is None:
        return DEFAULT_THEME, None
    if theme not in available:
        return DEFAULT_THEME, f"Unknown theme {theme!r} in {directory}; using {DEFAULT_THEME}."
    return theme, None


def narrator_changes(choice: SettingsChoice, settings: NarratorSettings,
                     narration_on: bool) -> dict[str, object]:
    """The narrator values the player changed, as `narrator.toml` keys.

    Only these are saved: a value that came from a command-line flag for this run
    (`--narrator off`) must not become permanent because another setting was changed."""
    changes: dict[str, object] = {}
    if choice.temperature != settings.temperature:
        changes["temperature"] = choice.temperature
    if choice.max_tokens != settings.max_tokens:
        changes["max_tokens"] = choice.max_tokens
    if choice.narrator_on != narration_on:
        # On again keeps a "fake" narrator fake (as the app does); off is "off".
        keep = settings.mode if settings.mode != "off" else "on"
        changes["mode"] = keep if choice.narrator_on else "off"
    return changes


def persist_settings(changes: dict[str, object], theme: str | None, directory: Path) -> None:
    """Saves the changed narrator values and the new theme for the next start. Raises
    ConfigFileError (SettingsError is one) or OSError (the caller keeps the new settings for
    this session)."""
    if changes:
        save_settings(changes, config_file(directory) or directory / "narrator.toml")
    if theme is not None:
        save_theme(theme, directory)
