"""Helpers for the world-loader tests: a small valid world to break one way at a time."""

from __future__ import annotations

from pathlib import Path

from game.engine.loader import validate_world_file
from game.engine.problems import Problem

BASE = """\
world:
  id: house
  title: The House
  start: hall
  intro: You are at home.
flags:
  lit: false
counters:
  steps: 0
rooms:
  - id: hall
    name: Hall
    description: A plain hall.
    exits:
      north: kitchen
  - id: kitchen
    name: Kitchen
    description: A small kitchen.
    exits:
      s: hall
items:
  - id: box
    name: box
    location: hall
    container: true
  - id: coin
    name: gold coin
    location: box
rules:
  - id: shake_box
    verb: shake
    object: box
    message: Something rattles.
endings:
  - id: won
    kind: win
    message: You won.
"""


def variant(*replacements: tuple[str, str], base: str = BASE) -> str:
    """BASE with each (old, new) replaced once; fails loudly if `old` is not there."""
    text = base
    for old, new in replacements:
        assert old in text, f"test setup: {old!r} not in the base world"
        text = text.replace(old, new, 1)
    return text


def line_of(text: str, fragment: str) -> int:
    """The 1-based line where `fragment` first appears."""
    index = text.index(fragment)
    return text[:index].count("\n") + 1


def problems_for(tmp_path: Path, text: str | bytes, name: str = "world.yaml") -> list[Problem]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return validate_world_file(path)


def only_problem(tmp_path: Path, text: str | bytes) -> Problem:
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]
