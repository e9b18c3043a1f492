"""How a save slot is described to the player: the one formatter for `adventure saves` and the load dialog.

Why one: both lists answer the same question (which campaign is in this slot, where, how far
along, when), so they show the same facts, in the same words, laid out as a table for the
terminal or as one line for a dialog. Everything read from a save file goes through `clean`,
so a hand-edited file cannot send escape sequences to the terminal.
"""

from __future__ import annotations

from .store import SaveInfo
from .transcript import clean

TABLE_HEADER = f"{'SLOT':<16} {'WORLD':<24} {'WHERE':<22} {'TURNS':>6} {'SCORE':>7}  UPDATED"


def describe_save(info: SaveInfo, *, table: bool = False) -> str:
    """One line about a slot (a row under TABLE_HEADER when `table`), or the reason it cannot be read."""
    if not info.ok:
        problem = clean(info.problem or "")
        return f"{info.slot:<16} UNREADABLE: {problem}" if table else f"{info.slot}  (unreadable: {problem})"
    when = info.updated.replace("T", " ")[:16]
    if table:
        score = f"{info.score}/{info.max_score}" if info.max_score else str(info.score)
        ended = f"  (ended: {clean(info.ended)})" if info.ended else ""
        kind = "" if info.kind == "named" else f" [{info.kind}]"
        return (f"{info.slot:<16} {clean(info.world_title)[:24]:<24} {clean(info.location)[:22]:<22} "
                f"{info.turns:>6} {score:>7}  {when}{kind}{ended}")
    ended = "  (ended)" if info.ended else ""
    return f"{info.slot} · {clean(info.world_title)} · {clean(info.location)} · turn {info.turns} · {when}{ended}"
