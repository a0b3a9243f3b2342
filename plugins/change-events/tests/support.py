"""Payload files, signatures and times for the tests."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def at(payload: dict[str, Any], moment: float, *paths: str) -> dict[str, Any]:
    """The payload with the time fields at ``paths`` (dotted) set to ``moment``, as a live delivery has them."""
    fresh = copy.deepcopy(payload)
    for path in paths:
        *parents, last = path.split(".")
        node: Any = fresh
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = int(moment) if isinstance(node.get(last), int) else iso(moment)
    return fresh


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_github(
    portal_url: str,
    secret: str,
    event: str,
    payload: dict[str, Any],
    delivery: str = "72d3162e-cc78-11e3-81ab-4c9367dc0958",
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": github_signature(secret, body),
        "User-Agent": "GitHub-Hookshot/044aadd",
    }
    return httpx.post(f"{portal_url}/api/change-events/webhooks/github", content=body, headers=headers, timeout=30)
