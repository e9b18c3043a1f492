"""The pure, deterministic game engine: worlds, parser, rules, state, undo. No UI, no model, no network."""
