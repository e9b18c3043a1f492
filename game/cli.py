"""The `adventure` command line: subcommands parsed with argparse, `main(argv) -> exit status`.

Each subcommand is a small function taking the parsed arguments; other parts of the game add
their own subcommands here (validate, saves, ...) next to `run` and `play`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from game.engine.game import Game
from game.engine.loader import WorldLoadError, load_world, read_world
from game.engine.script import read_script
from game.engine.world import World
from game.paths import resolve_world, saves_dir
from game.play.plain import PlainSaves, play_plain
from game.play.script_run import run_script
from game.play.session import Session
from game.saves.commands import add_save_commands
from game.saves.errors import SaveError
from game.saves.store import SaveStore

DEFAULT_WORLD = "tutorial"


def _load(name: str, err: TextIO) -> World | None:
    """Load a world by path or shipped name, printing every problem on failure."""
    path = resolve_world(name)
    try:
        return load_world(path)
    except WorldLoadError as exc:
        for problem in exc.problems:
            print(str(problem), file=err)
        return None
    except OSError as exc:
        print(f"{path}: cannot read world file: {exc.strerror or exc}", file=err)
        return None


def cmd_run(args: argparse.Namespace) -> int:
    """Headless play from a script; prints the transcript and the outcome line."""
    world = _load(args.world, sys.stderr)
    if world is None:
        return 2
    try:
        commands = read_script(args.script)
    except OSError as exc:
        print(f"{args.script}: cannot read script: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.narrator != "off":  # narration printed under each command's text
        from game.narrator import SettingsError, load_settings, make_narrator
        from game.play.headless_run import run_narrated

        try:
            settings = load_settings(mode=args.narrator, model=args.model)
        except SettingsError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        run_narrated(Game(world), commands, make_narrator(settings), stats_out=args.stats,
                     jsonl=args.format == "jsonl", history_turns=settings.history_turns)
        return 0
    if args.format == "jsonl":
        from game.play.headless_run import run_unnarrated_jsonl

        run_unnarrated_jsonl(Game(world), commands, sys.stdout)
        return 0
    sys.stdout.write(run_script(Game(world), commands).transcript())
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Report every problem in a world file (file:line:col: message), or a one-line OK."""
    path = resolve_world(args.world)
    world, problems = read_world(path)
    for problem in problems:
        print(str(problem))
    if world is None:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {path}",
              file=sys.stderr)
        return 1
    print(f"OK: {world.title} ({len(world.rooms)} rooms, {len(world.items)} items)")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    if not args.plain:  # the Textual game (title screen unless a world or a save is named)
        from game.ui.launch import run_tui

        return run_tui(args.world, model=args.model, narrator=args.narrator, load_slot=args.load)
    saves = PlainSaves(SaveStore(saves_dir()))
    if args.load:
        try:
            loaded = saves.store.load(args.load)
        except SaveError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        for warning in loaded.warnings:
            print(f"note: {warning}", file=sys.stderr)
        return play_plain(Session.resumed(loaded), saves=saves, resumed=True)
    world = _load(args.world or DEFAULT_WORLD, sys.stderr)
    if world is None:
        return 2
    return play_plain(Game(world), saves=saves)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adventure", description="A terminal text adventure.")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="play a world headless from a command script")
    run.add_argument("world", help="a world file or the name of a shipped world")
    run.add_argument("--script", required=True, help="one command per line; # comments")
    run.add_argument("--narrator", choices=("on", "off", "fake"), default="off",
                     help="print a narration under each command's text (on: the model)")
    run.add_argument("--model", help="narrator model: a Hugging Face id or a local folder")
    run.add_argument("--stats", action="store_true", help="print narrator timings to stderr")
    run.add_argument("--format", choices=("text", "jsonl"), default="text",
                     help="text: the transcript; jsonl: one JSON object per turn (command, "
                          "engine text, narration shown, events, room, items, narrator stats)")
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check a world file and report every problem")
    validate.add_argument("world", help="a world file or the name of a shipped world")
    validate.set_defaults(func=cmd_validate)

    play = sub.add_parser("play", help="play a world")
    play.add_argument("world", nargs="?", help="a world file or shipped world name")
    play.add_argument("--plain", action="store_true", help="plain line-based play, no TUI")
    play.add_argument("--model", help="narrator model: a Hugging Face id or a local folder")
    play.add_argument("--narrator", choices=("on", "off", "fake"),
                      help="narration: the model (on), none (off) or canned text (fake)")
    play.add_argument("--load", metavar="SLOT", help="resume a saved game")
    play.set_defaults(func=cmd_play)

    add_save_commands(sub)  # saves, export, import, transcript
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        args = parser.parse_args(["play", *(argv or [])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
