"""Prefix KV cache correctness on a tiny random-weight llama (real mlx-lm code paths).

The claim under test: the logits for an action computed on top of a reused prefix cache (from
memory, after trimming, after a copy, after a save/load round trip) equal the logits of the
whole prompt computed from scratch.
"""

from __future__ import annotations

import mlx.core as mx
import pytest
from mlx_lm.models.cache import make_prompt_cache
from narrator_tiny import STYLE, TAKE, cellar, hall, make_tiny

from game.narrator.backends.mlx_backend import MLXBackend, cache_offset, compact_copy
from game.narrator.generation.forward import PrefillInterrupted
from game.narrator.generation.prefix_cache import PrefixCacheStore
from game.narrator.prompt.builder import build_prompt

TOL = 1e-4


@pytest.fixture(scope="module")
def tiny():
    return make_tiny()


def store_for(tiny, budget_bytes: int, directory) -> PrefixCacheStore:
    return PrefixCacheStore(MLXBackend.from_loaded(tiny), budget_bytes, directory)


def full_logits(model, tokens) -> mx.array:
    """Last-position logits of the whole prompt, no cache reuse."""
    cache = make_prompt_cache(model)
    out = model(mx.array([list(tokens)]), cache=cache)
    return out[0, -1]


def suffix_logits(model, cache, suffix) -> mx.array:
    out = model(mx.array([list(suffix)]), cache=cache)
    return out[0, -1]


def prompt_for(tiny, command="take goblet", text="Taken.", scene=None):
    return build_prompt(tiny.tokenizer, STYLE, scene or hall(), command, text, TAKE, [])


def test_reused_prefix_matches_full_prompt(tiny, tmp_path):
    store = store_for(tiny, 1 << 30, tmp_path)
    first, second = prompt_for(tiny), prompt_for(tiny, "drop goblet", "Dropped.")
    assert first.prefix == second.prefix  # same room: same prefix
    assert first.suffix != second.suffix

    co = store.get_or_prefill(first.prefix, checkpoints=[first.base_len])
    assert co.source == "miss" and co.prefilled == first.prefix_len
    got = suffix_logits(tiny.model, co.cache, first.suffix)
    assert mx.allclose(got, full_logits(tiny.model, first.tokens), atol=TOL).item()

    # the same entry, trimmed back after the first action (no recompute)
    co2 = store.get_or_prefill(second.prefix, checkpoints=[second.base_len])
    assert co2.source == "hit" and co2.prefilled == 0
    assert cache_offset(co2.cache) == second.prefix_len
    got2 = suffix_logits(tiny.model, co2.cache, second.suffix)
    assert mx.allclose(got2, full_logits(tiny.model, second.tokens), atol=TOL).item()


def test_new_room_extends_shared_base(tiny, tmp_path):
    store = store_for(tiny, 1 << 30, tmp_path)
    a, b = prompt_for(tiny), prompt_for(tiny, "look", "Cellar.", cellar())
    assert a.base_len == b.base_len and a.tokens[: a.base_len] == b.tokens[: b.base_len]
    store.get_or_prefill(a.prefix, checkpoints=[a.base_len])
    co = store.get_or_prefill(b.prefix, checkpoints=[b.base_len])
    assert co.source == "partial"
    assert co.prefilled == b.prefix_len - b.base_len  # only the room block was computed
    got = suffix_logits(tiny.model, co.cache, b.suffix)
    assert mx.allclose(got, full_logits(tiny.model, b.tokens), atol=TOL).item()
    # the branch did not disturb the first room's entry
    co_a = store.get_or_prefill(a.prefix, checkpoints=[a.base_len])
    assert co_a.source == "hit"
    got_a = suffix_logits(tiny.model, co_a.cache, a.suffix)
    assert mx.allclose(got_a, full_logits(tiny.model, a.tokens), atol=TOL).item()


def test_disk_round_trip_matches(tiny, tmp_path):
    p = prompt_for(tiny)
    store = store_for(tiny, 1 << 30, tmp_path)
    co = store.get_or_prefill(p.prefix)
    suffix_logits(tiny.model, co.cache, p.suffix)  # use it: the saved copy must be trimmed
    assert store.flush() == 1
    fresh = store_for(tiny, 1 << 30, tmp_path)
    co2 = fresh.get_or_prefill(p.prefix)
    assert co2.source == "disk" and co2.prefilled == 0
    assert cache_offset(co2.cache) == p.prefix_len
    got = suffix_logits(tiny.model, co2.cache, p.suffix)
    assert mx.allclose(got, full_logits(tiny.model, p.tokens), atol=TOL).item()


def test_trim_after_generation_matches(tiny, tmp_path):
    """Run a long continuation into the cache (past a 256-token buffer step), trim, compare."""
    p = prompt_for(tiny)
    store = store_for(tiny, 1 << 30, None)
    co = store.get_or_prefill(p.prefix)
    junk = list(p.suffix) * 6  # grows the buffer
    suffix_logits(tiny.model, co.cache, junk)
    assert cache_offset(co.cache) > p.prefix_len + 256
    co2 = store.get_or_prefill(p.prefix)
    assert cache_offset(co2.cache) == p.prefix_len
    got = suffix_logits(tiny.model, co2.cache, p.suffix)
    assert mx.allclose(got, full_logits(tiny.model, p.tokens), atol=TOL).item()


