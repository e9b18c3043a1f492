"""libyaml's composer (the fast path) gives exactly the tree of the event composer, or steps aside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from game.engine import yaml_source
from game.engine.yaml_source import YNode

ROOT = Path(__file__).resolve().parent.parent
WORLDS = sorted([*ROOT.glob("worlds/*.yaml"), *ROOT.glob("tests/worlds/*.yaml")])

pytestmark = pytest.mark.skipif(yaml_source._NodeParser is None, reason="needs libyaml")


def _events(text: str) -> YNode:
    loader = yaml_source._SAFE_LOADER(text)
    try:
        return yaml_source._Composer().run(loader)
    finally:
        loader.dispose()


def _shape(node: YNode) -> Any:
    """Everything a later stage can read from a node, positions included."""
    head = (node.kind, node.raw, node.plain, node.line, node.column)
    if node.kind == "map":
        return head, [(_shape(k), _shape(v)) for k, v in node.value]
    if node.kind == "seq":
        return head, [_shape(c) for c in node.value]
    return head, type(node.value), node.value


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.name)
def test_shipped_worlds_take_the_fast_path_and_match(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = yaml_source._compose_fast(text)
    assert fast is not None
    assert _shape(fast) == _shape(_events(text))


@pytest.mark.parametrize("text", [
    "a: 1\nb: [yes, no, on, '1', ~, 0x1F, 1.5, -2, \"q\"]\nc: |\n  lit\nd: >\n  fold\ne:\n",
    "a: &x [1, 2]\nb: 3\n",                      # an anchor without aliases
    "k: v\n" * 3 + "x: {y: [z, {w: 1}]}\n",
])
def test_plain_documents_match(text: str) -> None:
    fast = yaml_source._compose_fast(text)
    assert fast is not None
    assert _shape(fast) == _shape(_events(text))


@pytest.mark.parametrize("text", [
    "a: &x [1]\nb: *x\n",                        # alias: shared node
    "a: !!str 1\n",                              # explicit tag
    "a: ! 1\n",                                  # the bare tag the marker cannot show
    "\ufeff! |\n",
    "a: !custom x\n",
    "a: 1\n---\nb: 2\n",                         # two documents
    "",                                          # empty
    "a: [1\n",                                   # broken YAML
    "a: &l [*l]\n",                              # recursive alias
    "x: " + "[" * 70 + "]" * 70 + "\n",          # deeper than MAX_DEPTH
])
def test_anything_unusual_goes_to_the_event_composer(text: str) -> None:
    assert yaml_source._compose_fast(text) is None


def test_node_cap_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_NODES", 10)
    assert yaml_source._compose_fast("[" + ", ".join(["a"] * 10) + "]") is None
    assert yaml_source._compose_fast("[" + ", ".join(["a"] * 8) + "]") is not None
