"""The Jinja2 environment of the portal's pages: template lookup, helpers for entity links, the layout's data."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import Markup

from callboard.core.entity import EntityRef, EntityRefError, kind_plural
from callboard.core.extensions import NavItem
from callboard.core.relations import relation_targets

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def entity_href(target: Mapping[str, Any] | str) -> str:
    """The page of an entity, given the entity or its ref: ``/catalog/<namespace>/<kind>/<name>``."""
    if isinstance(target, str):
        try:
            ref = EntityRef.parse(target)
        except EntityRefError:
            return "/catalog"
        namespace, kind, name = ref.namespace, ref.kind, ref.name
    else:
        metadata = target.get("metadata") or {}
        namespace = str(metadata.get("namespace") or "default")
        kind, name = str(target.get("kind", "")), str(metadata.get("name", ""))
    return f"/catalog/{quote(namespace.lower(), safe='')}/{quote(kind.lower(), safe='')}/{quote(name, safe='')}"


def ago(moment: float | None, now: float) -> str:
    """How long before ``now`` (the portal's clock, which a page passes in) ``moment`` was: "3 h ago"."""
    if moment is None:
        return ""
    seconds = now - moment
    if seconds < 0:
        return at_time(moment)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def at_time(moment: float | None) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def clock_time(moment: float | None) -> str:
    """The time of day, to the second, UTC: "14:03:27" (log lines)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S") if moment else ""


def took(seconds: float | None) -> str:
    """A duration as people say it: "4 min 05 s", "42 s", "2 h 10 min"."""
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def ref_label(ref: str, context_kind: str | None = None) -> str:
    """A compact ref for people: the kind is left out where the column already says it."""
    try:
        parsed = EntityRef.parse(ref)
    except EntityRefError:
        return ref
    namespace = "" if parsed.namespace == "default" else f"{parsed.namespace}/"
    kind = "" if context_kind and parsed.kind.lower() == context_kind.lower() else f"{parsed.kind.lower()}:"
    return f"{kind}{namespace}{parsed.name}"


def entity_ref(entity: Mapping[str, Any]) -> str:
    return EntityRef.of(dict(entity)).key


def entity_title(entity: Mapping[str, Any]) -> str:
    metadata = entity.get("metadata") or {}
    profile = (entity.get("spec") or {}).get("profile")
    display = profile.get("displayName") if isinstance(profile, dict) else None
    return str(metadata.get("title") or display or metadata.get("name", ""))


def url_location(value: str | None) -> str | None:
    """The browsable URL in a location annotation (``url:https://...``), or None for files and others."""
    if not value:
        return None
    kind, _, target = value.partition(":")
    return target if kind == "url" and target.startswith(("https://", "http://")) else None


def safe_url(value: object) -> str | None:
    """``value`` if it is an http(s) or mailto URL: descriptor data never becomes a ``javascript:`` link."""
    if isinstance(value, str) and value.startswith(("https://", "http://", "mailto:")):
        return value
    return None


def with_query(params: Mapping[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one); lists repeat the key."""
    merged: dict[str, Any] = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value in ("", []):
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, str(item)) for item in values)
    return "?" + urlencode(pairs)


#: Kinds with an icon in static/kinds.svg (others get the plain one).
KIND_ICONS = frozenset({"component", "api", "system", "domain", "resource", "group", "user", "location", "template"})


#: Avatar colours, chosen by the name so a person keeps theirs everywhere.
AVATAR_COLOURS = ("#2f6fd6", "#8a4fd1", "#1d8a5b", "#c2410c", "#a16207", "#0e7c86", "#b42364", "#4b5563")


#: Where the pages may load pictures from when ``backend.csp`` does not say (the content policy's img-src).
DEFAULT_IMAGE_SOURCES = ("'self'", "data:")


def picture_allowed(sources: Sequence[str]) -> Callable[[str], bool]:
    """Whether the pages' content policy (its img-src) lets a browser load this picture: the portal's own paths
    and data: URLs by default; other hosts only where ``backend.csp`` lists them (or ``https:``)."""
    allowed = {source.rstrip("/").lower() for source in sources}

    def check(picture: str) -> bool:
        if picture.startswith("data:image/"):
            return "data:" in allowed
        if picture.startswith("/") and not picture.startswith("//"):
            return "'self'" in allowed
        parts = urlsplit(picture)
        if parts.scheme != "https" or not parts.netloc:
            return False
        return bool({"https:", "*", f"https://{parts.netloc.lower()}"} & allowed)

    return check


def avatar(
    entity: Mapping[str, Any] | None,
    name: str = "",
    size: str = "",
    *,
    allowed: Callable[[str], bool] | None = None,
) -> Markup:
    """A round picture for a person or group: ``spec.profile.picture`` when the pages may load it (see
    ``picture_allowed``), else their initials on a colour of their own."""
    spec = (entity or {}).get("spec") or {}
    given = spec.get("profile")
    profile: Mapping[str, Any] = given if isinstance(given, dict) else {}
    shown = str(profile.get("displayName") or name or ((entity or {}).get("metadata") or {}).get("name") or "?")
    picture = str(profile.get("picture") or "")
    classes = f"avatar {size}".strip()
    if picture and (allowed or picture_allowed(DEFAULT_IMAGE_SOURCES))(picture):
        return Markup('<img class="{}" src="{}" alt="" aria-hidden="true">').format(classes, picture)
    words = [word for word in re.split(r"[\s._-]+", shown) if word]
    initials = "".join(word[0] for word in words[:2]).upper() or "?"
    colour = AVATAR_COLOURS[sum(map(ord, shown)) % len(AVATAR_COLOURS)]
    return Markup('<span class="{}" style="background: {}" aria-hidden="true">{}</span>').format(
        classes, colour, initials
    )


def task_title(task: Mapping[str, Any]) -> str:
    """A task as its creator knows it: the template's title and the name they gave ("Python service: orders")."""
    spec = task.get("spec") or {}
    info = spec.get("templateInfo") or {}
    metadata = (info.get("entity") or {}).get("metadata") or {}
    title = str(metadata.get("title") or metadata.get("name") or info.get("entityRef") or "Task")
    parameters = spec.get("parameters") or {}
    named = next((parameters[key] for key in ("name", "component_id", "componentId") if parameters.get(key)), None)
    return f"{title}: {named}" if isinstance(named, str) else title


class Pages:
    """Renders templates inside the layout; one per web app."""

    def __init__(
        self,
        title: str,
        nav: Sequence[NavItem],
        template_dirs: Sequence[str] = (),
        plugin_templates: Mapping[str, str] | None = None,
        image_sources: Sequence[str] = DEFAULT_IMAGE_SOURCES,
    ) -> None:
        loaders: list[Any] = [FileSystemLoader(directory) for directory in template_dirs]
        if plugin_templates:
            # A plugin's pages are named "<plugin>/<file>", so two plugins' index.html never collide.
            loaders.append(PrefixLoader({plugin: FileSystemLoader(d) for plugin, d in plugin_templates.items()}))
        loaders.append(PackageLoader("callboard.web", "templates"))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html", "svg"], default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            entity_href=entity_href,
            ref_label=ref_label,
            entity_ref=entity_ref,
            entity_title=entity_title,
            url_location=url_location,
            safe_url=safe_url,
            rel_targets=relation_targets,
            with_query=with_query,
            ago=ago,
            at_time=at_time,
            took=took,
            clock_time=clock_time,
            kind_plural=kind_plural,
            kind_icons=KIND_ICONS,
            task_title=task_title,
            avatar=partial(avatar, allowed=picture_allowed(image_sources)),
            app_title=title,
            nav=list(nav),
            vendor_ready=(STATIC_DIR / "vendor" / "htmx" / "htmx.min.js").is_file(),
        )

    def render_text(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        fragment = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
        state = request.state
        html = self.render_text(
            template,
            request=request,
            path=request.url.path,
            fragment=fragment,
            identity=getattr(state, "identity", None),
            csrf_token=getattr(state, "csrf_token", ""),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)
