"""The `Game`: one world, its current state, undo history, and the command loop.

`execute(line)` is the whole engine seen from outside: it splits the line into commands, parses
and resolves each, lets world rules act before the built-in verbs, runs triggers, counts turns,
and returns the authoritative text with structured events. It never raises on any string.

Undo keeps a bounded deque of state snapshots, one per line that changed the state; `GameState`
copies are shallow and cheap, so the cost per command stays flat even on very large worlds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from game.engine.adjacency import reachable_exits
from game.engine.conditions import holds
from game.engine.describe import (
    DARK_NAME, DARK_TEXT, current_description, describe_room, open_exits,
)
from game.engine.events import Event, Scene, TurnResult
from game.engine.failures import Failure
from game.engine.grammar import AFTER_END_VERBS, FILLERS, META_VERBS, VERB_ALSO_KEYS
from game.engine.index import WorldIndex
from game.engine.parser import Command, ParseError, line_commands, parse, tokenise
from game.engine.phrasing import capitalise
from game.engine.resolve import (
    Ask, Refused, Resolved, answer_question, matches, question, resolve_phrase,
)
from game.engine.rules import run_action, run_turn_triggers
from game.engine.scope import carried, is_dark, visible
from game.engine.spelling import suggestion, unknown_word_message
from game.engine.state import GameState
from game.engine.turn import Turn
from game.engine.verbs import HANDLERS, custom
from game.engine.world import PLAYER, Ending, World

UNDO_LEVELS = 100

HELP_TEXT = """\
Type short commands in plain English, for example:
  look (l), examine lamp (x lamp), inventory (i)
  north, south, east, west, ne, nw, se, sw, up, down, in, out (or n, s, e, ...)
  take key, take all, take all from box, drop lamp, put coin in box, put book on table
  open door, close door, unlock door with key, lock door with key
  read note, wear cloak, take off cloak, turn on lamp, turn off lamp
  eat apple, drink water, give coin to troll, wait (z)
  listen, smell, touch, knock on door, climb up ladder, jump, sleep, talk to someone
  again (g) repeats the last command (an undo too), undo, oops WORD (fixes a typo), hint,
  score, save [slot], restore [slot], restart, quit
