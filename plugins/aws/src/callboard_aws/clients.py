"""boto3 clients for the management account and, through STS AssumeRole, each member account.

One boto3 session holds the loaded API models for every client (creating a client is otherwise costly);
member clients get the assumed role's credentials explicitly. Every client honours boto3's standard
configuration (the credentials chain, ``AWS_ENDPOINT_URL`` and per-service endpoints, ``AWS_CONFIG_FILE``),
retries with botocore's adaptive mode, and counts its calls, so a scan can say what it cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, ReadOnlyCredentials
from botocore.credentials import Credentials as BotoCredentials

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
class StandIn:
    """An AWS stand-in (the demo's moto server): its address and the keys it accepts."""

    url: str
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str


class _ThreadCredentials(BotoCredentials):  # type: ignore[misc]
    """The credentials of whichever member account the calling thread is reading (``Clients.acting_as``).

    Creating a boto3 client costs about 8 ms and a few hundred kilobytes, and a client holds one set of
    credentials: a client per account, region and service made 6,000 clients for 200 accounts in three
    regions. Instead one client per service and region serves every account, and signs each request with
    the credentials of the account its thread is reading (botocore asks for them on every request).
    """

    method = "sts-assume-role"

    def __init__(self, local: threading.local) -> None:  # no super().__init__: the keys are read per thread
        self._local = local

    def _current(self) -> Credentials:
        current: Credentials | None = getattr(self._local, "credentials", None)
        if current is None:
            raise RuntimeError("a member account's client was used outside Clients.acting_as()")
        return current

    @property
    def access_key(self) -> str:
        return self._current().access_key

    @property
    def secret_key(self) -> str:
        return self._current().secret_key

    @property
    def token(self) -> str:
        return self._current().token

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        current = self._current()
        return ReadOnlyCredentials(current.access_key, current.secret_key, current.token)


class _ThreadCredentialProvider(CredentialProvider):  # type: ignore[misc]
    METHOD = "sts-assume-role"
    CANONICAL_NAME = "callboard-member-account"

    def __init__(self, credentials: _ThreadCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> _ThreadCredentials:
        return self._credentials


class Clients:
    def __init__(self, settings: Settings, counter: CallCounter, stand_in: StandIn | None = None) -> None:
        self.settings = settings
        self.counter = counter
        # The demo's stand-in AWS is named here rather than in the process's environment, which the portal's
        # other parts (and a test's other portals) share.
        self._stand_in = stand_in
        self._session = (
            boto3.session.Session(stand_in.access_key, stand_in.secret_key)
            if stand_in is not None
            else boto3.session.Session()
        )
        self._local = threading.local()
        members = botocore.session.Session()
        members.get_component("credential_provider").insert_before(
            "env", _ThreadCredentialProvider(_ThreadCredentials(self._local))
        )
        self._members = boto3.session.Session(botocore_session=members)
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": settings.retry_mode, "max_attempts": settings.max_attempts},
            max_pool_connections=max(10, settings.concurrency * 2),
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="callboard-aws",
        )
        self._management: Credentials | None = None
        self._made: dict[tuple[str, str, bool], Any] = {}

    @contextmanager
    def acting_as(self, credentials: Credentials) -> Iterator[None]:
        """Within this block, this thread's member-account clients sign as ``credentials``."""
        self._local.credentials = credentials
        try:
            yield
        finally:
            self._local.credentials = None

    def member(self, service: str, region: str) -> Any:
        """A client for the member account this thread is acting as (see ``acting_as``)."""
        return self._client(service, region, member=True)

    def management(self, service: str, region: str | None = None) -> Any:
        """A client with the management account's credentials (the chain's, or the configured role's)."""
        organization = self.settings.organization
        if organization.role_arn and self._management is None:
            self._management = self._assume(organization.role_arn)
        return self._client(service, region or organization.region, member=False)

    def assume_member(self, account_id: str, partition: str = "aws") -> Credentials:
        accounts = self.settings.accounts
        return self._assume(f"arn:{partition}:iam::{account_id}:role/{accounts.role_name}", accounts.external_id)

    def _assume(self, role_arn: str, external_id: str | None = None) -> Credentials:
        sts = self._client("sts", self.settings.organization.region, member=False)
        extra = {"ExternalId": external_id} if external_id else {}
        found = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=self.settings.accounts.session_name, DurationSeconds=3600, **extra
        )["Credentials"]
        return Credentials(found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"])

    def _client(self, service: str, region: str, *, member: bool) -> Any:
        key = (service, region, member)
        with self._lock:  # a boto3 session is not safe to create clients from in several threads at once
            made = self._made.get(key)
            if made is not None:
                return made
            arguments: dict[str, str] = {}
            management = self._management
            if not member and management is not None:
                arguments = {
                    "aws_access_key_id": management.access_key,
                    "aws_secret_access_key": management.secret_key,
                    "aws_session_token": management.token,
                }
            if self._stand_in is not None:
                arguments["endpoint_url"] = self._stand_in.url
            session = self._members if member else self._session
            made = session.client(service, region_name=region, config=self._config, **arguments)
            made.meta.events.register("before-call", self.counter.before_call)
            made.meta.events.register("after-call", self.counter.after_call)
            self._made[key] = made
            return made
