"""Reading descriptor files: multi-document YAML with YAML 1.2 core-schema scalars, as Backstage reads them.

Backstage parses descriptors with the ``yaml`` npm package (YAML 1.2, core schema, merge keys off, unique keys
required). PyYAML implements YAML 1.1, where ``on``, ``yes`` and ``2021-01-01`` are not strings; this module
uses libyaml's C parser for its events and resolves scalars by the 1.2 core schema so values match Backstage's.

Values are built from the events by a loop, not by recursion, and within ``catalog.limits``: a document
nested deeper than allowed, or one that would hold too many values once its aliases are expanded (an alias
bomb: nine anchors of nine aliases each is 9^9 values), is refused before anything is built from it.
libyaml's own node composer recurses in C and crashes the process on a file of 100,000 ``[``.
Node trees, for placing a problem on a line, are composed again on demand by the same kind of loop.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from callboard.catalog.javascript import js_string
from callboard.core.limits import DescriptorLimits

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - libyaml is present in every supported install
    from yaml.parser import Parser as _Parser  # type: ignore[assignment]

PathPart = str | int
FieldPath = tuple[PathPart, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_CORE_SCALAR = re.compile(
    r"(?P<null>~|null|Null|NULL)"
    r"|(?P<bool>true|True|TRUE|false|False|FALSE)"
    r"|(?P<int>[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)"
)


def _resolve_scalar(value: str, implicit: tuple[bool, bool]) -> str:
    """The implicit tag of a plain scalar by the YAML 1.2 core schema; everything unrecognised is a string."""
    if not implicit[0]:
        return _STR
    if value == "":
        return _NULL
    match = _CORE_SCALAR.fullmatch(value)
    if match is None:
        return _STR
    return {"null": _NULL, "bool": _BOOL, "int": _INT, "float": _FLOAT}[match.lastgroup or "null"]


class DescriptorError(Exception):
    """A document that cannot be read: bad YAML, duplicate keys, or a root that is not an object."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Refused(DescriptorError):
    """A document over a limit (its events are skipped; later documents are still read)."""


class _TooDeep(_Refused):
    """A document nested too deep. The file is read no further: libyaml's scanner takes time quadratic in
    the nesting of what follows, so even skipping the rest could take hours."""


@dataclass(slots=True)
class Document:
    """One YAML document of a descriptor file, parsed into JSON-compatible data."""

    source: str
    index: int
    line: int
    column: int
    data: dict[str, Any]
    locator: _Locator = field(repr=False, compare=False)

    def locate(self, path: Sequence[PathPart]) -> tuple[int, int]:
        """Line and column (1-based) of the field at ``path``, or of its deepest ancestor in the file."""
        return self.locator.locate(self.index, path)


@dataclass(slots=True, frozen=True)
class DocumentProblem:
    """A document that could not be turned into an entity, with where it is."""

    source: str
    index: int
    line: int
    column: int
    message: str


def parse_documents(
    text: str, source: str, limits: DescriptorLimits | None = None
) -> Iterator[Document | DocumentProblem]:
    """Yield each non-empty document of ``text`` as a :class:`Document`, or the problem that stopped it.

    Empty (null) documents are skipped as Backstage skips them. After a syntax error nothing further in the
    file can be trusted, so parsing stops there; a document over a limit is skipped and the next one read.
    """
    limits = limits or DescriptorLimits()
    parser: Any = _Parser(text)
    locator = _Locator(text)
    budget = [limits.expanded_nodes]
    index = -1
    try:
        parser.get_event()  # StreamStartEvent
        while not parser.check_event(StreamEndEvent):
            parser.get_event()  # DocumentStartEvent
            index += 1
            if index >= limits.documents_per_file:
                yield DocumentProblem(
                    source,
                    index,
                    *_position(parser.peek_event().start_mark),
                    f"{source} has more than {limits.documents_per_file} YAML documents "
                    "(catalog.limits.documentsPerFile); split it into several files",
                )
                return
            try:
                data, line, column = _build(parser, limits, budget, source, index)
            except _TooDeep as error:
                yield DocumentProblem(source, index, error.line, error.column, error.message)
                return
            except DescriptorError as error:
                _skip_document(parser)
                yield DocumentProblem(source, index, error.line, error.column, error.message)
                continue
            if data is None:
                continue
            if not isinstance(data, dict):
                yield DocumentProblem(source, index, line, column, f"Expected object at root, got {_js_typeof(data)}")
                continue
            yield Document(source, index, line, column, data, locator)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "invalid YAML"
        context = f" {error.context}" if error.context else ""
        yield DocumentProblem(
            source,
            max(index, 0),
            line,
            column,
            f"YAML error at {source}, {problem}{context} at line {line}, column {column}",
        )
    except yaml.YAMLError as error:  # reader errors: bad encoding, control characters
        yield DocumentProblem(source, max(index, 0), 1, 1, f"Failed to parse YAML at {source}, {error}")
    finally:
        parser.dispose()


