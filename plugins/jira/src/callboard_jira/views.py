"""What the Issues tab and the Open issues card show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard.sdk import EntityContext
from callboard_jira.service import COMPONENT, LABEL, PROJECT_KEY, Issues, annotations_of, key_problem

EXAMPLE = f"""metadata:
  annotations:
    {PROJECT_KEY}: BOOK
    {COMPONENT}: booking-api         # optional: only these components (comma-separated)
    {LABEL}: backend                 # optional: only issues with these labels"""


def issues_context(issues: Issues | None, context: EntityContext) -> Mapping[str, Any]:
    if issues is None:
        return {"unavailable": True}
    key = str(annotations_of(context.entity).get(PROJECT_KEY) or "").strip()
    if not key:
        return {"missing": True, "annotation": PROJECT_KEY, "example": EXAMPLE}
    problem = key_problem(key)
    if problem:
        return {"invalid": problem, "annotation": PROJECT_KEY, "example": EXAMPLE}
    return {"summary": issues.summary(context.entity), "now": issues.context.now()}
