"""Reading ``app-config.yaml`` files the way Backstage does: layering, substitution and includes.

* With no ``--config``, ``app-config.yaml`` then ``app-config.local.yaml`` (when present) are read; any
  ``--config`` replaces that default and later files win.
* Objects merge deeply; arrays and scalars are replaced whole; an explicit ``null`` stays null.
* ``${VAR}`` inside strings (``${VAR:-fallback}`` too); ``$${`` is a literal ``${``. A string whose variable
  is unset becomes absent, so a lower file's value shows through.
* ``$env: VAR``, ``$file: path`` (text) and ``$include: path[#dot.path]`` (parsed JSON or YAML), relative
  to the file that contains them.
* ``APP_CONFIG_<path with _ for .>`` environment variables override everything (JSON, else a string).

Each value remembers the file it came from, and values read from the environment or from files are marked
secret so that printing the configuration never shows them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callboard.catalog.api import DescriptorError, parse_value

_SUBSTITUTION = re.compile(r"\$(\$?)\{([^{}]*)\}")
_SECRET_NAMES = re.compile(r"(password|secret|token|credential|private|apikey|api_key|clientsecret)", re.IGNORECASE)
_ABSENT = object()

KeyPath = tuple[str | int, ...]


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key path, never a secret value."""


@dataclass
class LoadedConfig:
    """The merged configuration, where each key came from, and which keys hold secrets."""

    data: dict[str, Any]
    files: list[Path]
    origins: dict[KeyPath, str] = field(default_factory=dict)
    secrets: set[KeyPath] = field(default_factory=set)

    def origin(self, path: Sequence[str | int]) -> str:
        """The file (or environment variable) that set ``path`` or its nearest ancestor."""
        key = tuple(path)
        while key:
            if key in self.origins:
                return self.origins[key]
            key = key[:-1]
        return ", ".join(str(file) for file in self.files) or "defaults"

    def is_secret(self, path: Sequence[str | int]) -> bool:
        key = tuple(path)
        return any(key[: len(secret)] == secret for secret in self.secrets) or any(
            isinstance(part, str) and _SECRET_NAMES.search(part) for part in key
        )

    def redacted(self) -> dict[str, Any]:
        """The data with every secret value replaced by ``<secret>``, safe to print or log."""
        redacted: dict[str, Any] = _redact(self.data, (), self)
        return redacted


def default_config_files(cwd: Path) -> list[Path]:
    return [path for path in (cwd / "app-config.yaml", cwd / "app-config.local.yaml") if path.is_file()]


