"""Starts the Textual game from the command line (`adventure`, `adventure play ...`).

Kept out of `game/cli.py` so the CLI stays a thin argument parser and does not import Textual
for its headless subcommands.
"""

from __future__ import annotations

import sys

from game.narrator import SettingsError, load_settings
from game.paths import resolve_world


def run_tui(world: str | None = None, *, model: str | None = None, narrator: str | None = None,
            load_slot: str | None = None) -> int:
    """Runs the app: the title screen, or straight into `world` / the saved game `load_slot`."""
    try:
        settings = load_settings(mode=narrator, model=model)
    except SettingsError as exc:
        print(f"adventure: {exc}", file=sys.stderr)
        return 2
    world_path = resolve_world(world) if world else None
    if world_path is not None and not world_path.is_file():
        print(f"adventure: no world {world!r} (looked for {world_path})", file=sys.stderr)
        return 2

    from game.ui.app import AdventureApp  # Textual only when the TUI is wanted

    app = AdventureApp(settings, world=world_path, load_slot=load_slot)
    app.run()
    return app.return_code or 0
