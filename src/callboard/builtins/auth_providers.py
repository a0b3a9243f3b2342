"""Callboard's own ways to sign in, registered like a plugin's: any OpenID Connect issuer, and GitHub."""

from __future__ import annotations

from callboard.sdk import AuthProviderSpec, hookimpl

CALLBOARD_PLUGIN_API = "1.1"


@hookimpl
def register_auth_providers() -> list[AuthProviderSpec]:
    # Imported here: the OAuth and JWT libraries are for the server, not for every command.
    from callboard.sdk import github_provider, oidc_provider

    return [
        AuthProviderSpec("oidc", "Single sign-on", oidc_provider),
        AuthProviderSpec("github", "GitHub", github_provider),
    ]
