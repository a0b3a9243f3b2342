"""A real git server over HTTP on loopback: git's own ``git http-backend`` (smart HTTP) behind a small server.

Repositories live under ``root``; pushing to one that does not exist creates it (bare), like a hosting
service would after its API created the repository. ``token`` makes it demand HTTP basic auth with that
password, as GitHub does for ``x-access-token:<token>``.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BACKEND = "/usr/lib/git-core/git-http-backend"


class GitServer:
    def __init__(self, root: Path, token: str | None = None) -> None:
        self.root = root
        self.token = token
        root.mkdir(parents=True, exist_ok=True)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                if "/blob/" in self.path:  # a browse URL of a file answers with the file, as ?raw=true would
                    self.path = "/raw" + self.path.replace("/blob/", "/", 1)
                if self.path.startswith("/raw/"):
                    self._raw()
                else:
                    self._cgi()

            def _raw(self) -> None:
                """``/raw/<repo path>/<branch>/<file>``: a file as pushed, as a git host's raw URL serves it."""
                parts = self.path[len("/raw/") :].split("/")
                for cut in range(len(parts) - 2, 0, -1):
                    bare = server.root / ("/".join(parts[:cut]) + ".git")
                    if bare.exists():
                        branch, name = parts[cut], "/".join(parts[cut + 1 :])
                        shown = subprocess.run(
                            ["git", "-C", str(bare), "show", f"{branch}:{name}"], capture_output=True, check=False
                        )
                        if shown.returncode == 0:
                            self.send_response(200)
                            self.send_header("Content-Length", str(len(shown.stdout)))
                            self.end_headers()
                            self.wfile.write(shown.stdout)
                            return
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                self._cgi()

            def _cgi(self) -> None:
                if server.token is not None and not self._authorised():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.end_headers()
                    return
                parts = urlsplit(self.path)
                repo = parts.path.split(".git", 1)[0].strip("/") + ".git"
                bare = server.root / repo
                if not bare.exists():
                    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
                    subprocess.run(["git", "-C", str(bare), "config", "http.receivepack", "true"], check=True)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                env = {
                    **os.environ,
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "REQUEST_METHOD": self.command,
                    "PATH_INFO": parts.path,
                    "QUERY_STRING": parts.query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": "git",
                    "REMOTE_ADDR": "127.0.0.1",
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                }
                result = subprocess.run([BACKEND], input=body, env=env, capture_output=True, check=False)
                head, _, payload = result.stdout.partition(b"\r\n\r\n")
                status = 200
                headers = []
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return False
                _, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return password == server.token

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def seed(self, owner: str, repo: str, files: dict[str, str] | None = None) -> None:
        """Give ``owner/repo`` a commit on main with ``files`` (created on first use; later calls add a
        commit, as a developer's push would)."""
        bare = self.root / owner / f"{repo}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        work = self.root / ".seed" / owner / repo
        first = not bare.exists()
        if first:
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
            subprocess.run(["git", "-C", str(bare), "config", "http.receivepack", "true"], check=True)
        work.mkdir(parents=True, exist_ok=True)
        for name, text in (files or {"README.md": f"# {repo}\n"}).items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "seed",
            "GIT_AUTHOR_EMAIL": "s@x",
            "GIT_COMMITTER_NAME": "seed",
            "GIT_COMMITTER_EMAIL": "s@x",
        }
        for args in (
            ["init", "-q", "-b", "main"] if first else ["status", "-s"],
            ["add", "-A"],
            ["commit", "-q", "-m", "seed"],
            ["push", "-q", str(bare), "main"],
        ):
            subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)

    def files(self, repo: str, branch: str = "main") -> dict[str, str]:
        """The files of ``branch`` in ``repo`` (a clone's view of what was pushed)."""
        bare = self.root / f"{repo}.git"
        listing = subprocess.run(
            ["git", "-C", str(bare), "ls-tree", "-r", "--name-only", branch], capture_output=True, text=True, check=True
        ).stdout.split()
        return {
            name: subprocess.run(
                ["git", "-C", str(bare), "show", f"{branch}:{name}"], capture_output=True, text=True, check=True
            ).stdout
            for name in listing
        }

    def __enter__(self) -> GitServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
