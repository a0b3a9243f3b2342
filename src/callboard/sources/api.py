"""The public face of reading sources: git remotes, checked and cloned; credentialed HTTP clients."""

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
