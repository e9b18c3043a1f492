"""The play layer: one game in play, the same for every front end.

The TUI (`game.ui`), the plain line loop (`adventure play --plain`) and the scripted run
(`adventure run`) all drive a `Session` (the game, its transcript, the narrator's history
window), read shell requests as typed values (`requests`), ask one policy whether a turn is
narrated (`narration_policy`) and build narration requests in one way (`narration`). No
Textual and no model runtime here: the layer sits between the front ends and the engine, the
narrator's public API and the saves.
"""
