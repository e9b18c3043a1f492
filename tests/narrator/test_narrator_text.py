"""Post-processing, prompt construction (the token-level prefix check), settings, fake narrator."""

from __future__ import annotations

import pytest
from narrator_tiny import STYLE, TAKE, RecordingSink, cellar, hall, make_tokenizer

from game.engine.events import Event
from game.narrator.api import NarrationRequest
from game.narrator.runtime.fake import FakeNarrator, fake_narration
from game.narrator.generation.narration import IncrementalDecoder
from game.narrator.prompt.cleanup import StreamCleaner, finalize
from game.narrator.prompt.builder import (
    OPENING,
    TURN_HEADER,
    build_prefix,
    build_prompt,
    location_block,
    opening_for,
)
from game.narrator.settings import NarratorSettings, SettingsError, load_settings


# ------------------------------------------------------------------ postprocess
STREAMS = [
    "You take the lamp. It glows warmly in your hand and the shadows draw back.\nassistant: hi",
    "You walk north along a passage that seems to go on for a long while. The game says: Done.",
    "You look around the long and echoing hall of the dead kings <|im_end|> more",
    "You open the box, and a smell of cedar and old paper rises out of it.\n\nUser: x",
    "You see a lamp on the table beside the window where the light falls. Items here: lamp",
]


@pytest.mark.parametrize("raw", STREAMS)
@pytest.mark.parametrize("seed", range(8))
def test_rescanning_only_the_tail_streams_what_a_full_rescan_streams(raw, seed, monkeypatch):
    """The cleaner rescans only the tail of the reply on each token; a stop marker split across
    pieces at any point must end the stream exactly where rescanning everything ends it."""
    import random

    import game.narrator.prompt.cleanup as postprocess

    def stream(lookback: int) -> tuple[str, bool]:
        monkeypatch.setattr(postprocess, "_STOP_LOOKBACK", lookback)
        rng, cleaner, out, i = random.Random(seed), StreamCleaner(5), "", 0
        while i < len(raw):
            k = rng.randint(1, 5)
            out += cleaner.feed(raw[i:i + k])
            i += k
        return out, cleaner.done

    tail_only = stream(postprocess._STOP_LOOKBACK)
    assert tail_only == stream(10**9)
    assert tail_only[1], "every sample ends at a stop marker"


@pytest.mark.parametrize("raw, expected", [
    ("You take the lamp. It glows.", "You take the lamp. It glows."),
    ("You take the lamp. It glows. The room brightens. You smile.",
     "You take the lamp. It glows. The room brightens."),                 # at most 3 sentences
    ("You take the lamp. It glows and the", "You take the lamp."),        # budget ran out
    ("You take the lamp.<|im_end|>\n<|im_start|>user\nPlace:", "You take the lamp."),
    ("You take the lamp.\nassistant: You take it again.", "You take the lamp."),
    ("You take the lamp.\nOutcome: Taken.", "You take the lamp."),
    ("You try to pull the boat, but it will not. The game says: You have nowhere to go.",
     "You try to pull the boat, but it will not."),                     # measured echo
    ("You take the lamp.\n\nThe player types: look", "You take the lamp."),
    ("You take the lamp. You type: look", "You take the lamp."),
    ("Outcome: You take the lamp.", ""),            # a label where prose should start
    ("You carry: a lamp.", ""),                       # the prompt's own label echoed
    ("You take the the the the lamp.", ""),          # a loop
    ("You {{ item }} <b>.", ""),                      # markup
    ("You.", ""),                                     # too short to be narration
    ("You walk on and on and", ""),                   # no complete sentence at all
    ('You say "Hello." and wave.', 'You say "Hello." and wave.'),
    ('You whisper, "Hello."', 'You whisper, "Hello."'),
    ('"You wave at her."', "You wave at her."),
    ("  You   step\ninto the hall.  ", "You step into the hall."),
])
def test_finalize(raw, expected):
    assert finalize(raw) == expected


