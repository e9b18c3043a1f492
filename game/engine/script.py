"""Headless play from a command script: the transcript and its machine-readable outcome.

Used by `adventure run` and by the golden-transcript tests, so both see exactly the same text.
Script files hold one command per line; blank lines and `#` comments are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from game.engine.game import Game

SHELL_ONLY = "(That is handled by the game shell; it does nothing in a scripted run.)"


def read_script(path: str | Path) -> list[str]:
    """The commands of a script file, without comments and blank lines."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    commands = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


@dataclass
class ScriptRun:
    """The transcript blocks (intro, then "> command" + reply) and the final game."""

    game: Game
    blocks: list[str] = field(default_factory=list)

    def outcome_line(self) -> str:
        """`outcome=win|lose|none ending=ID turns=N score=S room=ID`."""
        ending = self.game.ended
        state = self.game.state
        outcome = ending.kind if ending is not None else "none"
        ending_id = ending.id if ending is not None else "none"
        return (f"outcome={outcome} ending={ending_id} turns={state.turns} "
                f"score={state.score} room={state.room}")

    def transcript(self) -> str:
        return "\n\n".join(self.blocks + [self.outcome_line()]) + "\n"


def run_script(game: Game, commands: list[str]) -> ScriptRun:
    """Play `commands` from the start; stops early only at "quit"."""
    run = ScriptRun(game, [game.intro().text])
    for command in commands:
        result = game.execute(command)
        text = result.text
        if result.meta is not None and result.meta != "help" and not text:
            text = SHELL_ONLY
        run.blocks.append(f"> {command}\n{text}".rstrip("\n"))
        if result.meta == "quit":
            break
    return run
