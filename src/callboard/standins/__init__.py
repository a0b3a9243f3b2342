"""Local stand-ins for the vendors' APIs the integration plugins call (GitHub Actions, GitLab CI, PagerDuty,
Jira), for the demo and for tests: each speaks the documented endpoints a plugin uses, with payloads shaped like
the vendor's published examples, keeps state (a re-run run runs again, a triggered incident is open), counts the
calls it answers, and can refuse a credential, rate-limit or go down on demand.

``VendorStandIns`` serves them all from one loopback port: GitHub under ``/github``, GitLab under ``/gitlab``
(its API at ``/gitlab/api/v4``), PagerDuty's REST API under ``/pagerduty`` and its Events API under
``/pagerduty-events``, Jira under ``/jira``, Microsoft Graph and its token endpoint under ``/msgraph``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from callboard.standins.github import GitHub
from callboard.standins.gitlab import GitLab
from callboard.standins.jira import Jira
from callboard.standins.msgraph import MicrosoftGraph
from callboard.standins.pagerduty import PagerDuty

__all__ = ["GitHub", "GitLab", "Jira", "MicrosoftGraph", "PagerDuty", "VendorStandIns"]


class VendorStandIns:
    """Every vendor's stand-in on one loopback port, in a thread; ``with VendorStandIns() as vendors: ...``."""

    def __init__(self, port: int | None = None, raw_files: Path | None = None) -> None:
        """``raw_files``: a folder served under ``/raw/`` as a git host serves a repository's raw files."""
        self.github = GitHub()
        self.gitlab = GitLab()
        self.pagerduty = PagerDuty()
        self.jira = Jira()
        self.msgraph = MicrosoftGraph()
        routes = [
            Mount("/github", app=self.github.app()),
            Mount("/gitlab", app=self.gitlab.app()),
            Mount("/pagerduty-events", app=self.pagerduty.events_app()),
            Mount("/pagerduty", app=self.pagerduty.app()),
            Mount("/jira", app=self.jira.app()),
            # Graph's API (/msgraph/v1.0/...) and its sign-in authority (/msgraph/<tenant>/oauth2/v2.0/token).
            Mount("/msgraph", app=self.msgraph.app()),
        ]
        if raw_files is not None:
            routes.append(Mount("/raw", app=StaticFiles(directory=raw_files)))
        app = Starlette(routes=routes)
        self.port = port or _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="vendor-stand-ins", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self) -> Counter[str]:
        """Calls answered so far, by vendor and ``METHOD path`` (``github GET /repos/o/r/actions/runs``)."""
        total: Counter[str] = Counter()
        for name in ("github", "gitlab", "pagerduty", "jira", "msgraph"):
            for call, count in getattr(self, name).calls.items():
                total[f"{name} {call}"] += count
        return total

    def start(self) -> VendorStandIns:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the vendor stand-ins did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def __enter__(self) -> VendorStandIns:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
