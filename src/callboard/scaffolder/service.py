"""The scaffolder as the API uses it: actions, a template's form, and dry runs in a throwaway folder."""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from callboard.core.errors import InputError
from callboard.scaffolder.actions import ScaffolderAction
from callboard.scaffolder.runner import Runner
from callboard.scaffolder.templates import Template
from callboard.scaffolder.workspace import safe_child

MAX_DRY_RUN_FILES = 2000


def _workspace_files(workspace: Path) -> list[dict[str, Any]]:
    files = []
    if workspace.exists():
        for path in sorted(p for p in workspace.rglob("*") if p.is_file() and not p.is_symlink()):
            files.append(
                {
                    "path": path.relative_to(workspace).as_posix(),
                    "executable": os.access(path, os.X_OK),
                    "base64Content": base64.b64encode(path.read_bytes()).decode(),
                }
            )
    return files


def _write_template_file(template_dir: Path, item: Mapping[str, Any]) -> None:
    """One file of a dry run's template folder, as Backstage's template editor sends it."""
    path = str(item.get("path", ""))
    try:
        target = safe_child(template_dir, path, what="directoryContents path")
        if not path.strip("/. ") or target == template_dir.resolve() or target.is_dir():
            raise InputError(
                f"directoryContents path {path[:80]!r} names no file; give a path such as skeleton/README.md"
            )
        try:
            data = base64.b64decode(str(item.get("base64Content", "")), validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"directoryContents {path[:80]!r} is not valid base64") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if item.get("executable"):
            target.chmod(0o755)
    except OSError as error:
        raise InputError(f"directoryContents path {path[:80]!r} cannot be written: {error.strerror}") from None


class ScaffolderService:
    def __init__(
        self, actions: Mapping[str, ScaffolderAction], integrations: Mapping[str, Any], runner: Runner | None = None
    ) -> None:
        self.actions = dict(actions)
        self.integrations = dict(integrations)
        self.runner = runner or Runner(self.actions)

    def list_actions(self) -> list[dict[str, Any]]:
        """Backstage's ``GET /v2/actions``: every action with its input and output schema, by id."""
        return [self.actions[key].schema() for key in sorted(self.actions)]

    def _dry_run(
        self,
        template: Template,
        values: Mapping[str, Any],
        workspace: Path,
        *,
        secrets: Mapping[str, str] | None,
        user: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        values = template.with_defaults(values)
        problems = template.validate(values)
        if problems:
            raise InputError("; ".join(f"{p['path'] or '(top)'}: {p['detail']}" for p in problems))
        log: list[dict[str, Any]] = []
        result = self.runner.run(
            template,
            values,
            workspace=workspace,
            emit=log.append,
            secrets=secrets,
            user=user,
            integrations=self.integrations,
            dry_run=True,
        )
        return {
            "log": [{"body": {**event["body"]}, "type": event["type"]} for event in log],
            "output": result.output,
            "steps": [{"id": s.id, "name": s.name, "action": s.action, "status": s.status} for s in result.steps],
            "directoryContents": _workspace_files(workspace),
            "status": result.status,
            "error": result.error,
        }

    def parameter_schema(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        return Template.from_entity(entity).parameter_schema()

    def preview(self, entity: Mapping[str, Any], values: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
        """A dry run of a catalog template with its own files (its location on disk): what it would write."""
        template = Template.from_entity(entity)
        root = Path(tempfile.mkdtemp(prefix="callboard-preview-"))
        try:
            return self._dry_run(template, values, root / "workspace", secrets={}, user=user)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def dry_run(
        self,
        entity: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        directory_contents: Sequence[Mapping[str, Any]] = (),
        user: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run the template with only dry-run-safe actions; the files it would write come back base64-encoded.

        ``directory_contents`` are the template's own files (its skeleton), as Backstage's editor sends them.
        """
        if len(directory_contents) > MAX_DRY_RUN_FILES:
            raise InputError(f"A dry run takes at most {MAX_DRY_RUN_FILES} template files")
        root = Path(tempfile.mkdtemp(prefix="callboard-dry-run-"))
        try:
            template_dir, workspace = root / "template", root / "workspace"
            template_dir.mkdir()
            for item in directory_contents:
                _write_template_file(template_dir, item)
            template = Template.from_entity(entity, base_url=f"file:{template_dir / 'template.yaml'}")
            return self._dry_run(template, values, workspace, secrets=secrets, user=user)
        finally:
            shutil.rmtree(root, ignore_errors=True)
