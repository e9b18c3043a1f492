"""Headless play from a command script: the transcript and its machine-readable outcome.

Used by `adventure run` and by the golden-transcript tests, so both see exactly the same text.
A scripted run has no shell: save, restore and quit print a note instead of being carried out
(quit still ends the run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from game.engine.events import TurnResult
from game.engine.game import Game
from game.play.requests import HelpRequest, QuitRequest, shell_request

SHELL_ONLY = "(That is handled by the game shell; it does nothing in a scripted run.)"


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


def shown_text(result: TurnResult) -> str:
    """What a scripted run prints for a turn: the engine's text, or the shell-only note for a
    shell request the engine said nothing about."""
    request = shell_request(result)
    if request is not None and not isinstance(request, HelpRequest) and not result.text:
        return SHELL_ONLY
    return result.text


def ends_run(result: TurnResult) -> bool:
    """QUIT ends a scripted run early."""
    return isinstance(shell_request(result), QuitRequest)


def run_script(game: Game, commands: Sequence[str]) -> ScriptRun:
    """Play `commands` from the start; stops early only at "quit"."""
    run = ScriptRun(game, [game.intro().text])
    for command in commands:
        result = game.execute(command)
        run.blocks.append(f"> {command}\n{shown_text(result)}".rstrip("\n"))
        if ends_run(result):
            break
    return run
