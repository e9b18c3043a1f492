"""The map panel: visited rooms by compass direction, the current room marked, kept in view.

Geometry lives in `game.ui.map_layout`; this widget only crops the drawing to its size around
the current room and colours it from its component classes (so themes restyle it).
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from game.ui.map_layout import MapData, draw


class MapView(Widget):
    """Draws `data` (a `MapData`), re-centred on the current room whenever it changes."""

    COMPONENT_CLASSES = {"map--room", "map--current", "map--link", "map--stub"}
    DEFAULT_CSS = """
    MapView { height: 1fr; min-height: 3; }
    MapView > .map--room { color: $text; }
    MapView > .map--current { color: $text-accent; text-style: bold reverse; }
    MapView > .map--link { color: $text-muted; }
    MapView > .map--stub { color: $text-disabled; }
    """

    data: reactive[MapData | None] = reactive(None, layout=False)

    def cell_width(self) -> int:
        """Wider cells (longer names) when there is room for at least three columns of them."""
        return 16 if self.size.width >= 42 else 13

    def render(self) -> Text:
        if self.data is None:
            return Text("")
        drawing = draw(self.data, self.cell_width())
        width, height = self.size.width, self.size.height
        cx, cy = drawing.current_xy
        total_h = len(drawing.lines)
        # The current room always sits in the middle: the eye finds "you are here" at once,
        # and the neighbours it matters to see are the ones around it.
        left = cx - width // 2
        top = cy - height // 2
        styles = {kind: self.get_component_rich_style(f"map--{kind}", partial=True)
                  for kind in ("room", "current", "link", "stub")}
        spans_by_line: dict[int, list] = {}
        for span in drawing.spans:
            spans_by_line.setdefault(span.line, []).append(span)
        out = Text(no_wrap=True, overflow="crop", end="")
        for row in range(height):
            src = top + row
            if row:
                out.append("\n")
            if not 0 <= src < total_h:
                continue
            line = drawing.lines[src]
            pad = -left if left < 0 else 0
            visible = (" " * pad + line[max(left, 0):])[:width]
            piece = Text(visible, no_wrap=True)
            for span in spans_by_line.get(src, []):
                start, end = span.start - left, span.end - left
                if end > 0 and start < width:
                    piece.stylize(styles[span.kind], max(start, 0), min(end, width))
            out.append_text(piece)
        return out
