"""Built-in scaffolder actions that reach outside the workspace: publish:git, publish:github, catalog:*."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from callboard.sdk import (
    ActionContext,
    ActionInput,
    EntityRef,
    EntityRefError,
    InputError,
    NotFoundError,
    ScaffolderAction,
    check_branch,
    check_remote,
    check_tree,
    parse_repo_url,
    run_git,
    safe_child,
)


def _git(args: list[str], cwd: Path, *, secret: str | None = None, allow_local: bool = False) -> str:
    return run_git(args, cwd, secret=secret, allow_local=allow_local)


def push_workspace(
    source: Path,
    remote: str,
    *,
    branch: str,
    message: str,
    author: tuple[str, str],
    secret: str | None = None,
    allow_local: bool = False,
) -> str:
    """Commit ``source`` as the first commit of ``branch`` and push it; the commit hash."""
    check_tree(source, source)
    _git(["init", "-q", "-b", branch], source)
    _git(["add", "-A"], source)
    name, email = author
    _git(
        ["-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "-q", "--allow-empty", "-m", message], source
    )
    commit = _git(["rev-parse", "HEAD"], source)
    _git(["push", "-q", "--", remote, f"HEAD:refs/heads/{branch}"], source, secret=secret, allow_local=allow_local)
    return commit


class PublishGitInput(ActionInput):
    remote_url: str = Field(alias="remoteUrl")
    default_branch: str = Field("main", alias="defaultBranch")
    source_path: str = Field("./", alias="sourcePath")
    git_commit_message: str = Field("initial commit", alias="gitCommitMessage")
    git_author_name: str = Field("Callboard", alias="gitAuthorName")
    git_author_email: str = Field("scaffolder@callboard.local", alias="gitAuthorEmail")
    contents_url: str | None = Field(None, alias="contentsUrl")


class PublishOutput(BaseModel):
    remoteUrl: str  # noqa: N815 - Backstage's output names
    repoContentsUrl: str | None = None  # noqa: N815
    commitHash: str | None = None  # noqa: N815


def publish_git(context: ActionContext, given: PublishGitInput) -> PublishOutput:
    check_remote(given.remote_url, field="publish:git: remoteUrl", allow_local=context.allow_local_git)
    check_branch(given.default_branch, field="publish:git: defaultBranch")
    source = safe_child(context.workspace, given.source_path, what="sourcePath")
    if context.dry_run:
        return PublishOutput(remoteUrl=given.remote_url, repoContentsUrl=given.contents_url, commitHash="dry-run")
    commit = push_workspace(
        source,
        given.remote_url,
        branch=given.default_branch,
        message=given.git_commit_message,
        author=(given.git_author_name, given.git_author_email),
        allow_local=context.allow_local_git,
    )
    context.log(f"pushed {commit[:12]} to {given.remote_url} ({given.default_branch})")
    return PublishOutput(remoteUrl=given.remote_url, repoContentsUrl=given.contents_url, commitHash=commit)


class PublishGithubInput(ActionInput):
    # Backstage's publish:github has many repository settings; those Callboard does not apply are accepted
    # and named in the log rather than failing templates written for Backstage.
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    repo_url: str = Field(alias="repoUrl")
    description: str | None = None
    repo_visibility: str = Field("private", alias="repoVisibility")
    default_branch: str = Field("master", alias="defaultBranch")
    source_path: str = Field("./", alias="sourcePath")
    git_commit_message: str = Field("initial commit", alias="gitCommitMessage")
    git_author_name: str = Field("Callboard", alias="gitAuthorName")
    git_author_email: str = Field("scaffolder@callboard.local", alias="gitAuthorEmail")
    topics: list[str] = Field(default_factory=list)
    token: str | None = None
    allowed_hosts: list[str] = Field(default_factory=list, alias="allowedHosts")
    access: str | None = None
    protect_default_branch: bool = Field(True, alias="protectDefaultBranch")
    delete_branch_on_merge: bool = Field(False, alias="deleteBranchOnMerge")


def _github(context: ActionContext, host: str) -> tuple[str, str | None]:
    """The REST base URL and token of the GitHub integration for ``host``."""
    for item in context.integrations.get("github") or []:
        if isinstance(item, dict) and (item.get("host") or "github.com") == host:
            default = "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"
            return str(item.get("apiBaseUrl") or default).rstrip("/"), item.get("token")
    raise InputError(f"No GitHub integration for {host}; add integrations.github [{{host: {host}, token: ...}}]")


def publish_github(context: ActionContext, given: PublishGithubInput) -> PublishOutput:
    parsed = parse_repo_url(given.repo_url)
    host, owner, repo = parsed["host"], parsed.get("owner", ""), parsed["repo"]
    if given.model_extra:
        context.log(f"publish:github: not applied by Callboard: {', '.join(sorted(given.model_extra))}")
    if given.allowed_hosts and host not in given.allowed_hosts:
        raise InputError(f"publish:github: {host} is not one of the allowed hosts {given.allowed_hosts}")
    if not owner:
        raise InputError("publish:github: the repo URL has no owner (host?owner=x&repo=y)")
    check_branch(given.default_branch, field="publish:github: defaultBranch")
    api, token = _github(context, host)
    token = given.token or token
    if not token:
        raise InputError(f"publish:github needs a token for {host} (integrations.github[].token)")
    if context.dry_run:
        return PublishOutput(remoteUrl=f"https://{host}/{owner}/{repo}.git", repoContentsUrl=None, commitHash="dry-run")
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    body: dict[str, Any] = {
        "name": repo,
        "private": given.repo_visibility != "public",
        "visibility": given.repo_visibility,
        "description": given.description or "",
        "delete_branch_on_merge": given.delete_branch_on_merge,
    }
    with httpx.Client(base_url=api, headers=headers, timeout=30) as github:
        owner_info = github.get(f"/users/{quote(owner)}")
        if owner_info.status_code == 404:
            raise NotFoundError(f"publish:github: no GitHub user or organisation {owner!r} on {host}")
        is_org = owner_info.json().get("type") == "Organization"
        created = github.post(f"/orgs/{quote(owner)}/repos" if is_org else "/user/repos", json=body)
        if created.status_code == 422:
            raise InputError(f"publish:github: {owner}/{repo} already exists on {host} (or the name is invalid)")
        if created.status_code >= 400:
            raise InputError(
                f"publish:github: GitHub refused to create {owner}/{repo}: {created.status_code} {created.text[:200]}"
            )
        repository = created.json()
        if given.topics:
            github.put(f"/repos/{quote(owner)}/{quote(repo)}/topics", json={"names": given.topics})
    clone_url = str(repository["clone_url"])
    check_remote(clone_url, field="publish:github: the clone_url GitHub returned")
    parts = urlsplit(clone_url)
    authenticated = urlunsplit(parts._replace(netloc=f"x-access-token:{token}@{parts.netloc}"))
    source = safe_child(context.workspace, given.source_path, what="sourcePath")
    commit = push_workspace(
        source,
        authenticated,
        branch=given.default_branch,
        message=given.git_commit_message,
        author=(given.git_author_name, given.git_author_email),
        secret=token,
    )
    context.log(f"created {repository['html_url']} and pushed {commit[:12]}")
    return PublishOutput(
        remoteUrl=clone_url,
        repoContentsUrl=f"{repository['html_url']}/blob/{given.default_branch}",
        commitHash=commit,
    )


class PullRequestInput(ActionInput):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    repo_url: str = Field(alias="repoUrl")
    branch_name: str = Field(alias="branchName")
    title: str
    description: str = ""
    target_path: str = Field("", alias="targetPath")
    source_path: str = Field("./", alias="sourcePath")
    target_branch_name: str | None = Field(None, alias="targetBranchName")
    draft: bool = False
    commit_message: str | None = Field(None, alias="commitMessage")
    git_author_name: str = Field("Callboard", alias="gitAuthorName")
    git_author_email: str = Field("scaffolder@callboard.local", alias="gitAuthorEmail")
    token: str | None = None


class PullRequestOutput(BaseModel):
    remoteUrl: str  # noqa: N815
    pullRequestNumber: int  # noqa: N815
    targetBranchName: str  # noqa: N815


def publish_github_pull_request(context: ActionContext, given: PullRequestInput) -> PullRequestOutput:
    """Clone the repository, put the workspace's files under ``targetPath`` on a new branch, open a PR."""
    parsed = parse_repo_url(given.repo_url)
    host, owner, repo = parsed["host"], parsed.get("owner", ""), parsed["repo"]
    check_branch(given.branch_name, field="publish:github:pull-request: branchName")
    if given.target_branch_name is not None:
        check_branch(given.target_branch_name, field="publish:github:pull-request: targetBranchName")
    api, token = _github(context, host)
    token = given.token or token
    if not token:
        raise InputError(f"publish:github:pull-request needs a token for {host} (integrations.github[].token)")
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    with httpx.Client(base_url=api, headers=headers, timeout=30) as github:
        found = github.get(f"/repos/{quote(owner)}/{quote(repo)}")
        if found.status_code == 404:
            raise NotFoundError(f"publish:github:pull-request: {owner}/{repo} does not exist on {host}")
        repository = found.json()
        base = given.target_branch_name or str(repository.get("default_branch") or "main")
        if context.dry_run:
            return PullRequestOutput(
                remoteUrl=f"{repository['html_url']}/pull/0", pullRequestNumber=0, targetBranchName=base
            )
        clone_url = str(repository["clone_url"])
        check_remote(clone_url, field="publish:github:pull-request: the clone_url GitHub returned")
        check_branch(base, field="publish:github:pull-request: the base branch")
        parts = urlsplit(clone_url)
        authenticated = urlunsplit(parts._replace(netloc=f"x-access-token:{token}@{parts.netloc}"))
        checkout = context.workspace.parent / f".{context.step_id or 'pr'}-checkout"
        if checkout.exists():
            shutil.rmtree(checkout)
        checkout.mkdir(parents=True)
        _git(
            ["clone", "-q", "--depth", "1", "--branch", base, "--", authenticated, str(checkout)],
            checkout.parent,
            secret=token,
        )
        _git(["checkout", "-q", "-b", given.branch_name], checkout)
        source = safe_child(context.workspace, given.source_path, what="sourcePath")
        check_tree(source, source)
        destination = safe_child(checkout, given.target_path or ".", what="targetPath", area="the repository")
        shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
        _git(["add", "-A"], checkout)
        name, email = given.git_author_name, given.git_author_email
        message = given.commit_message or given.title
        _git(["-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "-q", "-m", message], checkout)
        _git(["push", "-q", "--", "origin", f"HEAD:refs/heads/{given.branch_name}"], checkout, secret=token)
        created = github.post(
            f"/repos/{quote(owner)}/{quote(repo)}/pulls",
            json={
                "title": given.title,
                "body": given.description,
                "head": given.branch_name,
                "base": base,
                "draft": given.draft,
            },
        )
        if created.status_code >= 400:
            raise InputError(f"GitHub refused the pull request: {created.status_code} {created.text[:200]}")
        pull = created.json()
    context.log(f"opened {pull['html_url']}")
    return PullRequestOutput(
        remoteUrl=str(pull["html_url"]), pullRequestNumber=int(pull["number"]), targetBranchName=base
    )


class PublishFileInput(ActionInput):
    path: str
    source_path: str = Field("./", alias="sourcePath")


def publish_file(context: ActionContext, given: PublishFileInput) -> PublishOutput:
    """Copy the workspace to a folder on the server, under its ``published`` folder (Backstage's local publish).

    A dry run copies nothing and says where the files would go, so the steps after it (catalog:register) still
    get the URL they expect."""
    root = context.local_root or context.workspace.parent / "published"
    target = safe_child(root, given.path, what="path", area="the published folder")
    source = safe_child(context.workspace, given.source_path, what="sourcePath")
    check_tree(source, source)
    if context.dry_run:
        where = target if context.local_root else f"the published folder, as {given.path}/"
        context.log(f"dry run: publishing skipped; the files would be copied to {where}")
        return PublishOutput(remoteUrl=f"file:{target}", repoContentsUrl=f"file:{target}")
    if context.local_root is None:
        raise InputError("publish:file writes under the server's data folder; it cannot run here")
    if target.exists() and any(target.iterdir()):
        raise InputError(f"publish:file: {given.path} already exists; choose another name")
    context.local_root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    context.log(f"published the files to {target}")
    return PublishOutput(remoteUrl=f"file:{target}", repoContentsUrl=f"file:{target}")


class CatalogRegisterInput(ActionInput):
    catalog_info_url: str | None = Field(None, alias="catalogInfoUrl")
    repo_contents_url: str | None = Field(None, alias="repoContentsUrl")
    catalog_info_path: str = Field("/catalog-info.yaml", alias="catalogInfoPath")
    optional: bool = False


class CatalogRegisterOutput(BaseModel):
    entityRef: str | None = None  # noqa: N815
    catalogInfoUrl: str  # noqa: N815


def catalog_register(context: ActionContext, given: CatalogRegisterInput) -> CatalogRegisterOutput:
    url = given.catalog_info_url
    if not url:
        if not given.repo_contents_url:
            raise InputError("catalog:register needs catalogInfoUrl, or repoContentsUrl and catalogInfoPath")
        url = given.repo_contents_url.rstrip("/") + "/" + given.catalog_info_path.lstrip("/")
    if context.dry_run:
        context.log(f"dry run: registering skipped; {url} would be registered in the catalog")
        return CatalogRegisterOutput(catalogInfoUrl=url)
    if context.catalog is None:
        context.log(f"not registered: no catalog to register {url} in (give --config with the portal's database)")
        return CatalogRegisterOutput(catalogInfoUrl=url)
    location_type, target = ("file", url.removeprefix("file:")) if url.startswith("file:") else ("url", url)
    try:
        refs = context.catalog.register(location_type, target)
    except Exception as error:
        if given.optional:
            context.log(f"catalog:register could not register {url} (optional): {error}")
            return CatalogRegisterOutput(catalogInfoUrl=url)
        raise
    entity_ref = next((ref for ref in refs if not ref.startswith("location:")), refs[0] if refs else None)
    context.log(f"registered {url}" + (f" ({entity_ref})" if entity_ref else ""))
    return CatalogRegisterOutput(entityRef=entity_ref, catalogInfoUrl=url)


class CatalogFetchInput(ActionInput):
    entity_ref: str | None = Field(None, alias="entityRef")
    entity_refs: list[str] = Field(default_factory=list, alias="entityRefs")
    optional: bool = False
    default_kind: str | None = Field(None, alias="defaultKind")
    default_namespace: str | None = Field(None, alias="defaultNamespace")


class CatalogFetchOutput(BaseModel):
    entity: dict[str, Any] | None = None
    entities: list[dict[str, Any] | None] | None = None


def catalog_fetch(context: ActionContext, given: CatalogFetchInput) -> CatalogFetchOutput:
    if context.catalog is None:
        raise InputError("catalog:fetch needs the catalog (it cannot run offline)")

    def fetch(ref: str) -> dict[str, Any] | None:
        try:
            key = EntityRef.parse(ref, default_kind=given.default_kind, default_namespace=given.default_namespace).key
        except EntityRefError as error:
            raise InputError(f"catalog:fetch: invalid entity ref {ref!r}: {error}") from None
        assert context.catalog is not None
        found = context.catalog.entity(key)
        if found is None and not given.optional:
            raise NotFoundError(f"catalog:fetch: {ref} is not in the catalog")
        return dict(found) if found is not None else None

    if given.entity_ref:
        return CatalogFetchOutput(entity=fetch(given.entity_ref))
    return CatalogFetchOutput(entities=[fetch(ref) for ref in given.entity_refs])


PUBLISH_ACTIONS = [
    ScaffolderAction(
        "publish:file",
        "Copy the workspace to a folder under the server's data folder (for trying templates locally).",
        PublishFileInput,
        publish_file,
        PublishOutput,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "publish:github:pull-request",
        "Open a pull request with the workspace's files.",
        PullRequestInput,
        publish_github_pull_request,
        PullRequestOutput,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "publish:git",
        "Commit the workspace and push it to any git remote.",
        PublishGitInput,
        publish_git,
        PublishOutput,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "publish:github",
        "Create a GitHub repository and push the workspace to it.",
        PublishGithubInput,
        publish_github,
        PublishOutput,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "catalog:register",
        "Register a catalog-info.yaml URL in the catalog.",
        CatalogRegisterInput,
        catalog_register,
        CatalogRegisterOutput,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "catalog:fetch", "Read entities from the catalog.", CatalogFetchInput, catalog_fetch, CatalogFetchOutput
    ),
]
