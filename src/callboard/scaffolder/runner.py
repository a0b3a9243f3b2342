"""Running a template: each step's input rendered, checked against its action, run in the task's workspace."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from callboard.core.errors import CallboardError, InputError
from callboard.core.limits import RenderLimits
from callboard.scaffolder.actions import ActionContext, CatalogAccess, ScaffolderAction
from callboard.scaffolder.budget import running_with
from callboard.scaffolder.expressions import Renderer
from callboard.scaffolder.templates import Step, Template

#: An event in Backstage's shape: {type: log|completion, body: {message, stepId?, status?, output?, error?}}.
EventSink = Callable[[dict[str, Any]], None]


@dataclass
class StepResult:
    id: str
    name: str
    action: str
    status: str = "open"  # open, processing, completed, skipped, failed
    output: Any = None
    started_at: float | None = None
    ended_at: float | None = None


@dataclass
class RunResult:
    status: str  # completed, failed, cancelled
    steps: list[StepResult]
    output: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Cancelled(Exception):
    """The task was cancelled while running."""


def _pydantic_problem(step: Step, error: ValidationError) -> InputError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return InputError(f"Step {step.id!r} ({step.action}): input.{where}: {first['msg']}")


def _without_undefined(value: Any) -> Any:
    """Keys whose expression rendered to nothing are left out, as JSON drops JavaScript's undefined."""
    if isinstance(value, dict):
        return {key: _without_undefined(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_undefined(item) for item in value]
    return value


#: Longest log line a step may write; longer ones are cut, saying how much was left out.
MAX_LOG_CHARACTERS = 64 * 1024


class Runner:
    def __init__(
        self,
        actions: Mapping[str, ScaffolderAction],
        renderer: Renderer | None = None,
        *,
        limits: RenderLimits | None = None,
        allow_local_remotes: bool = False,
    ) -> None:
        self.actions = dict(actions)
        self.limits = limits or RenderLimits()
        self.renderer = renderer or Renderer(limits=self.limits)
        self.allow_local_remotes = allow_local_remotes

    def check(self, template: Template) -> None:
        """Refuse a template that calls actions this Callboard does not have, before anything runs."""
        missing = sorted({step.action for step in template.steps if step.action not in self.actions})
        if missing:
            raise InputError(f"{template.ref} uses actions that are not installed: {', '.join(missing)}")

    def run(
        self,
        template: Template,
        values: Mapping[str, Any],
        *,
        workspace: Path,
        emit: EventSink,
        secrets: Mapping[str, str] | None = None,
        user: Mapping[str, Any] | None = None,
        catalog: CatalogAccess | None = None,
        integrations: Mapping[str, Any] | None = None,
        dry_run: bool = False,
        cancelled: Callable[[], bool] = lambda: False,
        task_id: str = "",
        local_root: Path | None = None,
    ) -> RunResult:
        workspace.mkdir(parents=True, exist_ok=True)
        results = [StepResult(step.id, step.name, step.action) for step in template.steps]
        context: dict[str, Any] = {
            "parameters": dict(values),
            "steps": {},
            "secrets": dict(secrets or {}),
            "user": dict(user or {}),
            "context": {"task": {"id": task_id}},
        }
        try:
            self.check(template)
            with running_with(self.limits):
                for step, result in zip(template.steps, results, strict=True):
                    if cancelled():
                        raise Cancelled
                    self._run_step(
                        step,
                        result,
                        context,
                        template,
                        workspace,
                        emit,
                        catalog,
                        integrations,
                        dry_run,
                        secrets,
                        local_root,
                    )
                output = self.renderer.render(template.output, context, where="spec.output")
            emit(
                {
                    "type": "completion",
                    "body": {
                        "message": "Run completed with status: completed",
                        "status": "completed",
                        "output": output,
                    },
                }
            )
            return RunResult("completed", results, output)
        except Cancelled:
            for result in results:
                if result.status in ("open", "processing"):
                    result.status = "cancelled" if result.status == "processing" else "skipped"
            emit({"type": "cancelled", "body": {"message": "Run was cancelled", "status": "cancelled"}})
            return RunResult("cancelled", results, error="cancelled")
        except Exception as error:
            message = error.message if isinstance(error, CallboardError) else f"{type(error).__name__}: {error}"
            failing = next((r for r in results if r.status == "processing"), None)
            if failing is not None:
                failing.status, failing.ended_at = "failed", time.time()
                emit({"type": "log", "body": {"message": message, "stepId": failing.id, "status": "failed"}})
            if not isinstance(error, CallboardError):
                emit(
                    {
                        "type": "log",
                        "body": {"message": traceback.format_exc(limit=3), "stepId": failing.id if failing else None},
                    }
                )
            emit(
                {
                    "type": "completion",
                    "body": {
                        "message": "Run completed with status: failed",
                        "status": "failed",
                        "error": {"name": type(error).__name__, "message": message},
                    },
                }
            )
            return RunResult("failed", results, error=message)

    def _run_step(
        self,
        step: Step,
        result: StepResult,
        context: dict[str, Any],
        template: Template,
        workspace: Path,
        emit: EventSink,
        catalog: CatalogAccess | None,
        integrations: Mapping[str, Any] | None,
        dry_run: bool,
        secrets: Mapping[str, str] | None,
        local_root: Path | None,
    ) -> None:
        where = f"spec.steps.{step.id}"
        if step.condition is not None and not self.renderer.truthy(step.condition, context, where=f"{where}.if"):
            result.status = "skipped"
            emit(
                {
                    "type": "log",
                    "body": {
                        "message": f"Skipping step {step.id} because its if condition was false",
                        "stepId": step.id,
                        "status": "skipped",
                    },
                }
            )
            context["steps"][step.id] = {"output": {}}
            return
        result.status, result.started_at = "processing", time.time()
        emit(
            {
                "type": "log",
                "body": {"message": f"Beginning step {step.name}", "stepId": step.id, "status": "processing"},
            }
        )
        action = self.actions[step.action]

        def log(message: str) -> None:
            if len(message) > MAX_LOG_CHARACTERS:
                left_out = len(message) - MAX_LOG_CHARACTERS
                message = f"{message[:MAX_LOG_CHARACTERS]}… ({left_out} more characters not shown)"
            emit({"type": "log", "body": {"message": message, "stepId": step.id}})

        items: list[tuple[Any, Any]] | None = None
        if step.each is not None:
            iterable = self.renderer.render(step.each, context, where=f"{where}.each")
            if isinstance(iterable, Mapping):
                items = list(iterable.items())
            elif isinstance(iterable, list):
                items = list(enumerate(iterable))
            else:
                raise InputError(f"{where}.each must be a list or a mapping, not {type(iterable).__name__}")
        outputs: list[Any] = []
        for key, value in items if items is not None else [(None, None)]:
            scope = {**context, "each": {"key": key, "value": value}} if items is not None else context
            rendered = _without_undefined(self.renderer.render(step.input, scope, where=f"{where}.input"))
            try:
                given = action.input_model.model_validate(rendered)
            except ValidationError as error:
                raise _pydantic_problem(step, error) from None
            if dry_run and not action.supports_dry_run:
                log(f"Skipping {step.action} in dry run (the action does not support it)")
                outputs.append({})
                continue
            action_context = ActionContext(
                workspace=workspace,
                base_url=template.base_url,
                log=log,
                catalog=catalog,
                secrets=dict(secrets or {}),
                user=context["user"],
                integrations=dict(integrations or {}),
                dry_run=dry_run,
                step_id=step.id,
                local_root=local_root,
                allow_local_git=self.allow_local_remotes,
            )
            produced = action.run(action_context, given)
            outputs.append(produced.model_dump(exclude_none=True) if produced is not None else {})
        output = outputs if items is not None else outputs[0]
        context["steps"][step.id] = {"output": output}
        result.output, result.status, result.ended_at = output, "completed", time.time()
        emit(
            {"type": "log", "body": {"message": f"Finished step {step.name}", "stepId": step.id, "status": "completed"}}
        )
