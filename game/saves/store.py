"""SaveStore: named slots, the quicksave and the autosave ring in one folder.

Writing: a `SaveDocument` is built from the live game (state, command log, bounded undo
history, transcript, narrator history, listing metadata) and written atomically, so a crash or
a full disk leaves the previous file in place. Reading: the file is parsed with every safety
limit (reading.py), migrated from older formats (migrate.py), checked structurally
(document.py), then verified against its world by replay (verify.py) before a `Game` is handed
back. Nothing in the load path ever rewrites a save: a problem is reported and the file stays.

The autosave ring is AUTOSAVE_RING files `autosave-0..N-1`. Each carries an increasing
`autosave_seq`; the next autosave overwrites entry `seq % N`, and the newest readable entry is
"continue". A broken ring entry never hides the others.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from game.engine.game import Game
from game.engine.state import GameState
from game.engine.world import World

from .atomic import atomic_write_bytes, remove_stale_temps
from .document import (FORMAT_VERSION, ReplayBase, SaveDocument, Summary, TranscriptEntry,
                       WorldRef, document_from_json, render_json)
from .errors import (SaveError, SaveFormatError, SaveNotFoundError, SaveWriteError,
                     WorldMismatchError)
from .migrate import migrate
from .reading import MAX_SAVE_BYTES, check_depth, load_json_file
from .slots import (AUTOSAVE_RING, QUICKSAVE, autosave_slot, slot_from_path,
                    slot_path, validate_slot)
from .undo import decode_undo, encode_undo
from .vcache import VerificationCache, outcome_digest, replay_key
from .verify import complete_state, missing_references, replay, state_differences
from .worlds import WorldLibrary

_SEQ_RE = re.compile(rb'"autosave_seq":\s*(\d+)')


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Origin:
    """Where a live game's `command_log` starts within its campaign.

    `Game.command_log` only holds commands since the Game object was built. For a campaign that
    began in this session it is the whole story; for one carried over to a changed world file,
    earlier commands (`prior_commands`) replay only against the old world, so the state they led
    to (`base_state`) becomes the point replay verification starts from.
    """

    created: str = field(default_factory=now_iso)
    prior_commands: list[str] = field(default_factory=list)
    base_state: dict[str, Any] | None = None


@dataclass
class SaveInfo:
    """One line of `adventure saves`: metadata of a readable save, or the problem of a broken one."""

    slot: str
    path: Path
    kind: str = ""
    world_id: str = ""
    world_title: str = ""
    location: str = ""
    turns: int = 0
    score: int = 0
    max_score: int = 0
    created: str = ""
    updated: str = ""
    ended: str | None = None
    version: int = FORMAT_VERSION
    size_bytes: int = 0
    autosave_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


# How a loaded game was checked (LoadedGame.verification).
REMEMBERED = "remembered"   # this exact outcome was produced or replayed before (vcache.py)
REPLAYED = "replayed"       # the command log was replayed and reproduced the saved state
UNVERIFIED = "unverified"   # replay disagreed or the world changed; the saved state was used


@dataclass
class LoadedGame:
    """A verified game ready to play, plus what the player should be told about it."""

    game: Game
    transcript: list[TranscriptEntry]
    narrator_history: list[str]
    warnings: list[str]
    origin: Origin
    info: SaveInfo
    document: SaveDocument
    verification: str = REPLAYED


def _absolute(source: str) -> str:
    """The world file as an absolute path, so the save finds it from any working folder."""
    try:
        return str(Path(source).resolve()) if source else ""
    except OSError:
        return source


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _info_of(path: Path, document: SaveDocument, version: int) -> SaveInfo:
    """Listing metadata of a document read from `path`."""
    summary = document.summary
    return SaveInfo(
        slot=slot_from_path(path) or path.stem, path=path, kind=document.kind,
        world_id=document.world.id, world_title=document.world.title, location=summary.location,
        turns=summary.turns, score=summary.score, max_score=summary.max_score,
        created=document.created, updated=document.updated, ended=summary.ended,
        version=version, size_bytes=_size_of(path), autosave_seq=document.autosave_seq)


class SaveStore:
    """All saves in one folder. Thread-compatible: one writer per slot at a time."""

    def __init__(self, directory: Path, *, ring_size: int = AUTOSAVE_RING) -> None:
        self.directory = Path(directory)
        self.ring_size = ring_size
        self._next_seq: int | None = None
        self.verified = VerificationCache(self.directory)
        # The origin of each game this store saved or loaded, so callers need not carry it:
        # a new game keeps its creation time across saves, a loaded one its replay base.
        self._origins: weakref.WeakKeyDictionary[Game, Origin] = weakref.WeakKeyDictionary()

    def origin_of(self, game: Game, given: Origin | None = None) -> Origin:
        """The origin to save `game` with: `given`, else the one this store knows, else new."""
        if given is not None:
            self._origins[game] = given
            return given
        return self._origins.setdefault(game, Origin())

    # ------------------------------------------------------------ writing
    def path_of(self, slot: str, *, reserved_ok: bool = True) -> Path:
        return slot_path(self.directory, validate_slot(slot, allow_reserved=reserved_ok))

    def build_document(self, slot: str, kind: str, game: Game,
                       transcript: Iterable[TranscriptEntry] = (),
                       narrator_history: Iterable[str] = (), origin: Origin | None = None,
                       autosave_seq: int | None = None) -> SaveDocument:
        """Everything a save file holds, taken from the live game."""
        origin = self.origin_of(game, origin)
        world: World = game.world
        state: GameState = game.state
        room = world.rooms.get(state.room)
        return SaveDocument(
            slot=slot, kind=kind, created=origin.created, updated=now_iso(),
            autosave_seq=autosave_seq,
            world=WorldRef(id=world.id, title=world.title, content_hash=world.content_hash,
                           source=_absolute(world.source)),
            summary=Summary(location_id=state.room, location=room.name if room else state.room,
                            turns=state.turns, score=state.score, max_score=world.max_score,
                            ended=state.ended),
            replay=ReplayBase(base_state=origin.base_state, base_index=len(origin.prior_commands)),
            state=state.to_dict(),
            undo=encode_undo(game.undo_history(), state),
            command_log=list(origin.prior_commands) + list(game.command_log),
            transcript=list(transcript),
            narrator_history=list(narrator_history),
        )

    def write_document(self, document: SaveDocument, *, remember: bool = True) -> Path:
        """Write atomically. `remember` records the outcome as verified: true when the document
        comes from a live game; false for documents taken from elsewhere (import)."""
        path = slot_path(self.directory, document.slot)
        data = render_json(document.to_json_dict()).encode("utf-8")
        if len(data) > MAX_SAVE_BYTES:  # never write a file the game would refuse to read
            raise SaveWriteError(
                f"Could not write save '{document.slot}' to {path}: it would be "
                f"{len(data) / 2**20:.1f} MB, over the {MAX_SAVE_BYTES // 2**20} MB limit for save "
                "files. The previous save in that slot (if any) is unchanged.", path)
        atomic_write_bytes(path, data, what=f"save '{document.slot}'")
        remove_stale_temps(path)
        if not remember:
            return path
        # The live game produced this state from these commands: remember that as verified.
        self.verified.record(
            replay_key(document.world.content_hash, document.replay.base_state,
                       document.command_log[document.replay.base_index:]),
            outcome_digest(document.state, document.undo))
        return path

    def save(self, slot: str, game: Game, transcript: Iterable[TranscriptEntry] = (),
             narrator_history: Iterable[str] = (), *, origin: Origin | None = None) -> Path:
        """Save to a named slot (validated; the reserved quicksave/autosave names are refused)."""
        name = validate_slot(slot)
        return self.write_document(
            self.build_document(name, "named", game, transcript, narrator_history, origin))

    def quicksave(self, game: Game, transcript: Iterable[TranscriptEntry] = (),
                  narrator_history: Iterable[str] = (), *, origin: Origin | None = None) -> Path:
        return self.write_document(
            self.build_document(QUICKSAVE, "quick", game, transcript, narrator_history, origin))

    def autosave(self, game: Game, transcript: Iterable[TranscriptEntry] = (),
                 narrator_history: Iterable[str] = (), *, origin: Origin | None = None) -> Path:
        """Write the next autosave ring entry (overwriting the oldest)."""
        if self._next_seq is None:
            self._next_seq = 1 + max((seq for _, seq in self._ring_sequences()), default=-1)
        seq = self._next_seq
        slot = autosave_slot(seq % self.ring_size)
        path = self.write_document(self.build_document(
            slot, "auto", game, transcript, narrator_history, origin, autosave_seq=seq))
        self._next_seq = seq + 1
        return path

    def _ring_sequences(self) -> list[tuple[str, int]]:
        """(slot, autosave_seq) of ring files, read from their first bytes (cheap)."""
        found = []
        for index in range(self.ring_size):
            slot = autosave_slot(index)
            try:
                with open(slot_path(self.directory, slot), "rb") as handle:
                    match = _SEQ_RE.search(handle.read(2048))
            except OSError:
                continue
            if match:
                found.append((slot, int(match.group(1))))
        return found

    # ------------------------------------------------------------ reading
    def read_document(self, path: Path) -> tuple[SaveDocument, int]:
        """Parse, migrate and structurally validate one file. Returns (document, original version)."""
        data = load_json_file(path)
        data, version = migrate(data, path)
        document = document_from_json(data, path)
        document.slot = slot_from_path(path) or document.slot  # the file name is the truth
        # Everything else is checked field by field; these hold free-form engine data.
        check_depth([document.state, document.replay.base_state, document.undo], path)
        return document, version

    def info(self, path: Path) -> SaveInfo:
        """Listing metadata for one file (never raises: problems go into `problem`)."""
        try:
            document, version = self.read_document(path)
        except SaveError as error:
            return SaveInfo(slot=slot_from_path(path) or path.stem, path=path,
                            size_bytes=_size_of(path), problem=str(error))
        return _info_of(path, document, version)

    def list(self) -> list[SaveInfo]:
        """Every save in the folder, newest first; broken files are listed with their problem."""
        if not self.directory.is_dir():
            return []
        infos = [self.info(path) for path in sorted(self.directory.glob("*.json"))
                 if slot_from_path(path) is not None]
        infos.sort(key=lambda i: (i.ok, i.updated), reverse=True)
        return infos

    def latest_autosave(self) -> SaveInfo | None:
        """The newest readable autosave (by sequence number, then time), or None."""
        ring = [self.info(slot_path(self.directory, slot)) for slot, _ in self._ring_sequences()]
        ring = [i for i in ring if i.ok]
        return max(ring, key=lambda i: (i.autosave_seq or 0, i.updated), default=None)

    def latest(self) -> SaveInfo | None:
        """The most recently updated readable save of any kind: what "continue" resumes."""
        readable = [i for i in self.list() if i.ok]
        return max(readable, key=lambda i: (i.updated, i.autosave_seq or 0), default=None)

    def exists(self, slot: str) -> bool:
        return self.path_of(slot).is_file()

    def load(self, slot: str, worlds: WorldLibrary | World | None = None) -> LoadedGame:
        """Load, migrate and verify a slot. Raises SaveError subclasses; never modifies the file.

        The slot name "autosave" means the newest readable autosave ring entry.
        """
        return self.load_path(self.resolve(slot), worlds)

    def resolve(self, slot: str) -> Path:
        """The file for a slot name; "autosave" means the newest readable autosave."""
        if validate_slot(slot, allow_reserved=True) == "autosave":
            latest = self.latest_autosave()
            if latest is None:
                raise SaveNotFoundError(f"There is no autosave yet in {self.directory}.")
            return latest.path
        return self.path_of(slot)

    def load_path(self, path: Path, worlds: WorldLibrary | World | None = None) -> LoadedGame:
        if not path.exists():
            raise SaveNotFoundError(f"There is no save '{path.stem}' (looked for {path}).", path)
        document, version = self.read_document(path)
        library = worlds if isinstance(worlds, WorldLibrary) else (
            WorldLibrary.of(worlds) if isinstance(worlds, World) else WorldLibrary())
        try:
            world = library.find(document.world.id, document.world.source)
        except WorldMismatchError as error:
            raise WorldMismatchError(f"Cannot load {path}: {error}", path) from error
        warnings: list[str] = []
        if version < FORMAT_VERSION:
            warnings.append(f"{path.name} was written in save format {version}; it was upgraded "
                            f"to format {FORMAT_VERSION} in memory (the file changes at the next save).")
        game, origin, verification = self._verified_game(path, document, world, warnings)
        info = _info_of(path, document, version)
        self._origins[game] = origin
        return LoadedGame(game=game, transcript=document.transcript,
                          narrator_history=document.narrator_history, warnings=warnings,
                          origin=origin, info=info, document=document, verification=verification)

    def _state(self, path: Path, data: dict[str, Any], what: str) -> GameState:
        try:
            return GameState.from_dict(data)
        except (ValueError, TypeError, OverflowError) as error:
            raise SaveFormatError(f"{path} is not a valid save: {what} is malformed ({error}).", path) from error

    def _undo_states(self, path: Path, document: SaveDocument, warnings: list[str]) -> list[GameState]:
        try:
            return decode_undo(document.undo, document.state)
        except (ValueError, TypeError, AttributeError) as error:
            warnings.append(f"The undo history in {path.name} is unreadable ({error}); "
                            "undo starts afresh from here.")
            return []

    def _verified_game(self, path: Path, document: SaveDocument, world: World,
                       warnings: list[str]) -> tuple[Game, Origin, str]:
        """The game to resume, verified three ways in order of cost:

        1. a remembered verification (vcache.py) of exactly these commands, world, engine and
           saved state + undo: the saved state is used as is, no replay;
        2. a replay of the command log from the recorded base: when it reproduces the saved
           state the replayed game is used (and the verification remembered);
        3. otherwise the saved state itself, if everything it mentions exists in the world,
           with the reasons in `warnings` (hand edits, another engine version, a changed world);
           if it mentions things the world lacks, WorldMismatchError and the file is untouched.
        """
        saved = self._state(path, document.state, "'state'")
        base = (self._state(path, document.replay.base_state, "'replay.base_state'")
                if document.replay.base_state is not None else None)
        commands = document.command_log[document.replay.base_index:]
        prior = document.command_log[:document.replay.base_index]
        verified_origin = Origin(created=document.created, prior_commands=prior,
                                 base_state=document.replay.base_state)
        same_world = world.content_hash == document.world.content_hash
        key = replay_key(world.content_hash, document.replay.base_state, commands)
        if same_world and self.verified.confirms(key, outcome_digest(document.state, document.undo)):
            game = Game(world, saved)
            game.command_log = list(commands)
            game.set_undo_history(self._undo_states(path, document, warnings))
            return game, verified_origin, REMEMBERED
        if not same_world:
            warnings.append(
                f"The world file for '{world.title}' has changed since this save was made "
                f"(saved with {document.world.content_hash[:12] or 'no hash'}, now "
                f"{world.content_hash[:12]}).")
        replayed: Game | None = None
        if base is None or not missing_references(world, base):
            try:
                replayed = replay(world, commands, base)
            except Exception as error:  # noqa: BLE001 - an engine bug must not make a save unloadable
                warnings.append(f"Replaying the command log failed ({type(error).__name__}: {error}).")
        if replayed is not None and replayed.state == saved:
            self.verified.record(key, outcome_digest(
                replayed.state.to_dict(), encode_undo(replayed.undo_history(), replayed.state)))
            return replayed, verified_origin, REPLAYED
        missing = missing_references(world, saved)
        if missing:
            raise WorldMismatchError(
                f"Cannot load {path}: the saved game refers to things the world "
                f"'{world.title}' ({world.source or world.id}) does not have: " + "; ".join(missing)
                + ". The save was left untouched.", path, missing)
        if same_world and replayed is not None:
            warnings.append(
                f"Replaying the {len(commands)} saved commands does not reproduce the saved state "
                f"(differs in: {', '.join(state_differences(saved, replayed.state))}); the file may "
                "have been edited by hand or made by another engine version. The saved state was used.")
        state, notes = complete_state(world, saved)
        warnings.extend(f"The world changed: {note}." for note in notes)
        game = Game(world, state)
        undo_states = [complete_state(world, snapshot)[0]
                       for snapshot in self._undo_states(path, document, warnings)
                       if not missing_references(world, snapshot)]
        game.set_undo_history(undo_states)
        return game, Origin(created=document.created, prior_commands=list(document.command_log),
                            base_state=state.to_dict()), UNVERIFIED
