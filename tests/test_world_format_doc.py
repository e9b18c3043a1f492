"""docs/world-format.md stays complete and its example stays valid."""

from __future__ import annotations

import re
from pathlib import Path

from game.engine.schema import CHOICES, STRUCTS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "world-format.md").read_text(encoding="utf-8")


def test_every_key_of_the_format_is_documented() -> None:
    keys = {f.key for s in STRUCTS.values() for f in s.fields}
    keys |= {f.key for c in CHOICES.values() for f in c.options}
    missing = sorted(k for k in keys if not re.search(rf"(`|\{{|\b){re.escape(k)}(:|`)", DOC))
    assert missing == []


def test_the_complete_example_is_the_minimal_test_world() -> None:
    section = DOC.split("## A complete example", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    # minimal.yaml minus its comment block after the schema line (the doc says it in prose)
    text = (ROOT / "tests" / "worlds" / "minimal.yaml").read_text(encoding="utf-8")
    assert example == text.splitlines(keepends=True)[0] + text[text.index("world:"):]
