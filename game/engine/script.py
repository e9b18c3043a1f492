"""Command scripts: one command per line; blank lines and `#` comments are skipped.

Read by `adventure run` (played by `game.play.script_run`), the golden-transcript tests and the
benchmarks.
"""

from __future__ import annotations

from pathlib import Path


def read_script(path: str | Path) -> list[str]:
    """The commands of a script file, without comments and blank lines."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    commands = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands
