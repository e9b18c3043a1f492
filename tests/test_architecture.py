"""The layers stay apart: the import-linter contracts in pyproject.toml must hold.

Run in the suite (not only in `make test`'s lint step) so that a plain `pytest` catches an
engine module that starts importing Textual or MLX.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _lint_imports() -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    return subprocess.run(
        [exe, str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )


def test_layer_contracts_hold() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = (REPO / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert f"{contracts} kept, 0 broken" in result.stdout


def test_contracts_cover_the_layers_the_brief_names() -> None:
    text = (REPO / "pyproject.toml").read_text()
    for source in ("game.engine", "game.saves", "game.narrator", "game.play"):
        assert f'source_modules = ["{source}"]' in text
    assert '"textual", "mlx", "mlx_lm", "game.ui"' in text
    # the CPU accelerator imports nothing of the game, and one module of the game imports it
    assert 'source_modules = ["game.accel"]' in text
    assert 'ignore_imports = ["game.narrator.backends.cpu_accel -> game.accel"]' in text
    assert '"game.ui",\n    "game.play",\n    "game.narrator | game.saves",\n    "game.engine",' in text
    assert 'source_modules = ["game.ui.screens"]\nforbidden_modules = ["game.ui.app"]' in text
