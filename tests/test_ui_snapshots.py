"""Snapshot tests (pytest-textual-snapshot) of the main screens at 80x24 and 120x40.

Deterministic by construction: a fixed theme, saves in a fresh temp folder, no clock in the
header, the narrator off (its status is a fixed word), and no notifications in view.
Update after an intended change with `pytest tests/test_ui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from game.ui.screens.help import HelpScreen
from ui_support import enter, make_app, walkthrough

SIZES = [(80, 24), (120, 40)]
MID_GAME = ["x sign", "n", "examine the white lighthouse", "n", "w", "read letter"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_title_screen(snap_compare, tmp_path, size):
    assert snap_compare(make_app(tmp_path, world=None), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_mid_game(snap_compare, tmp_path, size):
    async def play(pilot):
        for line in MID_GAME:
            await enter(pilot, line)
        await enter(pilot, "tkae letter")  # shows the unknown-word hint

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=play)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, tmp_path, size):
    async def open_help(pilot):
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=open_help)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ending_panel(snap_compare, tmp_path, size):
    async def win(pilot):
        for line in walkthrough("tutorial"):
            await enter(pilot, line)

    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=win)