Several commands can go on one line: "take lamp. go north then open door".
"it" and "them" mean what you last referred to."""

_GAME_OVER = "The game is over. You can UNDO, RESTORE, RESTART or QUIT."


@dataclass
class _Line:
    """One `execute` call in progress: the state before it (the undo point) and the output."""

    before: GameState
    turn: Turn
    meta: str | None = None



def _after_undo(snapshot: GameState) -> GameState:
    """The state an undo goes back to, remembering that UNDO was the last command typed.

    `again` repeats the last command the player typed, as in classic IF: after UNDO that is
    the UNDO (one more turn back), not the command before the undone one, which the snapshot
    remembers. Both ways of undoing (typed, or `Game.undo()`) go through here, so replaying
    the command log reproduces the same state.
    """
    state = snapshot.copy()
    state.last_command = "undo"
    return state

class Game:
    """A running game of one world. Same world + same commands = same state, always."""

    def __init__(self, world: World, state: GameState | None = None) -> None:
        self.world = world
        self.index = WorldIndex.of(world)
        self.state = state.copy() if state is not None else GameState.initial(world)
        self.command_log: list[str] = []
        self._undo: deque[GameState] = deque(maxlen=UNDO_LEVELS)

    # ------------------------------------------------------------ public API
    @property
    def ended(self) -> Ending | None:
        ending_id = self.state.ended
        if ending_id is None:
            return None
        return self.world.endings.get(ending_id, Ending(ending_id, "lose", ""))

    def intro(self) -> TurnResult:
        """The opening text: the world's intro, then the first room. Not a turn."""
        turn = self._turn(self.state)
        turn.say(self.world.intro)
        turn.say(describe_room(turn))
        turn.emit("looked", room=self.state.room, dark=is_dark(self.world, self.state, self.index))
        return TurnResult("", turn.text, turn.events, self.state, self.ended, None)

    def undo(self) -> bool:
        """Go back one state-changing line. False when there is nothing to undo.

        Logged as "undo" in `command_log`, exactly as `execute("undo")` would be, so replaying
        the log (saves verify games that way) reproduces the same state.
        """
        if not self._undo:
            return False
        self.state = _after_undo(self._undo.pop())
        self.command_log.append("undo")
        return True

    def undo_history(self) -> list[GameState]:
        """The undo snapshots, oldest first (saves store them; treat them as read-only)."""
        return list(self._undo)

    def set_undo_history(self, states: list[GameState]) -> None:
        """Give a restored game the undo snapshots it had when saved (oldest first)."""
        self._undo.clear()
        self._undo.extend(states[-UNDO_LEVELS:])

    def execute(self, line: str) -> TurnResult:
        """Run one typed line (possibly several commands). Never raises."""
        self.command_log.append(line)
        before = self.state
        try:
            return self._execute(line if isinstance(line, str) else str(line))
        except Exception as exc:  # noqa: BLE001 - last resort: the contract is "never raises"
            self.state = before
            event = Event("failed", {"reason": Failure.INTERNAL_ERROR, "error": repr(exc)})
            return TurnResult(line, "Something went wrong understanding that; nothing happened.",
                              [event], self.state, self.ended, None)

    def look(self) -> str:
        """The room as LOOK prints it, without taking a turn (after a restore, say)."""
        return describe_room(self._turn(self.state))

    def scene(self) -> Scene:
        """What the narrator may mention: only what the player can perceive right now."""
        return self._scene(self.state)

    def adjacent_scenes(self) -> list[Scene]:
        """What the player would perceive on stepping through each exit they can pass now
        (closed doors and unmet exit conditions excluded); the game itself is untouched."""
        return [self._scene(self.state.standing_in(exit_.to))
                for exit_ in reachable_exits(self.world, self.state)]

    def _scene(self, state: GameState) -> Scene:
        turn = self._turn(state)
        dark = is_dark(self.world, state, self.index)
        room = self.world.rooms[state.room]
        held = set(carried(self.world, state))
        fixed, loose = [], []
        for item_id in visible(self.world, state, self.index):
            if item_id in held:
                continue
            item = self.world.items[item_id]
            (fixed if item.scenery or not item.portable else loose).append(item.name)
        return Scene(
            room_id=room.id,
            room_name=DARK_NAME if dark else room.name,
            room_description=DARK_TEXT if dark else current_description(room, state, self.world),
            exits=[] if dark else open_exits(turn),
            fixed_features=fixed,
            visible_items=loose,
            inventory=[self.world.items[i].name for i in self.index.sort_items(held)],
            dark=dark,
        )

    def completions(self) -> list[str]:
        """Words worth offering for tab completion: verbs, exits and visible object names."""
        words = {word for word in self.index.builtin_first_words if len(word) > 2}
        words.update(" ".join(phrase) for phrase in self.index.custom_verbs)
        words.update(open_exits(self._turn(self.state)))
        for item_id in visible(self.world, self.state, self.index):
            words.add(self.world.items[item_id].name.lower())
        return sorted(words)

    # ------------------------------------------------------------ the command loop
    def _turn(self, state: GameState) -> Turn:
        return Turn(self.world, self.index, state)

    def _execute(self, line: str) -> TurnResult:
        was_over = self.state.ended is not None
        run = _Line(before=self.state, turn=self._turn(self.state.copy()))
        commands, first_forced = self._commands(run.turn, line)
        for n, words in enumerate(commands):
            if not self._step(run, words, first_forced if n == 0 else {}):
                break
        if not run.turn.state.same_play(run.before):
            self._undo.append(run.before)
        self.state = run.turn.state
        ending = None if was_over else self.ended   # only on the line that ends the game
        return TurnResult(line, run.turn.text, run.turn.events, self.state, ending, run.meta)

    def _commands(self, turn: Turn, line: str) -> tuple[list[list[str]], dict[str, str]]:
        """The line's commands; the first may be the answer to a pending question (then it is
        replaced by the question's command plus the chosen object)."""
        commands = line_commands(line, self.index)
        pending = turn.state.pending
        turn.state.pending = None      # any reply ends the question
        forced: dict[str, str] = {}
        if pending and commands:
            answer = self._answer(turn, pending, commands[0])
            if answer is not None:
                commands[0] = tokenise(pending["command"])
                forced = answer
            elif turn.state.pending is not None:   # narrowed down: asked again
                return [], forced
        if not commands:
            turn.fail(Failure.EMPTY, "I beg your pardon?")
        return commands, forced

    def _step(self, run: "_Line", words: list[str], forced: dict[str, str]) -> bool:
        """One command of a line; False when the rest of the line must not run."""
        turn = run.turn
        if words in (["again"], ["g"]):
            if not turn.state.last_command:
                turn.fail(Failure.NOTHING_TO_REPEAT, "There is nothing to repeat.")
                return False
            words = tokenise(turn.state.last_command)
        if words and words[0] in ("oops", "o"):
            corrected = self._oops(turn, words[1:])
            if corrected is None:
                return False
            words = corrected
        command = parse(words, self.index)
        if isinstance(command, ParseError):
            turn.fail(command.reason, command.message, word=command.word)
            if command.reason == Failure.UNKNOWN_WORD and command.word:
                self._unknown(turn, words, command.word)
            return False
        turn.state.oops = None
        if turn.state.ended is not None and command.verb not in AFTER_END_VERBS:
            turn.fail(Failure.GAME_OVER, _GAME_OVER)
            return False
        if command.verb == "undo":
            run.before = self._undo_within(turn, run.before)
            return True
        if command.verb == "restart":
            turn.state = GameState.initial(self.world)
            turn.say(self.world.intro)
            turn.say(describe_room(turn))
            turn.emit("meta", request="restart")
            return True
        if command.verb not in META_VERBS:
            turn.state.last_command = command.text
        meta = self._perform(turn, command, forced)
        run.meta = meta or run.meta
        if meta == "quit" or (meta and meta.startswith(("save:", "restore:"))):
            return False
        return turn.state.ended is None and turn.state.pending is None

    def _unknown(self, turn: Turn, words: list[str], word: str) -> None:
        """Report an unknown word (with the likely word, if any, for front ends to offer), and
        remember it so "oops RIGHTWORD" can retry the command."""
        guess = suggestion(word, self.index.vocabulary)
        turn.emit("unknown-word", word=word, **({"suggestion": guess} if guess else {}))
        turn.state.oops = (" ".join(words), word)

    def _oops(self, turn: Turn, replacement: list[str]) -> list[str] | None:
        """ "oops lamp" after "take lmap": the last command with the unknown word replaced."""
        if turn.state.oops is None or not replacement:
            turn.fail(Failure.OOPS, "Sorry, that can't be corrected.")
            return None
        command, word = turn.state.oops
        turn.state.oops = None
        words = command.split()
        at = words.index(word) if word in words else len(words)
        return words[:at] + replacement + words[at + 1:]

    def _undo_within(self, turn: Turn, before: GameState) -> GameState:
        """UNDO inside a line: drop this line's earlier changes, else step back one line."""
        if not turn.state.same_play(before):
            turn.state = _after_undo(before)
        elif self._undo:
            before = self._undo.pop()
            turn.state = _after_undo(before)
        else:
            turn.fail(Failure.CANNOT_UNDO, "You can't undo any further.")
            return before
        turn.say("Previous turn undone.")
        turn.emit("undone", room=turn.state.room)
        return before

    def _answer(self, turn: Turn, pending: dict[str, Any], words: list[str]) -> dict[str, str] | None:
        """Interpret a line as the answer to "Which key do you mean?"; None if it isn't one."""
        candidates = tuple(str(c) for c in pending.get("candidates", ()))
        chosen = answer_question(turn, words, candidates)
        forced = {str(k): str(v) for k, v in dict(pending.get("forced", {})).items()}
        if len(chosen) == 1:
            forced[str(pending["key"])] = chosen[0]
            return forced
        if 1 < len(chosen) < len(candidates):
            ask = Ask(str(pending.get("noun", "one")), tuple(chosen))
            self._ask(turn, ask, str(pending["command"]), forced, str(pending["key"]))
        return None

    def _ask(self, turn: Turn, ask: Ask, command: str, forced: dict[str, str], key: str) -> None:
        turn.state.pending = {"command": command, "forced": dict(forced), "key": key,
                              "candidates": list(ask.candidates), "noun": ask.noun}
        turn.say(question(turn, ask))
        turn.emit("asked", noun=ask.noun, candidates=list(ask.candidates))

    # ------------------------------------------------------------ one command
    def _perform(self, turn: Turn, command: Command, forced: dict[str, str]) -> str | None:
        """Run one parsed command; returns a meta request for the shell, if any."""
        verb = command.verb
        if verb in META_VERBS:
            return self._meta(turn, command)
        keys = self._keys(command)
        # Scope only matters for naming objects; commands without any (moving, looking,
        # waiting) skip working it out. `visible` only reads the state, so nothing else changes.
        scope: list[str] = (visible(self.world, turn.state, self.index)
                            if command.indirect or command.objects is not None else [])

        indirect: str | None = None
        if command.indirect:
            outcome = self._resolve(turn, command.indirect, scope, verb, forced, "indirect")
            if isinstance(outcome, Ask) and verb in ("unlock", "lock"):
                outcome = self._fitting_key(turn, command, scope, outcome)
            if not isinstance(outcome, Resolved):
                self._unresolved(turn, command, outcome, forced, "indirect", keys)
                return None
            indirect = outcome.ids[0]

        objects: list[str | None] = [None]
        if command.objects is not None:
            found = self._resolve_objects(turn, command, scope, indirect, forced, keys)
            if found is None:
                return None
            objects = list(found)
            turn.state.last_objects = tuple(found)

        handler = custom if command.custom else HANDLERS[verb]
        score_before = turn.state.score
        turn.state.turns += 1        # this move counts, even if it ends the game
        several = len(objects) > 1
        lines: list[str] = []
        for obj in objects:
            start = len(turn.paragraphs)
            obj_keys = keys
            if verb == "remove" and obj is not None:
                obj_keys = keys + (("take_off",) if turn.state.is_(obj, "worn") else ("take",))
            run_action(turn, obj_keys, obj, indirect,
                       lambda obj=obj: handler(turn, obj, indirect, command.direction))
            if several and obj is not None:
                said = " ".join(turn.paragraphs[start:])
                del turn.paragraphs[start:]
                lines.append(f"{capitalise(self.world.items[obj].name)}: {said}")
            if turn.state.ended is not None:
                break
        if lines:
            turn.paragraphs.append("\n".join(lines))
        self._end_turn(turn, score_before)
        return None

    def _fitting_key(self, turn: Turn, command: Command, scope: list[str], ask: Ask) -> Ask | Resolved:
        """ "unlock door with key" holding two keys: the one that fits needs no question."""
        spec = command.objects
        if spec is None or spec.all or len(spec.phrases) != 1:
            return ask
        target = resolve_phrase(turn, spec.phrases[0], scope, command.verb)
        if isinstance(target, Resolved) and len(target.ids) == 1:
            key = self.world.items[target.ids[0]].key
            if key in ask.candidates:
                return Resolved((key,))
        return ask

    def _end_turn(self, turn: Turn, score_before: int) -> None:
        """After a move: the every-turn triggers, then the classic score notice."""
        if turn.state.ended is None:
            run_turn_triggers(turn)
        change = turn.state.score - score_before
        if change and turn.state.ended is None:
            points = "point" if abs(change) == 1 else "points"
            way = "up" if change > 0 else "down"
            turn.say(f"[Your score has gone {way} by {abs(change)} {points}.]")

    def _keys(self, command: Command) -> tuple[str, ...]:
        """The verb keys world rules are matched against for this command."""
        if command.custom:
            return (command.verb,)
        if command.verb == "go":
            return ("go", command.direction or "")
        return (command.verb,) + VERB_ALSO_KEYS.get(command.verb, ())

    def _resolve(self, turn: Turn, words: tuple[str, ...], scope: list[str], verb: str,
                 forced: dict[str, str], key: str) -> Resolved | Ask | Refused:
        chosen = forced.get(key)
        if chosen is not None and chosen in scope:
            return Resolved((chosen,))
        return resolve_phrase(turn, words, scope, verb)

    def _unresolved(self, turn: Turn, command: Command, outcome: Ask | Refused,
                    forced: dict[str, str], key: str, keys: tuple[str, ...]) -> None:
        """Ask the question, or refuse before any rule runs, as Inform does: a noun that cannot be
        seen gets "You can't see any such thing." even where a `"*"` rule covers the dark."""
        if isinstance(outcome, Ask):
            self._ask(turn, outcome, command.text, forced, key)
            return
        turn.fail(outcome.reason, outcome.message, word=outcome.word)
        if outcome.reason == Failure.UNKNOWN_WORD and outcome.word:
            self._unknown(turn, command.text.split(), outcome.word)

    def _resolve_objects(self, turn: Turn, command: Command, scope: list[str],
                         indirect: str | None, forced: dict[str, str],
                         keys: tuple[str, ...]) -> list[str] | None:
        spec = command.objects
        assert spec is not None
        if spec.all:
            return self._resolve_all(turn, command, scope, indirect)
        found: list[str] = []
        for n, phrase in enumerate(spec.phrases):
            outcome = self._resolve(turn, phrase, scope, command.verb, forced, f"object:{n}")
            if not isinstance(outcome, Resolved):
                self._unresolved(turn, command, outcome, forced, f"object:{n}", keys)
                return None
            found.extend(i for i in outcome.ids if i not in found)
        return found

    def _resolve_all(self, turn: Turn, command: Command, scope: list[str],
                     indirect: str | None) -> list[str] | None:
        """ "all" (optionally "all keys", "all except the lamp") for take/drop/put."""
        spec = command.objects
        assert spec is not None
        state, items = turn.state, self.world.items
        in_scope = set(scope)
        verb = command.verb
        if verb == "take" and indirect is not None:
            pool = [i for i in state.items_at(indirect) if i in in_scope]
        elif verb == "take":
            pool = [i for i in state.items_at(state.room)
                    if i in in_scope and items[i].portable and not items[i].scenery]
        else:
            pool = [i for i in state.items_at(PLAYER)
                    if i != indirect and not state.is_(i, "worn")]
        pool = self.index.sort_items(pool)
        for phrase in spec.phrases:
            pool = matches(turn, _content_words(phrase), pool)
        for phrase in spec.excepts:
            phrase = _content_words(phrase)
            excluded = set(matches(turn, phrase, pool))
            if not excluded:
                word = next((w for w in phrase if w not in self.index.vocabulary), None)
                if word is not None:
                    turn.fail(Failure.UNKNOWN_WORD, unknown_word_message(word, self.index.vocabulary), word=word)
                    self._unknown(turn, command.text.split(), word)
                    return None
            pool = [i for i in pool if i not in excluded]
        if not pool:
            if verb == "take":
                turn.fail(Failure.NOTHING, "There is nothing to take.")
            else:
                turn.fail(Failure.NOTHING, "You aren't carrying anything to "
                          f"{'drop' if verb == 'drop' else 'put there'}.")
            return None
        return pool

    def _hint(self, state: GameState) -> str:
        """The world's first hint whose condition holds now (a nudge, not the command list)."""
        if not self.world.hints:
            return NO_HINTS
        hint = next((h for h in self.world.hints if holds(h.when, state, self.world)), None)
        return hint.text.strip() if hint is not None else NO_HINT_NOW

    def _meta(self, turn: Turn, command: Command) -> str | None:
        state = turn.state
        if command.verb == "score":
            out_of = f" out of a possible {self.world.max_score}" if self.world.max_score else ""
            moves = "turn" if state.turns == 1 else "turns"
            turn.say(f"You have scored {state.score}{out_of}, in {state.turns} {moves}.")
            turn.emit("meta", request="score", score=state.score, turns=state.turns)
            return None
        if command.verb == "hint":
            turn.say(self._hint(state))
            turn.emit("meta", request="hint")
            return None
        if command.verb == "help":
            turn.say(HELP_TEXT)
            turn.emit("meta", request="help")
            return "help"
        if command.verb == "quit":
            turn.emit("meta", request="quit")
            return "quit"
        slot = command.slot or "quicksave"
        turn.emit("meta", request=command.verb, slot=slot)
        return f"{command.verb}:{slot}"


NO_HINTS = "This world has no hints, I'm afraid. HELP lists the commands."
NO_HINT_NOW = "No hint fits just now: look around, examine what you find, and try what it suggests."


def _content_words(phrase: tuple[str, ...]) -> tuple[str, ...]:
    """A noun phrase without fillers ("the brass one" -> "brass")."""
    return tuple(w for w in phrase if w not in FILLERS)
