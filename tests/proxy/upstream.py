"""A third-party HTTP server behind the proxy that records each request exactly as it arrived on the wire.

``http.server`` keeps header names in the case they were sent and keeps duplicates, which a dict of headers
(what most frameworks hand a handler) would merge; the credential tests need the raw list.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RecordingUpstream:
    """``/drip``: headers at once, then one byte every ``drip_seconds``; ``/bigdrip``: 512 KiB at once, then the
    same drip; anything else echoes what it saw."""

    def __init__(self, drip_seconds: float = 0.4, drip_bytes: int = 30) -> None:
        self.seen: list[dict[str, Any]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {
                    "method": self.command,
                    "path": self.path,
                    "raw_headers": [[name, value] for name, value in self.headers.items()],
                    "body": body.decode("latin-1"),
                }
                upstream.seen.append(record)
                if self.path.startswith(("/drip", "/bigdrip")):
                    burst = 512 * 1024 if self.path.startswith("/bigdrip") else 0
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(burst + drip_bytes))
                    self.end_headers()
                    try:
                        self.wfile.write(b"y" * burst)
                        for _ in range(drip_bytes):
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(drip_seconds)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the proxy gave up on us, as it should
                    return
                payload = json.dumps(record).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle  # noqa: N815 - http.server names

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def last(self) -> dict[str, Any]:
        return self.seen[-1]

    def __enter__(self) -> RecordingUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
