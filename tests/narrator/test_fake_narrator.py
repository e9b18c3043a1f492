"""The fake narrator is the real worker thread running a deterministic engine."""

from __future__ import annotations

from narrator_tiny import STYLE, TAKE, RecordingSink, cellar, hall

from game.narrator.api import NarrationRequest, NarrationStats
from game.narrator.runtime.fake import FakeNarrationEngine, FakeNarrator, fake_narration, fake_tokens
from game.narrator.runtime.worker import NarratorThread


def request(rid: int, command: str = "take goblet", text: str = "Taken.") -> NarrationRequest:
    return NarrationRequest(rid, "w", STYLE, hall(), command, text, TAKE, [])


def test_the_fake_engine_streams_on_the_calling_thread():
    engine = FakeNarrationEngine(tokens_per_s=1000)
    statuses = []
    run = engine.stream(request(4), status=lambda status, detail: statuses.append((status, detail)))
    assert run.stats is None  # nothing happens until the run is iterated
    pieces = list(run)
    assert pieces == fake_tokens(fake_narration(request(4)))
    assert run.final_text == "".join(pieces) == fake_narration(request(4))
    assert run.stats.generated_tokens == len(pieces) and not run.stats.cancelled
    assert statuses == [("streaming", "fake")]


def test_the_fake_narrator_reports_through_the_worker_and_takes_prefetches():
    narrator = FakeNarrator(tokens_per_s=500)
    assert isinstance(narrator, NarratorThread)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        assert sink.wait_for(lambda: ("idle", "fake") in sink.statuses)
        assert sink.statuses[0] == ("loading", "fake model")
        narrator.submit(request(1), sink)
        assert sink.wait_for(lambda: 1 in sink.done)
        narrator.prefetch([cellar()], STYLE)  # queued by the worker, run when it is idle
        assert sink.wait_for(lambda: narrator.engine.prefetched == [cellar()])
        assert narrator.status == "idle"
    finally:
        narrator.close()
    assert narrator.status == "off" and sink.statuses[-1] == ("off", "closed")


def test_a_cancel_before_the_first_piece_ends_the_fake_narration_empty():
    narrator = FakeNarrator(tokens_per_s=500, ttft_s=5.0)  # "thinks" for five seconds
    sink = RecordingSink()
    narrator.start(sink)
    try:
        narrator.submit(request(2), sink)
        assert sink.wait_for(lambda: ("streaming", "fake") in sink.statuses)
        narrator.cancel()
        assert sink.wait_for(lambda: 2 in sink.done, timeout=2.0)  # not after the five seconds
        stats, final, _ = sink.done[2]
        assert stats.cancelled and final == "" and sink.text(2) == ""
    finally:
        narrator.close()


def test_empty_stats_ran_nothing():
    stats = NarrationStats.empty(cancelled=True)
    assert (stats.cache, stats.prompt_tokens_prefilled, stats.generated_tokens) == ("hit", 0, 0)
    assert stats.cancelled and stats.extra == {}
    first, second = NarrationStats.empty(extra={"skipped": 1.0}), NarrationStats.empty()
    assert first.extra == {"skipped": 1.0} and second.extra == {} and not second.cancelled


def test_a_sink_that_raises_does_not_stop_the_worker():
    class Faulty(RecordingSink):
        def on_token(self, request_id: int, text: str) -> None:
            raise RuntimeError("the UI fell over")

    narrator = FakeNarrator(tokens_per_s=500)
    faulty, sink = Faulty(), RecordingSink()
    narrator.start(sink)
    try:
        narrator.submit(request(1), faulty)
        assert faulty.wait_for(lambda: 1 in faulty.done)
        assert faulty.done[1][1] == fake_narration(request(1))
        narrator.submit(request(2, command="look"), sink)
        assert sink.wait_for(lambda: 2 in sink.done) and sink.text(2) == sink.done[2][1]
    finally:
        narrator.close()
