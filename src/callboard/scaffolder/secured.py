"""Template runs as one caller may start, read and cancel them: each call checked by the permission policy.

The API and the pages hold a ``SecuredTasks`` for the current request's caller, so both refuse the same
things with the same message; a task created here records who created it, and acts as them when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from callboard.core.permissions import (
    SCAFFOLDER_TASK_CANCEL,
    SCAFFOLDER_TASK_CREATE,
    SCAFFOLDER_TASK_READ,
    AccessLike,
    access_source,
    require,
)
from callboard.scaffolder.service import ScaffolderService
from callboard.scaffolder.tasks import TaskService


class SecuredTasks:
    def __init__(
        self,
        tasks: TaskService,
        scaffolder: ScaffolderService,
        access: AccessLike | Callable[[], AccessLike],
    ) -> None:
        self._tasks = tasks
        self._scaffolder = scaffolder
        self._access = access_source(access)

    def acting_as(self, access: AccessLike) -> SecuredTasks:
        return SecuredTasks(self._tasks, self._scaffolder, access)

    def _require(self, permission: str, what: str) -> AccessLike:
        access = self._access()
        require(access, permission, what)
        return access

    def create(
        self,
        template: Callable[[], Mapping[str, Any]],
        values: Mapping[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        user_entity: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a run of the template entity ``template()`` returns, as the caller; the task's id.

        The template is looked up only once the caller may run templates, so a refused caller learns nothing
        about which templates exist.
        """
        access = self._require(SCAFFOLDER_TASK_CREATE, "run templates")
        return self._tasks.create(template(), values, access.identity, secrets=secrets, user_entity=user_entity)

    def dry_run(
        self,
        template: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        directory_contents: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        access = self._require(SCAFFOLDER_TASK_CREATE, "run templates")
        return self._scaffolder.dry_run(
            template,
            values,
            secrets=secrets or {},
            directory_contents=directory_contents,
            user={"ref": access.identity.subject},
        )

    def get(self, task_id: str) -> dict[str, Any]:
        self._require(SCAFFOLDER_TASK_READ, "read tasks")
        return self._tasks.get(task_id)

    def list_tasks(self, *, created_by: str | None, statuses: list[str], limit: int, offset: int) -> dict[str, Any]:
        self._require(SCAFFOLDER_TASK_READ, "read tasks")
        return self._tasks.list_tasks(created_by=created_by, statuses=statuses, limit=limit, offset=offset)

    def events(self, task_id: str, after: int | None = None) -> list[dict[str, Any]]:
        self._require(SCAFFOLDER_TASK_READ, "read tasks")
        return self._tasks.events(task_id, after)

    def cancel(self, task_id: str) -> dict[str, str]:
        self._require(SCAFFOLDER_TASK_CANCEL, "cancel tasks")
        return self._tasks.cancel(task_id)
