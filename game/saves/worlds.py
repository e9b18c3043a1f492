"""Finding the world a save belongs to.

A save names its world by id and remembers the file it came from. `WorldLibrary` turns that
into a loaded `World`: the file the save came from if it still holds that world, else
`<id>.yaml` in the worlds folder, else any world file in that folder declaring the id. Loaded
worlds are cached per (path, size, mtime), so restoring several times in one session, listing,
or verifying many saves parses each world file once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from game.engine.loader import WorldLoadError, load_world
from game.engine.world import World
from game.paths import worlds_dir

from .errors import WorldMismatchError


@dataclass
class WorldLibrary:
    """Resolves world ids to loaded worlds. `preloaded` worlds (e.g. the one being played) win."""

    folder: Path | None = None
    preloaded: list[World] = field(default_factory=list)
    _cache: dict[Path, tuple[tuple[int, int], World]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, world: World, folder: Path | None = None) -> "WorldLibrary":
        """A library that answers with `world` for its id (the world currently in play)."""
        return cls(folder=folder, preloaded=[world])

    def _load(self, path: Path) -> World | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        try:
            world = load_world(path)
        except (WorldLoadError, OSError):
            return None
        self._cache[path] = (key, world)
        return world

    def find(self, world_id: str, source_hint: str = "") -> World:
        """The world with this id, or WorldMismatchError explaining where it was looked for."""
        for world in self.preloaded:
            if world.id == world_id:
                return world
        folder = self.folder or worlds_dir()
        candidates: list[Path] = []
        if source_hint:
            candidates.append(Path(source_hint))
        candidates.append(folder / f"{world_id}.yaml")
        for path in candidates:
            world = self._load(path)
            if world is not None and world.id == world_id:
                return world
        if folder.is_dir():
            for path in sorted(folder.glob("*.y*ml")):
                if path in candidates:
                    continue
                world = self._load(path)
                if world is not None and world.id == world_id:
                    return world
        raise WorldMismatchError(
            f"The world '{world_id}' this save belongs to was not found (looked for "
            f"{source_hint or 'its original file'} and in {folder}).")
