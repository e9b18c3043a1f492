"""Reading a save file safely: bounded size, strict JSON, bounded nesting, clear complaints.

Saves are plain JSON parsed with the standard library's data-only parser, so nothing in a
file can ever run code (there are no tags, no constructors, no pickle). What remains is
making every way a file can be wrong produce one sentence that names the file and the problem:
too big, empty, binary, truncated, not JSON, NaN/Infinity, duplicate keys, too deeply nested,
or a JSON document that is not a save at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import describe_os_error
from .errors import SaveFormatError, SaveNotFoundError

MAX_SAVE_BYTES = 32 * 1024 * 1024   # a 1,000-turn campaign is a few hundred KB
MAX_DEPTH = 64                      # saves nest about 6 levels; engine state a few more


def read_save_text(path: Path, *, max_bytes: int = MAX_SAVE_BYTES) -> str:
    """The file's text, refusing huge, empty, binary or non-UTF-8 files before parsing."""
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > max_bytes:
                data = b"x" * (max_bytes + 1)  # refuse without reading it
            else:
                data = handle.read(max_bytes + 1)
    except FileNotFoundError as error:
        raise SaveNotFoundError(f"There is no save file {path}.", path) from error
    except IsADirectoryError as error:
        raise SaveFormatError(f"{path} is a folder, not a save file.", path) from error
    except OSError as error:
        raise SaveFormatError(f"Could not read {path}: {describe_os_error(error)}.", path) from error
    if len(data) > max_bytes:
        raise SaveFormatError(
            f"{path} is too large to be a save ({_size(path)}; the limit is "
            f"{max_bytes // (1024 * 1024)} MB). It was not read.", path)
    if not data.strip():
        raise SaveFormatError(f"{path} is empty (was the game interrupted while saving with an older version?).", path)
    if b"\x00" in data[:4096]:
        raise SaveFormatError(f"{path} is binary data, not a save file.", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SaveFormatError(
            f"{path} is not a text save file (invalid UTF-8 at byte {error.start}).", path) from error


def _size(path: Path) -> str:
    try:
        return f"{path.stat().st_size / (1024 * 1024):.1f} MB"
    except OSError:
        return "unknown size"


def _no_constants(name: str) -> Any:
    raise ValueError(f"'{name}' is not a number JSON allows")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key '{key[:40]}' appears twice in one object")
            seen.add(key)
    return result


def parse_json(text: str, path: Path) -> Any:
    """Parse strict JSON (no NaN/Infinity, no duplicate keys), explaining failures in words."""
    stripped = text.lstrip()
    if stripped.startswith(("%YAML", "---", "!!")) or "!!python/" in text[:65536]:
        raise SaveFormatError(
            f"{path} is not a save: it looks like YAML (with tags such as !!python/...). "
            "Saves are JSON and are only ever read as data; nothing in it was run.", path)
    try:
        return json.loads(text, parse_constant=_no_constants, object_pairs_hook=_unique_keys)
    except RecursionError as error:
        raise SaveFormatError(f"{path} is nested too deeply to be a save (more than {MAX_DEPTH} levels).", path) from error
    except json.JSONDecodeError as error:
        if error.pos >= len(text.rstrip()) - 1 or error.msg.startswith("Unterminated string"):
            raise SaveFormatError(
                f"{path} is truncated: the JSON ends unexpectedly at line {error.lineno} "
                "(the file was cut short, perhaps by a crash or a full disk).", path) from error
        raise SaveFormatError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
            path) from error
    except ValueError as error:
        raise SaveFormatError(f"{path} is not a valid save: {error}.", path) from error


def check_depth(value: Any, path: Path, limit: int = MAX_DEPTH) -> None:
    """Refuse documents nested deeper than `limit` (iteratively, so depth itself cannot crash us)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise SaveFormatError(
                f"{path} is nested too deeply to be a save (more than {limit} levels).", path)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))


def load_json_file(path: Path, *, max_bytes: int = MAX_SAVE_BYTES) -> Any:
    """Read and parse a save file's JSON with every safety limit applied."""
    return parse_json(read_save_text(path, max_bytes=max_bytes), path)
