"""Checked generation on tiny models: a failing sentence never reaches the sink, retries are
bounded, the cache rewinds exactly, and cancellation still ends within a token."""

from __future__ import annotations

import threading
import time

import mlx.core as mx
from mlx_lm.models.cache import make_prompt_cache
from narrator_tiny import STYLE, RecordingSink, hall, make_scripted, make_tiny

from game.engine.events import Event
from game.narrator.api import NarrationRequest
from game.narrator.backends.mlx_backend import MLXBackend
from game.narrator.grounding.facts import ItemFact, TurnFacts
from game.narrator.generation.narration import NarrationEngine
from game.narrator.generation.sampling import make_fast_sampler
from game.narrator.settings import NarratorSettings
from game.narrator.generation.token_loop import generate_tokens
from game.narrator.runtime.worker import MLXNarrator


def item(item_id: str, name: str, held: bool = False, states: frozenset[str] = frozenset()
         ) -> ItemFact:
    return ItemFact(item_id, name, (), (), "", states, True, held)


def facts(command: str = "take goblet", text: str = "Taken.",
          succeeded: frozenset[str] = frozenset({"took"})) -> TurnFacts:
    """The hall after taking the goblet; the golden crown exists, in another room."""
    scene = hall()
    return TurnFacts(
        room_id="hall", room_name=scene.room_name, room_text=scene.room_description,
        dark=False, exits=tuple(scene.exits), command=command, engine_text=text,
        in_scope=(item("goblet", "silver goblet", held=True), item("torch", "torch", held=True),
                  item("hearth", "hearth"), item("tapestry", "tapestry")),
        elsewhere=(item("crown", "golden crown"),), room_names=("Great Hall", "Treasury"),
        acted_on=("goblet",), succeeded=succeeded, refused=False)


def request(rid: int = 1) -> NarrationRequest:
    return NarrationRequest(rid, "w", STYLE, hall(), "take goblet", "Taken.",
                            [Event("took", {"item": "goblet"})], [], facts())


def engine(text: str, **settings) -> NarrationEngine:
    base = dict(disk_cache=False, temperature=0.0, max_tokens=80, sentence_retries=2)
    base.update(settings)
    return NarrationEngine(make_scripted(text), NarratorSettings(**base))


def test_a_sentence_naming_an_item_from_another_room_is_never_shown():
    eng = engine(" and the golden crown.")
    run = eng.stream(request())
    pieces = list(run)
    shown = "".join(pieces)
    assert "crown" not in shown
    # every try named the crown; the engine-made opening is what the player reads
    assert shown == run.final_text == "You take the silver goblet."
    assert run.stats.sentences_rejected >= 1
    assert run.stats.retries == 2  # the budget: two resamples, then the fallback
    assert run.stats.extra["opening_only"] == 1.0
    assert any("invented-object" in kinds for _, kinds in run.verdicts)


def test_a_good_sentence_is_shown_whole_and_the_next_bad_one_is_not():
    eng = engine(" from the hearth. The golden crown shines.", max_sentences=2)
    run = eng.stream(request())
    pieces = list(run)
    assert pieces[0] == "You take the silver goblet from the hearth."
    assert "crown" not in "".join(pieces)
    assert run.final_text.startswith("You take the silver goblet from the hearth.")
    assert run.stats.sentences_rejected >= 1 and run.stats.retries >= 1


def test_no_retry_when_the_budget_is_zero():
    for settings in ({"sentence_retries": 0}, {"retry_budget_s": 0.0}):
        run = engine(" and the golden crown.", **settings).stream(request())
        assert "".join(run) == "You take the silver goblet."
        assert run.stats.retries == 0 and run.stats.sentences_rejected == 1


def test_grounding_off_streams_the_model_unchecked():
    run = engine(" and the golden crown.", grounding=False).stream(request())
    assert "golden crown" in "".join(run)


def test_rewinding_the_cache_resamples_exactly_what_a_fresh_run_would():
    tiny = make_tiny(seed=3)
    greedy = make_fast_sampler(0.0)
    prompt = list(range(5, 25))
    backend = MLXBackend.from_loaded(tiny)
    cache = make_prompt_cache(tiny.model)
    first = list(generate_tokens(backend, prompt, cache, greedy, None, 12))
    keep = len(prompt) + 5  # the prompt and five generated tokens
    backend.trim_cache(cache, keep - 1)
    assert cache[0].offset == keep - 1
    again = list(generate_tokens(backend, [first[4]], cache, greedy, None, 7))
    assert again == first[5:12]
    mx.eval([c.state for c in cache])


def test_cancel_ends_a_checked_narration_within_a_token():
    delay = 0.05
    holder = {}

    def loader(spec, progress):
        holder["tiny"] = make_scripted(" and you walk slowly and the hall is quiet and you",
                                       delay_s=delay)
        return holder["tiny"]

    narrator = MLXNarrator(NarratorSettings(disk_cache=False, temperature=0.0, max_tokens=1000,
                                            prefetch=False, retry_budget_s=30.0),
                           loader=loader)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        narrator.submit(request(5), sink)
        assert sink.wait_for(lambda: any(s == "streaming" for s, _ in sink.statuses))
        time.sleep(10 * delay)
        cancelled_at = time.perf_counter()
        narrator.cancel()
        assert sink.wait_for(lambda: 5 in sink.done, timeout=10)
        stats, final, done_at = sink.done[5]
        assert stats.cancelled
        assert done_at - cancelled_at < 3 * delay + 0.5
        assert sink.text(5) == ""  # no sentence ever completed, so nothing was shown
        assert final == ""
    finally:
        narrator.close()
    assert not threading.current_thread().name == "narrator"


def test_a_move_opening_refused_for_repeating_itself_comes_back_as_the_fallback_once():
    """'You step into the Great Hall.' was shown last turn: the repetition check refuses it as
    the first line, but when the model writes nothing that passes it is still the honest
    fallback, with one full stop."""
    eng = engine(" and the golden crown.")
    moved = NarrationRequest(2, "w", STYLE, hall(), "n", "Great Hall\nA vast hall.",
                             [Event("moved", {"item": "player", "to": "hall",
                                              "first_visit": True})], [],
                             facts(command="n", text="Great Hall\nA vast hall.",
                                   succeeded=frozenset({"moved"})))
    eng._shown_before("w").append("You step into the Great Hall.")
    run = eng.stream(moved)
    assert "".join(run) == "You step into the Great Hall."
    assert run.stats.extra["opening_only"] == 1.0
