"""A tiny random-weight llama model and a byte-level tokenizer with a ChatML template.

Real mlx-lm classes (llama.Model, KVCache, TokenizerWrapper) with made-up sizes, so cache and
worker tests exercise the real code paths in milliseconds instead of loading a real model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
from mlx_lm.models import llama
from mlx_lm.tokenizer_utils import TokenizerWrapper
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from game.engine.events import Event, Scene
from game.engine.world import NarratorStyle

CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _corpus() -> list[str]:
    """Text like the narrator's prompts, so the trained BPE compresses them like a real one."""
    from game.narrator.prompt import builder as prompt

    texts = [prompt.RULES, prompt.TURN_HEADER]
    for ex in prompt.DEFAULT_EXEMPLARS:
        texts += [ex.place, ex.happened, ex.narration, ex.command, *ex.here, *ex.carrying]
    return texts * 3


def make_tokenizer(vocab_size: int = 700, split_words: bool = True) -> Any:
    """A byte-level BPE trained (in milliseconds) on prompt-like text, with ChatML specials.

    `split_words=False` turns off the regex pre-tokenizer so merges can cross word and
    punctuation boundaries (used to force a prefix/suffix token-boundary mismatch).
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=split_words)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>",
                                   bos_token="<|im_start|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return TokenizerWrapper(fast)


def make_model(vocab_size: int, seed: int = 0, layers: int = 2) -> llama.Model:
    """A random llama with the real mlx-lm architecture; float32 so comparisons are tight."""
    mx.random.seed(seed)
    args = llama.ModelArgs(model_type="llama", hidden_size=32, num_hidden_layers=layers,
                           intermediate_size=64, num_attention_heads=4, num_key_value_heads=2,
                           rms_norm_eps=1e-5, vocab_size=vocab_size, rope_traditional=True)
    model = llama.Model(args)
    mx.eval(model.parameters())
    return model


@dataclass
class Tiny:
    """What the real `load_narrator_model` returns (same field names as LoadedModel)."""

    model: Any
    tokenizer: Any
    model_id: str
    path: Any = None


def make_tiny(seed: int = 0, model_id: str = "tiny-llama") -> Tiny:
    tokenizer = make_tokenizer()
    return Tiny(make_model(len(tokenizer._tokenizer), seed), tokenizer, model_id)


def hall() -> Scene:
    return Scene(room_id="hall", room_name="Great Hall",
                 room_description="A vast hall with a vaulted ceiling and a cold hearth.",
                 exits=["north", "east"], fixed_features=["hearth", "tapestry"],
                 visible_items=["a silver goblet"], inventory=["a torch"], dark=False)


def cellar() -> Scene:
    return Scene(room_id="cellar", room_name="Cellar", room_description="Damp stone walls.",
                 exits=["up"], fixed_features=["barrel"], visible_items=[], inventory=[],
                 dark=False)


STYLE = NarratorStyle(style="Terse gothic prose.", tone="ominous")
TAKE = [Event("took", {"item": "goblet"})]


class ScriptedLlama(llama.Model):
    """The tiny llama, with its output steered towards a token script (the forward pass and the
    KV cache stay real). Optional per-call delay (a slow model) and failure at the N-th generated
    token (a model that raises mid-stream, like an out-of-memory error)."""

    def __init__(self, args: llama.ModelArgs, script: list[int], delay_s: float = 0.0,
                 fail_after: int | None = None) -> None:
        super().__init__(args)
        self.script = script
        self.delay_s = delay_s
        self.fail_after = fail_after
        self.calls = 0
        self._step = 0
        self._end = -1  # the cache offset after the last call

    def __call__(self, inputs: mx.array, cache: Any = None, **kwargs: Any) -> mx.array:
        start = int(cache[0].offset) if cache else 0
        out = super().__call__(inputs, cache=cache, **kwargs)
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        # The narrator's token loop samples the first token from the prompt's forward pass
        # (script[0]); each later one-token call yields the next. A prompt is a call of several
        # tokens (prefix prefills too) or one that does not continue where the last call ended
        # (a turn whose suffix was cached but for its last token).
        new_prompt = inputs.shape[1] > 1 or start != self._end
        self._end = start + inputs.shape[1]
        self._step = 0 if new_prompt else self._step + 1
        if self.fail_after is not None and inputs.shape[1] == 1 and self._step >= self.fail_after:
            raise RuntimeError("[malloc] Out of memory: failed to allocate 1073741824 bytes")
        bias = mx.zeros((out.shape[-1],)).at[self.script[self._step % len(self.script)]].add(100.0)
        return out + bias


def make_scripted(text: str, delay_s: float = 0.0, fail_after: int | None = None,
                  model_id: str = "tiny-scripted") -> Tiny:
    """A Tiny whose model keeps writing `text` (cycling)."""
    tokenizer = make_tokenizer()
    script = tokenizer.encode(text, add_special_tokens=False)
    mx.random.seed(0)
    args = llama.ModelArgs(model_type="llama", hidden_size=32, num_hidden_layers=2,
                           intermediate_size=64, num_attention_heads=4, num_key_value_heads=2,
                           rms_norm_eps=1e-5, vocab_size=len(tokenizer._tokenizer),
                           rope_traditional=True)
    model = ScriptedLlama(args, script, delay_s, fail_after)
    mx.eval(model.parameters())
    return Tiny(model, tokenizer, model_id)


class RecordingSink:
    """A NarrationSink that records every call with the time it arrived."""

    def __init__(self) -> None:
        self.tokens: list[tuple[int, str, float]] = []
        self.done: dict[int, tuple[Any, str, float]] = {}
        self.errors: dict[int, str] = {}
        self.statuses: list[tuple[str, str]] = []
        self.finished = threading.Event()
        self._cond = threading.Condition()

    def on_token(self, request_id: int, text: str) -> None:
        with self._cond:
            self.tokens.append((request_id, text, time.perf_counter()))
            self._cond.notify_all()

    def on_done(self, request_id: int, stats: Any, final_text: str) -> None:
        with self._cond:
            self.done[request_id] = (stats, final_text, time.perf_counter())
            self._cond.notify_all()

    def on_error(self, request_id: int, message: str) -> None:
        with self._cond:
            self.errors[request_id] = message
            self._cond.notify_all()

    def on_status(self, status: str, detail: str) -> None:
        with self._cond:
            self.statuses.append((status, detail))
            self._cond.notify_all()

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def text(self, request_id: int) -> str:
        return "".join(t for rid, t, _ in self.tokens if rid == request_id)
