"""The save commands of `adventure`: saves, export, import, transcript, and play --plain with
SAVE/RESTORE, autosave and --load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.cli import main
from game.saves.store import SaveStore
from saves_support import REPO, WIN_MINIMAL, minimal, play


@pytest.fixture()
def saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "saves"
    monkeypatch.setenv("ADVENTURE_SAVES", str(folder))
    game, transcript = play(minimal(), WIN_MINIMAL[:4])
    transcript[-1].narration = "The door swings wide."
    SaveStore(folder).save("house", game, transcript)
    return folder


def test_saves_lists_metadata_and_problems(saves: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (saves / "wreck.json").write_text("{\"format\": \x1b[31m", encoding="utf-8")
    assert main(["saves"]) == 0
    out = capsys.readouterr().out
    house = next(line for line in out.splitlines() if line.startswith("house"))
    assert "The Minimal House" in house and "Hall" in house and " 4 " in house and "0/10" in house
    wreck = next(line for line in out.splitlines() if line.startswith("wreck"))
    assert "UNREADABLE" in wreck and "wreck.json" in wreck and "\x1b" not in out


def test_export_then_import_elsewhere(saves: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "carry" / "house.json"
    assert main(["export", "house", str(exported)]) == 0
    assert exported.read_bytes() == (saves / "house.json").read_bytes()
    assert main(["export", "house", str(exported)]) == 1
    assert "already exists" in capsys.readouterr().err
    other = tmp_path / "other-machine"
    assert main(["import", str(exported), "--saves-dir", str(other)]) == 0
    assert "as 'house'" in capsys.readouterr().out
    assert main(["import", str(exported), "--saves-dir", str(other)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["import", str(exported), "--slot", "House Two", "--saves-dir", str(other)]) == 0
    data = json.loads((other / "house-two.json").read_text())
    assert data["slot"] == "house-two" and data["kind"] == "named"
    assert SaveStore(other).load("house-two", minimal()).game.state.room == "hall"


def test_import_refuses_bad_file_and_bad_slot(saves: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]", encoding="utf-8")
    assert main(["import", str(junk)]) == 1
    assert "junk.json is not a save file" in capsys.readouterr().err
    assert main(["import", str(saves / "house.json"), "--slot", "../evil"]) == 1
    assert "looks like a path" in capsys.readouterr().err
    assert not (saves.parent / "evil.json").exists()


def test_transcript_as_markdown(saves: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcript", "house"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# The Minimal House")
    assert "**> unlock door with key**" in markdown and "> *The door swings wide.*" in markdown
    out = tmp_path / "story.md"
    assert main(["transcript", "house", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == markdown
    assert main(["transcript", "nope"]) == 1
    err = capsys.readouterr().err
    assert "no save file" in err and "nope.json" in err


def _play_plain(saves: Path, lines: list[str], *extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "game.cli", "play", "--plain", *extra],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "ADVENTURE_SAVES": str(saves)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_plain_play_saves_restores_autosaves_and_resumes(saves: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    world = str(REPO / "tests" / "worlds" / "minimal.yaml")
    out = _play_plain(saves, ["take key", "save keyed", "drop key", "restore keyed", "i"], world)
    assert "Saved to 'keyed'." in out and "Restored 'keyed'." in out
    assert out.rstrip().endswith("iron key") or "iron key" in out.split("Restored 'keyed'.")[1]
    store = SaveStore(saves)
    assert store.load("keyed", minimal()).game.state.locations["key"] == "player"
    latest = store.latest_autosave()
    assert latest is not None and latest.location == "Porch"
    # the process ended without an explicit save: --load autosave resumes with the key in hand
    out = _play_plain(saves, ["unlock door with key", "open door", "n", "quit"], "--load", "autosave")
    assert "Porch" in out.splitlines()[0] and "Hall" in out
    assert SaveStore(saves).load("autosave", minimal()).game.state.room == "hall"
    assert main(["transcript", "autosave"]) == 0  # "autosave" works wherever a slot does
    assert "**> n**" in capsys.readouterr().out


def test_plain_play_load_of_missing_slot_fails_clearly(saves: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "game.cli", "play", "--plain", "--load", "ghost"],
        input="", capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "ADVENTURE_SAVES": str(saves)})
    assert result.returncode == 2 and "no save 'ghost'" in result.stderr
