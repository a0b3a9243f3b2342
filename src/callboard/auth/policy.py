"""The permission policy written in app-config: ordered rules of allow or deny, optionally with conditions.

```yaml
permission:
  defaultDecision: allow          # when no rule matches (audit.read is never allowed by default)
  rules:
    - {permission: catalog.entity.delete, principals: ["*"], conditions: {isEntityOwner: true}}
    - {permission: "proxy.*", principals: [group:default/sre-team, service:ci]}
    - {permission: "proxy.*", decision: deny}
```

The first rule whose permission (a name or a ``*`` pattern) and principals (``*`` for anyone signed in, a
user or group ref matched against the caller's ownership refs, ``service:<name>``) match decides. An allow
with conditions is conditional: it holds for the entities the conditions select.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection
from typing import Protocol

from callboard.auth.config import PermissionConfig, PermissionRule
from callboard.core.identity import Identity
from callboard.core.permissions import ALLOW, AUDIT_READ, RESOURCE_PERMISSIONS, Criterion, Decision


class PermissionPolicy(Protocol):
    def decide(self, identity: Identity, permission: str) -> Decision: ...


class ConfigPolicy:
    def __init__(
        self, config: PermissionConfig, entity_permissions: Collection[str] = (), *, opt_in: Collection[str] = ()
    ) -> None:
        self.config = config
        #: Conditions apply to the catalog's entity permissions and to plugins' (``resource="catalog-entity"``).
        self.entity_permissions = frozenset(RESOURCE_PERMISSIONS) | frozenset(entity_permissions)
        #: Plugins' permissions for actions outside the portal (re-run a build, page on-call): such writes are
        #: opt-in, so only a rule allows them, whatever the default decision.
        self.opt_in = frozenset(opt_in)

    def decide(self, identity: Identity, permission: str) -> Decision:
        if not identity.signed_in:
            return Decision("deny", reason="not signed in")
        if not self.config.enabled:
            return self._unruled(permission, ALLOW)
        for index, rule in enumerate(self.config.rules):
            if self._applies(rule, identity, permission):
                return self._decision(rule, identity, permission, index)
        if permission == AUDIT_READ:
            return Decision("deny", reason="audit.read needs a rule that allows it")
        return self._unruled(permission, ALLOW if self.config.default_decision == "allow" else None)

    def _unruled(self, permission: str, default: Decision | None) -> Decision:
        if permission in self.opt_in:
            return Decision("deny", reason=f"{permission} is granted only by a rule in permission.rules")
        return default or Decision("deny", reason="default decision")

    @staticmethod
    def _applies(rule: PermissionRule, identity: Identity, permission: str) -> bool:
        if not any(fnmatch.fnmatchcase(permission, pattern) for pattern in rule.permissions()):
            return False
        claims = {claim.lower() for claim in identity.claims()}
        for principal in rule.principals:
            lowered = principal.lower()
            if lowered == "*" or lowered in claims:
                return True
            if lowered.endswith(":*") and identity.subject.lower().startswith(lowered[:-1]):
                return True
        return False

    def _decision(self, rule: PermissionRule, identity: Identity, permission: str, index: int) -> Decision:
        reason = f"permission.rules[{index}]"
        if rule.decision == "deny":
            return Decision("deny", reason=reason)
        if rule.conditions is None:
            return Decision("allow", reason=reason)
        if permission not in self.entity_permissions:
            return Decision("deny", reason=f"{reason}: conditions apply only to entity permissions")
        conditions = rule.conditions
        criteria: list[Criterion] = []
        if conditions.is_entity_owner:
            criteria.append(("relations.ownedby", tuple(sorted(ref.lower() for ref in identity.ownership))))
        if conditions.kind:
            criteria.append(("kind", tuple(kind.lower() for kind in conditions.kind)))
        if conditions.has_annotation:
            criteria.append((f"metadata.annotations.{conditions.has_annotation.lower()}", None))
        if conditions.has_label:
            criteria.append((f"metadata.labels.{conditions.has_label.lower()}", None))
        for key, value in conditions.has_spec.items():
            criteria.append((f"spec.{key.lower()}", (str(value).lower(),)))
        if not criteria:
            return Decision("allow", reason=reason)
        return Decision("conditional", (tuple(criteria),), reason)


class Access:
    """One request's caller and its decisions, each computed once per request."""

    def __init__(self, identity: Identity, policy: PermissionPolicy) -> None:
        self.identity = identity
        self._policy = policy
        self._cache: dict[str, Decision] = {}

    def decide(self, permission: str) -> Decision:
        found = self._cache.get(permission)
        if found is None:
            found = self._policy.decide(self.identity, permission)
            self._cache[permission] = found
        return found
