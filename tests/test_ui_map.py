"""The map's layout: rooms go where the compass says, collisions are resolved, drawing marks."""

from game.ui.map_layout import MapData, MapRoom, draw, layout


def rooms() -> dict[str, MapRoom]:
    return {
        "hall": MapRoom("hall", "Hall", {"north": "library", "east": "kitchen", "up": "attic",
                                         "west": "garden"}),
        "library": MapRoom("library", "Library", {"south": "hall", "northeast": "tower"}),
        "kitchen": MapRoom("kitchen", "Kitchen", {"west": "hall", "south": "cellar"}),
        "attic": MapRoom("attic", "Attic", {"down": "hall"}),
        "tower": MapRoom("tower", "Tower", {"southwest": "library"}),
        "garden": MapRoom("garden", "Garden", {"east": "hall"}),
        "cellar": MapRoom("cellar", "Cellar", {"north": "kitchen"}),
    }


def test_rooms_are_placed_by_compass_direction_from_the_current_room():
    data = MapData(rooms(), frozenset({"hall", "library", "kitchen", "tower"}), "hall")
    cells = layout(data)
    assert cells == {"hall": (0, 0), "library": (0, -1), "kitchen": (1, 0), "tower": (1, -2)}


def test_unvisited_rooms_are_not_placed():
    cells = layout(MapData(rooms(), frozenset({"hall"}), "hall"))
    assert cells == {"hall": (0, 0)}


def test_non_planar_exits_take_a_free_neighbouring_cell():
    data = MapData(rooms(), frozenset({"hall", "attic", "library", "tower"}), "hall")
    cells = layout(data)
    assert len(set(cells.values())) == len(cells)  # no two rooms share a cell
    assert cells["attic"] not in {cells["hall"], cells["library"]}


def test_collisions_go_to_the_nearest_free_cell():
    loop = {
        "a": MapRoom("a", "A", {"east": "b", "north": "c"}),
        "b": MapRoom("b", "B", {"west": "a", "north": "c"}),  # c cannot be north of both
        "c": MapRoom("c", "C", {"south": "a"}),
    }
    cells = layout(MapData(loop, frozenset("abc"), "a"))
    assert cells["c"] == (0, -1) and cells["b"] == (1, 0)


def test_drawing_marks_current_room_links_and_stubs():
    data = MapData(rooms(), frozenset({"hall", "library", "kitchen"}), "hall")
    drawing = draw(data, cell_width=12)
    text = "\n".join(drawing.lines)
    assert "[@Hall↑]" in text and "[Library]" in text and "[Kitchen]" in text
    kinds = {span.kind for span in drawing.spans}
    assert {"current", "room", "link", "stub"} <= kinds
    # The library is drawn directly above the hall, joined by a vertical bar.
    hall_row = next(i for i, line in enumerate(drawing.lines) if "[@Hall" in line)
    assert "│" in drawing.lines[hall_row - 1]
    assert "Library" in drawing.lines[hall_row - 2]
    # Hall─Kitchen on one row; the unexplored garden (west) shows as a stub.
    assert "─[Kitchen]" in drawing.lines[hall_row]
    assert drawing.lines[hall_row].lstrip().startswith("─")
    col, row = drawing.current_xy
    assert row == hall_row and drawing.lines[row][col - 3: col + 3].strip("[]@ ") != ""


def test_long_names_are_truncated_to_the_cell():
    data = MapData({"x": MapRoom("x", "The Very Long Hall of Echoes", {})}, frozenset("x"), "x")
    line = next(line for line in draw(data, cell_width=12).lines if line.strip())
    assert line.strip() == "[@The Ve…]" and len(line.strip()) <= 10


def test_same_data_draws_the_same_picture():
    data = MapData(rooms(), frozenset(rooms()), "kitchen")
    assert draw(data).lines == draw(data).lines
