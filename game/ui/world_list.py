"""The worlds on offer on the title screen: title, author, blurb and size of each shipped world.

Each file is loaded with the engine's own loader, so a world that would fail to start is shown
as broken (with the loader's first problem) instead of failing when picked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from game.engine.loader import WorldLoadError, load_world


@dataclass(frozen=True)
class WorldEntry:
    path: Path
    title: str
    author: str = ""
    blurb: str = ""
    rooms: int = 0
    problem: str = ""  # set when the world does not load
    world_id: str = ""
    beginner: bool = False


def list_worlds(folder: Path) -> list[WorldEntry]:
    """Every `*.yaml` world in `folder`: worlds for beginners first, then by title, broken ones last."""
    entries: list[WorldEntry] = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            world = load_world(path)
        except WorldLoadError as exc:
            first = str(exc.problems[0]) if exc.problems else str(exc)
            entries.append(WorldEntry(path, path.stem, problem=first))
            continue
        except OSError as exc:
            entries.append(WorldEntry(path, path.stem, problem=str(exc)))
            continue
        entries.append(WorldEntry(path, world.title, world.author, world.blurb.strip(),
                                  len(world.rooms), world_id=world.id, beginner=world.beginner))
    return sorted(entries, key=lambda e: (bool(e.problem), not e.beginner, e.title.lower()))


def preselected(worlds: list[WorldEntry], last_played: str | None) -> int:
    """The world to highlight: the one last played (a returning player), else the first listed
    (a beginner's world when there is one)."""
    return next((n for n, w in enumerate(worlds) if last_played and w.world_id == last_played), 0)
