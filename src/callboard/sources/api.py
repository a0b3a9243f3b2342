"""The public face of reading sources: git remotes, checked and cloned; credentialed HTTP clients."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.sources.git import GitCache, GitError, RepositoryUrl, check_branch, check_remote, run_git
    from callboard.sources.http import ClientTarget, RetryingTransport, build_client, integration_targets

__all__ = [
    "ClientTarget",
    "GitCache",
    "GitError",
    "RepositoryUrl",
    "RetryingTransport",
    "build_client",
    "check_branch",
    "check_remote",
    "integration_targets",
    "run_git",
]

__getattr__, __dir__ = lazy_face(__name__, __file__)
