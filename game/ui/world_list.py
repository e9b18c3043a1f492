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


def list_worlds(folder: Path) -> list[WorldEntry]:
    """Every `*.yaml` world in `folder`, sorted by title (broken ones last)."""
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
                                  len(world.rooms)))
    return sorted(entries, key=lambda e: (bool(e.problem), e.title.lower()))
