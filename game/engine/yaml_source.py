"""Reading a world file into a tree of YAML nodes that remember their line and column.

Why not `yaml.safe_load`? It forgets positions, and errors must name a line. Why not
`yaml.compose`? PyYAML's composer recurses once per nesting level (a deeply nested file would
crash it) and an alias shares its node, so a "billion laughs" file looks small until a walker
expands it. So this module composes the tree itself from the parser's event stream, without
recursion, with hard caps on file size, nesting depth and the node count *after* alias
expansion, and it rejects every tag that is not plain data (`!!python/object` and friends)
before anything could be constructed. Parsing uses libyaml (`CSafeLoader`) when available.

The fast path (libyaml present): libyaml's own composer builds the node tree in C and one
iterative pass turns it into YNodes, checking the same caps. It is taken only when it is sure to
give exactly what the event composer gives: no aliases (aliases need an `&anchor`, so a file
without `&` has none; otherwise shared nodes are looked for), no tags (tag resolution is
replaced by a marker, so any explicit tag shows up; a bare `!` cannot, so text where a `!` could
start a tag skips the fast path), one non-empty document, no YAML error and every cap kept.
Anything else, including every error, is composed again by the event composer, whose messages
and positions are the reference. libyaml's composer recurses once per nesting level; libyaml
refuses nesting deeper than 1,000 levels (checked once at import; without that limit the fast
path is off), which keeps the recursion to a few hundred kilobytes of stack.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode
from yaml.resolver import Resolver

MAX_BYTES = 5 * 1024 * 1024     # a generous world is a few hundred kilobytes
MAX_NODES = 1_000_000           # counted after alias expansion
MAX_DEPTH = 64                  # worlds nest about ten levels deep
MAX_ALIASES = 1_000

_SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))
_RESOLVER = Resolver()
_NO_MARK = Mark("<world>", 0, 0, 0, None, None)  # an event without a position: line 1, column 1
_CONSTRUCTOR = SafeConstructor()


class SourceError(Exception):
    """The file cannot be read as YAML at all; carries a line, column and message."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


class YNode:
    """A YAML node: kind 'map' (value: list of (key, value) nodes), 'seq' or 'scalar'.

    `line`/`column` are 1-based, read from the parser's `mark` (its 0-based start position)
    when asked for: most nodes are never asked. Scalars keep their `raw` text and whether they
    were `plain` (unquoted), so ids like `on` or `yes` can be read as the words the author typed.
    """

    __slots__ = ("kind", "value", "raw", "plain", "mark")

    def __init__(self, kind: str, value: Any, mark: Any, raw: str = "",
                 plain: bool = False) -> None:
        self.kind = kind
        self.value = value
        self.raw = raw
        self.plain = plain
        self.mark = mark

    @property
    def line(self) -> int:
        return self.mark.line + 1

    @property
    def column(self) -> int:
        return self.mark.column + 1

    def __repr__(self) -> str:
        return f"YNode({self.kind}, {self.raw or self.value!r} @{self.line}:{self.column})"


def decode_bytes(data: bytes) -> str:
    """UTF-8 text of a world file (a BOM is allowed), or a SourceError naming the bad byte."""
    if len(data) > MAX_BYTES:
        raise SourceError(1, 1, f"the file is {len(data):,} bytes; world files are limited to "
                                f"{MAX_BYTES:,} bytes (split the world or remove unused text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SourceError(line, column, f"byte 0x{data[exc.start]:02x} is not valid UTF-8; "
                                        "save the file with UTF-8 encoding") from None


