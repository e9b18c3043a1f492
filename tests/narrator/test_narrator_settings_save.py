"""save_settings: what the settings screen writes must come back on the next start, without
losing anything else in the player's file, and a failed write must leave the file whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from game.narrator.settings import (NarratorSettings, SettingsError, load_settings,
                                    save_settings, update_config_file)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("ADVENTURE_CONFIG", str(directory))
    return directory


def test_round_trip_creates_the_file_the_loader_reads(config: Path) -> None:
    path = save_settings({"temperature": 0.7, "max_tokens": 40, "mode": "off"})
    assert path == config / "narrator.toml"
    loaded = load_settings()
    assert (loaded.temperature, loaded.max_tokens, loaded.mode) == (0.7, 40, "off")
    # Unchanged values stay defaults (nothing else written) and the command line still wins.
    assert loaded.top_p == NarratorSettings().top_p
    assert load_settings(mode="fake").mode == "fake"


def test_other_keys_comments_and_tables_are_kept(config: Path) -> None:
    config.mkdir()
    path = config / "narrator.toml"
    path.write_text('# my narrator\n[narrator]\nmodel = "some/model"  # tried it\n'
                    'temperature = 0.2\nseed = 7\n\n[elsewhere]\nnames = ["a", "b"]\n',
                    encoding="utf-8")
    save_settings({"temperature": 1, "max_tokens": 99})
    text = path.read_text(encoding="utf-8")
    assert "# my narrator" in text and "# tried it" in text and 'names = ["a", "b"]' in text
    loaded = load_settings()
    assert (loaded.model, loaded.seed, loaded.temperature, loaded.max_tokens) == (
        "some/model", 7, 1.0, 99)
    assert "max_tokens = 99" in text.split("[elsewhere]")[0]  # in its own table


def test_yaml_file_stays_yaml_with_its_keys(config: Path) -> None:
    config.mkdir()
    path = config / "narrator.yaml"
    path.write_text("model: some/model\nseed: null\ntemperature: 0.2\n", encoding="utf-8")
    assert save_settings({"temperature": 0.5}) == path
    assert not (config / "narrator.toml").exists()
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {
        "model": "some/model", "seed": None, "temperature": 0.5}


def test_invalid_values_are_refused_before_writing(config: Path) -> None:
    with pytest.raises(SettingsError, match="temperature must be within 0..2"):
        save_settings({"temperature": 5.0})
    with pytest.raises(SettingsError, match="unknown narrator setting"):
        save_settings({"colour": "red"})
    assert not (config / "narrator.toml").exists()


def test_invalid_file_gives_the_loaders_error_and_is_not_overwritten(config: Path) -> None:
    config.mkdir()
    path = config / "narrator.toml"
    path.write_text("temperature = = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"narrator\.toml: cannot parse"):
        save_settings({"temperature": 0.5})
    with pytest.raises(SettingsError, match=r"narrator\.toml: cannot parse"):
        load_settings()
    assert path.read_text(encoding="utf-8") == "temperature = = 1\n"


def test_failed_replace_leaves_the_old_file_and_no_temp_files(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config.mkdir()
    path = config / "narrator.toml"
    path.write_text("temperature = 0.2\n", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SettingsError, match="cannot save settings to .*Permission denied"):
        save_settings({"temperature": 0.9})
    assert path.read_text(encoding="utf-8") == "temperature = 0.2\n"
    assert sorted(p.name for p in config.iterdir()) == ["narrator.toml"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_read_only_folder_is_a_clear_error(config: Path) -> None:
    config.mkdir()
    config.chmod(0o500)
    try:
        with pytest.raises(SettingsError, match="cannot save settings to"):
            save_settings({"temperature": 0.9})
    finally:
        config.chmod(0o700)


def test_flat_ui_file_keeps_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "ui.toml"
    path.write_text('theme = "nord"\nother = 3\n', encoding="utf-8")
    update_config_file(path, {"theme": "gruvbox"})
    assert path.read_text(encoding="utf-8") == 'theme = "gruvbox"\nother = 3\n'
