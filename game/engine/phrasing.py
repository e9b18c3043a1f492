"""Small English helpers: articles and lists ("a brass key, an egg and the lamp")."""

from __future__ import annotations

from game.engine.world import Item


def a_name(item: Item) -> str:
    """The item with an indefinite article ("a lamp", "an iron key"); proper names stay bare."""
    name = item.name
    if not name or name[0].isupper() or name.lower().startswith(("the ", "some ")):
        return name
    article = "an" if name[0].lower() in "aeiou" else "a"
    return f"{article} {name}"


def the_name(item: Item) -> str:
    name = item.name
    if not name or name[0].isupper() or name.lower().startswith("the "):
        return name
    return f"the {name}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_list(parts: list[str], conjunction: str = "and") -> str:
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"
