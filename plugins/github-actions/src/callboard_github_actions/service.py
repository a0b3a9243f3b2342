"""What the tab, the card and the API ask for: GitHub's answers shared between viewers, Re-run behind the
per-entity permission, and completed runs passed on as change events."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from callboard.sdk import (
    EntityRef,
    Fetched,
    NotAllowedError,
    NotFoundError,
    PluginContext,
    UpstreamCache,
    UpstreamError,
    current_identity,
    decide_for_entity,
)
from callboard_github_actions.github import SLUG, GitHubActions, Job, Run, RunsPage, Workflow
from callboard_github_actions.permissions import RERUN
from callboard_github_actions.settings import Settings

T = TypeVar("T")
ANNOTATION = "github.com/project-slug"
#: Where the change events plugin listens for changes other plugins observed (no import between plugins).
CHANGES = "change-events.record"
#: Runs already passed on as changes, remembered so a refresh does not send them again.
PUBLISHED_MEMORY = 5000


def slug_of(entity: Mapping[str, Any]) -> str | None:
    value = (entity.get("metadata", {}).get("annotations") or {}).get(ANNOTATION)
    return str(value).strip() if value else None


def slug_problem(slug: str) -> str | None:
    if SLUG.match(slug) and not {".", ".."} & set(slug.split("/")):
        return None
    return f"{ANNOTATION}: {slug!r} is not owner/repository (e.g. northwind/booking-service)"


class Actions:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self.settings: Settings = context.config
        self.cache = UpstreamCache(ttl_seconds=self.settings.cache_seconds, clock=context.now)
        self._deploys = re.compile(self.settings.deploy_workflows)
        self._published: OrderedDict[str, None] = OrderedDict()

    @property
    def client_name(self) -> str:
        return f"github:{self.settings.host}" if self.settings.host else "github"

    def _call(self, key: str, work: Callable[[GitHubActions], T]) -> Fetched[T]:
        def fetch() -> T:
            try:
                http = self.context.http_client(self.client_name)
            except NotFoundError as missing:  # no integrations.github entry: the administrators' to fix
                raise UpstreamError(str(missing), credentials=True) from None
            with http:
                return work(GitHubActions(http))

        return self.cache.get(key, fetch)

    # -- reads ------------------------------------------------------------------------------------------------

    def runs(self, slug: str, ref: str, *, workflow: str = "", branch: str = "", page: int = 1) -> Fetched[RunsPage]:
        key = f"{slug}|runs|{workflow}|{branch}|{page}"
        per_page = self.settings.per_page
        fetched = self._call(
            key, lambda gh: gh.runs(slug, workflow=workflow, branch=branch, per_page=per_page, page=page)
        )
        if fetched.value is not None and not fetched.stale:
            self._publish(ref, fetched.value.runs)
        return fetched

    def workflows(self, slug: str) -> Fetched[list[Workflow]]:
        return self._call(f"{slug}|workflows", lambda gh: gh.workflows(slug))

    def latest(self, slug: str, ref: str) -> Fetched[tuple[str, list[Run]]]:
        """The default branch and, per workflow, its latest run there."""

        def read(gh: GitHubActions) -> tuple[str, list[Run]]:
            branch = gh.default_branch(slug)
            latest: dict[str, Run] = {}
            for run in gh.runs(slug, branch=branch, per_page=30).runs:
                latest.setdefault(run.workflow, run)
            return branch, sorted(latest.values(), key=lambda run: run.workflow)

        fetched = self._call(f"{slug}|latest", read)
        if fetched.value is not None and not fetched.stale:
            self._publish(ref, fetched.value[1])
        return fetched

    def run(self, slug: str, run_id: int) -> Fetched[tuple[Run, list[Job]]]:
        return self._call(f"{slug}|run|{run_id}", lambda gh: gh.run(slug, run_id))

    # -- the one write ----------------------------------------------------------------------------------------

    def may_rerun(self, entity: Mapping[str, Any]) -> bool:
        return decide_for_entity(RERUN, entity).allowed

    def rerun(self, entity: Mapping[str, Any], run_id: int) -> None:
        """Re-run a run of the entity's repository, for a caller granted ``github-actions.run.rerun`` on it."""
        ref = EntityRef.of(dict(entity)).key
        decision = decide_for_entity(RERUN, entity)
        if not decision.allowed:
            self.context.audit(RERUN, ref, "denied", {"run": run_id, "reason": decision.reason})
            who = current_identity()
            raise NotAllowedError(f"{RERUN} is not granted to {who.subject if who else 'this caller'} on {ref}")
        slug = slug_of(entity)
        if slug is None or slug_problem(slug):
            raise UpstreamError(slug_problem(slug or "") or f"{ref} has no {ANNOTATION} annotation")
        try:
            with self.context.http_client(self.client_name) as http:
                GitHubActions(http).rerun(slug, run_id)
        except UpstreamError as error:
            self.context.audit(RERUN, ref, "failed", {"run": run_id, "repository": slug, "problem": str(error)})
            raise
        self.context.audit(RERUN, ref, "ok", {"run": run_id, "repository": slug})
        self.cache.forget(f"{slug}|")

    # -- change events ----------------------------------------------------------------------------------------

    def _publish(self, ref: str, runs: tuple[Run, ...] | list[Run]) -> None:
        if not self.settings.change_events:
            return
        for run in runs:
            key = f"{run.id}/{run.attempt}"
            if not run.finished or key in self._published:
                continue
            self._published[key] = None
            if len(self._published) > PUBLISHED_MEMORY:
                self._published.popitem(last=False)
            deploy = bool(self._deploys.search(run.workflow) or self._deploys.search(run.path))
            self.context.events.publish(
                CHANGES,
                {
                    # The id and source the change events plugin gives a workflow_run webhook: one event either way.
                    "source": "github",
                    "id": f"workflow_run/{run.id}/{run.attempt}",
                    "type": "deployment" if deploy else "build",
                    "time": run.updated,
                    "title": f"{run.workflow} #{run.number} on {run.branch}: {run.outcome}"[:500],
                    "url": run.url,
                    "actor": run.actor,
                    "version": run.sha[:12],
                    "attributes": {"conclusion": run.conclusion, "branch": run.branch, "event": run.event},
                    "entityRefs": [ref],
                },
            )
