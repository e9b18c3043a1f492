"""Lays out the rooms the player has visited on a grid by compass direction, and draws them.

Pure functions over plain data (no Textual, no engine): the map widget feeds it a `MapData`
built from the world and the state, and gets back lines of text plus the spans to colour.
Keeping this apart makes the geometry testable without an app and cheap to redraw.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Grid offsets (dx, dy) for each planar direction; y grows southwards like screen rows.
COMPASS: dict[str, tuple[int, int]] = {
    "north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0),
    "northeast": (1, -1), "northwest": (-1, -1), "southeast": (1, 1), "southwest": (-1, 1),
}
# Non-planar exits have no compass position; the room goes to the first free cell nearby,
# trying these offsets in order (up/in lean north-east, down/out lean south-west).
FALLBACK_OFFSETS: dict[str, tuple[tuple[int, int], ...]] = {
    "up": ((1, -1), (0, -1), (-1, -1), (1, 0)),
    "down": ((-1, 1), (0, 1), (1, 1), (-1, 0)),
    "in": ((1, 0), (1, -1), (0, -1), (1, 1)),
    "out": ((-1, 0), (-1, 1), (0, 1), (-1, -1)),
}
_CONNECTOR: dict[tuple[int, int], str] = {(0, 1): "│", (1, 0): "─", (1, 1): "╲", (1, -1): "╱"}


@dataclass(frozen=True)
class MapRoom:
    """What the map needs to know of one room: its label and where its exits lead."""

    id: str
    name: str
    exits: dict[str, str] = field(default_factory=dict)  # direction -> room id


@dataclass(frozen=True)
class MapData:
    """The visited part of the world: rooms (all known rooms), which were visited, where we are."""

    rooms: dict[str, MapRoom]
    visited: frozenset[str]
    current: str


@dataclass(frozen=True)
class Span:
    """A styled run on one drawn line: `kind` is "room", "current", "link" or "stub"."""

    line: int
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Drawing:
    lines: list[str]
    spans: list[Span]
    current_xy: tuple[int, int]  # character position of the current room's label centre


def _free_near(taken: dict[tuple[int, int], str], x: int, y: int) -> tuple[int, int]:
    """The nearest free grid cell to (x, y), searching rings outwards."""
    if (x, y) not in taken:
        return x, y
    for radius in range(1, 64):
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                if max(abs(dx), abs(dy)) == radius and (x + dx, y + dy) not in taken:
                    return x + dx, y + dy
    raise RuntimeError("map grid exhausted")  # pragma: no cover - 16k rooms


def layout(data: MapData) -> dict[str, tuple[int, int]]:
    """Grid cells for every visited room, breadth-first from the current room at (0, 0).

    A room goes where its compass direction from an already placed room points; when that cell
    is taken (worlds need not be planar) it goes to the nearest free cell. The order is stable
    (exits are walked in the order given) so the same data always gives the same picture.
    """
    if data.current not in data.rooms:
        return {}
    placed: dict[str, tuple[int, int]] = {data.current: (0, 0)}
    taken: dict[tuple[int, int], str] = {(0, 0): data.current}
    queue: deque[str] = deque([data.current])
    while queue:
        room_id = queue.popleft()
        x, y = placed[room_id]
        for direction, target in data.rooms[room_id].exits.items():
            if target in placed or target not in data.visited or target not in data.rooms:
                continue
            if direction in COMPASS:
                dx, dy = COMPASS[direction]
                cell = _free_near(taken, x + dx, y + dy)
            else:
                offsets = FALLBACK_OFFSETS.get(direction, ((1, 0),))
                free = [(x + dx, y + dy) for dx, dy in offsets if (x + dx, y + dy) not in taken]
                cell = free[0] if free else _free_near(taken, x + offsets[0][0], y + offsets[0][1])
            placed[target] = cell
            taken[cell] = target
            queue.append(target)
    return placed


def _label(room: MapRoom, width: int, current: bool) -> str:
    """`[Name↑]`, truncated to fit; the current room is `[@Name]` so it reads without colour."""
    marks = ("↑" if "up" in room.exits else "") + ("↓" if "down" in room.exits else "")
    room_width = width - 2 - len(marks) - (1 if current else 0)
    name = room.name if len(room.name) <= room_width else room.name[: max(room_width - 1, 1)] + "…"
    return f"[@{name}{marks}]" if current else f"[{name}{marks}]"


def draw(data: MapData, cell_width: int = 12) -> Drawing:
    """Draws the laid-out rooms: labels on even rows, connectors between them.

    Exits between two placed neighbours are drawn by their grid offset; exits leading to rooms
    not yet visited show as a short stub so the player sees where there is more to explore.
    """
    cells = layout(data)
    if not cells:
        return Drawing([], [], (0, 0))
    min_x = min(x for x, _ in cells.values())
    min_y = min(y for _, y in cells.values())
    max_x = max(x for x, _ in cells.values())
    max_y = max(y for _, y in cells.values())
    # One spare row/column all round so stubs at the edges have somewhere to go.
    cols, rows = (max_x - min_x + 3) * cell_width, (max_y - min_y + 3) * 2 - 1
    grid = [[" "] * cols for _ in range(rows)]
    kinds: dict[tuple[int, int], str] = {}

    def origin(cell: tuple[int, int]) -> tuple[int, int]:
        return (cell[0] - min_x + 1) * cell_width, (cell[1] - min_y + 1) * 2

    def put(col: int, row: int, ch: str, kind: str) -> None:
        if 0 <= row < rows and 0 <= col < cols and grid[row][col] == " ":
            grid[row][col] = ch
            kinds[(row, col)] = kind

    by_cell = {cell: room_id for room_id, cell in cells.items()}
    label_extent: dict[str, tuple[int, int]] = {}
    for room_id, cell in cells.items():
        col, row = origin(cell)
        text = _label(data.rooms[room_id], cell_width - 2, room_id == data.current)
        start = col + (cell_width - len(text)) // 2
        label_extent[room_id] = (start, start + len(text))
        kind = "current" if room_id == data.current else "room"
        for i, ch in enumerate(text):
            put(start + i, row, ch, kind)

    for room_id, cell in cells.items():
        col, row = origin(cell)
        centre = col + cell_width // 2
        start, end = label_extent[room_id]
        for direction, target in data.rooms[room_id].exits.items():
            if direction not in COMPASS:
                continue
            dx, dy = COMPASS[direction]
            other = cells.get(target)
            if other is not None and (other[0] - cell[0], other[1] - cell[1]) != (dx, dy):
                continue  # placed elsewhere (non-planar world): no straight line to draw
            kind = "link" if other is not None else "stub"
            if target not in data.visited and by_cell.get((cell[0] + dx, cell[1] + dy)):
                continue  # an unvisited room's stub would run into a neighbour's label
            if dy == 0:
                if other is None:
                    span = range(end, end + 2) if dx > 0 else range(start - 2, start)
                else:
                    o_start, o_end = label_extent[target]
                    span = range(end, o_start) if dx > 0 else range(o_end, start)
                for c in span:
                    put(c, row, "─", kind)
            elif dx == 0:
                put(centre, row + dy, "│", kind)
            else:
                ch = "╲" if dx == dy else "╱"
                put(col + (cell_width if dx > 0 else 0), row + dy, ch, kind)

    lines = ["".join(r).rstrip() for r in grid]
    spans: list[Span] = []
    for row in range(rows):
        col = 0
        while col < cols:
            kind = kinds.get((row, col))
            if kind is None:
                col += 1
                continue
            start = col
            while col < cols and kinds.get((row, col)) == kind:
                col += 1
            spans.append(Span(row, start, col, kind))
    cur_col, cur_row = origin(cells[data.current])
    return Drawing(lines, spans, (cur_col + cell_width // 2, cur_row))
