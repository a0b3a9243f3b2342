"""From a provider's profile to a catalog User: the sign-in resolvers, and the ownership a user signs in with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callboard.auth.config import ResolverConfig
from callboard.core.entity import EntityRef
from callboard.core.errors import NotAllowedError
from callboard.core.extensions import CatalogReader
from callboard.core.identity import Identity


@dataclass(frozen=True)
class Profile:
    """What a sign-in provider says about the person (any field may be empty)."""

    provider: str
    email: str = ""
    username: str = ""
    user_id: str = ""
    display_name: str = ""


def _ref(entity: Mapping[str, Any]) -> str:
    return EntityRef.of(dict(entity)).key


def _one(found: Sequence[Mapping[str, Any]], what: str) -> str | None:
    if len(found) > 1:
        refs = ", ".join(sorted(_ref(entity) for entity in found))
        raise NotAllowedError(f"Sign-in is ambiguous: {what} matches several users ({refs}); make it unique")
    return _ref(found[0]) if found else None


def resolve_user(profile: Profile, resolver: ResolverConfig, users: CatalogReader) -> str | None:
    """The User entity ref this resolver maps the profile to, or None."""
    name = resolver.resolver
    if name == "emailMatchingUserEntityProfileEmail" and profile.email:
        return _one(users.find({"kind": "user", "spec.profile.email": profile.email}), f"email {profile.email}")
    if name == "emailLocalPartMatchingUserEntityName" and profile.email:
        local = profile.email.split("@", 1)[0]
        return _one(users.find({"kind": "user", "metadata.name": local}), f"user name {local}")
    if name == "emailMatchingUserEntityAnnotation" and profile.email:
        key = f"metadata.annotations.{resolver.annotation or 'google.com/email'}"
        return _one(users.find({"kind": "user", key: profile.email}), f"annotation {key}")
    if name == "usernameMatchingUserEntityName" and profile.username:
        return _one(users.find({"kind": "user", "metadata.name": profile.username}), f"user name {profile.username}")
    if name == "userIdMatchingUserEntityAnnotation" and profile.user_id:
        key = f"metadata.annotations.{resolver.annotation or profile.provider + '.com/user-id'}"
        return _one(users.find({"kind": "user", key: profile.user_id}), f"annotation {key}")
    return None


def ownership(user_ref: str, users: CatalogReader, limit: int = 200) -> tuple[str, ...]:
    """The user, their groups, and every ancestor of those groups (``childOf`` upwards).

    Backstage puts only the direct groups in a token; then a member of a child team cannot act on what its
    parent team owns. Callboard follows the parents, bounded by ``limit`` refs against cycles.
    """
    refs = [user_ref.lower()]
    user = users.entity(user_ref)
    todo = [r["targetRef"].lower() for r in (user or {}).get("relations") or [] if r.get("type") == "memberOf"]
    while todo and len(refs) < limit:
        ref = todo.pop(0)
        if ref in refs:
            continue
        refs.append(ref)
        group = users.entity(ref)
        todo.extend(r["targetRef"].lower() for r in (group or {}).get("relations") or [] if r.get("type") == "childOf")
    return tuple(refs)


def sign_in(profile: Profile, resolvers: Sequence[ResolverConfig], users: CatalogReader) -> Identity:
    """Map a profile to an identity through the first resolver that finds a User; refuse otherwise."""
    for resolver in resolvers:
        user_ref = resolve_user(profile, resolver, users)
        if user_ref is not None:
            entity = users.entity(user_ref) or {}
            display = ((entity.get("spec") or {}).get("profile") or {}).get("displayName") or profile.display_name
            return Identity("user", user_ref, ownership(user_ref, users), str(display or ""), profile.provider)
    for resolver in resolvers:
        if resolver.dangerously_allow_sign_in_without_user_in_catalog:
            name = (profile.username or profile.email.split("@", 1)[0] or profile.user_id).lower()
            if name:
                ref = f"user:default/{name}"
                return Identity("user", ref, (ref,), profile.display_name or name, profile.provider)
    who = profile.email or profile.username or profile.user_id or "this account"
    if not resolvers:
        raise NotAllowedError(
            f"Sign-in with {profile.provider} has no resolver: add auth.providers.{profile.provider}.signIn.resolvers"
        )
    raise NotAllowedError(
        f"{who} signed in with {profile.provider}, but no User entity in the catalog matches "
        f"({', '.join(r.resolver for r in resolvers)}). Add a User for them, or ask an administrator."
    )
