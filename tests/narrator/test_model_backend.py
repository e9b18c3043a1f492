"""The model-runtime seam: MLXBackend on a tiny llama, and the one prefill loop that uses it."""

from __future__ import annotations

import mlx.core as mx
import numpy as np
import pytest
from mlx_lm.generate import generate_step
from narrator_tiny import STYLE, TAKE, hall, make_scripted, make_tiny

from game.narrator.api import NarrationRequest
from game.narrator.backends.mlx_backend import FORMAT_VERSION, MLXBackend
from game.narrator.backends.protocol import CacheFileRejected, ModelBackend
from game.narrator.generation.forward import PrefillInterrupted, prefill
from game.narrator.generation.narration import NarrationEngine
from game.narrator.settings import NarratorSettings

PROMPT = list(range(5, 25))


class CountingBackend(MLXBackend):
    """The real backend, recording how many tokens each `extend` call ran."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[int] = []

    def extend(self, tokens, cache) -> None:
        self.calls.append(len(tokens))
        super().extend(tokens, cache)


def states(cache) -> list[np.ndarray]:
    return [np.array(a) for layer in cache for a in layer.state]


@pytest.fixture(scope="module")
def tiny():
    return make_tiny(seed=2)


def test_the_mlx_backend_is_a_model_backend(tiny):
    backend = MLXBackend.from_loaded(tiny)
    assert isinstance(backend, ModelBackend)
    assert backend.model_id == tiny.model_id and backend.loaded is tiny
    assert not isinstance(tiny, ModelBackend)  # a loaded model is wrapped, not taken as one


def test_prefill_runs_each_chunks_last_token_alone_as_generate_step_did(tiny):
    backend = CountingBackend(tiny.model)
    ours = backend.make_cache()
    assert prefill(backend, ours, PROMPT[:7], chunk=3) == 7
    assert backend.calls == [2, 1, 2, 1, 1]
    theirs = backend.make_cache()
    for start in range(0, 7, 3):  # how the prefix cache filled caches before: one call per chunk
        part = mx.array(PROMPT[:7][start:start + 3], dtype=mx.uint32)
        for _ in generate_step(part, tiny.model, max_tokens=0, prompt_cache=theirs,
                               prefill_step_size=3):
            pass
    assert backend.positions(ours) == backend.positions(theirs) == [7, 7]
    for got, want in zip(states(ours), states(theirs)):
        np.testing.assert_array_equal(got, want)


def test_prefill_stops_between_chunks_and_reports_progress(tiny):
    backend = MLXBackend(tiny.model)
    cache = backend.make_cache()
    seen: list[tuple[int, int]] = []
    with pytest.raises(PrefillInterrupted) as stop:
        prefill(backend, cache, PROMPT, chunk=8, should_stop=lambda: len(seen) == 2,
                progress=lambda done, total: seen.append((done, total)))
    assert stop.value.args[0] == 16 and seen == [(8, 20), (16, 20)]
    assert backend.positions(cache) == [16, 16]


def test_trim_copy_and_file_round_trip_keep_the_logits(tiny, tmp_path):
    backend = MLXBackend(tiny.model, tiny.tokenizer, tiny.model_id)
    cache = backend.make_cache()
    prefill(backend, cache, PROMPT)
    want = np.array(backend.forward(mx.array([3], dtype=mx.uint32), backend.copy_cache(cache)))
    backend.extend([7, 8, 9], cache)  # a "generation" to rewind
    backend.trim_cache(cache, len(PROMPT))
    assert backend.positions(cache) == [len(PROMPT)] * 2
    path = tmp_path / f"prefix{backend.cache_file_suffix}"
    backend.save_cache(path, cache, len(PROMPT), {"note": "kept"})
    loaded, meta = backend.load_cache(path, len(PROMPT))
    assert meta["note"] == "kept" and backend.positions(loaded) == [len(PROMPT)] * 2
    for got in (cache, loaded):
        np.testing.assert_allclose(np.array(backend.forward(mx.array([3], dtype=mx.uint32), got)),
                                   want, atol=1e-5)


def test_a_file_of_another_format_version_is_rejected(tiny, tmp_path):
    from mlx_lm.models.cache import save_prompt_cache

    backend = MLXBackend(tiny.model)
    cache = backend.make_cache()
    prefill(backend, cache, PROMPT)
    path = tmp_path / "old.safetensors"
    save_prompt_cache(str(path), cache, {"format_version": "1"})
    with pytest.raises(CacheFileRejected, match=f"'1' != {FORMAT_VERSION}"):
        backend.load_cache(path, len(PROMPT))


def test_the_engine_runs_on_a_backend_as_on_the_loaded_model():
    request = NarrationRequest(1, "w", STYLE, hall(), "take goblet", "Taken.", TAKE, [])
    settings = NarratorSettings(disk_cache=False, temperature=0.0, max_sentences=2)
    texts = []
    for wrap in (lambda tiny: tiny, MLXBackend.from_loaded):
        engine = NarrationEngine(wrap(make_scripted(" the goblet. The air is cold.")), settings)
        run = engine.stream(request)
        texts.append(("".join(run), run.final_text))
    assert texts[0] == texts[1] and texts[0][1] == "You take the goblet. The air is cold."
