"""Which of Backstage's ``app-config.yaml`` keys Callboard honours, honours differently, or ignores.

One table serves the documentation ("Coming from Backstage" lists it, and a test keeps the two the same) and
``callboard config check``, which warns about each ignored key present in the configuration whose absence
would make Callboard behave differently from Backstage (``changes``), naming the file that set it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["honoured", "differently", "ignored"]


@dataclass(frozen=True)
class Key:
    #: Dotted path; ``*`` stands for one key of the user's choosing (a provider id, an integration's index).
    path: str
    status: Status
    note: str = ""
    #: An ignored key whose effect in Backstage is missing here: ``config check`` warns about it.
    changes: bool = False


KEYS: tuple[Key, ...] = (
    Key("app.title", "honoured"),
    Key("app.baseUrl", "honoured"),
    Key("app.support", "ignored", "no support button yet"),
    Key("app.analytics", "ignored", "no front-end analytics"),
    Key("organization.name", "ignored"),
    Key("backend.baseUrl", "honoured"),
    Key("backend.listen", "honoured", "an object with host and port"),
    Key("backend.database.client", "honoured", "pg or better-sqlite3 (SQLite)"),
    Key("backend.database.connection", "honoured", "a URL, or Backstage's object of host, port, user, password"),
    Key("backend.database.pluginDivisionMode", "differently", "plugins' tables live in the one database"),
    Key("backend.database.plugin", "ignored", "no per-plugin database connections", changes=True),
    Key("backend.database.ensureExists", "ignored", "create the database beforehand", changes=True),
    Key("backend.database.prefix", "ignored"),
    Key("backend.auth.externalAccess", "honoured", "static tokens (type: static)"),
    Key("backend.auth.keys", "ignored", "legacy shared secrets; use externalAccess static tokens", changes=True),
    Key(
        "backend.auth.dangerouslyDisableDefaultAuthPolicy",
        "ignored",
        "every route always needs an identity (except the local demo)",
        changes=True,
    ),
    Key("backend.cors", "ignored", "pages are served from the portal's own origin; no CORS headers", changes=True),
    Key("backend.csp", "honoured"),
    Key("backend.reading.allow", "honoured"),
    Key("backend.https", "ignored", "serve plain HTTP behind a TLS-terminating proxy", changes=True),
    Key("backend.cache", "ignored", "answers are cached in each process"),
    Key("backend.workingDirectory", "differently", "dataDir holds local state"),
    Key("catalog.locations", "honoured", "file and url locations, with their rules"),
    Key("catalog.rules", "honoured"),
    Key("catalog.readonly", "honoured"),
    Key("catalog.orphanStrategy", "honoured"),
    Key("catalog.processingInterval", "honoured"),
    Key("catalog.stitchingStrategy", "differently", "entities are stitched as soon as they are processed"),
    Key("catalog.import.entityFilename", "ignored", "Register reads catalog-info.yaml or the URL given"),
    Key("catalog.import.pullRequestBranchName", "ignored", "Register does not open pull requests", changes=True),
    Key("catalog.providers.ldapOrg", "honoured", "with the org plugin"),
    Key("catalog.providers.githubOrg", "honoured", "with the org plugin; orgs must be listed"),
    Key("catalog.providers.microsoftGraphOrg", "honoured", "with the org plugin; no photos, no tenant root group"),
    Key("catalog.providers.github", "ignored", "use catalog.providers.discovery or URL locations", changes=True),
    Key("catalog.providers.gitlab", "ignored", "use catalog.providers.discovery or URL locations", changes=True),
    Key("catalog.providers.bitbucketCloud", "ignored", changes=True),
    Key("catalog.providers.awsS3", "ignored", changes=True),
    Key(
        "scaffolder.defaultAuthor",
        "ignored",
        "commits are authored as Callboard <scaffolder@callboard.local> unless the step sets gitAuthorName",
        changes=True,
    ),
    Key("scaffolder.defaultCommitMessage", "ignored"),
    Key("scaffolder.concurrentTasksLimit", "differently", "one task at a time per worker; add workers"),
    Key(
        "techdocs.builder",
        "differently",
        "Callboard builds docs it has not been given (callboard docs publish gives them)",
    ),
    Key("techdocs.generator.runIn", "differently", "MkDocs runs in a subprocess, never in Docker"),
    Key("techdocs.publisher.type", "honoured", "local; other storages through a plugin"),
    Key("techdocs.publisher.awsS3", "ignored", "no S3 publisher yet", changes=True),
    Key("techdocs.publisher.googleGcs", "ignored", "no GCS publisher yet", changes=True),
    Key("techdocs.publisher.azureBlobStorage", "ignored", "no Azure publisher yet", changes=True),
    Key("techdocs.cache", "ignored"),
    Key("search.pg", "differently", "search runs in the portal's own database (FTS5 or PostgreSQL)"),
    Key("search.elasticsearch", "ignored", "no OpenSearch or Elasticsearch engine yet", changes=True),
    Key("auth.environment", "honoured"),
    Key("auth.session.secret", "ignored", "sessions are signed with keys kept in the database"),
    Key("auth.providers.oidc", "honoured"),
    Key("auth.providers.github", "honoured"),
    Key("auth.providers.guest", "honoured", "only in development, on a loopback address"),
    Key("auth.providers.*.*.signIn.resolvers", "honoured"),
    Key("auth.providers.microsoft", "ignored", "use oidc with Entra ID's metadata URL", changes=True),
    Key("auth.providers.google", "ignored", "use oidc with Google's metadata URL", changes=True),
    Key("auth.providers.okta", "ignored", "use oidc with Okta's metadata URL", changes=True),
    Key("auth.providers.gitlab", "ignored", changes=True),
    Key("auth.autologout", "ignored"),
    Key("proxy.endpoints", "honoured", "closed by default; each endpoint has a permission"),
    Key("proxy.skipInvalidProxies", "differently", "an invalid endpoint stops start-up with the reason"),
    Key("proxy.reviveConsumedRequestBodies", "ignored"),
    Key("integrations.github", "honoured", "tokens and GitHub Apps"),
    Key("integrations.gitlab", "honoured"),
    Key("integrations.bitbucketCloud", "ignored", changes=True),
    Key("integrations.bitbucketServer", "ignored", changes=True),
    Key("integrations.azure", "ignored", changes=True),
    Key("integrations.gerrit", "ignored", changes=True),
    Key("permission.enabled", "differently", "permissions are always enforced (rules in permission.rules)"),
    Key("kubernetes.clusterLocatorMethods", "honoured", "with the deployments plugin"),
)


def _key_paths(data: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(data, Mapping) and data:
        for key, value in data.items():
            yield (*prefix, str(key))
            yield from _key_paths(value, (*prefix, str(key)))


def _covers(key: Key, path: tuple[str, ...]) -> bool:
    """Whether the table's key is this path or one of its ancestors (``backend.cors`` covers ``backend.cors.x``)."""
    parts = key.path.split(".")
    return len(path) >= len(parts) and all(fnmatch.fnmatchcase(p, k) for p, k in zip(path, parts, strict=False))


def ignored_with_effect(data: Mapping[str, Any]) -> list[tuple[tuple[str, ...], Key]]:
    """Each ignored key in ``data`` that would change behaviour in Backstage (the shortest path that matches)."""
    found: list[tuple[tuple[str, ...], Key]] = []
    for path in _key_paths(data):
        for key in KEYS:
            if key.changes and len(path) == len(key.path.split(".")) and _covers(key, path):
                found.append((path, key))
    return found