def test_stream_cleaner_never_shows_debris_and_stops():
    pieces = ["You", " step", " in", ".", " It", " is", " cold", ".\n", "<|im_end|>", "more"]
    cleaner = StreamCleaner()
    shown = ""
    for p in pieces:
        shown += cleaner.feed(p)
        if cleaner.done:
            break
    assert shown == "You step in. It is cold."
    assert cleaner.done
    assert cleaner.finish() == "You step in. It is cold."


def test_stream_cleaner_holds_back_possible_label():
    cleaner = StreamCleaner()
    assert cleaner.feed("You") == ""          # might become "You carry:"
    assert cleaner.feed(" carry") == ""
    assert cleaner.feed(":") == ""
    assert cleaner.done and cleaner.finish() == ""


def test_stream_cleaner_stops_after_three_sentences():
    cleaner = StreamCleaner()
    shown = "".join(cleaner.feed(p) for p in ["You go. ", "It rains. ", "A bell rings. ", "More."])
    assert shown == "You go. It rains. A bell rings."
    assert cleaner.done


# ------------------------------------------------------------------ prompt
@pytest.fixture(scope="module")
def tok():
    return make_tokenizer()


def test_prefix_is_token_prefix_and_stable_per_room(tok):
    a = build_prompt(tok, STYLE, hall(), "take goblet", "Taken.", TAKE, [])
    b = build_prompt(tok, STYLE, hall(), "north", "You can't go that way.", [],
                     ["> look / Great Hall."])
    idle = build_prefix(tok, STYLE, hall())
    assert a.tokens[: a.prefix_len] == b.tokens[: b.prefix_len] == idle.prefix
    assert not a.prefix_fallback
    other = build_prompt(tok, STYLE, cellar(), "look", "Cellar.", [], [])
    assert other.prefix != a.prefix
    assert other.tokens[: other.base_len] == a.tokens[: a.base_len] and a.base_len > 0
    text = tok.decode(list(a.tokens))
    assert a.opening == "You take" and b.opening == OPENING
    assert text.endswith("<|im_start|>assistant\n" + a.opening)
    assert tok.decode(list(a.prefix)).endswith(location_block(hall()))
    assert tok.decode(list(a.suffix)).startswith(TURN_HEADER)


def test_prefix_falls_back_when_bpe_merges_across_the_cut():
    """Without word splitting, BPE merges across the cut: the text prefix is no token prefix.

    The split must then move to the longest common token prefix, and stay the same for
    every turn in the room (the suffix always starts with the same text).
    """
    tok = make_tokenizer(split_words=False)
    a = build_prompt(tok, STYLE, hall(), "take goblet", "Taken.", TAKE, [])
    b = build_prompt(tok, STYLE, hall(), "drop goblet", "Dropped.", [], [])
    prefix_text_tokens = tok.encode(tok.decode(list(a.prefix)), add_special_tokens=False)
    assert a.prefix_fallback
    assert a.prefix == b.prefix
    assert list(a.tokens[: a.prefix_len]) == list(a.prefix)
    assert a.tokens == tuple(tok.encode(tok.decode(list(a.tokens)), add_special_tokens=False))
    assert len(prefix_text_tokens) >= 1


def test_prompt_carries_the_turn_and_the_style(tok):
    p = build_prompt(tok, STYLE, hall(), "take goblet", "Taken.", TAKE, ["> look / A hall."])
    text = tok.decode(list(p.tokens))
    for needle in ("Terse gothic prose.", "ominous", "Great Hall", "hearth, tapestry",
                   "a silver goblet", "a torch", "take goblet", "Taken.", "> look / A hall."):
        assert needle in text
    assert "You are a helpful assistant" not in text  # no injected default system header


def test_move_text_does_not_repeat_the_location_block(tok):
    scene = hall()
    text = f"Great Hall\n{scene.room_description}\nExits: north and east.\nA bat flutters past."
    p = build_prompt(tok, STYLE, scene, "north", text, [Event("moved", {"to": "hall"})], [])
    suffix = tok.decode(list(p.suffix))
    assert "The game says: A bat flutters past." in suffix
    assert "vaulted" not in suffix and "Exits" not in suffix
    assert p.opening == "You step into the Great Hall."


