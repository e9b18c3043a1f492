"""Helpers shared by the UI tests: building the app on temp folders, typing, reading screens."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from game import paths
from game.narrator.settings import NarratorSettings
from game.ui.app import AdventureApp
from game.ui.widgets.command_input import CommandInput

THEME = "textual-dark"


def walkthrough(world: str) -> list[str]:
    """The commands of a shipped walkthrough (comments and blank lines dropped)."""
    text = (paths.worlds_dir() / f"{world}.walkthrough").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def make_app(tmp_path: Path, *, world: str | None = "tutorial", mode: str = "off",
             fake_rate: float = 200.0, narrator_factory=None,
             load_slot: str | None = None, settings: NarratorSettings | None = None,
             theme: str | None = THEME) -> AdventureApp:
    """The real app, with saves and config in `tmp_path`, a fixed theme, and the given narrator
    mode (`settings` replaces mode/fake_rate; `theme=None` uses the saved theme). The config
    folder is `tmp_path / "config"` so the settings screen never writes the user's real one."""
    settings = settings or NarratorSettings(mode=mode, fake_tokens_per_s=fake_rate)
    kwargs = {} if narrator_factory is None else {"narrator_factory": narrator_factory}
    return AdventureApp(
        settings,
        world=paths.worlds_dir() / f"{world}.yaml" if world else None,
        saves_dir=tmp_path / "saves",
        load_slot=load_slot,
        theme=theme,
        config_dir=tmp_path / "config",
        **kwargs,
    )


async def enter(pilot: Pilot, line: str, *, keys: bool = False) -> None:
    """Submits a command: typed key by key (`keys=True`) or pasted into the input."""
    box = pilot.app.screen.query_one(CommandInput)
    if keys:
        await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in line])
    else:
        box.value = line
    await pilot.press("enter")
    await pilot.pause()


def screen_text(pilot: Pilot) -> str:
    """What the terminal shows, as plain text (for layout assertions)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
