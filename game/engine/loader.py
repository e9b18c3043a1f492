"""Loading and validating world files: the engine's public entry points.

    load_world(path) -> World                   raises WorldLoadError(problems)
    validate_world_file(path) -> list[Problem]  every problem at once; never raises
    read_world(path) -> (World | None, list[Problem])   both in one pass; never raises
    world_from_bytes(data, file) -> (World | None, list[Problem])   the same, from memory

The stages, each in its own module: bytes and YAML with safety caps (`yaml_source`), shape
against the spec tables (`decode` + `schema`), dataclasses and recorded references (`build`),
whole-world checks (`checks`). A later stage runs only when the one before could produce a
tree, but within a stage every problem is collected.
"""

from __future__ import annotations

import gc
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from game.engine.build import Builder, Parts
from game.engine.checks import check_parts
from game.engine.decode import Decoder, Obj
from game.engine.problems import Problem, WorldLoadError
from game.engine.schema import Struct
from game.engine.yaml_source import MAX_BYTES, SourceError, compose, decode_bytes
from game.engine.world import World

__all__ = ["load_world", "validate_world_file", "read_world", "world_from_bytes", "Problem",
           "WorldLoadError"]

_WORLD_FILE = Struct("world_file")


def load_world(path: str | os.PathLike[str]) -> World:
    """The world in the YAML file at `path`; raises WorldLoadError listing every problem."""
    world, problems = _load(path)
    if problems or world is None:
        raise WorldLoadError(problems)
    return world


def validate_world_file(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in the world file at `path`, sorted by position; [] when it is valid."""
    return _load(path)[1]


def read_world(path: str | os.PathLike[str]) -> tuple[World | None, list[Problem]]:
    """The world and its problems in one pass (the world is None when there are problems).

    `load_world` already validates everything; calling `validate_world_file` and then
    `load_world` reads and checks the file twice.
    """
    return _load(path)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a tree of ~100k acyclic objects.

    Loading allocates many small objects and no cycles; the collector's repeated passes over
    them cost about a quarter of the load time of a big world.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def world_from_bytes(data: bytes, file: str = "<world>") -> tuple[World | None, list[Problem]]:
    """The world in `data` (the bytes of a world file named `file` in messages) and every
    problem; the world is None whenever there are problems. Never raises for bad input."""
    with _gc_paused():
        return _from_bytes(data, file)


def _load(path: str | os.PathLike[str]) -> tuple[World | None, list[Problem]]:
    file = str(path)
    try:
        data = _read(Path(path))
    except OSError as exc:
        return None, [Problem(file, 1, 1, f"cannot read the world file: {exc.strerror or exc}")]
    except ValueError as exc:  # e.g. a NUL byte in the path
        return None, [Problem(file, 1, 1, f"cannot read the world file: {exc}")]
    except SourceError as exc:
        return None, [Problem(file, exc.line, exc.column, exc.message)]
    return world_from_bytes(data, file)


def _from_bytes(data: bytes, file: str) -> tuple[World | None, list[Problem]]:
    try:
        root = compose(decode_bytes(data))
    except SourceError as exc:
        return None, [Problem(file, exc.line, exc.column, exc.message)]
    if root.kind != "map":
        return None, [Problem(file, root.line, root.column, "the top level of a world file must "
                              "be a mapping with keys world:, rooms:, items:, ... "
                              "(see docs/world-format.md)")]
    decoder = Decoder(file)
    top = decoder.decode(root, _WORLD_FILE, "the world file")
    problems = list(decoder.problems)
    if not isinstance(top, Obj):
        return None, _sorted(problems)
    parts = Builder(file).build(top)
    problems += parts.problems
    problems += check_parts(parts, file)
    if problems:
        return None, _sorted(problems)
    return _world(parts, file, hashlib.sha256(data).hexdigest()), []


def _read(path: Path) -> bytes:
    """The file's bytes, refusing oversized files before reading them whole."""
    if path.is_dir():
        raise OSError(21, "it is a folder, not a file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SourceError(1, 1, f"the file is {size:,} bytes; world files are limited to "
                                f"{MAX_BYTES:,} bytes (split the world or remove unused text)")
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1)


def _sorted(problems: list[Problem]) -> list[Problem]:
    """Problems in file order, each reported once."""
    return sorted(set(problems), key=lambda p: (p.line, p.column, p.message))


def _world(parts: Parts, file: str, content_hash: str) -> World:
    meta = parts.meta
    assert meta is not None  # `world:` is required, so a problem-free file has it
    return World(
        id=str(meta.get("id")), title=meta.get("title", ""), author=meta.get("author", ""),
        version=meta.get("version", ""), start=str(meta.get("start")),
        intro=meta.get("intro", ""), blurb=meta.get("blurb", ""), narrator=parts.narrator,
        beginner=bool(meta.get("beginner", False)),
        inventory=tuple(str(w) for w in parts.inventory),
        rooms={r.id: r for r in parts.rooms}, items={i.id: i for i in parts.items},
        rules=tuple(parts.rules), triggers=tuple(parts.triggers), verbs=tuple(parts.verbs),
        hints=tuple(parts.hints),
        flags=dict(parts.flags), counters=dict(parts.counters), max_score=parts.max_score,
        endings={e.id: e for e in parts.endings}, source=file, content_hash=content_hash)

