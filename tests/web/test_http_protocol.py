"""The portal's HTTP parser (httptools through uvicorn) with a bound on the request head: a head over the
limit is answered 431 and the connection closed, while a large body behind a small head is read as usual."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from callboard.core.limits import REQUEST_HEAD_BYTES
from callboard.web.http_protocol import BoundedHttpToolsProtocol
from tests.support import free_port, raw_http


async def echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the number of body bytes it read."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(size).encode()})


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        echo_length, host="127.0.0.1", port=port, log_level="warning", http=BoundedHttpToolsProtocol
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_head_within_the_limit_is_served(url: str) -> None:
    status, _ = raw_http(url, ["GET / HTTP/1.1", "X-Long: " + "a" * (REQUEST_HEAD_BYTES // 2)])
    assert status == 200


def test_a_head_over_the_limit_is_431_and_the_connection_closes(url: str) -> None:
    status, answer = raw_http(url, ["GET / HTTP/1.1", "X-Long: " + "a" * (REQUEST_HEAD_BYTES + 1)])
    assert status == 431
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["name"] == "InputError"
    assert f"over {REQUEST_HEAD_BYTES} bytes" in error["message"]


def test_a_header_with_control_characters_is_400_in_the_api_error_shape(url: str) -> None:
    status, answer = raw_http(url, ["GET / HTTP/1.1", "Cookie: a=\x01b"])
    assert status == 400
    assert b"content-type: application/json" in answer
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert "control characters" in body["error"]["message"]
    assert body["request"] == {"method": "GET", "url": "/"}


def test_a_head_that_never_ends_is_cut_off(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX-Endless: ")
        sent = 0
        try:
            while sent < 64 * REQUEST_HEAD_BYTES:
                sock.sendall(b"b" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431")
    assert sent < 64 * REQUEST_HEAD_BYTES


def test_a_large_body_behind_a_small_head_is_read_whole(url: str) -> None:
    body = b"x" * (4 * REQUEST_HEAD_BYTES)
    status, answer = raw_http(url, ["POST / HTTP/1.1", f"Content-Length: {len(body)}"], body)
    assert status == 200
    assert b"\r\n" + str(len(body)).encode() + b"\r\n" in answer


def test_each_request_on_a_kept_alive_connection_gets_its_own_budget(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    header = "X-Half: " + "c" * (REQUEST_HEAD_BYTES * 3 // 4)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for _ in range(3):
            sock.sendall(f"GET / HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n".encode())
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
