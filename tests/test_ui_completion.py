"""Tab completion and unknown-word hints over a fixed vocabulary."""

from game.ui.completion import candidates, suggest

WORDS = ["take", "talk", "north", "brass lantern", "bread", "open", "examine"]


def test_completes_the_last_word():
    assert candidates("ta", WORDS) == ["take", "talk"]
    assert candidates("take br", WORDS) == ["take brass lantern", "take bread"]


def test_completes_multi_word_names_typed_in_part():
    assert candidates("light brass l", WORDS) == ["light brass lantern"]


def test_no_candidates_for_blank_or_unknown():
    assert candidates("", WORDS) == []
    assert candidates("xyzzy", WORDS) == []
    assert suggest("zz", WORDS) is None


def test_a_complete_word_is_not_offered_again():
    assert candidates("take", WORDS) == []
