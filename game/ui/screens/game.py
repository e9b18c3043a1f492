"""The main screen: story pane, command input, side panel, map and narrator status.

It forwards each typed line to the engine (through the play layer's `Session`), shows the
authoritative text at once, and asks the narrator service for prose that streams in beneath. It
never waits on the narrator: submission returns at once and tokens arrive later as messages
(see `narration.py`). What outlives the game (saving, loading, a new game, quitting) it asks of
the app by posting request messages (`game.ui.messages`).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from game.engine.events import TurnResult
from game.narrator import NarrationStats
from game.play.narration_policy import should_narrate
from game.play.requests import (
    SAVING_REQUESTS,
    HelpRequest,
    LoadRequest,
    QuitRequest,
    SaveRequest,
    ShellRequest,
    shell_request,
)
from game.play.session import Session
from game.saves.slots import slot_in_words
from game.ui.messages import (
    AutosaveRequested,
    LoadRequested,
    MainMenuRequested,
    NewGameRequested,
    QuitRequested,
    SaveRequested,
)
from game.ui.narrator_service import NarratorService
from game.ui.screens.dialogs import EndingScreen
from game.ui.view_models import NarratorInfo, WorldMap, ending_info, panel_info
from game.ui.widgets.command_input import CommandInput
from game.ui.widgets.map_view import MapView
from game.ui.widgets.side_panel import SidePanel
from game.ui.widgets.status_bar import StatusBar
from game.ui.widgets.story import StoryPane

NARROW = 70  # below this many columns the side panel gives its room to the story


class GameScreen(Screen[None]):
    """One game in play."""

    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("escape", "stop_narration", "Stop"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+l", "load", "Load"),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("f2", "toggle_map", "Map"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self, session: Session, narration: NarratorService, *,
                 restored: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.narration = narration
        self._restored = restored
        self.current_request: int | None = None
        self._streamed = 0  # characters of the current request's prose already shown
        self._map = WorldMap(session.world)
        # Set before mounting: the Header reads them while composing itself.
        self.title = session.world.title
        self.sub_title = f"by {session.world.author}" if session.world.author else ""

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Horizontal(id="body"):
            yield StoryPane(id="story")
            with Vertical(id="side"):
                yield SidePanel(id="panel")
                yield MapView(id="map")
        yield Static("", id="hint")
        yield CommandInput(words=self.session.completions, placeholder="What do you do?",
                           id="command")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def story(self) -> StoryPane:
        return self.query_one(StoryPane)

    @property
    def command_input(self) -> CommandInput:
        return self.query_one(CommandInput)

    def on_mount(self) -> None:
        self.watch(self.app, "narrator_info", self._show_narrator_info)
        if self._restored is not None:
            for entry in self.session.transcript:
                if entry.command:
                    self.story.add_command(entry.command)
                if entry.text:
                    self.story.add("engine", entry.text)
                if entry.narration:
                    self.story.add("narration", entry.narration)
            self.story.add("system", f"Restored {self._restored}: {self.session.place_summary()}.")
            self.story.add("engine", self.session.game.look())
        else:
            result = self.session.intro()
            self.story.add("engine", result.text)
            self._narrate(result)
        self._refresh_panels()
        self.command_input.focus()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")

    def _show_narrator_info(self, info: NarratorInfo) -> None:
        self.query_one(StatusBar).info = info

    def _refresh_panels(self) -> None:
        self.query_one(SidePanel).show(panel_info(self.session))
        self.query_one(MapView).data = self._map.data(self.session)

    # ------------------------------------------------------------------ turns
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.command_input:
            return
        event.stop()
        line = event.value.strip()
        self.command_input.value = ""
        if not line:
            return
        self.command_input.remember(line)
        self.run_command(line)

    def run_command(self, line: str) -> TurnResult:
        """Plays one typed line: cancel the old narration, run the engine, show, narrate."""
        self.stop_narration(note=" …")
        self.story.add_command(line)
        result = self.session.execute(line)
        if result.text:
            self.story.add("engine", result.text)
        self._show_hint(result)
        self._refresh_panels()
        request = shell_request(result)
        if request is not None:
            self._handle_request(request)
        else:
            self._narrate(result)
        if not isinstance(request, SAVING_REQUESTS):
            # Every turn, like the plain loop; not a SAVE (nothing changed) nor a RESTORE, whose
            # game is autosaved once it is loaded (else Continue would go back to before it).
            self.post_message(AutosaveRequested(self.session))
        if result.ending is not None:
            self.show_ending(result)
        return result

    def _show_hint(self, result: TurnResult) -> None:
        hint = self.query_one("#hint", Static)
        unknown = [e for e in result.events if e.kind == "unknown-word"]
        if not unknown:
            hint.update("")
            hint.display = False
            return
        word = str(unknown[0].data.get("word", ""))
        # The engine's reply, just above, already offers its did-you-mean and OOPS.
        text = f"“{word}” is not a word this game knows." if word else "A word was not understood."
        hint.update(text + "  Tab completes words; F1 shows the commands.")
        hint.display = True

    def _handle_request(self, request: ShellRequest) -> None:
        if isinstance(request, QuitRequest):
            self.post_message(QuitRequested())
        elif isinstance(request, HelpRequest):
            self.action_help()
        elif isinstance(request, SaveRequest):
            self.post_message(SaveRequested(self.session, request.slot))
        elif isinstance(request, LoadRequest):
            self.post_message(LoadRequested(request.slot))

    # ------------------------------------------------------------------ narration
    def _narrate(self, result: TurnResult) -> None:
        if not should_narrate(result):
            return
        request = self.session.request_for(result)
        if self.narration.submit(request):
            self.current_request = request.request_id
            self._streamed = 0
            self.story.begin_narration()
            self.narration.prefetch(self.session)  # done after this narration, while one reads

    def saved(self, slot: str) -> None:
        """Says in the story what was saved, in the player's terms."""
        self.story.add("system", f"Saved to {slot_in_words(slot)}: {self.session.place_summary()}.")

    def stop_narration(self, note: str | None = None) -> None:
        """Cancels the narration in progress (if any) and keeps what had streamed."""
        if self.current_request is None:
            return
        self.current_request = None
        self.narration.cancel()
        self.session.add_narration(self.story.close_narration(note))

    def narration_streamed(self, request_id: int, text: str) -> None:
        """`text` is all the prose of `request_id` so far; the part not yet shown is added."""
        if request_id == self.current_request and len(text) > self._streamed:
            self.story.append_narration(text[self._streamed:])
            self._streamed = len(text)

    def narration_done(self, request_id: int, stats: NarrationStats, final_text: str) -> None:
        if request_id != self.current_request:
            return
        self.current_request = None
        if stats.cancelled:
            shown = self.story.close_narration(" …")
        else:
            shown = self.story.close_narration(final_text=final_text)
        self.session.add_narration(shown)

    def narration_failed(self, request_id: int) -> None:
        if request_id == self.current_request:
            self.current_request = None
            self.story.close_narration()

    # ------------------------------------------------------------------ endings
    def show_ending(self, result: TurnResult) -> None:
        assert result.ending is not None
        self.app.push_screen(EndingScreen(ending_info(self.session, result.ending)),
                             self._ending_choice)

    def _ending_choice(self, choice: str | None) -> None:
        if choice == "restart":
            self.post_message(NewGameRequested(Path(self.session.world.source)))
        elif choice == "undo":
            self.action_undo()
        elif choice == "load":
            self.action_load()
        elif choice == "menu":
            self.post_message(MainMenuRequested())
        elif choice == "quit":
            self.post_message(QuitRequested())

    # ------------------------------------------------------------------ actions
    def action_help(self) -> None:
        from game.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_stop_narration(self) -> None:
        self.stop_narration(note=" …")

    def action_save(self) -> None:
        from game.ui.screens.dialogs import SaveScreen

        def chosen(slot: str | None) -> None:
            if slot:
                self.post_message(SaveRequested(self.session, slot))

        self.app.push_screen(SaveScreen(), chosen)

    def action_load(self) -> None:
        self.post_message(LoadRequested())

    def action_undo(self) -> None:
        """Ctrl+Z is UNDO typed: the same reply, the same transcript line, the same AGAIN after it."""
        self.run_command("undo")

    def action_toggle_map(self) -> None:
        view = self.query_one(MapView)
        view.display = not view.display
