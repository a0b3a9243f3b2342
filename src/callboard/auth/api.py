"""The public face of identity, permissions and audit: who is asking (``Access``), the services pages use."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.auth.audit import AuditLog, parse_since
    from callboard.auth.context import acting_as, current_access, current_identity, reset_access, set_access
    from callboard.auth.policy import Access, PermissionPolicy
    from callboard.auth.providers import Flow, Provider, github_provider, oidc_provider
    from callboard.auth.service import AuthService, safe_return_path
    from callboard.auth.signin import Profile
    from callboard.core.identity import Identity
    from callboard.core.permissions import ALLOW, DENY, Decision

__all__ = [
    "ALLOW",
    "DENY",
    "Access",
    "AuditLog",
    "AuthService",
    "Decision",
    "Flow",
    "Identity",
    "PermissionPolicy",
    "Profile",
    "Provider",
    "acting_as",
    "current_access",
    "current_identity",
    "github_provider",
    "oidc_provider",
    "parse_since",
    "reset_access",
    "safe_return_path",
    "set_access",
]

__getattr__, __dir__ = lazy_face(__name__, __file__)
