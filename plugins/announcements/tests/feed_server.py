"""A real HTTP server on loopback standing in for a team's announcements feed."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FEED_SECRET = "Bearer feed-secret-7f3a"


class FeedServer:
    """A real HTTP server on loopback serving the announcements feed; it records what it was sent."""

    def __init__(self) -> None:
        self.items: list[Any] = [
            {"team": "group:default/payments", "title": "Card refunds slower on Friday", "body": "Bank maintenance."},
            {"team": "platform", "title": "Kubernetes 1.31 upgrade", "body": "Clusters drain from 20:00 UTC."},
        ]
        self.requests: list[dict[str, str]] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                if self.headers.get("Authorization") != FEED_SECRET:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(feed.items).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
