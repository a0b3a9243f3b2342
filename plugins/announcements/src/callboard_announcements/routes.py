"""The plugin's API (``/api/announcements/``) and its page (``/announcements/``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from callboard.sdk import EntityRef, EntityRefError, PluginContext, current_access
from callboard_announcements import store
from callboard_announcements.permissions import CREATE, DELETE

POSTED = "announcements.posted"


class NewPost(BaseModel):
    team: str = Field(min_length=1, max_length=400, description="the team's entity ref, e.g. group:default/payments")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=10_000)


def _team_ref(raw: str) -> str:
    try:
        return EntityRef.parse(raw.strip(), default_kind="group").key
    except EntityRefError as error:
        raise HTTPException(400, f"team: {error}") from None


def _require(permission: str) -> str:
    access = current_access()
    decision = access.decide(permission)
    if not decision.allowed:
        raise HTTPException(403, f"{permission} is not granted to {access.identity.subject}")
    return access.identity.subject


def publish(context: PluginContext, team: str, title: str, body: str, author: str, source: str) -> dict[str, Any]:
    post_id = store.add(context.database, team, title, body, author, context.now(), source)
    context.events.publish(POSTED, {"id": post_id, "team": team, "title": title})
    return store.get(context.database, post_id) or {}


def api_router(context: PluginContext) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/posts")
    def list_posts(team: str | None = None, limit: int = 50) -> dict[str, Any]:
        teams = [_team_ref(team)] if team else None
        return {"items": store.listed(context.database, teams, max(1, min(limit, store.MAX_LISTED)))}

    @router.post("/posts", status_code=201)
    def create_post(post: NewPost) -> dict[str, Any]:
        author = _require(CREATE)
        team = _team_ref(post.team)
        created = publish(context, team, post.title, post.body, author, "api")
        context.audit("announcements.post.create", team, detail={"id": created.get("id"), "title": post.title})
        return created

    @router.delete("/posts/{post_id}", status_code=204)
    def delete_post(post_id: int) -> Response:
        _require(DELETE)
        found = store.get(context.database, post_id)
        if found is None or not store.remove(context.database, post_id):
            raise HTTPException(404, f"No announcement {post_id}")
        context.audit("announcements.post.delete", found["team"], detail={"id": post_id})
        return Response(status_code=204)

    return router


def pages_router(context: PluginContext) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request, error: str = "") -> HTMLResponse:
        allowed = current_access().decide(CREATE).allowed
        return context.render(
            request,
            "index.html",
            title=context.config.title,
            posts=store.listed(context.database),
            may_post=allowed,
            error=error,
        )

    @router.post("/")
    def post_form(
        request: Request,
        team: str = Form(""),
        title: str = Form(""),
        body: str = Form(""),
        csrf_token: str = Form(""),
    ) -> Response:
        context.check_csrf(request, csrf_token)
        author = _require(CREATE)
        if not title.strip() or not team.strip():
            return RedirectResponse("/announcements/?error=Give+a+team+and+a+title", status_code=303)
        try:
            team_ref = EntityRef.parse(team.strip(), default_kind="group").key
        except EntityRefError as error:
            return RedirectResponse(f"/announcements/?error={quote(str(error))}", status_code=303)
        created = publish(context, team_ref, title.strip()[:200], body.strip()[:10_000], author, "portal")
        context.audit("announcements.post.create", team_ref, detail={"id": created.get("id"), "title": title})
        return RedirectResponse("/announcements/", status_code=303)

    return router