def test_template_without_system_role():
    """Gemma-style templates raise on a system message: the rules move into the first turn."""
    tok = make_tokenizer()
    tok._tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('System role not supported') }}{% endif %}"
        "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    p = build_prompt(tok, STYLE, hall(), "take goblet", "Taken.", TAKE, [])
    text = tok.decode(list(p.tokens))
    assert text.startswith("<|im_start|>user\nYou are the narrator")
    assert not p.prefix_fallback and p.base_len > 0


def test_dark_room_reveals_nothing(tok):
    dark = hall()
    dark.dark = True
    block = location_block(dark)
    assert "pitch dark" in block and "hearth" not in block and "vaulted" not in block


def test_opening_follows_what_happened():
    assert opening_for(TAKE) == "You take"
    assert opening_for([Event("failed", {"reason": "locked"}), Event("took", {})]) == "You try"
    assert opening_for([Event("moved", {"to": "x"}), Event("score-changed", {})]) == "You step into"
    assert opening_for([]) == OPENING
    moved = [Event("moved", {"to": "hall"})]
    assert opening_for(moved, hall()) == "You step into the Great Hall."
    dark = hall()
    dark.dark = True
    assert opening_for(moved, dark) == "You step into the darkness."  # no room name in the dark


def test_opening_names_the_real_object_and_the_attempt():
    names = {"lamp": "hand lamp", "oil": "can of oil", "lantern": "great lantern",
             "biscuit": "ship's biscuit", "letter": "Mara's letter"}
    assert opening_for([Event("lit", {"item": "lamp"})], names=names) == "You light the hand lamp"
    assert opening_for([Event("took", {"item": "lamp"}), Event("took", {"item": "oil"})],
                       names=names) == "You take the hand lamp and the can of oil"
    assert opening_for([Event("removed", {"item": "oil", "implicit": True}),
                        Event("put", {"item": "oil", "holder": "lantern", "preposition": "in"})],
                       names=names) == "You put the can of oil in the great lantern"
    assert opening_for([Event("ate", {"item": "biscuit"})], names=names) == \
        "You eat the ship's biscuit"
    assert opening_for([Event("read", {"item": "letter"})], names=names) == "You read Mara's letter"
    refused = [Event("failed", {"reason": "locked", "item": "lantern"})]
    assert opening_for(refused, names=names, command="open lantern") == \
        "You try to open the great lantern"
    assert opening_for([Event("failed", {"reason": "no-exit", "direction": "west"})],
                       command="w") == "You try to go west"
    # an item a rule moved is not the player moving
    moved_item = [Event("moved", {"item": "oil", "to": "nowhere"}), Event("message", {})]
    assert opening_for(moved_item, hall(), names) == OPENING


def test_decoder_keeps_leading_space_of_first_token(tok):
    primer = tok.encode(OPENING, add_special_tokens=False)
    ids = tok.encode(" follow the rope", add_special_tokens=False)
    dec = IncrementalDecoder(tok, primer)
    text = "".join(dec.add(t) for t in ids)
    assert OPENING + text == "You follow the rope"


def test_decoder_holds_incomplete_utf8(tok):
    primer = tok.encode(OPENING, add_special_tokens=False)
    ids = tok.encode(" see a ☃ here", add_special_tokens=False)
    dec = IncrementalDecoder(tok, primer)
    pieces = [dec.add(t) for t in ids]
    assert "".join(pieces) == " see a ☃ here"
    assert all("\ufffd" not in p for p in pieces)


