"""Problems found in a world file, and the error that carries them.

Every stage of loading (reading bytes, YAML, shape, references) reports into a plain list of
`Problem`s instead of raising at the first one, so an author sees every mistake in one run.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a world file, pointing at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class WorldLoadError(Exception):
    """Raised by `load_world` when the file has problems; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        summary = "\n".join(str(p) for p in self.problems) or "the world could not be loaded"
        super().__init__(summary)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A '; did you mean 'x'?' suffix for the closest candidate, or '' when none is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""
