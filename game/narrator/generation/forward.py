"""The one prefill loop: tokens run through a model's KV cache in chunks, interruptible between them.

Everything that fills a cache without wanting logits goes through `prefill`: a room's prefix
(the prefix cache), a long prompt's leading part (the token loop). Chunks are what make idle
work give way to the player: `should_stop` is asked before each one.

Each chunk's last token runs as a call of its own. That is how mlx-lm's `generate_step`
processes a prompt, which filled these caches before; keeping it keeps every cached prefix,
and so every narration, exactly as it was (on the CPU a one-token call takes the accelerator's
decode step, whose rounding differs from a prompt call's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from game.narrator.backends.protocol import Cache, ModelBackend

StopFn = Callable[[], bool]
ProgressFn = Callable[[int, int], None]


class PrefillInterrupted(Exception):
    """`should_stop` returned True between two prefill chunks; the work done so far is kept.
    `args[0]` is the number of tokens already in the cache."""


def prefill(backend: ModelBackend, cache: Cache, tokens: Sequence[int], chunk: int = 256,
            should_stop: StopFn | None = None, progress: ProgressFn | None = None) -> int:
    """Run `tokens` through `backend` into `cache`, `chunk` tokens at a time.

    Returns the number of tokens processed; raises PrefillInterrupted (the cache then holds the
    chunks already done). `progress(done, total)` is called after each chunk.
    """
    done = 0
    total = len(tokens)
    while done < total:
        if should_stop is not None and should_stop():
            raise PrefillInterrupted(done)
        part = tokens[done: done + chunk]
        if len(part) > 1:
            backend.extend(part[:-1], cache)
        backend.extend(part[-1:], cache)
        done += len(part)
        if progress is not None:
            progress(done, total)
    return done
