"""Tab completion and unknown-word hints over the engine's vocabulary (pure functions).

The engine says which words make sense right now (`Game.completions()`: verbs, exits and the
names of visible objects); these helpers only match what the player has typed against them.
"""

from __future__ import annotations


def candidates(line: str, words: list[str]) -> list[str]:
    """Full lines the player may mean: `line` with its last word(s) completed from `words`.

    Completions may be several words ("brass lantern"), so every suffix of the typed words is
    tried as a prefix, longest first; "take br" -> ["take brass lantern", "take bread"].
    """
    if not line.strip():
        return []
    ends_with_space = line.endswith(" ")
    tokens = line.split()
    seen: set[str] = set()
    out: list[str] = []
    for start in range(len(tokens)):
        head = tokens[:start]
        typed = " ".join(tokens[start:]) + (" " if ends_with_space else "")
        low = typed.lower()
        for word in sorted(words, key=str.lower):
            if word.lower().startswith(low) and word.lower() != low.rstrip():
                full = " ".join(head + [word])
                if full not in seen:
                    seen.add(full)
                    out.append(full)
        if out:
            break
    return out


def suggest(line: str, words: list[str]) -> str | None:
    """The first completion of `line`, for the input's inline ghost text."""
    found = candidates(line, words)
    return found[0] if found else None