def compose(text: str) -> YNode:
    """The single document in `text` as a YNode tree; raises SourceError on any YAML problem."""
    if _NodeParser is not None and _SAFE_LOADER is _C_SAFE_LOADER:
        root = _compose_fast(text)
        if root is not None:
            return root
    loader = None
    try:
        loader = _SAFE_LOADER(text)
        return _Composer().run(loader)
    except yaml.MarkedYAMLError as exc:
        unclosed = _unclosed_opening(exc, text)
        if unclosed is not None:
            raise unclosed from None
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        at = text[mark.index] if mark and 0 <= mark.index < len(text) else ""
        raise SourceError(line, column, _yaml_message(exc, at)) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise SourceError(line, column, f"character U+{char:04X} is not allowed in YAML; "
                                        "remove it (control characters cannot appear in text)") from None
    except yaml.YAMLError as exc:
        raise SourceError(1, 1, f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


# ---------------------------------------------------------------- fast path (libyaml composer)

_C_SAFE_LOADER: type | None = getattr(yaml, "CSafeLoader", None)
_UNRESOLVED = "<unresolved>"    # the "tag" of every node whose tag libyaml would resolve
# A `!` where a tag token could begin and followed by what ends the bare `!` tag: the one tag
# the marker cannot reveal (libyaml resolves `! x` like an untagged plain scalar).
_BARE_TAG = re.compile(r"(?:^|(?<=[\s\ufeff\[\]{},:?\"']))!(?=[\s,]|\Z)")

try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # no libyaml: the event composer over PyYAML's pure-Python parser
    _CParser = None

_NodeParser: Any = None
if _CParser is not None and _C_SAFE_LOADER is not None:
    class _NodeParser(_CParser):  # type: ignore[no-redef]
        """libyaml's composer with tag resolution replaced by a marker (values are read here)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            return _UNRESOLVED

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

    def _nesting_is_capped() -> bool:
        """Whether this libyaml refuses deep nesting (so its recursive composer stays shallow)."""
        for probe in ("[" * 1200 + "]" * 1200, "- " * 1200 + "x"):
            parser = _NodeParser(probe)
            try:
                parser.get_single_node()
            except yaml.YAMLError:
                continue
            finally:
                parser.dispose()
            return False
        return True

    if not _nesting_is_capped():
        _NodeParser = None


def _compose_fast(text: str) -> YNode | None:
    """The tree composed by libyaml, or None when only the event composer can be trusted."""
    if "!" in text and _BARE_TAG.search(text):
        return None
    parser = _NodeParser(text)
    try:
        root = parser.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()
    if root is None:
        return None
    return _convert(root, "&" in text, "!" in text)


def _convert(root: Any, may_share: bool, may_tag: bool = True) -> YNode | None:
    """YNodes for libyaml's nodes, without recursion; None at a tag, an alias or a broken cap.

    Without aliases the node count is the expanded count and the depth is the plain nesting,
    so the caps mean what they mean in the event composer. Aliases need an anchor, so only a
    text with `&` in it can have shared nodes (`may_share`), and only then are they looked for;
    every tag starts with `!`, so only a text with `!` in it can have tags (`may_tag`).
    """
    max_depth, max_nodes = MAX_DEPTH, MAX_NODES
    unresolved, scalar_type, mapping_type = _UNRESOLVED, ScalarNode, MappingNode
    maybe_typed, resolved = _MAYBE_TYPED, _resolved_plain
    seen: set[int] = set()
    stack: list[tuple[Any, YNode, int]] = []
    count = 0
    children: Any = [root]
    made: YNode | None = None
    depth = 0
    while True:
        # Make YNodes for `children`, the nodes at `depth` (the root, or those of `made`).
        depth += 1
        if depth > max_depth:
            return None
        count += len(children)
        if count > max_nodes:
            return None
        out: list[YNode] = []
        for child in children:
            if may_tag and child.tag is not unresolved:
                return None
            if may_share:
                if id(child) in seen:
                    return None
                seen.add(id(child))
            if type(child) is scalar_type:
                raw = child.value
                if child.style == "":  # plain (libyaml's composer writes "" for plain style)
                    value = raw if raw[:1] not in maybe_typed else resolved(raw)
                    node = YNode("scalar", value, child.start_mark, raw, True)
                else:
                    node = YNode("scalar", raw, child.start_mark, raw, False)
            else:
                node = YNode("map" if type(child) is mapping_type else "seq", [],
                             child.start_mark)
                if child.value:
                    stack.append((child, node, depth))
            out.append(node)
        if made is None:
            result = out[0]
        elif made.kind == "map":
            made.value = list(zip(out[0::2], out[1::2]))
        else:
            made.value = out
        if not stack:
            return result
        source, made, depth = stack.pop()
        children = source.value
        if made.kind == "map":
            children = [node for pair in children for node in pair]


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


# The parser's context when a bracket or a quote was never closed: it names where it opened.
_OPENINGS = {
    "while parsing a flow sequence": ("the '[' opened here is never closed",
                                      "close it with ']', or put the text in quotes if the '[' is part of it"),
    "while parsing a flow mapping": ("the '{' opened here is never closed",
                                     "close it with '}', or put the text in quotes if the '{' is part of it"),
    "while scanning a quoted scalar": ("the quote opened here is never closed",
                                       "end the text with the same quote mark"),
}


def _unclosed_opening(exc: yaml.MarkedYAMLError, text: str) -> SourceError | None:
    """An unclosed `[`, `{` or quote, reported where it was opened, not where the parser gave up.

    Why: the parser only notices at the next token it cannot fit, often many lines later, while
    the mistake is on the line of the opening mark, which the error carries as its context.
    """
    opening = _OPENINGS.get((exc.context or "").strip())
    start, stop = exc.context_mark, exc.problem_mark
    if opening is None or start is None or stop is None or (start.line, start.column) == (stop.line, stop.column):
        return None
    what, fix = opening
    problem = (exc.problem or "").strip()
    return SourceError(start.line + 1, start.column + 1,
                       f"invalid YAML: {what} (the parser gave up at line {stop.line + 1}: {problem}); {fix}")


def _yaml_message(exc: yaml.MarkedYAMLError, at: str) -> str:
    """The parser's complaint in plain words, with the usual fix for the usual causes."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    text = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if at == "\t" or "\\t" in problem or "tab" in problem:
        hint = "indent with spaces, never tabs"
    elif "nesting depth" in problem:
        hint = "the document nests too deep; flatten this part of the file"
    elif "mapping values are not allowed" in problem:
        hint = "put quotes around text that contains ': ', or check the indentation"
    elif "expected ':'" in problem or "expected <block end>" in problem:
        hint = "check the indentation of this line and the one before it"
    elif "unacceptable character" in problem or "special characters" in problem:
        hint = "remove the unusual character or put the text in quotes"
    elif "found character" in problem and "cannot start any token" in problem:
        hint = "put quotes around text that starts with a special character such as @ ` % or |"
    else:
        hint = "check the quoting and indentation here"
    return f"{text}; {hint}"


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag


class _Open:
    """A mapping or sequence whose children are still arriving."""

    __slots__ = ("node", "anchor", "children")

    def __init__(self, node: YNode, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.children: list[YNode] = []


class _Composer:
    """Builds YNodes from parser events with an explicit stack, counting and capping as it goes."""

    def __init__(self) -> None:
        self.anchors: dict[str, YNode] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Open] = []
        self.expanded = 0
        self.aliases = 0
        # (nodes, nesting levels) of finished subtrees once aliases are expanded, by id; only
        # anchored subtrees are ever measured (aliases are rare).
        self.measured: dict[int, tuple[int, int]] = {}

    def run(self, loader: Any) -> YNode:
        root: YNode | None = None
        documents = 0
        stack = self.stack
        check, get = loader.check_event, loader.get_event
        while check():
            event = get()
            if type(event) is ScalarEvent and event.tag is None and event.anchor is None:
                # The common case, kept inline: an untagged, unanchored scalar (~80% of events).
                self.expanded += 1
                if self.expanded > MAX_NODES or len(stack) >= MAX_DEPTH:
                    self._count(event, 1, 1)  # raises with the right message
                raw = event.value
                plain = event.implicit[0]
                node = YNode("scalar", _plain_value(raw) if plain else raw,
                             event.start_mark or _NO_MARK, raw, plain)
                if stack:
                    stack[-1].children.append(node)
                else:
                    root = node
            elif isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise SourceError(*self._pos(event), "the file holds a second YAML document "
                                      "(after '---'); a world file is a single document")
            elif isinstance(event, (ScalarEvent, AliasEvent, CollectionStartEvent)):
                node = self._node(event)
                if node is not None:
                    root = self._attach(node) or root
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                root = self._close() or root
            elif isinstance(event, StreamEndEvent):
                break
        if root is None:
            raise SourceError(1, 1, "the file is empty; a world file starts with a `world:` "
                                    "section (see docs/world-format.md)")
        return root

    def _pos(self, event: Any) -> tuple[int, int]:
        mark = event.start_mark
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)

    def _check_tag(self, event: Any) -> None:
        tag = getattr(event, "tag", None)
        if tag and tag != "!" and tag not in _ALLOWED_TAGS:
            raise SourceError(*self._pos(event), f"YAML tag '{_short_tag(tag)}' is not allowed: "
                              "world files hold plain data only (text, numbers, true/false, lists "
                              "and mappings); remove the tag")

    def _count(self, event: Any, size: int, height: int) -> None:
        self.expanded += size
        if self.expanded > MAX_NODES:
            raise SourceError(*self._pos(event), f"the document has more than {MAX_NODES:,} "
                              "nodes (counting alias expansions); world files must be smaller")
        if len(self.stack) + height > MAX_DEPTH:
            raise SourceError(*self._pos(event), f"the document nests more than {MAX_DEPTH} "
                              "levels deep; flatten this part of the file")

    def _node(self, event: Any) -> YNode | None:
        line, column = self._pos(event)
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if event.anchor in self.open_anchors:
                raise SourceError(line, column, f"alias '*{event.anchor}' refers to a node that "
                                  "contains it; recursive structures are not allowed")
            if target is None:
                raise SourceError(line, column, f"alias '*{event.anchor}' has no matching anchor "
                                  f"'&{event.anchor}' before it; define the anchor first")
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise SourceError(line, column, f"more than {MAX_ALIASES} aliases; world files "
                                  "should repeat text instead of aliasing it this much")
            self._count(event, *self._measure(target))
            return target
        self._check_tag(event)
        self._count(event, 1, 1)
        if isinstance(event, ScalarEvent):
            try:
                value = _scalar_value(event)
            except (KeyError, ValueError):
                raise SourceError(line, column, f"'{event.value}' does not match its tag "
                                  f"'{_short_tag(event.tag or '')}'; remove the tag") from None
            node = YNode("scalar", value, event.start_mark or _NO_MARK, raw=event.value,
                         plain=bool(event.implicit[0]) and event.tag is None)
            if event.anchor:
                self.anchors[event.anchor] = node
            return node
        kind = "map" if isinstance(event, MappingStartEvent) else "seq"
        node = YNode(kind, [], event.start_mark or _NO_MARK)
        self.stack.append(_Open(node, event.anchor))
        if event.anchor:
            self.open_anchors.add(event.anchor)
        return None

    def _measure(self, node: YNode) -> tuple[int, int]:
        """Nodes and nesting levels of a finished subtree (nesting is capped: this is shallow)."""
        if node.kind == "scalar":
            return 1, 1
        known = self.measured.get(id(node))
        if known is None:
            children = ([c for pair in node.value for c in pair] if node.kind == "map"
                        else node.value)
            sizes = [self._measure(child) for child in children]
            known = (1 + sum(size for size, _ in sizes),
                     1 + max((height for _, height in sizes), default=0))
            self.measured[id(node)] = known
        return known

    def _attach(self, node: YNode) -> YNode | None:
        """Add a finished node to its parent; returns it when it is the document's root."""
        if not self.stack:
            return node
        self.stack[-1].children.append(node)
        return None

    def _close(self) -> YNode | None:
        frame = self.stack.pop()
        node = frame.node
        children = frame.children
        if node.kind == "map":
            node.value = list(zip(children[0::2], children[1::2]))
        else:
            node.value = children
        if frame.anchor:
            self._measure(node)
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = node
        return self._attach(node)