def parse_value(text: str, source: str, limits: DescriptorLimits | None = None) -> Any:
    """Parse a single-document YAML text (placeholder targets, config files) into JSON-compatible data."""
    limits = limits or DescriptorLimits()
    parser: Any = _Parser(text)
    try:
        parser.get_event()  # StreamStartEvent
        if parser.check_event(StreamEndEvent):
            return None
        parser.get_event()  # DocumentStartEvent
        value = _build(parser, limits, [limits.expanded_nodes], source, 0)[0]
        if not parser.check_event(StreamEndEvent):
            mark = parser.peek_event().start_mark
            raise DescriptorError(
                f"expected a single document in the stream, but found another document at line {mark.line + 1}",
                mark.line + 1,
                1,
            )
        return value
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DescriptorError(f"{error.problem}{where}", mark.line + 1 if mark else 1, 1) from error
    finally:
        parser.dispose()


def _position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


_IN_PROGRESS = object()
_NO_KEY = object()


class _Frame:
    """A sequence or mapping being built: its value, expanded size so far, anchor, and a pending key."""

    __slots__ = ("anchor", "key", "key_mark", "size", "value")

    def __init__(self, value: list[Any] | dict[str, Any], anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_mark: Any = None


def _build(parser: Any, limits: DescriptorLimits, budget: list[int], source: str, index: int) -> tuple[Any, int, int]:
    """The value of one document from its events (its end event consumed), with the line and column of its
    root. ``budget`` holds the values the rest of the file may still expand to; it is reduced."""
    anchors: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    stack: list[_Frame] = []
    root: Any = None
    first = parser.peek_event()
    line, column = _position(first.start_mark)
    while True:
        event = parser.get_event()
        kind = type(event)
        if kind is ScalarEvent:
            value: Any = _scalar(event)
            size = 1
            if event.anchor is not None:
                _define(anchors, sizes, event, value, 1)
        elif kind is AliasEvent:
            value = anchors.get(event.anchor)
            if value is _IN_PROGRESS:
                raise DescriptorError("Recursive alias is not supported", *_line_only(event.start_mark))
            if event.anchor not in anchors:
                raise DescriptorError(f"found undefined alias {event.anchor!r}", *_position(event.start_mark))
            size = sizes[event.anchor]
        elif kind is SequenceStartEvent or kind is MappingStartEvent:
            if len(stack) >= limits.depth:
                raise _TooDeep(
                    f"{source}, document {index + 1}: nests deeper than {limits.depth} levels (catalog.limits.depth)",
                    *_position(event.start_mark),
                )
            frame = _Frame([] if kind is SequenceStartEvent else {}, event.anchor)
            if event.anchor is not None:
                _define(anchors, sizes, event, _IN_PROGRESS, 0)
            stack.append(frame)
            continue
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            done = stack.pop()
            value, size = done.value, done.size
            if done.anchor is not None:
                anchors[done.anchor], sizes[done.anchor] = value, size
        elif kind is DocumentEndEvent:
            return root, line, column
        else:  # pragma: no cover - libyaml sends no other events inside a document
            raise DescriptorError(f"unexpected YAML event {kind.__name__}", *_position(event.start_mark))
        if not stack:
            if size > budget[0]:
                raise _too_many(source, index, event)
            budget[0] -= size
            root = value
            continue
        parent = stack[-1]
        parent.size += size
        if parent.size > budget[0]:
            raise _too_many(source, index, event)
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif parent.key is _NO_KEY:
            name = _key_text(value)
            if name in parent.value:
                mark = event.start_mark
                raise DescriptorError(
                    f"Map keys must be unique: {name!r} appears twice (line {mark.line + 1}); keep one of them",
                    mark.line + 1,
                    mark.column + 1,
                )
            parent.key = name
        else:
            parent.value[parent.key] = value
            parent.key = _NO_KEY


def _define(anchors: dict[str, Any], sizes: dict[str, int], event: Any, value: Any, size: int) -> None:
    if event.anchor in anchors:
        raise DescriptorError(
            f"found duplicate anchor {event.anchor!r}; give each anchor one name", *_position(event.start_mark)
        )
    anchors[event.anchor], sizes[event.anchor] = value, size


def _too_many(source: str, index: int, event: Any) -> _Refused:
    return _Refused(
        f"{source}, document {index + 1}: holds too many values once its YAML aliases are expanded "
        "(an alias bomb?); the file may hold at most catalog.limits.expandedNodes",
        *_position(event.start_mark),
    )


def _line_only(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, 1) if mark is not None else (1, 1)


def _skip_document(parser: Any) -> None:
    """Consume the events left of the current document, whatever its depth (no values are built)."""
    depth = 0
    while True:
        event = parser.get_event()
        kind = type(event)
        if kind is SequenceStartEvent or kind is MappingStartEvent:
            depth += 1
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            depth -= 1
        elif kind is DocumentEndEvent:
            return


class _Locator:
    """The node trees of one file, composed again only when a problem must be placed on a line.

    Keeping every document's nodes alive would cost memory and garbage-collector time on large catalogs,
    while problems are rare; so nodes are rebuilt on demand, once per file.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._nodes: dict[int, Node] | None = None

    def locate(self, index: int, path: Sequence[PathPart]) -> tuple[int, int]:
        if self._nodes is None:
            self._nodes = _compose_nodes(self._text)
        node = self._nodes.get(index)
        return (1, 1) if node is None else locate_in_node(node, path)


def _compose_nodes(text: str) -> dict[int, Node]:
    """Each document's node tree by its position (marks only matter here: scalars keep their text)."""
    nodes: dict[int, Node] = {}
    parser: Any = _Parser(text)
    try:
        parser.get_event()
        position = -1
        anchors: dict[str, Node] = {}
        stack: list[Node] = []
        pending: list[Node | None] = []
        while not parser.check_event(StreamEndEvent):
            event: Any = parser.get_event()
            kind = type(event)
            if kind is DocumentStartEvent:
                position += 1
                anchors = {}
                continue
            if kind is DocumentEndEvent:
                continue
            node: Node
            if kind is ScalarEvent:
                node = ScalarNode(_STR, event.value, event.start_mark, event.end_mark)
                if event.anchor is not None:
                    anchors[event.anchor] = node
            elif kind is AliasEvent:
                found = anchors.get(event.anchor)
                if found is None:
                    break
                node = found
            elif kind is SequenceStartEvent or kind is MappingStartEvent:
                container: Node = (
                    SequenceNode(_SEQ, [], event.start_mark, None)
                    if kind is SequenceStartEvent
                    else MappingNode(_MAP, [], event.start_mark, None)
                )
                if event.anchor is not None:
                    anchors[event.anchor] = container
                stack.append(container)
                pending.append(None)
                continue
            else:
                node = stack.pop()
                pending.pop()
            if not stack:
                nodes[position] = node
            elif isinstance(stack[-1], SequenceNode):
                stack[-1].value.append(node)
            elif pending[-1] is None:
                pending[-1] = node
            else:
                stack[-1].value.append((pending[-1], node))
                pending[-1] = None
    except yaml.YAMLError:
        pass  # documents before the broken one are still placed
    finally:
        parser.dispose()
    return nodes


def locate_in_node(node: Node, path: Sequence[PathPart]) -> tuple[int, int]:
    """Where the field at ``path`` is written: its key for mapping entries, the item for list entries."""
    current, mark_node = node, node
    for part in path:
        found = _child(current, part)
        if found is None:
            break
        mark_node, current = found
    return mark_node.start_mark.line + 1, mark_node.start_mark.column + 1


def _child(node: Node, part: PathPart) -> tuple[Node, Node] | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == str(part) and isinstance(value_node, Node):
                return key_node, value_node
    elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child = node.value[part]
        return (child, child) if isinstance(child, Node) else None
    return None


def _key_text(value: Any) -> str:
    # The yaml package writes a null key as an empty string; other keys as JavaScript's String() does.
    if isinstance(value, str):
        return value
    return "" if value is None else js_string(value)


def _scalar(event: Any) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is None or tag == "!":
        tag = _resolve_scalar(value, event.implicit)
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        return _int(value)
    if tag == _FLOAT:
        return _float(value)
    # Explicit tags the core schema does not know (``!!binary``, ``!Ref``) keep their text, as in Backstage.
    return value


def _int(value: str) -> int | str:
    try:
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)
    except ValueError:
        return value


def _float(value: str) -> float | str:
    lowered = value.lower()
    if lowered.endswith(".inf"):
        return -math.inf if value.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(value)
    except ValueError:
        return value


def _js_typeof(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"
