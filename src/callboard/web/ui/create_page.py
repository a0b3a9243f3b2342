"""The Create pages: choose a template, fill its form, review, create, and watch the task run."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callboard.catalog.api import SecuredCatalog
from callboard.core.entity import EntityRef
from callboard.core.errors import CallboardError
from callboard.scaffolder.api import ScaffolderService, SecuredTasks, Template
from callboard.web.auth import identity_of
from callboard.web.ui.forms import (
    ONE_OF,
    candidate_properties,
    form_steps,
    review_rows,
    split_repo_url,
    values_from_form,
    without_choices,
)
from callboard.web.ui.rendering import Pages
from callboard.web.ui.security import require_same_origin
from callboard.web.ui.task_view import again_href, output_links, task_steps

FINAL = ("completed", "failed", "cancelled")


def create_router(
    catalog: SecuredCatalog, scaffolder: ScaffolderService, tasks: SecuredTasks, pages: Pages
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def load(namespace: str, name: str) -> tuple[dict[str, Any], Template]:
        entity = catalog.entity_by_name("template", namespace, name)
        return entity, Template.from_entity(entity)

    def options_for(kinds: list[str]) -> list[tuple[str, str]]:
        if not kinds:
            return []
        found = catalog.browse({"kind": [kind.lower() for kind in kinds]}, limit=500).items
        options = []
        for entity in found:
            metadata = entity["metadata"]
            ref = EntityRef.of(entity).key
            profile = (entity.get("spec") or {}).get("profile") or {}
            options.append((ref, str(metadata.get("title") or profile.get("displayName") or metadata["name"])))
        options.sort(key=lambda option: option[1].lower())
        return options

    def render_form(
        request: Request,
        entity: dict[str, Any],
        template: Template,
        values: dict[str, Any],
        errors: dict[str, str],
        current: int = 0,
    ) -> HTMLResponse:
        steps = form_steps(template.parameter_steps, values, errors)
        current = max(0, min(current, len(steps) - 1)) if steps else 0
        active = template.active_steps(values)
        for field in steps[current].fields if steps else []:
            if field.kind == "entity":
                field.options = options_for(field.entity_kinds)
            if field.kind == "repo":
                field.value = split_repo_url(field.value)
        return pages.render(
            request,
            "template_form.html",
            entity=entity,
            tpl=template,
            steps=steps,
            current=current,
            active=active,
            errors=errors,
            values_json=json.dumps(values),
        )

    def step_problems(template: Template, values: dict[str, Any], index: int | None) -> dict[str, str]:
        found: dict[str, str] = {}
        for problem in template.validate(without_choices(values)):
            if index is None or problem["step"] == str(index):
                found.setdefault(problem["path"] or "_", problem["message"])
        return found

    @router.get("/create", response_class=HTMLResponse)
    def create_page(request: Request, q: str = "", tag: str = "") -> HTMLResponse:
        chosen = {"kind": ["template"], **({"metadata.tags": [tag]} if tag else {})}
        result = catalog.browse(chosen, text=q, limit=200, facets=["metadata.tags"])
        return pages.render(
            request, "create.html", templates=result.items, q=q, tag=tag, tags=result.facets.get("metadata.tags", [])
        )

    @router.get("/create/templates/{namespace}/{name}", response_class=HTMLResponse)
    def template_form(request: Request, namespace: str, name: str, again: str = "") -> HTMLResponse:
        """The form; ``again`` (a task id) fills it with that task's answers ("Start over")."""
        entity, template = load(namespace, name)
        values = dict(tasks.get(again)["spec"].get("parameters") or {}) if again else {}
        return render_form(request, entity, template, values, {})

    @router.post("/create/templates/{namespace}/{name}", response_class=HTMLResponse)
    async def submit(request: Request, namespace: str, name: str) -> Response:
        """One page of the wizard at a time: earlier answers travel in ``values_json``, each page is checked
        before the next, the last leads to the review, and the review creates the task."""
        form = await request.form()
        fields = {key: [str(v) for v in form.getlist(key)] for key in form}
        require_same_origin(request, (fields.get("csrf_token") or [""])[0])
        entity, template = load(namespace, name)
        try:
            values: dict[str, Any] = json.loads((fields.get("values_json") or ["{}"])[0]) or {}
        except json.JSONDecodeError:
            values = {}
        action = (fields.get("action") or ["next"])[0]
        step_text = (fields.get("step") or ["0"])[0]
        current = int(step_text) if step_text.isdigit() else 0
        if action in ("next", "back", "review"):
            page = template.parameter_steps[current : current + 1]
            typed, problems = values_from_form(page, fields)
            for step in page:
                for key in candidate_properties(step):
                    values.pop(key, None)
            values.update(typed)
            if fields.get(ONE_OF):
                values[f"{ONE_OF}{current}"] = fields[ONE_OF][0]
            values = template.with_defaults(values)
            active = template.active_steps(values)
            if action == "back":
                earlier = [index for index in active if index < current]
                return render_form(request, entity, template, values, {}, earlier[-1] if earlier else 0)
            problems = {**step_problems(template, values, current), **problems}
            if problems:
                return render_form(request, entity, template, values, problems, current)
            later = [index for index in active if index > current]
            if action == "next" and later:
                return render_form(request, entity, template, values, {}, later[0])
            everything = step_problems(template, values, None)
            if everything:
                first = next((int(p["step"]) for p in template.validate(without_choices(values))), current)
                return render_form(request, entity, template, values, everything, first)
            return pages.render(
                request,
                "template_review.html",
                entity=entity,
                tpl=template,
                rows=review_rows(template.parameter_steps, template.active_steps(values), without_choices(values)),
                values_json=json.dumps(values),
            )
        values = template.with_defaults(without_choices(values))
        problems = step_problems(template, values, None)
        if problems:
            return render_form(request, entity, template, values, problems, 0)
        if action == "preview":
            try:
                preview = scaffolder.preview(entity, values, {"ref": identity_of(request).subject})
            except CallboardError as error:
                preview = {"status": "failed", "error": error.message, "directoryContents": [], "log": []}
            files = [
                {"path": f["path"], "text": base64.b64decode(f["base64Content"]).decode("utf-8", "replace")}
                for f in preview["directoryContents"]
            ]
            notes = [
                str(event["body"].get("message", ""))
                for event in preview.get("log") or []
                if str(event.get("body", {}).get("message", "")).startswith(("dry run:", "Skipping"))
            ]
            return pages.render(
                request,
                "template_review.html",
                entity=entity,
                tpl=template,
                rows=review_rows(template.parameter_steps, template.active_steps(values), values),
                values_json=json.dumps(values),
                preview=preview,
                files=files,
                notes=notes,
            )
        identity = identity_of(request)
        user = catalog.entities_by_refs([identity.subject], (), ())[0] if identity.type == "user" else None
        task_id = tasks.create(lambda: entity, values, user_entity=user)
        return RedirectResponse(f"/create/tasks/{task_id}", status_code=303)

    @router.get("/create/tasks", response_class=HTMLResponse)
    def task_list(request: Request, mine: bool = True, status: str = "") -> HTMLResponse:
        who = identity_of(request).subject if mine else None
        found = tasks.list_tasks(created_by=who, statuses=[status] if status else [], limit=100, offset=0)
        return pages.render(
            request, "tasks.html", tasks=found["tasks"], total=found["totalTasks"], mine=mine, status=status
        )

    @router.get("/create/tasks/{task_id}", response_class=HTMLResponse)
    def task_page(request: Request, task_id: str) -> HTMLResponse:
        task = tasks.get(task_id)
        events = tasks.events(task_id)
        steps = task_steps(task, events)
        page = "task_status.html" if request.headers.get("HX-Request") else "task.html"
        return pages.render(
            request,
            page,
            task=task,
            events=events,
            steps=steps,
            final=task["status"] in FINAL,
            links=output_links(task, steps),
            again=again_href(task),
        )

    @router.post("/create/tasks/{task_id}/cancel", response_class=HTMLResponse)
    def cancel(request: Request, task_id: str, csrf_token: str = Form("")) -> Response:
        require_same_origin(request, csrf_token)
        tasks.cancel(task_id)
        return RedirectResponse(f"/create/tasks/{task_id}", status_code=303)

    return router
