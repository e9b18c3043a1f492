"""Where worlds, assets, saves, settings and caches live: the one place that knows.

In a repository checkout the top-level `worlds/`, `assets/` and `saves/` folders are used, so
authors edit files where they see them. An installed wheel (`pipx install .`) carries worlds and
assets inside the package (`game/_data`), and keeps saves in the per-user data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_config_dir, user_data_dir

APP_NAME = "crystal-adventure"
_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = _PACKAGE_DIR.parent


def _in_checkout() -> bool:
    """True when running from the source tree (editable install or `python -m game`)."""
    return (_REPO_DIR / "pyproject.toml").is_file() and (_REPO_DIR / "worlds").is_dir()


def worlds_dir() -> Path:
    """The folder of shipped worlds."""
    return _REPO_DIR / "worlds" if _in_checkout() else _PACKAGE_DIR / "_data" / "worlds"


def assets_dir() -> Path:
    """The folder of title art, styles and prompt templates."""
    return _REPO_DIR / "assets" if _in_checkout() else _PACKAGE_DIR / "_data" / "assets"


def saves_dir() -> Path:
    """Where save slots go: `$ADVENTURE_SAVES`, else `saves/` in a checkout, else the user data dir."""
    override = os.environ.get("ADVENTURE_SAVES")
    if override:
        return Path(override)
    if _in_checkout():
        return _REPO_DIR / "saves"
    return Path(user_data_dir(APP_NAME)) / "saves"


def cache_dir() -> Path:
    """Converted models and persisted prompt caches: `$ADVENTURE_CACHE`, else the user cache dir."""
    override = os.environ.get("ADVENTURE_CACHE")
    return Path(override) if override else Path(user_cache_dir(APP_NAME))


def resolve_world(name_or_path: str) -> Path:
    """A world given as a path, or by name (`crystal_caverns`) from the shipped worlds folder."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return worlds_dir() / f"{name_or_path}.yaml"


def config_dir() -> Path:
    """Settings files (`narrator.toml`, `ui.toml`): `$ADVENTURE_CONFIG`, else the user config dir."""
    override = os.environ.get("ADVENTURE_CONFIG")
    return Path(override) if override else Path(user_config_dir(APP_NAME))
