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
    max_sentences = 1
    repetition_penalty = 1.15
    seed = 7
    cache_budget_mb = 512
    grounding = true       # show only sentences that pass the grounding check
    sentence_retries = 3   # resamples of a refused sentence
    retry_budget_s = 2.5   # seconds after the first token spent resampling, at most
    steer_nouns = true     # lower ungrounded nouns' scores before sampling

The settings screen writes what the player changed back to the same file (`save_settings`),
so a choice made in the game is still there next time; the command line still wins on start.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from game import config_files
from game.config_files import ConfigFileError
from game.paths import config_dir

__all__ = ["MODES", "NarratorSettings", "SettingsError", "config_dir", "config_file", "load_settings",
           "read_config_document", "save_settings", "update_config_file"]

MODES = ("on", "off", "fake")


class SettingsError(ConfigFileError):
    """A config file or override that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class NarratorSettings:
    """Everything the narrator runtime needs to know, with defaults that suit the embedded model."""

    mode: str = "on"                  # "on" (MLX), "off" (no narration), "fake" (tests, demos)
    model: str = ""                   # "" = the embedded SmolLM2; else a HF id or a local folder
    temperature: float = 0.3           # on the scene set 0.6 invents far more
    top_p: float = 0.9
    max_tokens: int = 72
    max_sentences: int = 1            # the model's sentences per narration (1..3); a move's
    # opening ("You step into the Cellar.") is the engine's and not counted. One by default:
    # read on both walkthroughs, the embedded model's second sentence was mostly nonsense that
    # no word-level check can refuse (docs/narrator.md); a bigger --model may take more.
    repetition_penalty: float = 1.15
    seed: int | None = 0              # None = a different narration every run
    cache_budget_mb: int = 512        # in-memory prefix caches (LRU)
    disk_cache: bool = True           # persist prefix caches between runs
    prefetch: bool = True             # prefill adjacent rooms while the player is idle
    fake_tokens_per_s: float = 40.0   # the fake narrator's streaming rate
    history_turns: int = 1            # recent turns shown to the model (each costs prefill)
    grounding: bool = True            # show only sentences that pass the grounding check
    sentence_retries: int = 3         # resamples of a sentence that failed the check
    retry_budget_s: float = 2.5       # time after the first token spent on resampling, at most
    steer_nouns: bool = True          # lower ungrounded nouns' scores before sampling

    def with_overrides(self, **overrides: Any) -> "NarratorSettings":
        """A copy with the given non-None values replaced (CLI flags left unset are None)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise SettingsError(f"unknown narrator setting(s): {', '.join(sorted(unknown))}")
        return _validated(dataclasses.replace(self, **given), source="command line")


def config_file(directory: Path | None = None) -> Path | None:
    """The narrator config file in `directory` (default `config_dir()`) if one exists (TOML
    preferred over YAML)."""
    directory = directory if directory is not None else config_dir()
    for name in ("narrator.toml", "narrator.yaml", "narrator.yml"):
        path = directory / name
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
    return _narrator_section(read_config_document(path), path)


def read_config_document(path: Path) -> dict[str, Any]:
    """The whole parsed file (TOML by suffix, else YAML); SettingsError names the file."""
    try:
        return config_files.read_config_document(path)
    except ConfigFileError as exc:
        raise SettingsError(str(exc)) from exc


def _narrator_section(data: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    section = data.get("narrator", data)
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: [narrator] must be a table")
    return section


# ---------------------------------------------------------------------------- saving
def save_settings(changes: Mapping[str, Any], path: Path | None = None) -> Path:
    """Writes `changes` (only what the player changed) into the narrator config file.

    Only the changed keys are written so that values given on the command line for this run
    (`--narrator off`) do not become permanent. The file is the one `load_settings` reads
    (`path`, else the existing `config_file()`, else a new `narrator.toml` in `config_dir()`).
    Everything else in it is kept: a broken file raises the loader's SettingsError instead of
    being overwritten, and the values are validated against the whole file first, so the next
    start cannot fail on what we wrote. Returns the path written.
    """
    path = path if path is not None else (config_file() or config_dir() / "narrator.toml")
    document = read_config_document(path) if path.exists() else {}
    has_table = isinstance(document.get("narrator"), dict)
    section = _narrator_section(document, path)
    merged = _from_mapping({**section, **changes}, source=str(path))
    # Coerced values (e.g. 1 -> 1.0 for temperature), so the file holds what the loader yields.
    values = {key: getattr(merged, key) for key in changes}
    update_config_file(path, values, table="narrator" if has_table else None, document=document)
    return path


def update_config_file(path: Path, values: Mapping[str, Any], table: str | None = None,
                       document: dict[str, Any] | None = None) -> None:
    """Sets scalar `values` in `path`, keeping the rest and the comments (`game.config_files`)."""
    try:
        config_files.update_config_file(path, values, table, document)
    except ConfigFileError as exc:
        raise SettingsError(str(exc)) from exc


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
            grounding=bool(s.grounding),
            sentence_retries=int(s.sentence_retries),
            retry_budget_s=float(s.retry_budget_s),
            steer_nouns=bool(s.steer_nouns),
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
    if not 0 <= s.sentence_retries <= 10:
        problems.append("sentence_retries must be within 0..10")
    if not 0.0 <= s.retry_budget_s <= 30.0:
        problems.append("retry_budget_s must be within 0..30")
    if s.fake_tokens_per_s <= 0:
        problems.append("fake_tokens_per_s must be > 0")
    if problems:
        raise SettingsError(f"{source}: " + "; ".join(problems))
    return s