def test_next_turn_reuses_the_suffix_lines_it_shares_with_the_last(tiny, tmp_path):
    """Two actions in the same room whose suffixes start alike (items, inventory): the second
    checkout keeps the shared tokens cached, and its logits still equal the whole prompt's."""
    store = store_for(tiny, 1 << 30, tmp_path)
    first, second = prompt_for(tiny), prompt_for(tiny, "drop goblet", "Dropped.")
    shared = next(i for i, (a, b) in enumerate(zip(first.suffix, second.suffix)) if a != b)
    assert shared > 0
    co = store.get_or_prefill(first.prefix, continuation=first.suffix)
    assert co.reused == 0
    suffix_logits(tiny.model, co.cache, first.suffix + (11, 12))  # the turn and two "generated" tokens
    store.remember_tail(co, first.suffix + (11, 12, 13))  # the last one was sampled, never run

    co2 = store.get_or_prefill(second.prefix, continuation=second.suffix)
    assert co2.source == "hit" and co2.reused == shared
    assert cache_offset(co2.cache) == second.prefix_len + shared
    got = suffix_logits(tiny.model, co2.cache, second.suffix[shared:])
    assert mx.allclose(got, full_logits(tiny.model, second.tokens), atol=TOL).item()


def test_tail_reuse_leaves_a_token_to_run_and_forgets_what_it_cannot_vouch_for(tiny):
    p = prompt_for(tiny)
    store = store_for(tiny, 1 << 30, None)
    co = store.get_or_prefill(p.prefix, continuation=p.suffix)
    suffix_logits(tiny.model, co.cache, p.suffix)
    store.remember_tail(co, p.suffix)
    again = store.get_or_prefill(p.prefix, continuation=p.suffix)  # the very same turn again
    assert again.reused == len(p.suffix) - 1  # the last token still runs, for its logits
    assert mx.allclose(suffix_logits(tiny.model, again.cache, p.suffix[-1:]),
                       full_logits(tiny.model, p.tokens), atol=TOL).item()

    # a forward pass that failed half-way leaves the layers at different offsets: no reuse
    store.remember_tail(again, p.suffix + (5,))
    heads, dims = again.cache[0].keys.shape[1], again.cache[0].keys.shape[3]
    again.cache[0].update_and_fetch(mx.zeros((1, heads, 1, dims)), mx.zeros((1, heads, 1, dims)))
    assert store.get_or_prefill(p.prefix, continuation=p.suffix).reused == 0
    # without a continuation (prefetch, other callers) the cache goes back to the prefix
    assert cache_offset(store.get_or_prefill(p.prefix).cache) == p.prefix_len

    # a stale checkout (the cache was handed out again since) cannot record its tail
    stale = store.get_or_prefill(p.prefix, continuation=p.suffix)
    latest = store.get_or_prefill(p.prefix, continuation=p.suffix)
    suffix_logits(tiny.model, latest.cache, p.suffix)
    store.remember_tail(stale, (1, 2, 3) + p.suffix)
    assert store.get_or_prefill(p.prefix, continuation=(1, 2, 3)).reused == 0


def test_compact_copy_is_independent(tiny):
    p = prompt_for(tiny)
    store = store_for(tiny, 1 << 30, None)
    original = store.get_or_prefill(p.prefix).cache
    copy = compact_copy(original)
    suffix_logits(tiny.model, copy, p.suffix)  # writes into the copy only
    assert cache_offset(original) == p.prefix_len
    got = suffix_logits(tiny.model, original, p.suffix)
    assert mx.allclose(got, full_logits(tiny.model, p.tokens), atol=TOL).item()


def test_interrupted_prefill_resumes(tiny):
    p = prompt_for(tiny)
    store = store_for(tiny, 1 << 30, None)
    calls = {"n": 0}

    def stop_after_two() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(PrefillInterrupted):
        store.get_or_prefill(p.prefix, chunk=64, should_stop=stop_after_two)
    co = store.get_or_prefill(p.prefix, chunk=64)
    assert co.source == "partial"
    assert co.prefilled == p.prefix_len - 128  # the two finished chunks were kept
    got = suffix_logits(tiny.model, co.cache, p.suffix)
    assert mx.allclose(got, full_logits(tiny.model, p.tokens), atol=TOL).item()


def test_lru_budget_evicts_least_recent(tiny, tmp_path):
    rooms = [hall(), cellar()]
    prompts = [prompt_for(tiny, scene=s) for s in rooms]
    store = store_for(tiny, 1 << 30, None)
    one = store.get_or_prefill(prompts[0].prefix)
    size = sum(c.nbytes for c in one.cache)
    store.budget_bytes = int(size * 1.5)  # room for one entry only
    store.get_or_prefill(prompts[1].prefix)
    assert store.keys() == [prompts[1].prefix_key]
    assert store.nbytes <= store.budget_bytes
    assert store.get_or_prefill(prompts[0].prefix).source == "miss"  # evicted, no disk


