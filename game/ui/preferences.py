"""UI preferences that outlive a session: for now the colour theme, in `ui.toml`.

Why a file of its own next to `narrator.toml` (same config folder, `$ADVENTURE_CONFIG`
overrides it): the narrator loader rejects unknown keys so that typos in sampling settings are
caught, and the narrator package must know nothing of the UI; a `theme` key in its file would
break both. The file is read and written with the narrator settings' helpers, so it gets the
same atomic, comment-keeping writes and the same clear errors (`SettingsError`).
"""

from __future__ import annotations

from pathlib import Path

from game.narrator import SettingsError, config_dir, read_config_document, update_config_file

UI_FILE = "ui.toml"


def ui_file(directory: Path | None = None) -> Path:
    """`<config dir>/ui.toml` (whether or not it exists)."""
    return (directory if directory is not None else config_dir()) / UI_FILE


def load_theme(directory: Path | None = None) -> str | None:
    """The saved theme name, or None if none was saved. Raises SettingsError for a bad file."""
    path = ui_file(directory)
    if not path.is_file():
        return None
    theme = read_config_document(path).get("theme")
    if theme is not None and not isinstance(theme, str):
        raise SettingsError(f"{path}: theme must be a string")
    return theme


def save_theme(theme: str, directory: Path | None = None) -> Path:
    """Writes the theme to `ui.toml`, keeping anything else in it. Raises SettingsError."""
    path = ui_file(directory)
    update_config_file(path, {"theme": theme})
    return path
