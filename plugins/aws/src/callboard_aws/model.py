"""What a scan finds: accounts and resources, each fact with the API call that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fact:
    """A value and where it came from: the API call (``eks:DescribeCluster``) and the field or tag read."""

    value: Any
    call: str
    field: str


@dataclass
class Found:
    """One resource in one account and region, as its service's API described it."""

    type_id: str
    spec_type: str
    arn: str
    name: str
    region: str
    facts: dict[str, Fact] = field(default_factory=dict)
    #: Its tags, and the call that gave them (None: from the region's tagging API answer).
    tags: dict[str, str] | None = None
    tags_call: str = ""


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    email: str
    arn: str
    status: str
    #: Organisational units from the root down, by name (``Workloads/Production``).
    ou_path: tuple[str, ...]
    ou_ids: tuple[str, ...]
    tags: dict[str, str]
    joined: str = ""


@dataclass(frozen=True)
class OrgUnit:
    id: str
    name: str
    path: tuple[str, ...]
    parent_id: str


@dataclass
class Organization:
    id: str
    management_account: str
    root_id: str
    units: list[OrgUnit]
    accounts: list[Account]


@dataclass
class AccountScan:
    """What reading one account gave: its resources, or the error that stopped it."""

    account: Account
    resources: list[Found] = field(default_factory=list)
    error: str | None = None
    #: Regions that failed while others answered: the account's last entities are kept whole.
    region_errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
