"""What every integration plugin needs around a vendor's API: answers shared between viewers for a short while,
backing off when the vendor limits or fails, and the last good answer shown with "stale since" meanwhile.

One ``UpstreamCache`` per plugin: each key (usually the entity's ref and what is asked) is read from the vendor
at most once per ``ttl_seconds`` however many people look, and concurrent viewers of a cold key wait for the
one call in flight instead of making their own. A failure keeps the last answer, says since when it is stale
and why, and holds further calls for the time the vendor asked (``Retry-After``, a rate-limit reset) or for a
growing pause, so a vendor that is down or limiting is not hammered by page views.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar

import httpx

T = TypeVar("T")

#: The longest pause after repeated failures; a vendor back up is noticed within this.
MAX_BACKOFF_SECONDS = 300.0


class UpstreamError(Exception):
    """A vendor's call failed in a way people should read: the message says what and what to do.

    ``retry_after`` (seconds) is how long the vendor asked us to wait; ``credentials`` marks a refused
    credential (a message for the portal's administrators rather than a passing outage).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, credentials: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.credentials = credentials


def check_response(response: httpx.Response, vendor: str, *, now: float | None = None) -> httpx.Response:
    """The response when it succeeded; else an ``UpstreamError`` in words, with the wait the vendor asked for.

    Reads the rate-limit conventions of GitHub (``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``),
    GitLab (``ratelimit-reset``), Jira and PagerDuty (``Retry-After``, seconds or an HTTP date).
    """
    status = response.status_code
    if status < 400:
        return response
    wait = retry_after(response, now=now)
    detail = _vendor_message(response)
    if status == 429 or (status == 403 and response.headers.get("x-ratelimit-remaining") == "0"):
        raise UpstreamError(f"{vendor} is limiting our calls (HTTP {status}){detail}", retry_after=wait or 60.0)
    if status == 401:
        raise UpstreamError(f"{vendor} refused the portal's credential (HTTP 401){detail}", credentials=True)
    if status == 403:
        raise UpstreamError(
            f"{vendor} refused the call (HTTP 403): the credential lacks a scope or access{detail}", credentials=True
        )
    if status == 404:
        raise UpstreamError(f"{vendor} found nothing there (HTTP 404): check the annotation's value{detail}")
    raise UpstreamError(f"{vendor} answered HTTP {status}{detail}", retry_after=wait)


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds the vendor asked us to wait, from ``Retry-After`` or a rate-limit reset time, if it said."""
    now = time.time() if now is None else now
    raw = response.headers.get("retry-after")
    if raw:
        if raw.strip().isdigit():
            return float(raw.strip())
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("x-ratelimit-reset") or response.headers.get("ratelimit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return None


def _vendor_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("message") or body.get("error") or body.get("errorMessages")
    if isinstance(message, dict):
        message = message.get("message")
    if isinstance(message, list):
        message = "; ".join(str(item) for item in message)
    return f": {str(message)[:200]}" if message else ""


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """An answer as a page shows it: the value (None if never read), when it was read, and whether it is stale."""

    value: T | None
    fetched_at: float | None
    #: When the first refresh after ``fetched_at`` failed; None while the answer is fresh.
    stale_since: float | None = None
    #: Why the last call failed, in the vendor's words where it gave any.
    problem: str = ""
    #: The failure was a refused credential: the page says to tell the portal's administrators.
    credentials: bool = False

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    def when(self, moment: float | None) -> str:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


@dataclass
class _Entry:
    fetched: Fetched[object]
    fresh_until: float
    failures: int = 0


class UpstreamCache:
    """Vendor answers by key, shared by every viewer for ``ttl_seconds``; see the module's description."""

    def __init__(self, *, ttl_seconds: float, clock: Callable[[], float], max_entries: int = 5000) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: Calls made to the vendor through this cache (successful or not), for figures and tests.
        self.calls = 0

    def get(self, key: str, fetch: Callable[[], T]) -> Fetched[T]:
        """The cached answer while fresh, else ``fetch()``'s (one caller fetches; the others wait for it)."""
        with self._lock(key):
            now = self._clock()
            entry = self._entries.get(key)
            if entry is not None and now < entry.fresh_until:
                self._entries.move_to_end(key)
                return entry.fetched  # type: ignore[return-value]
            with self._guard:
                self.calls += 1
            try:
                value = fetch()
            except UpstreamError as error:
                return self._failed(key, entry, now, str(error), error.retry_after, error.credentials)
            except httpx.HTTPError as error:
                return self._failed(
                    key, entry, now, f"could not reach the vendor ({type(error).__name__})", None, False
                )
            fetched: Fetched[T] = Fetched(value, now)
            self._store(key, _Entry(fetched, now + self.ttl_seconds))  # type: ignore[arg-type]
            return fetched

    def forget(self, prefix: str) -> None:
        """Drop the answers whose keys start with ``prefix`` (after a write changed them): the next view reads
        them again."""
        with self._guard:
            for key in [key for key in self._entries if key.startswith(prefix)]:
                del self._entries[key]

    def _failed(
        self, key: str, entry: _Entry | None, now: float, problem: str, wait: float | None, credentials: bool
    ) -> Fetched[T]:
        failures = (entry.failures if entry is not None else 0) + 1
        pause = wait if wait is not None else min(MAX_BACKOFF_SECONDS, self.ttl_seconds * 2 ** (failures - 1))
        previous = entry.fetched if entry is not None else Fetched(None, None)
        stale_since = previous.stale_since or now
        fetched = Fetched(previous.value, previous.fetched_at, stale_since, problem, credentials)
        self._store(key, _Entry(fetched, now + min(pause, MAX_BACKOFF_SECONDS), failures))
        return fetched  # type: ignore[return-value]

    def _store(self, key: str, entry: _Entry) -> None:
        with self._guard:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock
