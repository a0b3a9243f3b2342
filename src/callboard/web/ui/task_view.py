"""A task as its page shows it: each step's state and how long it took, and every output link or why it is not there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

#: How the page names a step's state (the API keeps Backstage's words: open, processing, ...).
STEP_STATES = {"open": "waiting", "processing": "running"}


def _moment(text: Any) -> float | None:
    """A moment as seconds: the store's floats, or an ISO date-time."""
    if isinstance(text, int | float):
        return float(text)
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def task_steps(task: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each step with its state, when it started and how long it ran (from the task's events)."""
    steps = [
        {
            "id": step.get("id") or f"step-{index + 1}",
            "name": step.get("name") or step.get("action"),
            "action": step.get("action", ""),
            "status": "open",
            "started": None,
            "ended": None,
        }
        for index, step in enumerate(task["spec"].get("steps") or [])
    ]
    by_id = {step["id"]: step for step in steps}
    for event in events:
        body = event.get("body") or {}
        step = by_id.get(body.get("stepId"))
        if step is None or not body.get("status"):
            continue
        step["status"] = body["status"]
        at = _moment(event.get("createdAt"))
        if body["status"] == "processing":
            step["started"] = at
        elif at is not None:
            step["ended"] = at
    first = next((step["started"] for step in steps if step["started"]), None)
    last = max((step["ended"] or step["started"] or 0 for step in steps), default=0)
    span = max(last - first, 0.001) if first else 0.001
    for step in steps:
        step["label"] = STEP_STATES.get(step["status"], step["status"])
        step["seconds"] = step["ended"] - step["started"] if step["started"] and step["ended"] else None
        # Where the step sits on the task's timeline, in percent of the whole run.
        step["bar"] = (
            (round(100 * (step["started"] - first) / span, 1), round(max(1.5, 100 * (step["seconds"] or 0) / span), 1))
            if step["started"] and first
            else None
        )
    return steps


def output_links(task: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every link of ``spec.output.links``: its address, or why there is none (so no link silently vanishes)."""
    final = task.get("status") in ("completed", "failed", "cancelled")
    found = []
    output = task.get("output") or {}
    declared = (task.get("spec") or {}).get("output") or {}
    given = output.get("links") if output.get("links") is not None else declared.get("links")
    for link in given or []:
        title = str(link.get("title") or link.get("entityRef") or link.get("url") or "Link")
        ref, url = link.get("entityRef"), link.get("url")
        if isinstance(ref, str) and ref and "${{" not in ref:
            found.append({"title": title, "entity": ref})
        elif isinstance(url, str) and url.startswith(("https://", "http://")) and "${{" not in url:
            found.append({"title": title, "url": url})
        elif isinstance(url, str) and url.startswith("file:"):
            found.append(
                {
                    "title": title,
                    "why": f"a folder on the portal's server ({url.removeprefix('file:')}), not a web address",
                }
            )
        elif not final:
            found.append({"title": title, "why": "appears when the task has run"})
        else:
            failed = [step["name"] for step in steps if step["status"] in ("failed", "open", "cancelled")]
            why = (
                f"the step that gives it did not complete ({', '.join(failed)})"
                if failed
                else "the template gave no address"
            )
            found.append({"title": title, "why": why})
    return found


def again_href(task: Mapping[str, Any]) -> str | None:
    """The template's form filled with this task's answers, or None when the template is not a catalog entity."""
    ref = str(task.get("templateRef") or (task.get("spec") or {}).get("templateInfo", {}).get("entityRef") or "")
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    if kind.lower() != "template" or not name:
        return None
    return f"/create/templates/{quote(namespace)}/{quote(name)}?again={quote(str(task.get('id', '')))}"
