"""Grounding: what a narration may say this turn, and the check every sentence must pass.

`facts.turn_facts` reads the engine's state after a turn into plain data (what is in scope and
in what state, what the turn acted on, what the engine said); `checker.check_sentence` finds
every way a candidate sentence departs from those facts. Nothing here imports MLX or Textual:
the same check applies to any model and any backend.
"""
