"""A campaign's transcript as Markdown: the story so far, readable anywhere.

Each turn shows the player's command as a quote-like heading line, the engine's authoritative
text, and the narrator's telling of it when there was one. Text from the save is escaped only
where Markdown would otherwise swallow it (a leading `#`, `>`, list markers), so the output
reads like the game did.
"""

from __future__ import annotations

import re

from .document import SaveDocument, TranscriptEntry

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARKDOWN_LEAD = re.compile(r"^(\s*)([#>*+\-=|`]|\d+[.)])", re.MULTILINE)


def clean(text: str) -> str:
    """Drop terminal control characters (a hand-edited save must not drive the terminal)."""
    return _CONTROL.sub("", _ESCAPES.sub("", text))


def _escape_block(text: str) -> str:
    return _MARKDOWN_LEAD.sub(lambda m: m.group(1) + "\\" + m.group(2), clean(text).strip())


def entry_markdown(entry: TranscriptEntry) -> str:
    parts = []
    if entry.command:
        parts.append(f"**> {_escape_block(entry.command).replace('*', chr(92) + '*')}**")
    if entry.text.strip():
        parts.append(_escape_block(entry.text))
    if entry.narration.strip():
        parts.append("\n".join(f"> *{line}*" if line.strip() else ">"
                               for line in _escape_block(entry.narration).splitlines()))
    return "\n\n".join(parts)


def transcript_markdown(document: SaveDocument) -> str:
    """The whole transcript of a save as a Markdown document."""
    summary = document.summary
    header = [
        f"# {clean(document.world.title)}",
        "",
        f"Transcript of save **{document.slot}**, last saved {document.updated}: "
        f"{clean(summary.location)}, {summary.turns} turns, score {summary.score}"
        + (f" of {summary.max_score}" if summary.max_score else "") + ".",
        "",
        "---",
    ]
    body = [entry_markdown(entry) for entry in document.transcript]
    return "\n".join(header) + "\n\n" + "\n\n".join(b for b in body if b) + "\n"
