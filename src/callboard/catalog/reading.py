"""Reading location targets: local files and URLs, with Backstage's ``backend.reading.allow`` rules.

One reader serves both location targets and descriptor placeholders. URLs are fetched with httpx; a host
is readable when an integration is configured for it (its token is then sent) or when ``backend.reading.allow``
lists it. GitHub ``blob`` URLs are read through the integration's raw base URL, as Backstage's GitHub reader does.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from callboard.catalog.placeholders import ReadError
from callboard.core.errors import InputError

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ReadingRule:
    """One ``backend.reading.allow`` entry: a host (``*.`` wildcards; with ``:port`` to allow only that port)
    and optional path prefixes."""

    host: str
    paths: tuple[str, ...] = ()

    def allows(self, host: str, path: str) -> bool:
        if not fnmatch.fnmatch(host.lower(), self.host.lower()):
            return False
        return not self.paths or any(path.startswith(prefix) for prefix in self.paths)


@dataclass(frozen=True)
class GithubIntegration:
    host: str = "github.com"
    token: str | None = None
    raw_base_url: str = "https://raw.githubusercontent.com"


@dataclass
class ReaderConfig:
    allow: list[ReadingRule] = field(default_factory=list)
    github: list[GithubIntegration] = field(default_factory=list)
    allow_files: bool = True
    timeout_seconds: float = 20.0

    @classmethod
    def from_config(cls, backend: Mapping[str, Any], integrations: Mapping[str, Any]) -> ReaderConfig:
        reading = backend.get("reading") or {}
        allow = [
            ReadingRule(str(item["host"]), tuple(str(p) for p in item.get("paths") or ()))
            for item in reading.get("allow") or []
            if isinstance(item, Mapping) and item.get("host")
        ]
        github = []
        for item in integrations.get("github") or []:
            if not isinstance(item, Mapping):
                continue
            host = str(item.get("host") or "github.com")
            default_raw = "https://raw.githubusercontent.com" if host == "github.com" else f"https://{host}/raw"
            github.append(GithubIntegration(host, item.get("token"), str(item.get("rawBaseUrl") or default_raw)))
        return cls(allow=allow, github=github)


class LocationReader:
    """Reads ``file`` and ``url`` targets; every refusal says which setting would allow it."""

    def __init__(self, config: ReaderConfig | None = None, client: httpx.Client | None = None) -> None:
        self._config = config or ReaderConfig()
        self._client = client or httpx.Client(follow_redirects=True, timeout=self._config.timeout_seconds)

    def close(self) -> None:
        self._client.close()

    def read(self, target: str) -> bytes:
        """Placeholder targets: a URL, or an absolute file path."""
        return self.read_location("url" if _is_url(target) else "file", target)

    def read_location(self, location_type: str, target: str) -> bytes:
        if location_type == "file":
            return self._read_file(target)
        if location_type == "url":
            return self._read_url(target)
        raise ReadError(f"Unsupported location type {location_type!r}; use file or url", "InputError")

    def _read_file(self, target: str) -> bytes:
        if not self._config.allow_files:
            raise ReadError(f"Reading files is not allowed here ({target})", "NotAllowedError")
        path = Path(target)
        try:
            return path.read_bytes()
        except FileNotFoundError as error:
            raise ReadError(f"{target} does not exist", "NotFoundError") from error
        except IsADirectoryError as error:
            raise ReadError(f"{target} is a folder; give a descriptor file", "InputError") from error
        except OSError as error:
            raise ReadError(f"{target} could not be read: {error.strerror}") from error

    def _integration(self, netloc: str) -> GithubIntegration | None:
        return next((item for item in self._config.github if item.host == netloc), None)

    def allows(self, url: str) -> bool:
        """Whether ``url`` may be read: an integration's host, or a ``backend.reading.allow`` rule."""
        parts = urlsplit(url)
        if self._integration(parts.netloc) is not None:
            return True
        names = (parts.hostname or "", parts.netloc)
        return any(rule.allows(name, parts.path) for rule in self._config.allow for name in names)

    def token_for(self, netloc: str) -> str | None:
        """The integration token for a host, for git over HTTP."""
        integration = self._integration(netloc)
        return integration.token if integration else None

    def _read_url(self, target: str) -> bytes:
        try:
            check_location_target("url", target)
        except InputError as error:
            raise ReadError(error.message, "InputError") from None
        parts = urlsplit(target)
        headers: dict[str, str] = {}
        url = target
        integration = self._integration(parts.netloc)
        if integration is not None:
            url = _github_raw_url(target, integration)
            if integration.token:
                headers["Authorization"] = f"token {integration.token}"
        elif not self.allows(target):
            raise ReadError(
                f"Reading from {target} is not allowed. Add {{host: {parts.netloc}}} to backend.reading.allow "
                "or configure an integration for it",
                "NotAllowedError",
            )
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 404:
                    raise ReadError(f"{target} does not exist (HTTP 404)", "NotFoundError")
                if response.status_code >= 400:
                    raise ReadError(f"{target} could not be read: HTTP {response.status_code}")
                chunks = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise ReadError(f"{target} is larger than {MAX_BYTES // 1024 // 1024} MB")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as error:
            raise ReadError(f"{target} could not be read: {error}") from error


def check_location_target(location_type: str, target: str) -> None:
    """Refuse a target no reader could mean: control characters anywhere, a URL that is not http(s)."""
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in target):
        raise InputError(f"location.target {target[:80]!r} holds a control character; remove it")
    if location_type == "url":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"location.target {target[:200]} is not an http(s) URL; write https://host/path")


def _github_raw_url(url: str, integration: GithubIntegration) -> str:
    # https://github.com/<owner>/<repo>/blob/<ref>/<path> -> <raw base>/<owner>/<repo>/<ref>/<path>
    parts = urlsplit(url)
    segments = parts.path.strip("/").split("/")
    if len(segments) >= 4 and segments[2] in ("blob", "raw"):
        owner, repo, _, *rest = segments
        return f"{integration.raw_base_url.rstrip('/')}/{owner}/{repo}/{'/'.join(rest)}"
    return url


def resolve_target(location_type: str, target: str, base_type: str, base_target: str) -> str:
    """A Location entity's target made absolute against the location the entity was read from."""
    if location_type == "url" or _is_url(target):
        return target if _is_url(target) else urljoin(base_target, target)
    if Path(target).is_absolute() or base_type != "file":
        return target
    return str((Path(base_target).parent / target).resolve())


def _is_url(text: str) -> bool:
    return "://" in text and len(urlsplit(text).scheme) > 1


def location_ref(location_type: str, target: str) -> str:
    return f"{location_type}:{target}"


def parse_location_ref(ref: str) -> tuple[str, str]:
    """``type:target`` split at the first colon (targets contain colons)."""
    location_type, _, target = ref.partition(":")
    if not location_type or not target:
        raise ValueError(
            f"Unable to parse location ref '{ref}', expected '<type>:<target>', e.g. 'url:https://host/path'"
        )
    return location_type, target
