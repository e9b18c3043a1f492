"""What a narration reports about its speed, read against a scripted clock."""

from __future__ import annotations

import itertools

from narrator_tiny import STYLE, TAKE, hall, make_scripted

from game.narrator.api import NarrationRequest
from game.narrator.generation.narration import NarrationEngine
from game.narrator.settings import NarratorSettings


def test_the_rate_counts_every_decode_step_up_to_the_end_of_text_token() -> None:
    """One clock tick per token: the rate is one step per tick, whether the reply ends at the
    model's end-of-text token (a step of its own, never shown) or at the token budget."""
    tiny = make_scripted("You wait in the dark<|im_end|>")
    reply = tiny.tokenizer.encode("You wait in the dark", add_special_tokens=False)
    for max_tokens, shown in ((64, len(reply)), (3, 3)):
        ticks = itertools.count()
        engine = NarrationEngine(tiny, NarratorSettings(seed=0, max_tokens=max_tokens, disk_cache=False),
                                 clock=lambda: float(next(ticks)))
        run = engine.stream(NarrationRequest(1, "w", STYLE, hall(), "take goblet", "Taken.", tuple(TAKE), ()))
        list(run)
        assert run.stats.generated_tokens == shown
        assert run.stats.tokens_per_s == 1.0
        assert run.stats.ttft_s == 2.0  # ticks: request, prefix ready, first token
