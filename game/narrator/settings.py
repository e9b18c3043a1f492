"""Narrator settings: a config file in the user's config directory, overridden by the command line.

Why a file: sampling settings are a matter of taste and of the model in use, and a player who
found good ones should not have to repeat them on every run. Why the command line wins: a quick
experiment (`--model ...`, `--narrator off`) must not require editing a file.

The file is `<user config dir>/crystal-adventure/narrator.toml` (or `narrator.yaml`), e.g.::

    mode = "on"            # on | off | fake
    model = "mlx-community/Llama-3.2-1B-Instruct-4bit"
    temperature = 0.3
    top_p = 0.9
    max_tokens = 80
    max_sentences = 2
    repetition_penalty = 1.15
    seed = 7
    cache_budget_mb = 512
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import yaml
from platformdirs import user_config_dir

APP_NAME = "crystal-adventure"
MODES = ("on", "off", "fake")


class SettingsError(ValueError):
    """A config file or override that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class NarratorSettings:
    """Everything the narrator runtime needs to know, with defaults that suit the embedded model."""

    mode: str = "on"                  # "on" (MLX), "off" (no narration), "fake" (tests, demos)
    model: str = ""                   # "" = the embedded SmolLM2; else a HF id or a local folder
    temperature: float = 0.3           # measured on the scene set: 0.6 invents far more
    top_p: float = 0.9
    max_tokens: int = 72
    max_sentences: int = 2            # the narration is cut after this many sentences (1..3)
    repetition_penalty: float = 1.15
    seed: int | None = 0              # None = a different narration every run
    cache_budget_mb: int = 512        # in-memory prefix caches (LRU)
    disk_cache: bool = True           # persist prefix caches between runs
    prefetch: bool = True             # prefill adjacent rooms while the player is idle
    fake_tokens_per_s: float = 40.0   # the fake narrator's streaming rate
    history_turns: int = 1            # recent turns shown to the model (each costs prefill)

    def with_overrides(self, **overrides: Any) -> "NarratorSettings":
        """A copy with the given non-None values replaced (CLI flags left unset are None)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise SettingsError(f"unknown narrator setting(s): {', '.join(sorted(unknown))}")
        return _validated(dataclasses.replace(self, **given), source="command line")


def config_dir() -> Path:
    """`$ADVENTURE_CONFIG` if set (tests, portable installs), else the platform's config dir."""
    override = os.environ.get("ADVENTURE_CONFIG")
    return Path(override) if override else Path(user_config_dir(APP_NAME))


def config_file() -> Path | None:
    """The narrator config file if one exists (TOML preferred over YAML)."""
    for name in ("narrator.toml", "narrator.yaml", "narrator.yml"):
        path = config_dir() / name
        if path.is_file():
            return path
    return None


def load_settings(path: Path | None = None, **overrides: Any) -> NarratorSettings:
    """Defaults, then the config file (if any), then the overrides that are not None."""
    path = path if path is not None else config_file()
    base = NarratorSettings()
    if path is not None:
        base = _from_mapping(_read(path), source=str(path))
    return base.with_overrides(**overrides)


def _read(path: Path) -> Mapping[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            import tomllib  # Python 3.11+

            data: Any = tomllib.loads(text)
        else:
            data = yaml.safe_load(text) or {}
    except ModuleNotFoundError as exc:
        raise SettingsError(f"{path}: TOML needs Python 3.11+; use narrator.yaml") from exc
    except Exception as exc:  # tomllib.TOMLDecodeError, yaml.YAMLError
        raise SettingsError(f"{path}: cannot parse: {exc}") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a table of settings")
    section = data.get("narrator", data)
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: [narrator] must be a table")
    return section


def _from_mapping(values: Mapping[str, Any], source: str) -> NarratorSettings:
    known = {f.name: f for f in fields(NarratorSettings)}
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"{source}: unknown narrator setting(s): {', '.join(sorted(unknown))}")
    return _validated(NarratorSettings(**dict(values)), source)


def _validated(s: NarratorSettings, source: str) -> NarratorSettings:
    """Coerce numeric types and reject values that would break sampling."""
    try:
        s = dataclasses.replace(
            s,
            mode=str(s.mode),
            model=str(s.model or ""),
            temperature=float(s.temperature),
            top_p=float(s.top_p),
            max_tokens=int(s.max_tokens),
            max_sentences=int(s.max_sentences),
            repetition_penalty=float(s.repetition_penalty),
            seed=None if s.seed is None else int(s.seed),
            cache_budget_mb=int(s.cache_budget_mb),
            fake_tokens_per_s=float(s.fake_tokens_per_s),
            history_turns=int(s.history_turns),
        )
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{source}: {exc}") from exc
    problems = []
    if s.mode not in MODES:
        problems.append(f"mode must be one of {', '.join(MODES)} (got {s.mode!r})")
    if not 0.0 <= s.temperature <= 2.0:
        problems.append("temperature must be within 0..2")
    if not 0.0 < s.top_p <= 1.0:
        problems.append("top_p must be within (0, 1]")
    if not 1 <= s.max_tokens <= 1024:
        problems.append("max_tokens must be within 1..1024")
    if not 1 <= s.max_sentences <= 3:
        problems.append("max_sentences must be within 1..3")
    if not 0.5 <= s.repetition_penalty <= 2.0:
        problems.append("repetition_penalty must be within 0.5..2")
    if s.cache_budget_mb < 0:
        problems.append("cache_budget_mb must be >= 0")
    if s.fake_tokens_per_s <= 0:
        problems.append("fake_tokens_per_s must be > 0")
    if problems:
        raise SettingsError(f"{source}: " + "; ".join(problems))
    return s
