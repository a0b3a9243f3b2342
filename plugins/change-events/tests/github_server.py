"""A stand-in for GitHub's REST API on loopback: the repository deployments and releases endpoints the
backfill reads, answered in GitHub's documented shapes, only with the configured token."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "ghp_backfill_token_for_tests"


class GitHubServer:
    def __init__(self, deployments: dict[str, list[dict[str, Any]]], releases: dict[str, list[dict[str, Any]]]) -> None:
        self.deployments = deployments
        self.releases = releases
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if self.headers.get("Authorization") not in (f"token {TOKEN}", f"Bearer {TOKEN}"):
                    return self._answer(401, {"message": "Bad credentials"})
                path = self.path.split("?", 1)[0]
                parts = path.strip("/").split("/")
                if len(parts) == 4 and parts[0] == "repos":
                    slug = f"{parts[1]}/{parts[2]}"
                    found = {"deployments": owner.deployments, "releases": owner.releases}.get(parts[3])
                    if found is not None and slug in found:
                        return self._answer(200, found[slug])
                return self._answer(404, {"message": "Not Found"})

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
