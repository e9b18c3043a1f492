"""The file format pieces on their own: layout round trip, migration chain, undo patches and
the verification cache's failure modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from game.engine.game import Game
from game.saves.document import FORMAT_VERSION, render_json
from game.saves.errors import SaveFormatError
from game.saves.migrate import MIGRATIONS, migrate
from game.saves.store import REPLAYED, SaveStore
from game.saves.undo import decode_undo, encode_undo
from game.saves.vcache import CACHE_NAME, VerificationCache
from saves_support import REPO, WIN_MINIMAL, minimal, play


def test_layout_round_trips_any_json() -> None:
    data = {"format": "x", "text": "caf\u00e9 \"quoted\"\nline\ttab \u2603", "empty": [], "obj": {},
            "list": [{"a": [1, 2, {"b": None}]}, "s", 3, True], "nested": {"k": {"x": [1]}}}
    text = render_json(data)
    assert json.loads(text) == data
    assert "caf\u00e9" in text and "\u2603" in text  # readable, not \\u escapes
    with pytest.raises(ValueError):
        render_json({"score": float("nan")})


def test_every_old_version_has_a_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(1, FORMAT_VERSION))


def test_migration_reports_unfixable_v1(tmp_path: Path) -> None:
    data = json.loads((REPO / "tests/data/saves/v1_minimal.json").read_text())
    data["transcript"] = [["only one"]]
    with pytest.raises(SaveFormatError, match="format 1 save that could not be upgraded"):
        migrate(data, tmp_path / "x.json")


def test_undo_patches_rebuild_every_snapshot() -> None:
    game, _ = play(minimal(), WIN_MINIMAL[:9] + ["drop lamp", "take lamp"])
    snapshots = game.undo_history()
    patches = encode_undo(snapshots, game.state)
    assert len(patches) == len(snapshots) > 5
    assert decode_undo(patches, game.state.to_dict()) == snapshots
    assert len(json.dumps(patches)) < len(snapshots) * len(json.dumps(game.state.to_dict())) / 3


def test_undo_patch_can_delete_keys() -> None:
    before = Game(minimal()).state
    after = before.copy()
    after.set_flag("brand_new", True)
    patches = encode_undo([before], after)
    assert patches == [{"merge": {"flags": {"brand_new": None}}}]
    assert decode_undo(patches, after.to_dict()) == [before]


def test_corrupt_or_unwritable_cache_only_costs_a_replay(tmp_path: Path) -> None:
    game, transcript = play(minimal(), WIN_MINIMAL[:4])
    SaveStore(tmp_path).save("a", game, transcript)
    (tmp_path / CACHE_NAME).write_text("{not json", encoding="utf-8")
    loaded = SaveStore(tmp_path).load("a", minimal())
    assert loaded.verification == REPLAYED and loaded.warnings == []
    (tmp_path / CACHE_NAME).unlink()
    (tmp_path / CACHE_NAME).mkdir()  # something in the way: recording fails quietly
    assert SaveStore(tmp_path).load("a", minimal()).verification == REPLAYED


def test_cache_is_bounded(tmp_path: Path) -> None:
    cache = VerificationCache(tmp_path)
    for n in range(300):
        cache.record(f"k{n}", "d")
    entries = json.loads((tmp_path / CACHE_NAME).read_text())["entries"]
    assert len(entries) == 256 and "k299" in entries and "k0" not in entries
