"""The story pane: paragraphs by kind, streaming into the open narration, wrapping, efficiency."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.strip import Strip

from game.ui.widgets.command_input import CommandInput
from game.ui.widgets.story import StoryPane, wrap


class CountingStory(StoryPane):
    """Records which content lines were rendered, to check that streaming is incremental."""

    def __init__(self) -> None:
        super().__init__(id="story")
        self.rendered: list[int] = []

    def render_line(self, y: int) -> Strip:
        self.rendered.append(self.scroll_offset.y + y)
        return super().render_line(y)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingStory()
        yield CommandInput(words=lambda: ["take", "talk", "lamp", "north"], id="command")


def test_wrap_by_words_and_keeps_newlines():
    assert wrap("the quick brown fox", 9) == ["the quick", "brown fox"]
    assert wrap("a\nb", 10) == ["a", "b"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]


async def test_streamed_tokens_join_one_narration_paragraph():
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        story = app.query_one(StoryPane)
        story.add("engine", "You are in a hall.")
        story.begin_narration()
        for token in ["Dust ", "drifts ", "in the ", "light."]:
            story.append_narration(token)
        assert story.narrating
        story.close_narration()
        story.add_command("north")
        await pilot.pause()
        kinds = [(p.kind, p.text) for p in story.paragraphs()]
        assert kinds == [("engine", "You are in a hall."),
                         ("narration", "Dust drifts in the light."),
                         ("gap", ""), ("command", "> north")]


async def test_final_text_replaces_stream_and_cut_narration_is_marked():
    app = Host()
    async with app.run_test(size=(60, 20)):
        story = app.query_one(StoryPane)
        story.begin_narration()
        story.append_narration("One. Two unfinished")
        assert story.close_narration(final_text="One.") == "One."
        story.begin_narration()
        story.append_narration("Cut short")
        assert story.close_narration(" …") == "Cut short …"
        story.begin_narration()
        assert story.close_narration() == ""  # an empty narration leaves no paragraph
        assert [p.text for p in story.paragraphs()] == ["One.", "Cut short …"]


async def test_streaming_re_renders_only_the_tail():
    app = Host()
    async with app.run_test(size=(60, 30)) as pilot:
        story = app.query_one(CountingStory)
        for n in range(20):
            story.add("engine", f"Paragraph {n} of the story so far, long enough to wrap "
                                f"onto a second line at this width.")
        story.begin_narration()
        story.append_narration("The ")
        await pilot.pause()
        first_narration_line = story.line_count - 1
        story.rendered.clear()
        for token in ["wind ", "howls ", "outside."]:
            story.append_narration(token)
            await pilot.pause()
        assert story.rendered, "the new tokens were drawn"
        assert min(story.rendered) >= first_narration_line
        assert story.plain_text(("narration",)) == "The wind howls outside."


async def test_pane_follows_the_end_while_streaming():
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        story = app.query_one(StoryPane)
        for n in range(30):
            story.add("engine", f"line {n}")
        story.begin_narration()
        for _ in range(20):
            story.append_narration("more words ")
        await pilot.pause()
        assert story.scroll_offset.y == story.max_scroll_y > 0


async def test_resize_rewraps_everything():
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        story = app.query_one(StoryPane)
        story.add("engine", "word " * 40)
        await pilot.pause()
        wide = story.line_count
        await pilot.resize_terminal(40, 20)
        await pilot.pause()
        assert story.line_count > wide


async def test_input_history_and_tab_completion():
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        box = app.query_one(CommandInput)
        box.focus()
        for line in ["look", "take lamp"]:
            box.remember(line)
        await pilot.press("up")
        assert box.value == "take lamp"
        await pilot.press("up", "up")
        assert box.value == "look"
        await pilot.press("down", "down")
        assert box.value == ""
        await pilot.press("t", "a", "tab")
        assert box.value == "take"
        await pilot.press("tab")
        assert box.value == "talk"  # a second Tab cycles to the next match
        box.value = "take la"
        await pilot.press("tab")
        assert box.value == "take lamp"


async def test_a_long_command_scrolls_the_input_to_keep_the_cursor_in_view():
    app = Host()
    async with app.run_test(size=(40, 20)) as pilot:
        box = app.query_one(CommandInput)
        box.focus()
        await pilot.press(*("x" * 60))
        await pilot.pause()
        assert box.value == "x" * 60
        assert box.scroll_offset.x > 0  # the input's width did not grow; its view moved
        assert box.outer_size.width == 40
