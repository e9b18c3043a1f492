"""Failure reasons: an engine Enum that still reads, compares and serialises as its spelling."""

from __future__ import annotations

import json

from game.engine.failures import Failure

from engine_session import Session


def test_failure_reasons_compare_and_serialise_as_their_spelling() -> None:
    result = Session().do("take unicorn")
    reason = result.events[0].data["reason"]
    assert reason is Failure.UNKNOWN_WORD or reason is Failure.NOT_IN_SCOPE
    assert reason == reason.value and f"{reason}" == reason.value
    assert json.loads(json.dumps(result.events[0].to_dict()))["data"]["reason"] == reason.value
    assert Failure("not-in-scope") is Failure.NOT_IN_SCOPE