def test_evicted_entry_comes_back_from_disk(tiny, tmp_path):
    a, b = prompt_for(tiny), prompt_for(tiny, scene=cellar())
    store = store_for(tiny, 1, tmp_path)  # budget: one entry
    store.get_or_prefill(a.prefix)
    store.get_or_prefill(b.prefix)  # evicts a, which is saved on the way out
    assert store.keys() == [b.prefix_key]
    assert store.get_or_prefill(a.prefix).source == "disk"


def _saved(tiny, tmp_path, model_id=None):
    p = prompt_for(tiny)
    store = PrefixCacheStore(MLXBackend(tiny.model, tiny.tokenizer, model_id or tiny.model_id), 1 << 30,
                             tmp_path)
    store.get_or_prefill(p.prefix)
    store.flush()
    return p, store.directory / f"{p.prefix_key}.safetensors"


def test_corrupt_file_is_ignored_and_rebuilt(tiny, tmp_path):
    p, path = _saved(tiny, tmp_path)
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF  # flip bits inside the array data (header still parses)
    path.write_bytes(bytes(data))
    store = store_for(tiny, 1 << 30, tmp_path)
    co = store.get_or_prefill(p.prefix)
    assert co.source == "miss"
    assert any("checksum" in r for r in store.rejected_files)
    got = suffix_logits(tiny.model, co.cache, p.suffix)
    assert mx.allclose(got, full_logits(tiny.model, p.tokens), atol=TOL).item()


def test_truncated_file_is_ignored(tiny, tmp_path):
    p, path = _saved(tiny, tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    store = store_for(tiny, 1 << 30, tmp_path)
    assert store.get_or_prefill(p.prefix).source == "miss"
    assert store.rejected_files and "unreadable" in store.rejected_files[0]


def test_foreign_model_file_is_ignored(tiny, tmp_path):
    """A file written for another model (same folder name forced) is refused by its metadata."""
    p, path = _saved(tiny, tmp_path, model_id="other-model")
    store = store_for(tiny, 1 << 30, tmp_path)
    target = store.directory / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    assert store.get_or_prefill(p.prefix).source == "miss"
    assert any("other-model" in r for r in store.rejected_files)


def test_file_from_a_different_architecture_is_ignored(tiny, tmp_path):
    """Same model id and prefix, but layers of another shape: the shape check refuses it."""
    from narrator_tiny import make_model

    p, path = _saved(tiny, tmp_path)
    other = make_model(len(tiny.tokenizer._tokenizer), layers=3)
    store = PrefixCacheStore(MLXBackend(other, tiny.tokenizer, tiny.model_id), 1 << 30, tmp_path)
    assert store.get_or_prefill(p.prefix).source == "miss"
    assert any("layers" in r for r in store.rejected_files)


def test_a_cache_loaded_from_disk_has_room_for_the_next_turn(tiny, tmp_path):
    """A loaded cache is exactly full; growing it inside the first turn would copy all of it.
    The store grows it on load, and the logits on top of it still equal the whole prompt's."""
    p = prompt_for(tiny)
    writer = store_for(tiny, 1 << 30, tmp_path)
    writer.get_or_prefill(p.prefix)
    writer.flush()
    co = store_for(tiny, 1 << 30, tmp_path).get_or_prefill(p.prefix)
    assert co.source == "disk"
    assert all(layer.keys.shape[2] - layer.offset >= len(p.suffix) for layer in co.cache)
    capacity = [layer.keys.shape[2] for layer in co.cache]
    got = suffix_logits(tiny.model, co.cache, p.suffix)
    assert [layer.keys.shape[2] for layer in co.cache] == capacity  # no regrowth inside the turn
    assert mx.allclose(got, full_logits(tiny.model, p.tokens), atol=TOL).item()


def test_idle_prefetch_brings_a_room_cached_on_disk_into_memory(tiny, tmp_path):
    """Walking into a room whose prefix a past session saved: the idle prefetch loads it, so the
    first turn there is a memory hit rather than a disk load on the player's time."""
    from game.narrator.generation.narration import NarrationEngine
    from game.narrator.prompt.builder import build_prefix
    from game.narrator.settings import NarratorSettings

    settings = NarratorSettings(disk_cache=True)
    past = NarrationEngine(tiny, settings, tmp_path)
    assert past.prefetch_scene(STYLE, cellar())
    past.flush()
    engine = NarrationEngine(tiny, settings, tmp_path)
    prefix = build_prefix(tiny.tokenizer, STYLE, cellar()).prefix
    assert engine.store.has(prefix) and not engine.store.in_memory(prefix)
    assert engine.prefetch_scene(STYLE, cellar())
    assert engine.store.in_memory(prefix)
    assert engine.store.get_or_prefill(prefix).source == "hit"
