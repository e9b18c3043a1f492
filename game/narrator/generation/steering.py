"""Steer sampling away from nouns the scene does not ground, so fewer sentences fail the check.

The grounding check refuses a sentence that names an ungrounded thing after it is written;
each refusal costs a rewind and a resample. This logits processor lowers, before sampling,
the score of every word-initial token that spells a noun (by the tagger's lexicon) which no
word of the turn's grounded vocabulary starts with, and of the words that talk about the game
("player", "score"...). It is a nudge (a fixed penalty in logits), not a ban: the check still
decides what is shown.

`NounTokens` is built once per tokenizer (one pass over its vocabulary, tens of ms);
`penalty_processor` once per turn.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import mlx.core as mx
import numpy as np

from game.narrator.grounding.vocabulary import GAME_WORDS
from game.narrator.grounding.language import is_noun

if TYPE_CHECKING:
    from mlx_lm.tokenizer_utils import TokenizerWrapper

    from game.narrator.generation.token_loop import LogitsProcessor

_WORD_START = ("Ġ", "▁")  # byte-level BPE and SentencePiece spell a leading space so
PENALTY = 4.0  # logits subtracted from an ungrounded noun's first token


class NounTokens:
    """The tokenizer's word-initial tokens that are (the start of) a noun, with their words."""

    def __init__(self, tokenizer: TokenizerWrapper) -> None:
        raw = getattr(tokenizer, "_tokenizer", tokenizer)
        size = len(raw)
        pieces = raw.convert_ids_to_tokens(list(range(size)))
        self.ids: list[int] = []
        self.words: list[str] = []
        for token_id, piece in enumerate(pieces):
            if not isinstance(piece, str) or not piece.startswith(_WORD_START):
                continue
            word = piece[1:].lower()
            if len(word) >= 3 and word.isalpha() and (is_noun(word) or word in GAME_WORDS):
                self.ids.append(token_id)
                self.words.append(word)

    def ungrounded(self, grounded: Iterable[str]) -> list[int]:
        """Ids of the noun tokens that start no grounded word (so "com" stays when "compass"
        is grounded)."""
        words = {w for w in grounded if w and w not in GAME_WORDS}
        prefixes = {w[:k] for w in words for k in range(3, len(w) + 1)}
        return [tid for tid, word in zip(self.ids, self.words) if word not in prefixes]


def token_bias(size: int, token_ids: Iterable[int], value: float, dtype: mx.Dtype) -> mx.array:
    """A (size,) array: `value` at `token_ids` (those below `size`), 0 elsewhere."""
    values = np.zeros((size,), dtype=np.float32)
    values[[t for t in token_ids if t < size]] = value
    return mx.array(values).astype(dtype)


def penalty_processor(token_ids: list[int], penalty: float = PENALTY) -> LogitsProcessor:
    """A processor (tokens, logits) -> logits that subtracts `penalty` at `token_ids`."""
    cache: dict[int, mx.array] = {}

    def process(_tokens: mx.array, logits: mx.array) -> mx.array:
        size = logits.shape[-1]
        bias = cache.get(size)
        if bias is None:
            bias = cache[size] = token_bias(size, token_ids, -penalty, logits.dtype)
        return logits + bias

    return process
