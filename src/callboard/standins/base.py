"""What every vendor stand-in shares: counted calls, accepted credentials, and failures on demand."""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Handler = Callable[[Request], Awaitable[Response]]


class Vendor:
    """State common to the stand-ins; each vendor subclass adds its routes and data."""

    name = "vendor"

    def __init__(self) -> None:
        #: Credentials accepted (as the vendor's Authorization header carries them); empty accepts any.
        self.credentials: set[str] = set()
        #: Until when (epoch seconds) every call is refused as rate-limited.
        self.limited_until = 0.0
        #: Every call answers 503 while set.
        self.down = False
        #: Seconds each call waits before answering (a slow vendor).
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.clock: Callable[[], float] = time.time

    def guarded(self, handler: Handler) -> Handler:
        """``handler`` behind the stand-in's checks: counted, credential checked, limits and outages applied."""

        async def run(request: Request) -> Response:
            with self.lock:
                self.calls[f"{request.method} {request.url.path}"] += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.down:
                return JSONResponse({"message": "Service Unavailable"}, status_code=503)
            if self.limited_until > self.clock():
                return self.limited()
            if self.credentials and self.credential(request) not in self.credentials:
                return self.unauthorised()
            return await handler(request)

        return run

    def credential(self, request: Request) -> str:
        return request.headers.get("authorization", "")

    def limited(self) -> Response:
        wait = int(self.limited_until - self.clock()) + 1
        return JSONResponse({"message": "Too many requests"}, status_code=429, headers={"Retry-After": str(wait)})

    def unauthorised(self) -> Response:
        return JSONResponse({"message": "Unauthorized"}, status_code=401)


def seeded(*parts: str) -> random.Random:
    """A random generator fixed by ``parts``: the same repository always gets the same history."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def number(*parts: str, digits: int = 9) -> int:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    value: int = int.from_bytes(digest[:8], "big") % (10**digits)
    return value


def sha(*parts: str) -> str:
    """A commit id fixed by ``parts``."""
    return hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)