def _scalar_value(event: Any) -> Any:
    """The Python value of a scalar: text, int, float, bool or None (YAML 1.1 rules, safe subset)."""
    tag = event.tag
    if tag is None or tag == "!":
        return _plain_value(event.value) if event.implicit[0] else event.value
    return _typed_value(tag, event.value)


# First characters for which YAML 1.1 might read a plain scalar as something other than text.
_MAYBE_TYPED = frozenset(Resolver.yaml_implicit_resolvers)


def _plain_value(text: str) -> Any:
    """An unquoted scalar's value; most start with a letter that can only begin text."""
    if text[:1] not in _MAYBE_TYPED:
        return text
    return _resolved_plain(text)


@functools.lru_cache(maxsize=1024)
def _resolved_plain(text: str) -> Any:
    """The value of a plain scalar that might not be text (`yes`, `12`, `name`, `~`).

    Such words repeat (keys like `name`, values like `true`) and resolving runs the resolver's
    regular expressions, so results are kept; they are immutable (text, number, bool, None).
    """
    return _typed_value(_RESOLVER.resolve(ScalarNode, text, (True, False)), text)


def _typed_value(tag: str, text: str) -> Any:
    """The value of `text` under a resolved or explicit (already allowed) tag."""
    if tag == _YAML + "null":
        if text not in ("", "~", "null", "Null", "NULL"):
            raise ValueError(text)
        return None
    if tag == _YAML + "bool":
        return _CONSTRUCTOR.bool_values[text.lower()]
    if tag == _YAML + "int":
        return _CONSTRUCTOR.construct_yaml_int(ScalarNode(tag, text))
    if tag == _YAML + "float":
        return _CONSTRUCTOR.construct_yaml_float(ScalarNode(tag, text))
    return text  # str, and implicit timestamps and the like stay as the typed text


def plain_data(node: YNode) -> Any:
    """The tree as plain dicts/lists/scalars, with every key as the text the author typed.

    Keys stay text (`on:` is the key "on", not True as YAML 1.1 would have it), which is how
    the world loader and editors' YAML 1.2 checkers read them; used to check files against
    the JSON Schema.
    """
    if node.kind == "map":
        return {key.raw: plain_data(value) for key, value in node.value}
    if node.kind == "seq":
        return [plain_data(child) for child in node.value]
    return node.value