def load_config(
    files: Sequence[Path] | None = None, *, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Load and merge ``files`` (or the defaults in ``cwd``), then apply ``APP_CONFIG_`` overrides."""
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    chosen = [cwd / path for path in files] if files else default_config_files(cwd)
    loaded = LoadedConfig({}, chosen)
    for path in chosen:
        reader = _FileReader(path, environ)
        data = reader.read()
        if data is None:
            continue
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys, not {type(data).__name__}")
        _merge(loaded.data, data, (), str(path), loaded)
        loaded.secrets |= reader.secrets
    for name, raw in sorted(environ.items()):
        if name.startswith("APP_CONFIG_") and len(name) > len("APP_CONFIG_"):
            path_parts = tuple(name[len("APP_CONFIG_") :].split("_"))
            _set(loaded.data, path_parts, _json_or_string(raw))
            loaded.origins[path_parts] = f"environment variable {name}"
            loaded.secrets.add(path_parts)
    return loaded


class _FileReader:
    def __init__(self, path: Path, environ: Mapping[str, str]) -> None:
        self.path = path
        self.environ = environ
        self.secrets: set[KeyPath] = set()

    def read(self) -> Any:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError as error:
            raise ConfigError(f"{self.path}: no such config file; check the --config path") from error
        except OSError as error:
            raise ConfigError(f"{self.path}: cannot be read: {error.strerror}") from error
        try:
            data = parse_value(text, str(self.path))
        except DescriptorError as error:
            raise ConfigError(f"{self.path}:{error.line}: invalid YAML: {error.message}") from error
        resolved = self._resolve(data, ())
        return None if resolved is _ABSENT else resolved

    def _resolve(self, value: Any, path: KeyPath) -> Any:
        if isinstance(value, str):
            return self._substitute(value, path)
        if isinstance(value, list):
            items = [self._resolve(item, (*path, index)) for index, item in enumerate(value)]
            return [item for item in items if item is not _ABSENT]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key in ("$env", "$file", "$include"):
                return self._include(key, argument, path)
        result = {}
        for key, item in value.items():
            resolved = self._resolve(item, (*path, key))
            if resolved is not _ABSENT:
                result[key] = resolved
        return result

    def _substitute(self, text: str, path: KeyPath) -> Any:
        if "${" not in text:
            return text
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            if match.group(1):  # $${...} is an escaped, literal ${...}
                return "${" + match.group(2) + "}"
            name, _, fallback = match.group(2).partition(":-")
            name = name.strip()
            if name in self.environ:
                return self.environ[name]
            if ":-" in match.group(2):
                return fallback
            missing.append(name)
            return ""

        result = _SUBSTITUTION.sub(replace, text)
        if missing:
            return _ABSENT
        if result != text.replace("$${", "${"):
            self.secrets.add(path)
        return result

    def _include(self, key: str, argument: Any, path: KeyPath) -> Any:
        where = f"{self.path}: {_dotted(path) or '<root>'}"
        if not isinstance(argument, str):
            raise ConfigError(f"{where}: {key} needs a string, e.g. {key}: ./secrets.yaml")
        argument = self._substitute(argument, path)
        if argument is _ABSENT:
            return _ABSENT
        if key != "$include":
            self.secrets.add(path)
        if key == "$env":
            return self.environ.get(argument, _ABSENT)
        target_text, _, fragment = argument.partition("#")
        target = (self.path.parent / target_text).resolve()
        try:
            content = target.read_text("utf-8")
        except OSError as error:
            raise ConfigError(f"{where}: {key} cannot read {target}: {error.strerror}") from error
        if key == "$file":
            return content
        try:
            data = json.loads(content) if target.suffix == ".json" else parse_value(content, str(target))
        except (json.JSONDecodeError, DescriptorError) as error:
            raise ConfigError(
                f"{where}: $include of {target} is not valid {target.suffix[1:] or 'YAML'}: {error}"
            ) from error
        included = _FileReader(target, self.environ)
        data = included._resolve(data, ())
        self.secrets |= {(*path, *secret) for secret in included.secrets}
        for part in filter(None, fragment.split(".")):
            if not isinstance(data, dict) or part not in data:
                raise ConfigError(f"{where}: $include {argument}: {target} has no key {fragment!r}")
            data = data[part]
        return data


def _merge(into: dict[str, Any], data: dict[str, Any], path: KeyPath, origin: str, loaded: LoadedConfig) -> None:
    for key, value in data.items():
        key_path = (*path, key)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, key_path, origin, loaded)
        else:
            into[key] = value
            loaded.origins[key_path] = origin
            _forget_below(loaded, key_path)
            _record_origins(value, key_path, origin, loaded)


def _forget_below(loaded: LoadedConfig, path: KeyPath) -> None:
    for key in [key for key in loaded.origins if len(key) > len(path) and key[: len(path)] == path]:
        del loaded.origins[key]


def _record_origins(value: Any, path: KeyPath, origin: str, loaded: LoadedConfig) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            loaded.origins[(*path, key)] = origin
            _record_origins(item, (*path, key), origin, loaded)


def _set(data: dict[str, Any], path: KeyPath, value: Any) -> None:
    current = data
    for part in map(str, path[:-1]):
        if not isinstance(current.get(part), dict):
            current[part] = {}
        current = current[part]
    current[str(path[-1])] = value


def _json_or_string(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _redact(value: Any, path: KeyPath, loaded: LoadedConfig) -> Any:
    if isinstance(value, dict):
        return {key: _redact(item, (*path, key), loaded) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, (*path, index), loaded) for index, item in enumerate(value)]
    return "<secret>" if loaded.is_secret(path) and value is not None else value


def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path)
