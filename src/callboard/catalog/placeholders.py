"""``$text``, ``$json`` and ``$yaml`` placeholders: an object with that single key is replaced by a file's content.

Targets are read through a :class:`PlaceholderReader` so that the CLI (local files) and the engine (files and
URLs through integrations) share one resolution algorithm, Backstage's: only objects whose *only* key starts with
``$`` and names a known resolver are replaced, resolved content is not searched for further placeholders, and
the first failure stops the entity with Backstage's message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from callboard.catalog.descriptors import DescriptorError, FieldPath, parse_documents
from callboard.core.errors import describe_error


class PlaceholderReader(Protocol):
    """Reads the target of a placeholder; ``target`` is already resolved against the descriptor's location."""

    def read(self, target: str) -> bytes: ...


class ReadError(Exception):
    """A target that could not be read; ``name`` follows Backstage's error names (NotFoundError, ...)."""

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(message)
        self.message = message
        self.name = name


class PlaceholderError(Exception):
    """A placeholder that could not be resolved, with Backstage's message and the path of the placeholder."""

    def __init__(self, message: str, path: FieldPath) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class PlaceholderRequest:
    key: str
    value: Any
    base: str
    read: Callable[[str], str]


Resolver = Callable[[PlaceholderRequest], Any]


def resolve_target(value: str, base: str) -> str:
    """The absolute path or URL a placeholder value points to, relative to the descriptor at ``base``."""
    if _is_url(value):
        return value
    if _is_url(base):
        return urljoin(base, value)
    if value.startswith("/"):
        return value
    return str(Path(base).parent / value)


def _is_url(text: str) -> bool:
    scheme = urlsplit(text).scheme
    return len(scheme) > 1 and "://" in text


def text_resolver(request: PlaceholderRequest) -> Any:
    return request.read(_expect_string(request))


def json_resolver(request: PlaceholderRequest) -> Any:
    content = request.read(_expect_string(request))
    try:
        return json.loads(content)
    except json.JSONDecodeError as error:
        raise ReadError(
            f"Placeholder ${request.key} failed to parse JSON data at {request.value}, SyntaxError: {error}"
        ) from error


def yaml_resolver(request: PlaceholderRequest) -> Any:
    content = request.read(_expect_string(request))
    documents = list(parse_documents(content, str(request.value))) if content.strip() else []
    problems = [doc for doc in documents if not hasattr(doc, "data")]
    if problems:
        raise ReadError(
            f"Placeholder ${request.key} found an error in the data at {request.value}, {problems[0].message}"
        )
    if len(documents) != 1:
        raise ReadError(
            f"Placeholder ${request.key} expected to find exactly one document of data at {request.value}, "
            f"found {len(documents)}"
        )
    return documents[0].data  # type: ignore[union-attr]


def _expect_string(request: PlaceholderRequest) -> str:
    if not isinstance(request.value, str):
        raise ReadError(
            f"Placeholder ${request.key} expected a string value parameter, "
            "in the form of an absolute URL or a relative path"
        )
    return request.value


DEFAULT_RESOLVERS: dict[str, Resolver] = {"text": text_resolver, "json": json_resolver, "yaml": yaml_resolver}


class UnreadTarget(Exception):
    """A target the reader chose not to read (a URL, offline); resolution leaves a stand-in and a warning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PlaceholderWarning:
    message: str
    path: FieldPath


class PlaceholderResolution:
    """Resolves the placeholders of one entity read from ``base`` (a file path or a URL)."""

    def __init__(self, reader: PlaceholderReader, resolvers: Mapping[str, Resolver] | None = None) -> None:
        self._reader = reader
        self._resolvers = dict(DEFAULT_RESOLVERS if resolvers is None else resolvers)
        self.warnings: list[PlaceholderWarning] = []

    def apply(self, entity: dict[str, Any], base: str) -> dict[str, Any]:
        """A copy of ``entity`` with placeholders replaced (the same object when it has none).

        Warnings about targets left unread are in :attr:`warnings` until the next call.
        """
        self.warnings = []
        if not has_dollar_key(entity):
            return entity
        result, _ = self._walk(entity, base, ())
        return result  # type: ignore[no-any-return]

    def _walk(self, data: Any, base: str, path: FieldPath) -> tuple[Any, bool]:
        if isinstance(data, list):
            items = [self._walk(item, base, (*path, index)) for index, item in enumerate(data)]
            if not any(changed for _, changed in items):
                return data, False
            return [item for item, _ in items], True
        if not isinstance(data, dict):
            return data, False
        if not any(key.startswith("$") for key in data):
            entries = [(key, self._walk(value, base, (*path, key))) for key, value in data.items()]
            if not any(changed for _, (_, changed) in entries):
                return data, False
            return {key: value for key, (value, _) in entries}, True
        if len(data) != 1:
            return data, False
        ((key, value),) = data.items()
        resolver = self._resolvers.get(key[1:])
        if resolver is None:
            return data, False
        name = key[1:]

        def read(target: str) -> str:
            resolved = resolve_target(target, base)
            try:
                return self._reader.read(resolved).decode("utf-8")
            except UnreadTarget:
                raise
            except ReadError as error:
                raise ReadError(
                    f"Placeholder ${name} could not read location {target}, {describe_error(error)}"
                ) from error
            except UnicodeDecodeError as error:
                raise ReadError(f"Placeholder ${name} could not read location {target}, {error}") from error

        try:
            return resolver(PlaceholderRequest(name, value, base, read)), True
        except UnreadTarget as unread:
            self.warnings.append(PlaceholderWarning(f"${name} target {value} was not read: {unread.reason}", path))
            # A stand-in keeps the rest of the entity checkable: text for $text, an empty object otherwise.
            return (f"(not read: {value})" if name == "text" else {}), True
        except (ReadError, DescriptorError) as error:
            raise PlaceholderError(error.message, path) from error


def has_dollar_key(data: Any) -> bool:
    """Whether any object in ``data`` has a key starting with ``$`` (most entities have none)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            for key, item in value.items():
                if key[:1] == "$":
                    return True
                if type(item) is dict or type(item) is list:
                    stack.append(item)
        elif type(value) is list:
            stack.extend(item for item in value if type(item) is dict or type(item) is list)
    return False


class LocalFileReader:
    """Reads placeholder targets from local files inside ``root``; anything else is refused with a reason.

    Confining reads to the repository (or folder) being validated keeps a descriptor from pulling arbitrary
    files of the machine into the catalog, as Backstage confines placeholders to the entity's repository.
    """

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def read(self, target: str) -> bytes:
        if _is_url(target):
            raise UnreadTarget("URLs are read by the catalog engine (backend.reading.allow), not offline")
        path = Path(target).resolve()
        if not path.is_relative_to(self._root):
            raise ReadError(
                f"{target} is outside {self._root}; placeholders may only read files of the same repository",
                "NotAllowedError",
            )
        try:
            return path.read_bytes()
        except FileNotFoundError as error:
            raise ReadError(f"no such file {path}", "NotFoundError") from error
        except OSError as error:
            raise ReadError(f"{error.strerror}: {path}") from error
