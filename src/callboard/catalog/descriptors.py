"""Reading descriptor files: multi-document YAML with YAML 1.2 core-schema scalars, as Backstage reads them.

Backstage parses descriptors with the ``yaml`` npm package (YAML 1.2, core schema, merge keys off, unique keys
required). PyYAML implements YAML 1.1, where ``on``, ``yes`` and ``2021-01-01`` are not strings; this module
uses libyaml's C parser for speed and resolves scalars by the 1.2 core schema so values match Backstage's.
Documents keep their node tree so that a problem found later can be placed on a line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from callboard.catalog.javascript import js_string

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


class _CoreSchemaResolver:
    """Implicit tags by the YAML 1.2 core schema; everything unrecognised is a string."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0] or value is None:
                return _STR
            if value == "":
                return _NULL
            match = _CORE_SCALAR.fullmatch(value)
            if match is None:
                return _STR
            return {"null": _NULL, "bool": _BOOL, "int": _INT, "float": _FLOAT}[match.lastgroup or "null"]
        return _SEQ if kind is SequenceNode else _MAP

    # libyaml's parser calls these during composition; the 1.2 schema needs no path-based resolution.
    def descend_resolver(self, current_node: object, current_index: object) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class _ComposeOnly(_Parser, _CoreSchemaResolver):
    """libyaml's parser with our resolver; nodes only, values are built by :func:`_to_json`."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)


class DescriptorError(Exception):
    """A document that cannot be read: bad YAML, duplicate keys, or a root that is not an object."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


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
            self._nodes = {}
            parser = _ComposeOnly(self._text)
            try:
                position = 0
                while parser.check_node():
                    node = parser.get_node()
                    if node is not None:
                        self._nodes[position] = node
                    position += 1
            except yaml.YAMLError:
                pass  # documents before the broken one are still placed
            finally:
                parser.dispose()
        node = self._nodes.get(index)
        return (1, 1) if node is None else locate_in_node(node, path)


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


def parse_documents(text: str, source: str) -> Iterator[Document | DocumentProblem]:
    """Yield each non-empty document of ``text`` as a :class:`Document`, or the problem that stopped it.

    Empty (null) documents are skipped as Backstage skips them. After a syntax error nothing further in the
    file can be trusted, so parsing stops there.
    """
    parser = _ComposeOnly(text)
    locator = _Locator(text)
    index = -1
    current = 0
    try:
        while True:
            current = index + 1
            if not parser.check_node():
                break
            index = current
            node = parser.get_node()
            if node is None:
                continue
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            try:
                data = _to_json(node, {})
            except DescriptorError as error:
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
            current,
            line,
            column,
            f"YAML error at {source}, {problem}{context} at line {line}, column {column}",
        )
    except yaml.YAMLError as error:  # reader errors: bad encoding, control characters
        yield DocumentProblem(source, current, 1, 1, f"Failed to parse YAML at {source}, {error}")
    finally:
        parser.dispose()


def parse_value(text: str, source: str) -> Any:
    """Parse a single-document YAML text (placeholder targets, config files) into JSON-compatible data."""
    parser = _ComposeOnly(text)
    try:
        node = parser.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DescriptorError(f"{error.problem}{where}", mark.line + 1 if mark else 1, 1) from error
    finally:
        parser.dispose()
    return None if node is None else _to_json(node, {})


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


def _to_json(node: Node, seen: dict[int, Any]) -> Any:
    """Build plain data from a node, sharing the values of aliased nodes as the YAML intends."""
    if isinstance(node, ScalarNode):
        return _scalar(node)
    key = id(node)
    if key in seen:
        value = seen[key]
        if value is _IN_PROGRESS:
            raise DescriptorError("Recursive alias is not supported", node.start_mark.line + 1, 1)
        return value
    seen[key] = _IN_PROGRESS
    result: Any
    if isinstance(node, SequenceNode):
        result = [_to_json(item, seen) for item in node.value]
    else:
        result = {}
        for key_node, value_node in node.value:
            name = _key_text(key_node, seen)
            if name in result:
                mark = key_node.start_mark
                raise DescriptorError(
                    f"Map keys must be unique: {name!r} appears twice (line {mark.line + 1}); keep one of them",
                    mark.line + 1,
                    mark.column + 1,
                )
            result[name] = _to_json(value_node, seen)
    seen[key] = result
    return result


_IN_PROGRESS = object()


def _key_text(node: Node, seen: dict[int, Any]) -> str:
    value = _to_json(node, seen)
    # The yaml package writes a null key as an empty string; other keys as JavaScript's String() does.
    if isinstance(value, str):
        return value
    return "" if value is None else js_string(value)


def _scalar(node: ScalarNode) -> Any:
    tag = node.tag
    value: str = node.value
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        return _int(value, node)
    if tag == _FLOAT:
        return _float(value, node)
    # Explicit tags the core schema does not know (``!!binary``, ``!Ref``) keep their text, as in Backstage.
    return value


def _int(value: str, node: Node) -> int | str:
    try:
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)
    except ValueError:
        return value


def _float(value: str, node: Node) -> float | str:
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
