"""The real templates in the shared corpus, run unmodified with values derived from their own forms.

Each runs against a local GitHub API and a real git server. The result table goes to
build/test-output/corpus-templates.md: the templates that complete end to end, and why each other one does
not (usually an action from a plugin Callboard does not ship).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from callboard.builtins.scaffolder_actions import register_scaffolder_actions
from callboard.scaffolder.runner import Runner
from callboard.scaffolder.templates import Template
from tests.auth.fakes import FakeGithub
from tests.conftest import REPO
from tests.scaffolder.git_server import GitServer
from tests.support import Server

ACTIONS = {action.id: action for action in register_scaffolder_actions()}
REPORT = REPO / "build" / "test-output" / "corpus-templates.md"
#: Templates that complete today; the test fails if one of them stops completing.
MINIMUM_COMPLETING = 9


def value_for(name: str, schema: dict[str, Any], index: int) -> Any:
    """A value a person could have entered in the form for this field."""
    field = schema.get("ui:field", "")
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if field == "RepoUrlPicker":
        return f"github.com?owner=acme&repo=corpus-{index}"
    if field in ("OwnerPicker", "EntityPicker", "MyGroupsPicker", "OwnedEntityPicker"):
        return "group:default/team-a"
    kind = schema.get("type", "string")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return f"corpus-{index}" if "name" in name.lower() or "id" in name.lower() else f"value-{name.lower()}"


def values_for(template: Template, index: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for step in template.parameter_steps:
        properties = dict(step.get("properties") or {})
        if step.get("oneOf"):  # a person picks one alternative and fills in its fields
            properties.update(step["oneOf"][0].get("properties") or {})
        for name, schema in properties.items():
            if isinstance(schema, dict):
                values.setdefault(name, value_for(name, schema, index))
    return values


def corpus_templates(corpus: Path) -> list[Path]:
    found = []
    for path in sorted((corpus / "templates").rglob("*.y*ml")):
        try:
            documents = list(yaml.safe_load_all(path.read_text("utf-8")))
        except yaml.YAMLError:
            continue
        if any(isinstance(d, dict) and d.get("kind") == "Template" for d in documents):
            found.append(path)
    return found


def test_corpus_templates_run_end_to_end(corpus: Path, tmp_path: Path) -> None:
    github = FakeGithub()
    rows = []
    with GitServer(tmp_path / "git", token=github.token) as git, Server(github.app) as api:
        github.git_url = git.url
        github.seed = git.seed
        integrations = {"github": [{"host": "github.com", "token": github.token, "apiBaseUrl": f"{api.url}/api/v3"}]}
        for index, path in enumerate(corpus_templates(corpus)):
            entity = next(
                d
                for d in yaml.safe_load_all(path.read_text("utf-8"))
                if isinstance(d, dict) and d.get("kind") == "Template"
            )
            name = str(path.relative_to(corpus / "templates"))
            try:
                template = Template.from_entity(entity, base_url=f"file:{path}")
            except Exception as error:  # a template Callboard refuses to load is reported, not hidden
                rows.append((name, "refused", str(error)))
                continue
            values = values_for(template, index)
            problems = template.validate(values)
            if problems:
                rows.append((name, "values", f"{problems[0]['path']}: {problems[0]['message']}"))
                continue
            result = Runner(ACTIONS).run(
                template, values, workspace=tmp_path / f"ws-{index}", emit=lambda event: None, integrations=integrations
            )
            rows.append((name, result.status, result.error or ""))
    completed = [row for row in rows if row[1] == "completed"]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Corpus templates: {len(completed)} of {len(rows)} complete end to end",
        "",
        "| template | result | why not |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {status} | {reason.replace('|', '/')[:200]} |" for name, status, reason in rows]
    REPORT.write_text("\n".join(lines) + "\n", "utf-8")
    assert len(rows) >= 24, "the corpus holds 24 v1beta2/v1beta3 templates"
    assert len(completed) >= MINIMUM_COMPLETING, REPORT.read_text()
    for name, status, reason in rows:
        if status != "completed":
            assert reason, f"{name} did not complete and says nothing about why"


@pytest.mark.parametrize("field", ["RepoUrlPicker", "OwnerPicker"])
def test_generated_values_use_the_field_extensions(field: str) -> None:
    assert value_for("x", {"type": "string", "ui:field": field}, 1)
