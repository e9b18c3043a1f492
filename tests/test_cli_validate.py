"""`adventure validate WORLD`: every problem, one per line, exit 1; or one OK line, exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.cli import main
from loader_support import line_of, variant

ROOT = Path(__file__).resolve().parent.parent


def test_valid_world_prints_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "tests" / "worlds" / "minimal.yaml")]) == 0
    assert capsys.readouterr().out == "OK: The Minimal House (3 rooms, 8 items)\n"


def test_shipped_world_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "crystal_caverns"]) == 0
    assert capsys.readouterr().out.startswith("OK: The Crystal Caverns (")


def test_broken_world_prints_every_problem(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text = variant(("      north: kitchen", "      north: kitchn"), ("  start: hall", "  start: hal"))
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{path}:{line_of(text, 'start: hal')}:10: the start room is 'hal': no such room; "
        "did you mean 'hall'?",
        f"{path}:{line_of(text, 'kitchn')}:14: exit 'north' of room 'hall' leads to 'kitchn': "
        "no such room; did you mean 'kitchen'?",
    ]
    assert captured.err == f"2 problems in {path}\n"


def test_missing_world_is_a_problem_not_a_traceback(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 1
    assert "cannot read the world file" in capsys.readouterr().out
