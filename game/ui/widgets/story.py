"""The story pane: the whole session's scrollback, with narration streaming into its end.

A custom line-based `ScrollView` (the pattern of Textual's own `Log`) rather than `RichLog`:
RichLog can only add whole renderables, so streaming a paragraph token by token would mean
re-writing it each time. Here each entry is a paragraph with a kind (command, engine text,
narration, system note); paragraphs are word-wrapped to the pane width once, and a token only
re-wraps the open paragraph and refreshes the screen lines that actually changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

KINDS = ("command", "engine", "narration", "system", "error", "gap")


@dataclass
class Paragraph:
    kind: str
    text: str


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by terminal cells; keeps explicit newlines, splits over-long words."""
    width = max(width, 1)
    out: list[str] = []
    for raw in text.split("\n"):
        line = ""
        line_len = 0
        for word in raw.split(" "):
            word_len = cell_len(word)
            if line_len and line_len + 1 + word_len <= width:
                line += " " + word
                line_len += 1 + word_len
                continue
            if line_len:
                out.append(line)
            while word_len > width:  # a word longer than the line: hard split
                out.append(word[:width])
                word = word[width:]
                word_len = cell_len(word)
            line, line_len = word, word_len
        out.append(line)
    return out


class StoryPane(ScrollView, can_focus=True):
    """Scrollback of commands, engine text and narration; appends without re-rendering all."""

    COMPONENT_CLASSES = {f"story--{kind}" for kind in KINDS}
    DEFAULT_CSS = """
    StoryPane {
        background: $surface;
        color: $text;
        overflow-y: scroll;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        padding: 0 1;
    }
    StoryPane > .story--command { color: $accent; text-style: bold; }
    StoryPane > .story--engine { color: $text; }
    StoryPane > .story--narration { color: $text-secondary; text-style: italic; }
    StoryPane > .story--system { color: $text-muted; text-style: italic; }
    StoryPane > .story--error { color: $text-error; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._paragraphs: list[Paragraph] = []
        self._lines: list[tuple[int, str]] = []      # (paragraph index, wrapped line)
        self._first_line: list[int] = []              # first wrapped line of each paragraph
        self._wrap_width = 0
        self._open_narration: int | None = None
        self._strip_cache: LRUCache[int, Strip] = LRUCache(2048)
        self._follow = True  # keep the end in view (until the reader scrolls up)

    # ------------------------------------------------------------------ public API
    def add(self, kind: str, text: str) -> None:
        """Adds a finished paragraph (engine text, a system note...) after a blank line."""
        self.close_narration()
        if self._paragraphs and kind == "command":
            self._append_paragraph(Paragraph("gap", ""))
        self._append_paragraph(Paragraph(kind, text))

    def add_command(self, command: str) -> None:
        """Echoes what the player typed."""
        self.add("command", f"> {command}")

    def begin_narration(self) -> None:
        """Opens an empty narration paragraph that `append_narration` streams into."""
        self.close_narration()
        self._append_paragraph(Paragraph("narration", ""))
        self._open_narration = len(self._paragraphs) - 1

    def append_narration(self, text: str) -> None:
        """Adds streamed text to the open narration paragraph (opening one if needed)."""
        if self._open_narration is None:
            self.begin_narration()
        index = self._open_narration
        assert index is not None
        paragraph = self._paragraphs[index]
        paragraph.text = paragraph.text + text if paragraph.text else text.lstrip()
        self._rewrap_tail(index)

    def close_narration(self, note: str | None = None, final_text: str | None = None) -> str:
        """Ends the open narration and returns its text.

        `final_text` replaces what streamed (the narrator may drop an unfinished sentence);
        `note` (e.g. " …") marks a narration that was cut short.
        """
        index = self._open_narration
        self._open_narration = None
        if index is None:
            return ""
        paragraph = self._paragraphs[index]
        if final_text is not None:
            paragraph.text = final_text
        if note and paragraph.text.strip():
            paragraph.text = paragraph.text.rstrip() + note
        else:
            paragraph.text = paragraph.text.strip()
        if not paragraph.text and index == len(self._paragraphs) - 1:
            self._paragraphs.pop()
            first = self._first_line.pop()
            for y in range(first, len(self._lines)):
                self._strip_cache.discard(y)
            del self._lines[first:]
            self._set_virtual_size()
            self.refresh()
            return ""
        self._rewrap_tail(index)
        return paragraph.text

    @property
    def narrating(self) -> bool:
        return self._open_narration is not None

    def clear(self) -> None:
        self._paragraphs.clear()
        self._lines.clear()
        self._first_line.clear()
        self._open_narration = None
        self._strip_cache.clear()
        self._set_virtual_size()
        self.refresh()

    def plain_text(self, kinds: tuple[str, ...] | None = None) -> str:
        """The text of the pane (optionally only some kinds), paragraphs separated by newlines."""
        return "\n".join(p.text for p in self._paragraphs if kinds is None or p.kind in kinds)

    def paragraphs(self) -> list[Paragraph]:
        return list(self._paragraphs)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    # ------------------------------------------------------------------ wrapping
    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 10)

    def _wrap(self, paragraph: Paragraph) -> list[str]:
        return [""] if paragraph.kind == "gap" else wrap(paragraph.text, self._wrap_width)

    def _append_paragraph(self, paragraph: Paragraph) -> None:
        if not self._wrap_width:
            self._wrap_width = self._width()
        follow = self._at_end()
        self._paragraphs.append(paragraph)
        self._first_line.append(len(self._lines))
        index = len(self._paragraphs) - 1
        start = len(self._lines)
        self._lines.extend((index, line) for line in self._wrap(paragraph))
        for y in range(start, len(self._lines)):
            self._strip_cache.discard(y)
        self._set_virtual_size()
        self.refresh_lines(start, len(self._lines) - start)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _rewrap_tail(self, index: int) -> None:
        """Re-wraps paragraph `index` (an open narration is always the last one)."""
        follow = self._at_end()
        start = self._first_line[index]
        end = self._first_line[index + 1] if index + 1 < len(self._first_line) else len(self._lines)
        new = [(index, line) for line in self._wrap(self._paragraphs[index])]
        old = self._lines[start:end]
        if new == old:
            return
        changed = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        self._lines[start:end] = new
        if len(new) != len(old):
            for later in range(index + 1, len(self._first_line)):
                self._first_line[later] += len(new) - len(old)
            self._set_virtual_size()
        first = start + changed
        for y in range(first, len(self._lines)):
            self._strip_cache.discard(y)
        self.refresh_lines(first, max(len(new), len(old)) - changed)
        if follow and len(new) != len(old):  # only a new line moves the view
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _rewrap_all(self) -> None:
        self._wrap_width = self._width()
        self._lines.clear()
        self._first_line.clear()
        for index, paragraph in enumerate(self._paragraphs):
            self._first_line.append(len(self._lines))
            self._lines.extend((index, line) for line in self._wrap(paragraph))
        self._strip_cache.clear()
        self._set_virtual_size()

    def _set_virtual_size(self) -> None:
        """Grows the scrollable area without a layout pass.

        Assigning `virtual_size` asks the whole screen for a new layout (the reactive is
        declared with layout=True); measured in bench/tui.py that was most of the CPU spent per
        streamed token, once per wrapped line. The pane's own size never depends on its content
        (it is 1fr with an always-shown scrollbar), so setting the value quietly and updating
        the scrollbar is enough.
        """
        size = Size(self._wrap_width, len(self._lines))
        if size == self.virtual_size:
            return
        self.set_reactive(StoryPane.virtual_size, size)
        self._scroll_update(size)

    def _at_end(self) -> bool:
        return self.scroll_offset.y >= self.max_scroll_y - 1

    # ------------------------------------------------------------------ Textual hooks
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y - 1  # the reader left the end, or came back

    def on_resize(self, event: Resize) -> None:
        """Re-wraps on a width change; keeps following the end when the pane shrinks (a hint
        line appearing under it) or grows."""
        if self._width() != self._wrap_width:
            self._rewrap_all()
            self.refresh()
        if self._follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip_cache.clear()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._strip_cache.get(index)
        if strip is None:
            paragraph_index, text = self._lines[index]
            kind = self._paragraphs[paragraph_index].kind
            style = self.rich_style + self.get_component_rich_style(f"story--{kind}", partial=True)
            strip = Strip([Segment(text, style)], cell_len(text))
            self._strip_cache[index] = strip
        return strip.crop_extend(0, width, self.rich_style)
