"""What the tab, the card and the API ask for: GitLab's answers shared between viewers, Retry behind the
per-entity permission, and finished pipelines passed on as change events."""

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
from callboard_gitlab_ci.gitlab import GitLabCi, Job, Pipeline
from callboard_gitlab_ci.permissions import RETRY
from callboard_gitlab_ci.settings import Settings

T = TypeVar("T")
SLUG = "gitlab.com/project-slug"
PROJECT_ID = "gitlab.com/project-id"
CHANGES = "change-events.record"
PROJECT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
PUBLISHED_MEMORY = 5000


def project_of(entity: Mapping[str, Any]) -> str | None:
    found = entity.get("metadata", {}).get("annotations") or {}
    value = found.get(PROJECT_ID) or found.get(SLUG)
    return str(value).strip() if value else None


def project_problem(project: str) -> str | None:
    if project.isdigit() or (PROJECT.match(project) and not {".", ".."} & set(project.split("/"))):
        return None
    return f"{SLUG}: {project!r} is not group/project (e.g. northwind/label-printer), nor is it a project id"


class Pipelines:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self.settings: Settings = context.config
        self.cache = UpstreamCache(ttl_seconds=self.settings.cache_seconds, clock=context.now)
        self._published: OrderedDict[str, None] = OrderedDict()

    @property
    def client_name(self) -> str:
        return f"gitlab:{self.settings.host}" if self.settings.host else "gitlab"

    def _call(self, key: str, work: Callable[[GitLabCi], T]) -> Fetched[T]:
        def fetch() -> T:
            try:
                http = self.context.http_client(self.client_name)
            except NotFoundError as missing:
                raise UpstreamError(str(missing), credentials=True) from None
            with http:
                return work(GitLabCi(http))

        return self.cache.get(key, fetch)

    def pipelines(
        self, project: str, ref: str, *, branch: str = "", status: str = "", page: int = 1
    ) -> Fetched[tuple[list[Pipeline], int]]:
        size = self.settings.per_page
        fetched = self._call(
            f"{project}|pipelines|{branch}|{status}|{page}",
            lambda gl: gl.pipelines(project, ref=branch, status=status, per_page=size, page=page),
        )
        if fetched.value is not None and not fetched.stale:
            self._publish(project, ref, fetched.value[0])
        return fetched

    def latest(self, project: str) -> Fetched[tuple[str, Pipeline | None]]:
        def read(gl: GitLabCi) -> tuple[str, Pipeline | None]:
            branch = gl.default_branch(project)
            found, _ = gl.pipelines(project, ref=branch, per_page=1)
            return branch, found[0] if found else None

        return self._call(f"{project}|latest", read)

    def pipeline(self, project: str, pipeline_id: int) -> Fetched[tuple[Pipeline, list[Job]]]:
        return self._call(f"{project}|pipeline|{pipeline_id}", lambda gl: gl.pipeline(project, pipeline_id))

    def may_retry(self, entity: Mapping[str, Any]) -> bool:
        return decide_for_entity(RETRY, entity).allowed

    def retry(self, entity: Mapping[str, Any], pipeline_id: int) -> None:
        """Retry a pipeline of the entity's project, for a caller granted ``gitlab-ci.pipeline.retry`` on it."""
        ref = EntityRef.of(dict(entity)).key
        decision = decide_for_entity(RETRY, entity)
        if not decision.allowed:
            self.context.audit(RETRY, ref, "denied", {"pipeline": pipeline_id, "reason": decision.reason})
            who = current_identity()
            raise NotAllowedError(f"{RETRY} is not granted to {who.subject if who else 'this caller'} on {ref}")
        project = project_of(entity)
        if project is None or project_problem(project):
            raise UpstreamError(project_problem(project or "") or f"{ref} has no {SLUG} annotation")
        try:
            with self.context.http_client(self.client_name) as http:
                GitLabCi(http).retry(project, pipeline_id)
        except UpstreamError as error:
            self.context.audit(
                RETRY, ref, "failed", {"pipeline": pipeline_id, "project": project, "problem": str(error)}
            )
            raise
        self.context.audit(RETRY, ref, "ok", {"pipeline": pipeline_id, "project": project})
        self.cache.forget(f"{project}|")

    def _publish(self, project: str, ref: str, pipelines: list[Pipeline]) -> None:
        if not self.settings.change_events:
            return
        for pipeline in pipelines:
            key = f"{pipeline.id}/{pipeline.status}"
            if not pipeline.finished or key in self._published:
                continue
            self._published[key] = None
            if len(self._published) > PUBLISHED_MEMORY:
                self._published.popitem(last=False)
            self.context.events.publish(
                CHANGES,
                {
                    # The id and source the change events plugin gives a pipeline webhook: one event either way.
                    "source": "gitlab",
                    "id": f"pipeline/{key}",
                    "type": "build",
                    "time": pipeline.updated,
                    "title": f"Pipeline #{pipeline.iid} on {pipeline.ref}: {pipeline.status}"[:500],
                    "url": pipeline.url,
                    "version": pipeline.sha[:12],
                    "attributes": {"status": pipeline.status, "ref": pipeline.ref, "project": project},
                    "entityRefs": [ref],
                },
            )
