"""Shared-secret checks, in constant time."""

from __future__ import annotations

import hashlib
import hmac

from callboard_change_events.ingress import Refused


def hmac_sha256(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_github(secret: str | None, header: str | None, body: bytes) -> None:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`` (GitHub's webhook signature)."""
    if not secret:
        raise Refused(401, "no secret is set for GitHub webhooks (changeEvents.github.webhookSecret)")
    if not header or not header.startswith("sha256="):
        raise Refused(401, "X-Hub-Signature-256 is missing; set the webhook's secret in GitHub")
    if not hmac.compare_digest(header[len("sha256=") :], hmac_sha256(secret, body)):
        raise Refused(401, "X-Hub-Signature-256 does not match the body signed with the configured secret")


def check_gitlab(token: str | None, header: str | None) -> None:
    """``X-Gitlab-Token``: the secret token set on the GitLab webhook, sent as it is."""
    if not token:
        raise Refused(401, "no token is set for GitLab webhooks (changeEvents.gitlab.webhookToken)")
    if not header or not hmac.compare_digest(header.encode(), token.encode()):
        raise Refused(401, "X-Gitlab-Token is missing or does not match changeEvents.gitlab.webhookToken")


def check_pagerduty(secret: str | None, header: str | None, body: bytes) -> None:
    """``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]``: any listed signature may match (secrets rotate)."""
    if not secret:
        raise Refused(401, "no secret is set for PagerDuty webhooks (changeEvents.pagerduty.webhookSecret)")
    expected = "v1=" + hmac_sha256(secret, body)
    offered = [part.strip() for part in (header or "").split(",") if part.strip()]
    if not offered:
        raise Refused(401, "X-PagerDuty-Signature is missing")
    if not any(hmac.compare_digest(part, expected) for part in offered):
        raise Refused(401, "X-PagerDuty-Signature does not match the body signed with the configured secret")
