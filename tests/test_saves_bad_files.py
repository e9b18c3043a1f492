"""The broken-saves corpus: every bad file gets a clear message naming it, and never stops the
other saves from listing and loading. Nothing in a file is ever executed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from game.saves.errors import SaveError
from game.saves.store import SaveStore
from game.saves.transcript import transcript_markdown
from saves_support import REPO, minimal, play

CORPUS = REPO / "tests" / "data" / "bad_saves"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
PWNED = Path("/tmp/adventure-pwned")


def _folder_with(tmp_path: Path, name: str) -> tuple[SaveStore, Path]:
    store = SaveStore(tmp_path)
    store.save("good", *play(minimal(), ["take key"]))
    target = tmp_path / name
    shutil.copy(CORPUS / name, target)
    return store, target


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.json")} - {"expected.json"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_has_clear_message_and_others_still_load(tmp_path: Path, name: str) -> None:
    PWNED.unlink(missing_ok=True)
    store, path = _folder_with(tmp_path, name)
    before = path.read_bytes()
    with pytest.raises(SaveError) as caught:
        store.load(path.stem, minimal())
    message = str(caught.value)
    assert EXPECTED[name] in message
    assert str(path) in message
    assert "Traceback" not in message
    listed = {info.slot: info for info in store.list()}
    assert listed["good"].ok
    if listed[path.stem].problem is not None:  # structural problems show in the listing
        assert str(path) in listed[path.stem].problem
    assert store.load("good", minimal()).warnings == []
    assert path.read_bytes() == before  # never "repaired" behind the player's back
    assert not PWNED.exists()


def test_huge_file_is_refused_without_reading(tmp_path: Path) -> None:
    store, _ = _folder_with(tmp_path, "empty.json")
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(40 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(SaveError, match="too large to be a save"):
        store.load("huge", minimal())
    assert not store.info(huge).ok
    assert store.load("good", minimal()).warnings == []


def test_unreadable_undo_history_only_costs_the_undo(tmp_path: Path) -> None:
    game, transcript = play(minimal(), ["take key", "x mat", "drop key"])
    store = SaveStore(tmp_path)
    path = store.save("a", game, transcript)
    data = json.loads(path.read_text())
    data["undo"] = [{"merge": {"locations": "everything"}}]
    path.write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / ".verified.json").unlink()
    loaded = store.load("a", minimal())
    assert loaded.game.state == game.state  # replay rebuilt it all, undo included
    data["state"]["score"] = 3  # now replay disagrees and the broken undo is reported
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = SaveStore(tmp_path).load("a", minimal())
    assert any("undo history" in w and "unreadable" in w for w in loaded.warnings)
    assert loaded.game.undo() is False


def test_hostile_text_is_kept_as_data_and_cleaned_for_display(tmp_path: Path) -> None:
    """A save whose slot field points elsewhere and whose text carries terminal escapes."""
    game, transcript = play(minimal(), ["take key"])
    store = SaveStore(tmp_path)
    path = store.save("mine", game, transcript)
    data = json.loads(path.read_text())
    data["slot"] = "../../etc/passwd"
    data["transcript"][1]["narration"] = "\x1b]0;owned\x07\x1b[2J# Heading\nok"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = store.load("mine", minimal())
    assert loaded.info.slot == "mine" and loaded.info.path == path
    markdown = transcript_markdown(loaded.document)
    assert "\x1b" not in markdown and "\x07" not in markdown
    assert "> *\\# Heading*" in markdown and "owned" not in markdown
    assert "**mine**" in markdown and "passwd" not in markdown
    assert sorted(p.name for p in tmp_path.iterdir()) == [".verified.json", "mine.json"]
