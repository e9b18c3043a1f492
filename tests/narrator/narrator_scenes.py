"""A small fixed scene set for judging real narrations: person, length, format, relevance.

Issue 5's baseline on the embedded model (8 scenes, temperature 0.7): plain instructions gave
first-person or off-topic text 8/8. `check` encodes what a narration must be; the marked model
tests (and `python tests/narrator/narrator_scenes.py`, for tuning) run the set through the real
narrator and count failures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from game.engine.events import Event, Scene
from game.engine.world import NarratorStyle

STYLE = NarratorStyle(style="Atmospheric but spare; concrete sensory detail.", tone="mysterious")


def _scene(room_id, name, desc, exits, features, items, inv, dark=False) -> Scene:
    return Scene(room_id, name, desc, list(exits), list(features), list(items), list(inv), dark)


HALL = _scene("hall", "Great Hall", "A vast hall with a vaulted ceiling and a cold hearth.",
              ["north", "east"], ["hearth", "tapestry"], ["a silver goblet"], ["a torch"])
CAVE = _scene("cave", "Crystal Cave", "Glittering crystals line the walls. Water drips somewhere.",
              ["south", "up"], ["crystals", "pool"], ["a coil of rope"], ["a lamp"])
SHORE = _scene("shore", "Lake Shore", "Grey water laps at a pebble beach under a low sky.",
               ["west"], ["boat", "jetty"], [], ["a fishing net", "a lamp"])
DARK = _scene("tunnel", "Tunnel", "", ["north"], [], [], ["a box of matches"], dark=True)


@dataclass(frozen=True)
class Case:
    scene: Scene
    command: str
    text: str
    events: tuple[Event, ...]
    topic: tuple[str, ...]  # at least one of these words should appear


SCENES: tuple[Case, ...] = (
    Case(HALL, "take goblet", "Taken.", (Event("took", {"item": "goblet"}),), ("goblet",)),
    Case(HALL, "open hearth", "That's not something you can open.",
         (Event("failed", {"reason": "not-openable", "item": "hearth"}),), ("hearth",)),
    Case(CAVE, "south", "Crystal Cave\nGlittering crystals line the walls. Water drips somewhere. "
         "You can see a coil of rope here.", (Event("moved", {"to": "cave"}),),
         ("cave", "crystal", "rope", "water")),
    Case(CAVE, "examine pool", "The pool is clear and cold. Something glints at the bottom.",
         (Event("examined", {"item": "pool"}),), ("pool", "glint", "water")),
    Case(CAVE, "take rope", "Taken.", (Event("took", {"item": "rope"}),), ("rope",)),
    Case(SHORE, "drop net", "Dropped.", (Event("dropped", {"item": "net"}),), ("net",)),
    Case(SHORE, "push boat", "The boat is too heavy to move.",
         (Event("failed", {"reason": "custom", "item": "boat"}),), ("boat",)),
    Case(DARK, "north", "It is pitch dark. You are likely to be eaten by a grue.",
         (Event("moved", {"to": "tunnel"}),), ("dark", "black", "see nothing", "pitch")),
)

_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|me|my|mine|we|our)\b")
_FORMAT_DEBRIS = re.compile(
    r"<\||\|>|^\s*\w[\w ]{0,20}:|\n|assistant|outcome|game says|player types|items here|"
    r"you carry:|narrate this", re.IGNORECASE)


def check(case: Case, narration: str) -> list[str]:
    """Problems with one narration ("" is allowed: the game then shows only its own text)."""
    if narration == "":
        return []
    problems = []
    if not narration.startswith("You"):
        problems.append("not second person")
    if _FIRST_PERSON.search(narration):
        problems.append("first person")
    sentences = re.findall(r"[.!?]+", narration)
    if not 1 <= len(sentences) <= 3 or len(narration.split()) > 70:
        problems.append(f"length ({len(sentences)} sentences, {len(narration.split())} words)")
    if _FORMAT_DEBRIS.search(narration):
        problems.append("format echo")
    if not any(t in narration.lower() for t in case.topic):
        problems.append("off topic")
    return problems


BASELINE_SYSTEM = ("You are the narrator of a text adventure. Narrate the outcome of the player's "
                   "command in second person, present tense, in 1-3 sentences. Only mention "
                   "things in the scene.")


def baseline(loaded, temperature: float = 0.7) -> None:  # pragma: no cover - a measurement
    """Issue 5's baseline: plain instructions, no exemplars, no opened reply, whole prompt."""
    from mlx_lm import stream_generate
    from mlx_lm.sample_utils import make_sampler

    from game.narrator.prompt.cleanup import finalize

    bad = 0
    for case in SCENES:
        s = case.scene
        user = (f"Scene: {s.room_name}. {s.room_description} Exits: {', '.join(s.exits)}. "
                f"Here: {', '.join(s.fixed_features + s.visible_items) or 'nothing'}. "
                f"You carry: {', '.join(s.inventory) or 'nothing'}.\n"
                f"Command: {case.command}\nOutcome: {case.text}")
        prompt = loaded.tokenizer.apply_chat_template(
            [{"role": "system", "content": BASELINE_SYSTEM}, {"role": "user", "content": user}],
            tokenize=False, add_generation_prompt=True)
        raw = "".join(r.text for r in stream_generate(
            loaded.model, loaded.tokenizer, prompt, max_tokens=72,
            sampler=make_sampler(temp=temperature, top_p=0.9)))
        text = " ".join(raw.split())
        problems = check(case, text) if text else ["empty"]
        bad += bool(problems)
        print(f"> {case.command}: {text!r} {problems or ''} (post-processed: {finalize(raw)!r})")
    print(f"baseline temperature={temperature}: {bad}/{len(SCENES)} with problems")


def main() -> None:  # pragma: no cover - a tuning aid
    import sys
    import time

    from game.narrator.api import NarrationRequest
    from game.narrator.generation.narration import NarrationEngine
    from game.narrator.settings import NarratorSettings
    from game.narrator.runtime.worker import default_loader

    loaded = default_loader(None, lambda m, f: None)
    if sys.argv[1:2] == ["--baseline"]:
        baseline(loaded)
        return
    temp = float(sys.argv[1]) if len(sys.argv) > 1 else NarratorSettings().temperature
    engine = NarrationEngine(loaded, NarratorSettings(temperature=temp), None)
    bad = empty = 0
    for i, case in enumerate(SCENES):
        t = time.perf_counter()
        run = engine.stream(NarrationRequest(i, "w", STYLE, case.scene, case.command, case.text,
                                             case.events, []))
        streamed = "".join(run)
        problems = check(case, run.final_text)
        bad += bool(problems)
        empty += run.final_text == ""
        print(f"{time.perf_counter() - t:5.1f}s [{run.stats.cache}] > {case.command}: "
              f"{run.final_text!r} {problems or ''}"
              + ("" if streamed.startswith(run.final_text) else f" (streamed {streamed!r})"))
    print(f"temperature={temp}: {bad}/{len(SCENES)} with problems, {empty} empty")


if __name__ == "__main__":
    main()
