"""boto3 clients for the management account and, through STS AssumeRole, each member account.

One boto3 session holds the loaded API models for every client (creating a client is otherwise costly);
member clients get the assumed role's credentials explicitly. Every client honours boto3's standard
configuration (the credentials chain, ``AWS_ENDPOINT_URL`` and per-service endpoints, ``AWS_CONFIG_FILE``),
retries with botocore's adaptive mode, and counts its calls, so a scan can say what it cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from callboard_aws.settings import Settings

#: Services whose endpoint prefix is not their IAM action prefix: calls are named as the IAM policy names them.
IAM_PREFIXES = {"api.ecr": "ecr", "tagging": "tag"}


class CallCounter:
    """API calls by ``service:Operation``, and the retries botocore made (throttling, mostly)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.retries = 0

    def before_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            prefix = model.service_model.endpoint_prefix
            self.calls[f"{IAM_PREFIXES.get(prefix, prefix)}:{model.name}"] += 1

    def after_call(self, parsed: Any = None, **_: Any) -> None:
        attempts = ((parsed or {}).get("ResponseMetadata") or {}).get("RetryAttempts") or 0
        if attempts:
            with self._lock:
                self.retries += int(attempts)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str


class Clients:
    def __init__(self, settings: Settings, counter: CallCounter) -> None:
        self.settings = settings
        self.counter = counter
        self._session = boto3.session.Session()
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": settings.retry_mode, "max_attempts": settings.max_attempts},
            max_pool_connections=max(10, settings.concurrency * 2),
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="callboard-aws",
        )
        self._management: Credentials | None = None

    def client(self, service: str, region: str, credentials: Credentials | None = None) -> Any:
        keys = (
            {
                "aws_access_key_id": credentials.access_key,
                "aws_secret_access_key": credentials.secret_key,
                "aws_session_token": credentials.token,
            }
            if credentials is not None
            else {}
        )
        with self._lock:  # a boto3 session is not safe to create clients from in several threads at once
            made = self._session.client(service, region_name=region, config=self._config, **keys)
        made.meta.events.register("before-call", self.counter.before_call)
        made.meta.events.register("after-call", self.counter.after_call)
        return made

    def management(self, service: str, region: str | None = None) -> Any:
        """A client with the management account's credentials (the chain's, or the configured role's)."""
        organization = self.settings.organization
        if organization.role_arn and self._management is None:
            self._management = self._assume(organization.role_arn, None)
        return self.client(service, region or organization.region, self._management)

    def assume_member(self, account_id: str, partition: str = "aws") -> Credentials:
        accounts = self.settings.accounts
        return self._assume(f"arn:{partition}:iam::{account_id}:role/{accounts.role_name}", accounts.external_id)

    def _assume(self, role_arn: str, external_id: str | None) -> Credentials:
        sts = self.client("sts", self.settings.organization.region, self._management)
        extra = {"ExternalId": external_id} if external_id else {}
        found = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=self.settings.accounts.session_name, DurationSeconds=3600, **extra
        )["Credentials"]
        return Credentials(found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"])
