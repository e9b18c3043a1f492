"""Read and update the game's small config files (`narrator.toml`, `ui.toml`, or YAML).

Why one module: the narrator settings and the UI preferences live in the same config folder
and must behave alike: a broken file is reported with its name and never overwritten, a
player's comments survive a change made in the game, and a write is atomic. TOML is read and
edited with tomlkit (it keeps comments and layout, and reads TOML on every supported Python);
YAML files are re-dumped (yaml keeps the values and their order, not comments).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import tomlkit
import yaml
from tomlkit.exceptions import TOMLKitError

from game.atomic_file import describe_os_error, write_atomically


class ConfigFileError(ValueError):
    """A config file that cannot be read or written; the message names the file."""


def read_config_document(path: Path) -> dict[str, Any]:
    """The whole parsed file as plain values (TOML by suffix, else YAML); ConfigFileError names it."""
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = tomlkit.parse(text).unwrap() if path.suffix == ".toml" else (yaml.safe_load(text) or {})
    except (TOMLKitError, yaml.YAMLError) as exc:
        raise ConfigFileError(f"{path}: cannot parse: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a table of settings")
    return data


def update_config_file(path: Path, values: Mapping[str, Any], table: str | None = None,
                       document: dict[str, Any] | None = None) -> None:
    """Sets scalar `values` in `path` (in `[table]`, or at the top level), keeping the rest.

    `document`: the file as the caller just parsed it (`read_config_document`, or {} for a file
    that does not exist yet), so that it is not read twice. The result is parsed again and
    compared with what was meant before it replaces the file, so a file we could not edit
    faithfully is left alone. OSError (permissions, disk) becomes a ConfigFileError naming the file.
    """
    if document is None:
        document = read_config_document(path) if path.exists() else {}
    target = document.get(table, {}) if table else document
    if not isinstance(target, dict):
        raise ConfigFileError(f"{path}: [{table}] must be a table")
    expected = dict(document)
    if table:
        expected[table] = {**target, **values}
    else:
        expected.update(values)
    if path.suffix == ".toml":
        text = _toml_with_values(path.read_text(encoding="utf-8") if path.exists() else "", values, table)
        if tomlkit.parse(text).unwrap() != expected:
            raise ConfigFileError(f"{path}: cannot update it safely (unusual layout); "
                                  f"please set {', '.join(sorted(values))} in it yourself")
    else:
        text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ConfigFileError(f"cannot save settings to {path}: {exc.strerror or describe_os_error(exc)}") from exc


def _toml_with_values(text: str, values: Mapping[str, Any], table: str | None) -> str:
    """`text` with each of `values` set in `table` (created when missing), comments kept."""
    document = tomlkit.parse(text)
    target: Any = document
    if table is not None:
        if table not in document:
            document[table] = tomlkit.table()
        target = document[table]
    for key, value in values.items():
        target[key] = value
    return tomlkit.dumps(document)
