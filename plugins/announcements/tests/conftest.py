from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import callboard_announcements
from tests.feed_server import FEED_SECRET, FeedServer

pytest_plugins = ["callboard.sdk.testing"]


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def callboard_plugins() -> dict[str, ModuleType]:
    return {"announcements": callboard_announcements}


@pytest.fixture
def callboard_config(feed: FeedServer) -> dict[str, Any]:
    return {
        "proxy": {
            "endpoints": {"/status-feed": {"target": f"{feed.url}/v1", "headers": {"Authorization": FEED_SECRET}}}
        },
        "plugins": {
            "announcements": {
                "keepDays": 30,
                "channels": [{"name": "payments", "owner": "group:default/payments", "description": "Payments news"}],
                "feed": {"client": "proxy:status-feed", "path": "feed.json"},
            }
        },
    }
