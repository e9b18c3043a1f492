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
import json
import math
import os
import re
import tempfile
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


def config_dir() -> Path:
    """`$ADVENTURE_CONFIG` if set (tests, portable installs), else the platform's config dir."""
    override = os.environ.get("ADVENTURE_CONFIG")
    return Path(override) if override else Path(user_config_dir(APP_NAME))


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
    return data


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
    """Sets scalar `values` in `path` (in `[table]`, or at the top level), keeping the rest.

    `document`: the file as the caller just parsed it (`read_config_document`, or {} for a
    file that does not exist yet), so that it is not read twice.

    Why by hand: the standard library reads TOML but cannot write it, and rewriting the whole
    file would drop the player's comments; so a TOML file is edited line by line (a changed
    key's line is replaced, a new key goes at the end of its table) and the result is parsed
    again and compared with what we meant to write before it replaces the file. YAML files are
    re-dumped (yaml keeps the values and their order, not comments). The write is atomic: a
    temp file in the same folder, then os.replace, so a crash or a full disk leaves the old
    file whole. OSError (permissions, disk) becomes a SettingsError naming the file.
    """
    if document is None:
        document = read_config_document(path) if path.exists() else {}
    target = document.get(table, {}) if table else document
    if not isinstance(target, dict):
        raise SettingsError(f"{path}: [{table}] must be a table")
    expected = dict(document)
    if table:
        expected[table] = {**target, **values}
    else:
        expected.update(values)
    if path.suffix == ".toml":
        old_text = path.read_text(encoding="utf-8") if path.exists() else ""
        text = _toml_with_values(old_text, values, table)
        import tomllib

        try:
            written = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            written = None
        if written != expected:
            raise SettingsError(f"{path}: cannot update it safely by hand (unusual layout); "
                                f"please set {', '.join(sorted(values))} in it yourself")
    else:
        text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)
    _write_atomically(path, text)


_TOML_HEADER = re.compile(r"^\s*\[")


def _toml_with_values(text: str, values: Mapping[str, Any], table: str | None) -> str:
    """`text` with each key's line in `table` replaced or added (see update_config_file)."""
    lines = text.splitlines()
    if table is None:
        start = 0
    else:
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]\s*(#.*)?$")
        found = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if found is None:
            if lines and lines[-1].strip():
                lines.append("")
            lines.append(f"[{table}]")
            found = len(lines) - 1
        start = found + 1
    end = next((i for i in range(start, len(lines)) if _TOML_HEADER.match(lines[i])), len(lines))
    missing = dict(values)
    for i in range(start, end):
        match = re.match(r'^\s*"?([A-Za-z0-9_-]+)"?\s*=', lines[i])
        if match and match.group(1) in missing:
            key = match.group(1)
            lines[i] = f"{key} = {_toml_value(missing.pop(key))}"
    last = max((i for i in range(start, end) if lines[i].strip()), default=start - 1)
    lines[last + 1:last + 1] = [f"{key} = {_toml_value(v)}" for key, v in missing.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    """A TOML literal for a simple scalar (the only kinds the settings hold)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    raise SettingsError(f"cannot write {value!r} to a TOML settings file")


def _write_atomically(path: Path, text: str) -> None:
    """Temp file in the same folder (same file system), fsync, then os.replace."""
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, (path.stat().st_mode & 0o777) if path.exists() else 0o644)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise SettingsError(f"cannot save settings to {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


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
