"""Which settings outlive the session: the changed narrator values and a usable theme."""

from __future__ import annotations

from game.narrator.settings import NarratorSettings
from game.ui.preferences import (DEFAULT_THEME, narrator_changes, save_theme,
                                 saved_theme_or_default)
from game.ui.view_models import SettingsChoice


def test_only_what_the_player_changed_is_saved():
    settings = NarratorSettings(mode="off", temperature=0.7, max_tokens=60)
    same = SettingsChoice(False, 0.7, 60, "nord")
    assert narrator_changes(same, settings, narration_on=False) == {}
    on = SettingsChoice(True, 0.9, 60, "nord")
    assert narrator_changes(on, settings, narration_on=False) == {"temperature": 0.9,
                                                                  "mode": "on"}
    fake = NarratorSettings(mode="fake")
    assert narrator_changes(SettingsChoice(False, fake.temperature, fake.max_tokens, "x"),
                            fake, narration_on=True) == {"mode": "off"}
    assert narrator_changes(SettingsChoice(True, fake.temperature, fake.max_tokens, "x"),
                            fake, narration_on=False) == {"mode": "fake"}  # fake stays fake


def test_a_theme_that_cannot_be_used_falls_back_with_a_reason(tmp_path):
    assert saved_theme_or_default(tmp_path, {"nord"}) == (DEFAULT_THEME, None)
    save_theme("nord", tmp_path)
    assert saved_theme_or_default(tmp_path, {"nord"}) == ("nord", None)
    theme, problem = saved_theme_or_default(tmp_path, {"textual-dark"})
    assert theme == DEFAULT_THEME and problem is not None and "nord" in problem
    (tmp_path / "ui.toml").write_text("theme = [broken\n", encoding="utf-8")
    theme, problem = saved_theme_or_default(tmp_path, {"nord"})
    assert theme == DEFAULT_THEME and problem