# ------------------------------------------------------------------ settings
def test_settings_file_and_overrides(tmp_path):
    path = tmp_path / "narrator.toml"
    path.write_text('temperature = 0.3\nmax_tokens = 40\n[ignored]\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown"):
        load_settings(path)
    path.write_text('[narrator]\ntemperature = 0.3\nmax_tokens = 40\nseed = 5\n')
    s = load_settings(path, model="some/model", temperature=None)
    assert (s.temperature, s.max_tokens, s.seed, s.model) == (0.3, 40, 5, "some/model")
    assert load_settings(path, temperature=0.9).temperature == 0.9
    yaml_path = tmp_path / "narrator.yaml"
    yaml_path.write_text("mode: fake\ntop_p: 0.5\n")
    assert load_settings(yaml_path).mode == "fake"


@pytest.mark.parametrize("bad", ["mode = 'loud'", "temperature = 9", "top_p = 0",
                                 "max_tokens = 0", "temperature = 'hot'"])
def test_settings_reject_bad_values(tmp_path, bad):
    path = tmp_path / "narrator.toml"
    path.write_text(bad + "\n")
    with pytest.raises(SettingsError, match="narrator.toml"):
        load_settings(path)


def test_settings_default_path_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVENTURE_CONFIG", str(tmp_path))
    assert load_settings() == NarratorSettings()
    (tmp_path / "narrator.toml").write_text("mode = 'off'\n")
    assert load_settings().mode == "off"


# ------------------------------------------------------------------ fake narrator
def test_fake_narrator_streams_deterministic_text_at_rate():
    narrator = FakeNarrator(tokens_per_s=200)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        req = NarrationRequest(3, "w", STYLE, hall(), "take goblet", "Taken.", TAKE, [])
        narrator.submit(req, sink)
        assert sink.wait_for(lambda: 3 in sink.done, timeout=10)
        stats, final, _ = sink.done[3]
        assert final == fake_narration(req) == sink.text(3)
        assert final.startswith("You take goblet in Great Hall.")
        assert not stats.cancelled and stats.generated_tokens == len(sink.tokens)
        assert 50 < stats.tokens_per_s < 400
    finally:
        narrator.close()


def test_fake_narrator_cancels_within_a_token():
    narrator = FakeNarrator(tokens_per_s=20)
    sink = RecordingSink()
    narrator.start(sink)
    try:
        req = NarrationRequest(1, "w", STYLE, hall(), "take goblet", "Taken. " * 20, TAKE, [])
        narrator.submit(req, sink)
        assert sink.wait_for(lambda: len(sink.tokens) >= 2, timeout=10)
        narrator.submit(NarrationRequest(2, "w", STYLE, hall(), "look", "A hall.", [], []), sink)
        assert sink.wait_for(lambda: 1 in sink.done and 2 in sink.done, timeout=10)
        assert sink.done[1][0].cancelled and sink.done[1][1] == ""
        assert sink.done[2][1] == sink.text(2)
    finally:
        narrator.close()


def test_a_rule_decided_turn_opens_with_the_command_and_claims_no_unshown_change():
    names = {"fungus": "glowing fungus", "lever": "rusty lever", "stone": "Heartstone",
             "bowl": "stone bowl", "lamp": "brass lamp"}
    said = [Event("message", {"text": "The cap smears into glowing paste..."})]
    scope = list(names)
    assert opening_for(said, names=names, command="pull lever", scope=scope) == \
        "You pull the rusty lever"
    # a rule answered 'take' in its own words: the taking is only an attempt...
    assert opening_for(said, names=names, command="take fungus", scope=scope) == \
        "You try to take the glowing fungus"
    # ...unless an event shows the change
    moved = said + [Event("moved", {"item": "stone", "to": "bowl"})]
    assert opening_for(moved, names=names, command="put heartstone in bowl", scope=scope) == \
        "You put the Heartstone in the stone bowl"
    # ...or the turn scored or won (the lantern's light is a flag, not an item's state)
    won = said + [Event("score-changed", {"delta": 5, "score": 30}),
                  Event("ended", {"ending": "lit", "kind": "win"})]
    assert opening_for(won, names=names, command="light lamp", scope=scope) == \
        "You light the brass lamp"
    assert opening_for(said, names=names, command="shout", scope=scope) == OPENING


def test_split_sentences_keeps_order_and_an_unfinished_tail():
    from game.narrator.prompt.cleanup import split_sentences

    assert split_sentences("You light the lamp. It glows! And then") == [
        "You light the lamp.", "It glows!", "And then"]
    assert split_sentences("") == []
