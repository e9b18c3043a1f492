"""The `adventure` subcommands about saves: saves, export, import, transcript.

`game/cli.py` registers them with `add_save_commands(subparsers)`; each is a small function of
the parsed arguments returning an exit status (0 ok, 1 a problem the message explains).
Everything printed from a save file goes through `clean` so a hand-edited file cannot send
escape sequences to the terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from game.paths import saves_dir

from .atomic import atomic_write_bytes
from .errors import SaveError, SlotNameError
from .reading import read_save_text
from .slots import validate_slot
from .listing import TABLE_HEADER, describe_save
from .store import SaveStore
from .transcript import clean, transcript_markdown


def _store(args: argparse.Namespace) -> SaveStore:
    return SaveStore(Path(args.saves_dir) if args.saves_dir else saves_dir())


def cmd_saves(args: argparse.Namespace) -> int:
    store = _store(args)
    infos = store.list()
    if not infos:
        print(f"No saves in {store.directory}.")
        return 0
    print(f"Saves in {store.directory}:")
    print(TABLE_HEADER)
    for info in infos:
        print(describe_save(info, table=True))
    return 0


def _fail(message: str) -> int:
    print(clean(message), file=sys.stderr)
    return 1


def cmd_export(args: argparse.Namespace) -> int:
    """Copy a slot's file (checked readable first) to FILE, atomically."""
    store = _store(args)
    target = Path(args.file)
    try:
        path = store.resolve(args.slot)
        store.read_document(path)
        if target.exists() and not args.force:
            return _fail(f"{target} already exists; use --force to overwrite it.")
        atomic_write_bytes(target, read_save_text(path).encode("utf-8"), what=f"the export of '{path.stem}'")
    except SaveError as error:
        return _fail(str(error))
    print(f"Exported '{path.stem}' to {target}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Bring a save file into the saves folder under --slot (or its own name)."""
    store = _store(args)
    source = Path(args.file)
    try:
        document, version = store.read_document(source)
        slot = validate_slot(args.slot or document.slot or source.stem)
    except SlotNameError as error:
        return _fail(f"{error} Choose a slot with --slot NAME.")
    except SaveError as error:
        return _fail(str(error))
    target = store.path_of(slot)
    if target.exists() and not args.force:
        return _fail(f"A save '{slot}' already exists ({target}); choose another name with "
                     "--slot NAME, or --force to replace it.")
    document.slot, document.kind, document.autosave_seq = slot, "named", None
    try:
        store.write_document(document, remember=False)
        loaded = store.load(slot)
    except SaveError as error:
        print(f"Imported {source} as '{slot}', but it cannot be played here yet: {clean(str(error))}")
        return 0
    print(f"Imported {source} as '{slot}' ({clean(loaded.info.world_title)}, "
          f"{loaded.info.turns} turns; verified: {loaded.verification}).")
    for warning in loaded.warnings:
        print(f"note: {clean(warning)}")
    return 0


def cmd_transcript(args: argparse.Namespace) -> int:
    """The slot's transcript as Markdown, to stdout or --out FILE."""
    store = _store(args)
    try:
        document, _ = store.read_document(store.resolve(args.slot))
        markdown = transcript_markdown(document)
        if args.out:
            atomic_write_bytes(Path(args.out), markdown.encode("utf-8"), what="the transcript")
            print(f"Wrote the transcript of '{document.slot}' to {args.out}.")
        else:
            sys.stdout.write(markdown)
    except SaveError as error:
        return _fail(str(error))
    return 0


def add_save_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register saves/export/import/transcript on the `adventure` parser."""
    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--saves-dir", help="the saves folder (default: $ADVENTURE_SAVES, "
                            "saves/ in a checkout, else the user data folder)")

    listing = sub.add_parser("saves", help="list saved games (and any unreadable save files)")
    common(listing)
    listing.set_defaults(func=cmd_saves)

    export = sub.add_parser("export", help="copy a save slot to a file (to move it elsewhere)")
    export.add_argument("slot")
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    common(export)
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser("import", help="add a save file to the saves folder")
    imp.add_argument("file")
    imp.add_argument("--slot", help="slot name to import as (default: the save's own)")
    imp.add_argument("--force", action="store_true", help="replace an existing slot")
    common(imp)
    imp.set_defaults(func=cmd_import)

    transcript = sub.add_parser("transcript", help="write a save's transcript as Markdown")
    transcript.add_argument("slot")
    transcript.add_argument("--out", help="write to this file instead of the terminal")
    common(transcript)
    transcript.set_defaults(func=cmd_transcript)
