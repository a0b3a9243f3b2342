"""The integration client's retries: brief failures are tried again with backoff; a vendor asking for a long
wait (a rate limit's Retry-After) is not called again at once, its answer goes back to be honoured."""

from __future__ import annotations

import httpx

from callboard.sources.http import RetryingTransport


def _client(answers: list[httpx.Response], sleeps: list[float]) -> tuple[httpx.Client, list[str]]:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return answers[min(len(calls), len(answers)) - 1]

    transport = RetryingTransport(httpx.MockTransport(answer), sleep=sleeps.append)
    return httpx.Client(transport=transport, base_url="http://vendor.test"), calls


def test_a_long_retry_after_is_returned_at_once() -> None:
    sleeps: list[float] = []
    client, calls = _client([httpx.Response(429, headers={"Retry-After": "120"})], sleeps)
    assert client.get("/x").status_code == 429
    assert calls == ["GET"] and sleeps == []


def test_a_short_retry_after_is_waited_and_tried_again() -> None:
    sleeps: list[float] = []
    client, calls = _client([httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(200)], sleeps)
    assert client.get("/x").status_code == 200
    assert calls == ["GET", "GET"] and sleeps == [1.0]


def test_busy_answers_without_a_wait_back_off_and_writes_are_sent_once() -> None:
    sleeps: list[float] = []
    client, calls = _client([httpx.Response(502)], sleeps)
    assert client.get("/x").status_code == 502
    assert calls == ["GET"] * 3 and sleeps == [0.2, 0.4]
    calls.clear()
    assert client.post("/x").status_code == 502
    assert calls == ["POST"]
