"""Snapshot tests (pytest-textual-snapshot) of the main screens at 80x24 and 120x40.

Deterministic by construction: a fixed theme, saves in a fresh temp folder, no clock in the
header, the FakeNarrator (its prose is a function of the turn), every narration finished before
the picture is taken, and the measured figures in the status bar (ttft, tokens/s vary from run
to run) pinned to fixed values. No notifications are in view.
Update after an intended change: `pytest tests/test_ui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio

import pytest

from game import paths
from game.ui.screens.help import HelpScreen
from game.ui.widgets.status_bar import NarratorInfo
from ui_support import enter, make_app, walkthrough

SIZES = [(80, 24), (120, 40)]
MID_GAME = ["x sign", "n", "examine the white lighthouse", "n", "w", "read letter"]
PINNED = NarratorInfo("idle", "", "fake", ttft_s=0.012, tokens_per_s=200.0, cache="hit")


def app_for(tmp_path):
    """Starts on the title screen: the game begins once the narrator is ready, so whether the
    intro is narrated does not depend on which thread wins a race."""
    return make_app(tmp_path, world=None, mode="fake", fake_rate=5000)


async def start_game(pilot) -> None:
    await settle(pilot)
    pilot.app.start_world(paths.worlds_dir() / "tutorial.yaml")
    await pilot.pause()
    await settle(pilot)


async def settle(pilot) -> None:
    """Waits for the narrator to be idle with nothing streaming, then pins the figures."""
    app = pilot.app
    for _ in range(500):
        screen = app.game_screen
        if (app.narrator is not None and app.narrator.status == "idle"
                and (screen is None or screen.current_request is None)):
            break
        await asyncio.sleep(0.01)
        await pilot.pause()
    app.narrator_info = NarratorInfo("idle", "", "fake") if screen is None else PINNED
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_title_screen(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_mid_game(snap_compare, tmp_path, size):
    async def play(pilot):
        await start_game(pilot)
        for line in MID_GAME:
            await settle(pilot)
            await enter(pilot, line)
        await settle(pilot)
        await enter(pilot, "tkae letter")  # shows the unknown-word hint (and is not narrated)
        await settle(pilot)

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=play)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, tmp_path, size):
    async def open_help(pilot):
        await start_game(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=open_help)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ending_panel(snap_compare, tmp_path, size):
    async def win(pilot):
        await start_game(pilot)
        for line in walkthrough("tutorial"):
            await enter(pilot, line)
        await settle(pilot)

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=win)
