"""Narration quality: what the player is shown, judged turn by turn, grounding off against on.

Run: `python bench/narration_quality.py [--scenes-only | --walkthroughs-only] [--limit N]`.

Turns: every narrated turn of the shipped walkthroughs (played in order, with history), then
every scene of `tests/data/narration_scenes.yaml` (a fresh game, the setup played without
narration, then the one narrated turn). Each turn is narrated twice, through the real worker
thread and the embedded model with default settings: once with the grounding check off (the
words streamed as the model writes them: the narrator as it was) and once with it on. Both
runs share one prompt-cache folder, grounded first, so any warm-cache advantage goes to the
baseline.

The judge is the grounding checker itself (`game.narrator.grounding.checker`), applied to the
narration *as shown*, with the sentences shown earlier in the same walkthrough as history.
It is the same check the generator uses, so the grounded figures say that nothing failing the
check got through (the opening and the fallback included); the baseline figures say how often
the unchecked model fails it. The checker's own accuracy is measured by the labelled
sentences in `tests/data/grounding_sentences.yaml` (tests/narrator/test_grounding_checker.py).
Read the per-turn lines too: they are the narration itself.

Percentages are of narrated turns (a non-empty narration shown), except narrated_pct (of all
turns). contradiction_pct counts state contradictions and game talk (wins, scores, "the
player"). copy_pct: narrations with >= 90% of their words in the engine's text. first_word_s:
median submit -> first narrated text on screen; first_word_over_ttft: that median over the
median raw time to first token in the same run. Last line (the grounded run)::

    clean_pct=X invented_object_pct=X invented_noun_pct=X wrong_object_pct=X contradiction_pct=X narrated_pct=X copy_pct=X first_word_s=X first_word_over_ttft=X
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from game.engine.game import Game  # noqa: E402
from game.engine.loader import load_world  # noqa: E402
from game.engine.script import read_script  # noqa: E402
from game.narrator.grounding.checker import TurnCheck  # noqa: E402
from game.narrator.grounding.language import words  # noqa: E402
from game.play.headless_run import WaitingSink, narrate  # noqa: E402
from game.play.narration import request_for  # noqa: E402
from game.play.narration_policy import should_narrate  # noqa: E402
from game.narrator.prompt.cleanup import split_sentences as sentences  # noqa: E402
from game.narrator.settings import NarratorSettings  # noqa: E402
from game.narrator.runtime.worker import MLXNarrator  # noqa: E402
from game.paths import resolve_world  # noqa: E402

WORLDS = ("tutorial", "crystal_caverns")
SCENES = REPO / "tests" / "data" / "narration_scenes.yaml"


@dataclass
class Turn:
    """One turn to narrate: the game right after it was played, and its request."""

    label: str
    game: Game
    request: object
    group: str  # sentences shown earlier in the same group count for repetition


@dataclass
class Judged:
    label: str
    engine_text: str
    narration: str
    kinds: tuple[str, ...]
    first_word_s: float | None
    ttft_s: float
    rejected: int
    retries: int


@dataclass
class Tally:
    judged: list[Judged] = field(default_factory=list)

    def pct(self, test) -> float:
        narrated = [j for j in self.judged if j.narration]
        return 100.0 * sum(1 for j in narrated if test(j)) / len(narrated) if narrated else 0.0

    def figures(self) -> dict[str, float]:
        narrated = [j for j in self.judged if j.narration]
        firsts = [j.first_word_s for j in narrated if j.first_word_s is not None]
        ttfts = [j.ttft_s for j in narrated if j.ttft_s > 0]
        first = statistics.median(firsts) if firsts else 0.0
        ttft = statistics.median(ttfts) if ttfts else 0.0
        return {
            "clean_pct": self.pct(lambda j: not j.kinds),
            "invented_object_pct": self.pct(lambda j: "invented-object" in j.kinds),
            "invented_noun_pct": self.pct(lambda j: "invented-noun" in j.kinds),
            "wrong_object_pct": self.pct(lambda j: "wrong-object" in j.kinds),
            "contradiction_pct": self.pct(
                lambda j: "contradiction" in j.kinds or "game-talk" in j.kinds),
            "narrated_pct": 100.0 * len(narrated) / len(self.judged) if self.judged else 0.0,
            "copy_pct": self.pct(lambda j: copied(j.narration, j.engine_text)),
            "first_word_s": first,
            "first_word_over_ttft": first / ttft if ttft else 0.0,
        }


def copied(narration: str, engine_text: str) -> bool:
    """Nearly all (>= 90%) of the narration's words are in the engine's text."""
    said = set(words(engine_text))
    mine = words(narration)
    return bool(mine) and sum(w in said for w in mine) >= 0.9 * len(mine)


def walkthrough_turns(limit: int | None) -> Iterator[Turn]:
    for name in WORLDS:
        game = Game(load_world(resolve_world(name)))
        history: list[str] = []
        for n, command in enumerate(read_script(REPO / "worlds" / f"{name}.walkthrough")):
            if limit is not None and n >= limit:
                break
            result = game.execute(command)
            if should_narrate(result):
                snapshot = Game(game.world, game.state.copy())
                yield Turn(f"{name} #{n + 1} > {command}", snapshot,
                           request_for(game, result, history), f"walk:{name}")
            history = (history + [f"> {command} / {result.text}"])[-6:]


def scene_turns(limit: int | None) -> Iterator[Turn]:
    scenes = yaml.safe_load(SCENES.read_text(encoding="utf-8"))["scenes"]
    worlds = {}
    for n, scene in enumerate(scenes):
        if limit is not None and n >= limit:
            break
        world = worlds.setdefault(scene["world"], load_world(resolve_world(scene["world"])))
        game = Game(world)
        for command in scene.get("setup") or []:
            game.execute(command)
        result = game.execute(scene["turn"])
        if should_narrate(result):
            yield Turn(f"scene {scene['id']} > {scene['turn']}", game,
                       request_for(game, result, []), f"scene:{scene['id']}")


# Named runs: the narrator settings each one changes from the defaults.
MODES: dict[str, dict[str, object]] = {
    # the unchecked stream with the old default of two sentences: the narrator as it was
    "off": {"grounding": False, "max_sentences": 2},
    "on": {},                             # the defaults: checked, steered
    "unsteered": {"steer_nouns": False},  # checked, without the noun steering
    "no-retry": {"sentence_retries": 0},  # checked, the first sample of each sentence only
    "two": {"max_sentences": 2},          # checked, two model sentences
}


def judge(turns: list[Turn], mode: str, cache_dir: Path) -> Tally:
    """Narrate every turn with one narrator (one model load) and judge what was shown."""
    settings = NarratorSettings(prefetch=False, **MODES[mode])
    narrator = MLXNarrator(settings, cache_directory=cache_dir)
    sink = WaitingSink(None, sys.stderr)
    narrator.start(sink)
    tally = Tally()
    shown: dict[str, list[str]] = {}
    try:
        for turn in turns:
            submitted = time.perf_counter()
            narrate(narrator, sink, turn.request)
            text = sink.final
            history = shown.setdefault(turn.group, [])
            check = TurnCheck(turn.request.facts, history)
            kinds: list[str] = []
            for sentence in sentences(text):
                kinds += check.check(sentence).kinds
            history.extend(sentences(text))
            stats = sink.stats
            tally.judged.append(Judged(
                turn.label, turn.request.result_text, text, tuple(dict.fromkeys(kinds)),
                (sink.first_at - submitted) if sink.first_at else None,
                stats.ttft_s if stats else 0.0,
                stats.sentences_rejected if stats else 0, stats.retries if stats else 0))
    finally:
        narrator.close()
    return tally


def line(figures: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3f}" if k.startswith("first") else f"{k}={v:.1f}"
                    for k, v in figures.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes-only", action="store_true")
    parser.add_argument("--walkthroughs-only", action="store_true")
    parser.add_argument("--limit", type=int, help="at most N turns of each walkthrough/scene set")
    parser.add_argument("--modes", default="on,off",
                        help=f"runs to compare, the first one's figures last ({', '.join(MODES)})")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        parser.error(f"--modes takes names from: {', '.join(MODES)}")
    turns: list[Turn] = []
    if not args.scenes_only:
        turns += list(walkthrough_turns(args.limit))
    if not args.walkthroughs_only:
        turns += list(scene_turns(args.limit))
    print(f"{len(turns)} narrated turns", flush=True)
    tallies: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory(prefix="narration-quality-") as tmp:
        for mode in modes:  # the first mode runs first: any warm-cache advantage goes to the rest
            tallies[mode] = judge(turns, mode, Path(tmp))
    for n, turn in enumerate(turns):
        first = tallies[modes[0]].judged[n]
        print(f"\n{first.label}\n  engine: {' '.join(first.engine_text.split())[:160]}")
        for mode in modes:
            j = tallies[mode].judged[n]
            print(f"  {mode:<9} [{','.join(j.kinds) or 'clean'}] {j.narration or '(nothing)'}"
                  f"  (rejected {j.rejected}, retries {j.retries}, first word "
                  f"{j.first_word_s or 0:.2f}s, ttft {j.ttft_s:.2f}s)")
    print()
    for mode in modes:
        t = tallies[mode]
        print(f"{mode:<9}: {line(t.figures())} rejected={sum(j.rejected for j in t.judged)} "
              f"retries={sum(j.retries for j in t.judged)} turns={len(t.judged)}")
    main_figures = tallies[modes[0]].figures()
    for mode in modes[1:]:
        other = tallies[mode].figures()
        ratio = main_figures["clean_pct"] / other["clean_pct"] if other["clean_pct"] else 0.0
        print(f"clean {modes[0]}/{mode} = {ratio:.2f}")
    print(line(main_figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
