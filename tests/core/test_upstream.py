"""The cache integration plugins call vendors through: shared answers, one call in flight, backoff on failure."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from callboard.core.upstream import UpstreamCache, UpstreamError, check_response, retry_after
from callboard.sdk.testing import FakeClock


def test_viewers_share_an_answer_for_the_window_and_wait_for_the_one_call_in_flight() -> None:
    clock = FakeClock()
    cache = UpstreamCache(ttl_seconds=60, clock=clock)
    started = threading.Event()

    def slow() -> str:
        started.set()
        time.sleep(0.2)
        return "answer"

    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow).value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["answer"] * 8 and cache.calls == 1
    clock.advance(59)
    assert cache.get("k", lambda: "newer").value == "answer"
    clock.advance(2)
    assert cache.get("k", lambda: "newer").value == "newer" and cache.calls == 2


def test_a_failure_keeps_the_last_answer_stale_and_backs_off_longer_each_time() -> None:
    clock = FakeClock()
    cache = UpstreamCache(ttl_seconds=10, clock=clock)
    cache.get("k", lambda: 1)
    clock.advance(11)

    def down() -> int:
        raise UpstreamError("the vendor answered HTTP 503")

    failed = cache.get("k", down)
    assert (failed.value, failed.stale_since, failed.problem) == (1, clock.now, "the vendor answered HTTP 503")
    first_failure = clock.now
    clock.advance(9)
    assert cache.get("k", down).stale_since == first_failure and cache.calls == 2  # held: no call
    clock.advance(2)
    cache.get("k", down)  # second failure: held for 20 s now
    clock.advance(15)
    assert cache.calls == 3 and cache.get("k", lambda: 2).value == 1
    clock.advance(6)
    recovered = cache.get("k", lambda: 2)
    assert (recovered.value, recovered.stale) == (2, False)


def test_a_rate_limit_holds_calls_for_the_wait_the_vendor_asked() -> None:
    clock = FakeClock()
    cache = UpstreamCache(ttl_seconds=10, clock=clock)

    def limited() -> int:
        raise UpstreamError("limited", retry_after=120)

    assert cache.get("k", limited).value is None
    clock.advance(119)
    assert cache.get("k", lambda: 1).value is None and cache.calls == 1
    clock.advance(2)
    assert cache.get("k", lambda: 1).value == 1


def test_unreachable_vendors_and_forgotten_keys() -> None:
    clock = FakeClock()
    cache = UpstreamCache(ttl_seconds=60, clock=clock, max_entries=2)

    def unreachable() -> int:
        raise httpx.ConnectError("refused")

    assert "could not reach the vendor (ConnectError)" in cache.get("a", unreachable).problem
    cache.get("b|1", lambda: 1)
    cache.get("b|2", lambda: 2)  # the oldest key ("a") makes room
    assert cache.get("a", lambda: 3).value == 3
    cache.forget("b|")
    assert cache.get("b|1", lambda: 4).value == 4


@pytest.mark.parametrize(
    ("status", "headers", "words", "wait", "credentials"),
    [
        (429, {"retry-after": "30"}, "limiting our calls (HTTP 429)", 30.0, False),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1100"},
            "limiting our calls (HTTP 403)",
            100.0,
            False,
        ),
        (401, {}, "refused the portal's credential (HTTP 401): Bad credentials", None, True),
        (403, {}, "lacks a scope or access", None, True),
        (404, {}, "found nothing there (HTTP 404)", None, False),
        (502, {}, "answered HTTP 502", None, False),
    ],
)
def test_vendor_refusals_in_words(
    status: int, headers: dict[str, str], words: str, wait: float | None, credentials: bool
) -> None:
    response = httpx.Response(status, headers=headers, json={"message": "Bad credentials"})
    with pytest.raises(UpstreamError) as raised:
        check_response(response, "GitHub", now=1000.0)
    assert words in str(raised.value)
    assert raised.value.retry_after == wait and raised.value.credentials is credentials


def test_retry_after_as_an_http_date() -> None:
    response = httpx.Response(503, headers={"retry-after": "Thu, 01 Jan 1970 00:01:40 GMT"})
    assert retry_after(response, now=40.0) == 60.0
