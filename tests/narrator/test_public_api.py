"""`game.narrator` is the narrator's public API: complete for its users, cheap to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import game.narrator

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_narrator_imports_no_model_runtime():
    code = ("import sys, game.narrator; from game.narrator import NarratorSettings, make_narrator, "
            "NarrationRequest; assert 'mlx' not in sys.modules and 'mlx_lm' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith('mlx'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_every_public_name_resolves_to_its_home():
    from game.narrator.api import Narrator
    from game.narrator.runtime.factory import make_narrator
    from game.narrator.settings import SettingsError

    for name in game.narrator.__all__:
        assert getattr(game.narrator, name) is not None, name
    assert game.narrator.Narrator is Narrator and game.narrator.make_narrator is make_narrator
    assert game.narrator.SettingsError is SettingsError
    assert "make_narrator" in dir(game.narrator)
    with pytest.raises(AttributeError, match="NarrationEngine"):
        game.narrator.NarrationEngine  # noqa: B018 - internal, not exported


def test_what_the_ui_and_cli_import_is_public():
    """Every name game/ui and game/cli.py import from the narrator comes from game.narrator."""
    import ast

    for path in [REPO / "game" / "cli.py", *(REPO / "game" / "ui").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "game.narrator":
                missing = {a.name for a in node.names} - set(game.narrator.__all__)
                assert not missing, (path, missing)
