"""Backfill: deployments and releases of the catalog's GitHub repositories, pulled through the portal's
``integrations.github`` client (the token stays on the server). Ids match the webhooks', so a change that
came both ways is stored once."""

from __future__ import annotations

from typing import Any

import httpx

from callboard.sdk import InputError
from callboard_change_events.ingress import Ignored, Refused
from callboard_change_events.ingress import github as github_webhooks
from callboard_change_events.service import ChangeEvents

SLUG = "metadata.annotations.github.com/project-slug"
MAX_REPOSITORIES = 2000
PER_PAGE = 100


def github_repositories(service: ChangeEvents) -> list[str]:
    return [value for value, _ in service.context.catalog.counts(SLUG, {})][:MAX_REPOSITORIES]


def github(service: ChangeEvents) -> dict[str, int]:
    """Record the latest deployments and releases of every repository the catalog names; returns counts."""
    counts = {"repositories": 0, "recorded": 0, "known": 0, "skipped": 0}
    with service.context.http_client("github") as client:
        for slug in github_repositories(service):
            counts["repositories"] += 1
            repository = {"full_name": slug, "html_url": f"https://github.com/{slug}"}
            for deployment in _get(client, f"/repos/{slug}/deployments"):
                _record(service, "deployment", {"deployment": deployment, "repository": repository}, counts)
            for release in _get(client, f"/repos/{slug}/releases"):
                payload = {"action": "published", "release": release, "repository": repository}
                _record(service, "release", payload, counts)
    return counts


def _get(client: httpx.Client, path: str) -> list[Any]:
    response = client.get(path, params={"per_page": PER_PAGE})
    if response.status_code == 404:
        return []  # a repository the token cannot see, or gone: nothing to backfill
    response.raise_for_status()
    found = response.json()
    return found if isinstance(found, list) else []


def _record(service: ChangeEvents, event_name: str, payload: dict[str, Any], counts: dict[str, int]) -> None:
    try:
        event = github_webhooks.parse(event_name, "backfill", payload)
        outcome = service.record(event, replay_checked=False)
    except (Refused, InputError, Ignored):
        counts["skipped"] += 1
        return
    counts["recorded" if outcome.created else "known"] += 1
