"""Built-in file actions: what they write, and that nothing leaves the task's workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from callboard.builtins.scaffolder_actions import register_scaffolder_actions
from callboard.core.errors import InputError, NotAllowedError
from callboard.scaffolder.actions import ActionContext
from callboard.scaffolder.workspace import safe_child
from tests.support import write

ACTIONS = {action.id: action for action in register_scaffolder_actions()}


def run(action_id: str, workspace: Path, template_dir: Path, **given: Any) -> list[str]:
    logs: list[str] = []
    action = ACTIONS[action_id]
    context = ActionContext(workspace=workspace, base_url=f"file:{template_dir / 'template.yaml'}", log=logs.append)
    action.run(context, action.input_model.model_validate(given))
    return logs


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    workspace, template = tmp_path / "ws", tmp_path / "tpl"
    workspace.mkdir()
    write(template / "template.yaml", "kind: Template\n")
    return workspace, template


def test_fetch_template_renders_contents_and_paths(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    write(
        template / "skeleton" / "${{ values.name }}" / "README.md",
        "# ${{ values.name }}\n{% if values.db %}db: yes{% endif %}\n",
    )
    write(template / "skeleton" / ".github" / "workflows" / "ci.yml", "run: ${{ matrix.os }}\n")
    write(template / "skeleton" / "${{ 'drop.txt' if values.db else '' }}", "x")
    (template / "skeleton" / "run.sh").write_text("#!/bin/sh\n")
    (template / "skeleton" / "run.sh").chmod(0o755)
    run(
        "fetch:template",
        workspace,
        template,
        url="./skeleton",
        values={"name": "svc", "db": False},
        copyWithoutTemplating=[".github/workflows/*"],
    )
    assert (workspace / "svc" / "README.md").read_text() == "# svc\n\n"
    assert (workspace / ".github" / "workflows" / "ci.yml").read_text() == "run: ${{ matrix.os }}\n"
    assert not (workspace / "drop.txt").exists()  # a path that renders empty drops the file
    assert os.access(workspace / "run.sh", os.X_OK)


def test_template_file_extension_renders_only_those_files(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    write(template / "sk" / "app.py.njk", "name = '${{ values.name }}'\n")
    write(template / "sk" / "raw.txt", "${{ values.name }}\n")
    run("fetch:template", workspace, template, url="./sk", values={"name": "svc"}, templateFileExtension=True)
    assert (workspace / "app.py").read_text() == "name = 'svc'\n"
    assert (workspace / "raw.txt").read_text() == "${{ values.name }}\n"
    with pytest.raises(InputError, match="cannot be combined"):
        run("fetch:template", workspace, template, url="./sk", templateFileExtension=True, cookiecutterCompat=True)


def test_cookiecutter_compat_uses_classic_delimiters(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    write(template / "cc" / "{{ cookiecutter.name }}.txt", "hello {{ cookiecutter.name | jsonify }}\n")
    run("fetch:template", workspace, template, url="./cc", values={"name": "svc"}, cookiecutterCompat=True)
    assert (workspace / "svc.txt").read_text() == 'hello "svc"\n'


def test_existing_files_are_kept_unless_replace(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    write(template / "sk" / "a.txt", "new\n")
    write(workspace / "a.txt", "old\n")
    run("fetch:template", workspace, template, url="./sk")
    assert (workspace / "a.txt").read_text() == "old\n"
    run("fetch:template", workspace, template, url="./sk", replace=True)
    assert (workspace / "a.txt").read_text() == "new\n"


@pytest.mark.parametrize("target", ["../outside", "/etc", "a/../../x"])
def test_target_paths_cannot_leave_the_workspace(dirs: tuple[Path, Path], target: str) -> None:
    workspace, template = dirs
    write(template / "sk" / "a.txt", "x")
    with pytest.raises(NotAllowedError, match="would leave the task's workspace"):
        run("fetch:template", workspace, template, url="./sk", targetPath=target)


def test_rendered_paths_cannot_climb_out(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    write(template / "sk" / "${{ values.p }}", "x")
    with pytest.raises(NotAllowedError):
        run("fetch:template", workspace, template, url="./sk", values={"p": "../../evil.txt"})
    assert not (workspace.parent / "evil.txt").exists()


def test_a_workspace_symlink_cannot_redirect_writes_outside(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    workspace, template = dirs
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "link").symlink_to(outside)  # CVE-2026-24046: a symlink planted in the workspace
    write(template / "sk" / "a.txt", "x")
    with pytest.raises(NotAllowedError):
        run("fetch:template", workspace, template, url="./sk", targetPath="link")
    with pytest.raises(NotAllowedError):
        run("catalog:write", workspace, template, filePath="link/catalog-info.yaml", entity={"kind": "Component"})
    assert list(outside.iterdir()) == []


def test_skeleton_symlinks_pointing_outside_are_refused(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    workspace, template = dirs
    (template / "sk").mkdir()
    (template / "sk" / "passwd").symlink_to("/etc/passwd")  # CVE-2026-24047: a symlink shipped in the skeleton
    with pytest.raises(NotAllowedError, match="symlink"):
        run("fetch:plain", workspace, template, url="./sk")
    with pytest.raises(NotAllowedError, match="symlink"):
        run("fetch:template", workspace, template, url="./sk")
    assert not (workspace / "passwd").exists()


def test_fetch_urls_cannot_leave_the_template_folder(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    with pytest.raises(NotAllowedError):
        run("fetch:plain", workspace, template, url="../../etc")


def test_fs_rename_and_delete(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    write(workspace / "a.txt", "a")
    write(workspace / "tmp" / "x.log", "x")
    run("fs:rename", workspace, template, files=[{"from": "a.txt", "to": "docs/b.txt"}])
    assert (workspace / "docs" / "b.txt").read_text() == "a"
    run("fs:delete", workspace, template, files=["tmp/*.log"])
    assert not (workspace / "tmp" / "x.log").exists()
    with pytest.raises(NotAllowedError):
        run("fs:delete", workspace, template, files=["../*"])


def test_catalog_write_and_debug_log(dirs: tuple[Path, Path]) -> None:
    workspace, template = dirs
    run("catalog:write", workspace, template, entity={"apiVersion": "backstage.io/v1alpha1", "kind": "Component"})
    assert "kind: Component" in (workspace / "catalog-info.yaml").read_text()
    logs = run("debug:log", workspace, template, message="hi", listWorkspace=True)
    assert logs == ["hi", "catalog-info.yaml"]


def test_unknown_input_keys_are_errors() -> None:
    with pytest.raises(Exception, match="urll"):
        ACTIONS["fetch:plain"].input_model.model_validate({"url": "./x", "urll": "typo"})


def test_safe_child_allows_the_workspace_itself(tmp_path: Path) -> None:
    assert safe_child(tmp_path, "./") == tmp_path.resolve()
