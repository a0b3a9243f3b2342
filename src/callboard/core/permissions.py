"""Permissions and decisions: the vocabulary shared by the policy (auth) and the services that enforce it.

A decision is ALLOW, DENY, or CONDITIONAL: allowed for the resources (entities) that match ``criteria``, a
disjunction of conjunctions of ``(key, values)`` over the catalog's filter keys, where ``values`` None means
"the key exists". Services turn criteria into their own queries (the catalog into SQL), so lists are
filtered where they are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from callboard.core.errors import NotAllowedError
from callboard.core.identity import Identity

#: (key, accepted values or None for "present"), all lower-case, as in catalog filters.
Criterion = tuple[str, tuple[str, ...] | None]
#: Any of the conjunctions; each a list of criteria that must all hold.
Criteria = tuple[tuple[Criterion, ...], ...]

CATALOG_ENTITY_READ = "catalog.entity.read"
CATALOG_ENTITY_CREATE = "catalog.entity.create"
CATALOG_ENTITY_DELETE = "catalog.entity.delete"
CATALOG_ENTITY_REFRESH = "catalog.entity.refresh"
CATALOG_LOCATION_READ = "catalog.location.read"
CATALOG_LOCATION_CREATE = "catalog.location.create"
CATALOG_LOCATION_DELETE = "catalog.location.delete"
CATALOG_LOCATION_ANALYZE = "catalog.location.analyze"
AUDIT_READ = "audit.read"
SCAFFOLDER_TASK_CREATE = "scaffolder.task.create"
SCAFFOLDER_TASK_READ = "scaffolder.task.read"
SCAFFOLDER_TASK_CANCEL = "scaffolder.task.cancel"
SCHEDULER_TASK_RUN = "scheduler.task.run"

#: Permissions Callboard itself checks; plugins add theirs, and every proxy endpoint is ``proxy.<name>``.
BUILTIN_PERMISSIONS = (
    CATALOG_ENTITY_READ,
    CATALOG_ENTITY_CREATE,
    CATALOG_ENTITY_DELETE,
    CATALOG_ENTITY_REFRESH,
    CATALOG_LOCATION_READ,
    CATALOG_LOCATION_CREATE,
    CATALOG_LOCATION_DELETE,
    CATALOG_LOCATION_ANALYZE,
    AUDIT_READ,
    SCAFFOLDER_TASK_CREATE,
    SCAFFOLDER_TASK_READ,
    SCAFFOLDER_TASK_CANCEL,
    SCHEDULER_TASK_RUN,
)

#: Permissions that apply to one entity and may therefore be conditional.
RESOURCE_PERMISSIONS = (CATALOG_ENTITY_READ, CATALOG_ENTITY_DELETE, CATALOG_ENTITY_REFRESH)


def proxy_permission(endpoint: str) -> str:
    return f"proxy.{endpoint.strip('/')}"


@dataclass(frozen=True)
class Decision:
    result: Literal["allow", "deny", "conditional"]
    criteria: Criteria = ()
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.result == "allow"


ALLOW = Decision("allow")
DENY = Decision("deny")


class AccessLike(Protocol):
    """Who is asking, and what the policy decides for them (``auth``'s ``Access`` per request)."""

    identity: Identity

    def decide(self, permission: str) -> Decision: ...


#: The portal acting for itself, for no user: the search indexer, sign-in resolution, plugins' background
#: work and the operator's CLI on the server. Results such callers hand on to a user are filtered again by
#: that user's access where they are read (search results, pages).
SYSTEM_IDENTITY = Identity("service", "service:callboard")


class SystemAccess:
    identity = SYSTEM_IDENTITY

    def decide(self, permission: str) -> Decision:
        return ALLOW


SYSTEM = SystemAccess()


def who(access: AccessLike) -> str:
    """The caller as refusals name them."""
    return access.identity.subject or "An anonymous caller"


def require(access: AccessLike, permission: str, what: str) -> None:
    """Refuse (403) unless the policy allows ``permission`` outright: "<who> may not <what> (<permission>)"."""
    if access.decide(permission).result != "allow":
        raise NotAllowedError(f"{who(access)} may not {what} ({permission})")


def access_source(access: AccessLike | Callable[[], AccessLike]) -> Callable[[], AccessLike]:
    """Services take either one caller or a function giving the current request's; this is the function."""
    return access if callable(access) else (lambda: access)
