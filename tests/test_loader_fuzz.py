"""Whatever bytes a world file holds, validation answers with problems, never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from game.engine.loader import world_from_bytes
from game.engine.problems import Problem

MINIMAL = (Path(__file__).resolve().parent / "worlds" / "minimal.yaml").read_text()
LINES = MINIMAL.splitlines(keepends=True)
YAML_BITS = st.sampled_from(["", ":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!str ", "'", '"',
                             "\t", "  ", "\n", "#", "|", ">", "~", "yes", "0x1F", "-1", "null",
                             "!!python/object:x ", "on", "id", "to: ", "when: ", "all: "])


def _assert_clean(data: bytes) -> None:
    world, problems = world_from_bytes(data, "fuzz.yaml")
    assert (world is None) == bool(problems)
    for problem in problems:
        assert isinstance(problem, Problem) and problem.line >= 1 and problem.column >= 1
        assert problem.message and "Traceback" not in problem.message


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _assert_clean(data)


@settings(max_examples=50, deadline=None)
@given(st.lists(YAML_BITS, max_size=40))
def test_random_yaml_punctuation(bits: list[str]) -> None:
    _assert_clean("".join(bits).encode())


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_mutations_of_a_valid_world(data: st.DataObject) -> None:
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "insert", "dedent", "indent"]))
        if action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "insert":
            lines[index] = lines[index].rstrip("\n") + data.draw(YAML_BITS) + "\n"
        elif action == "dedent":
            lines[index] = lines[index][2:]
        else:
            lines[index] = "  " + lines[index]
        if not lines:
            break
    _assert_clean("".join(lines).encode())
