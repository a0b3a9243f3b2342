"""Built-in scaffolder actions that write files: fetch:*, fs:*, catalog:write, debug:*."""

from __future__ import annotations

import fnmatch
import shutil
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jinja2 import TemplateError
from pydantic import BaseModel, Field

from callboard.sdk import (
    ActionContext,
    ActionInput,
    InputError,
    NotAllowedError,
    ScaffolderAction,
    check_tree,
    make_environment,
    safe_child,
)


def source_path(context: ActionContext, url: str) -> Path:
    """A template-relative (or absolute file) URL as a local path; URL sources are not read here yet."""
    if url.startswith(("http://", "https://")):
        raise InputError(
            f"Fetching {url} over HTTP is not supported yet; keep the skeleton next to the template (url: ./skeleton)"
        )
    base = context.base_url
    if not base.startswith("file:"):
        raise InputError(f"The template was read from {base}; relative fetches need a template on disk for now")
    base_dir = Path(urlsplit(base).path if base.startswith("file://") else base.removeprefix("file:"))
    if base_dir.is_file() or base_dir.suffix in (".yaml", ".yml"):
        base_dir = base_dir.parent
    # Confined to the template's own folder tree, as a relative fetch must be.
    found = safe_child(base_dir, url, what="source url", area=f"the template's folder ({base_dir})")
    if not found.exists():
        raise InputError(f"{url} does not exist next to the template ({found})")
    return found


def _matches(relative: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern.lstrip("./")) for pattern in patterns
    )


def _copy_file(source: Path, target: Path, *, replace: bool) -> bool:
    if target.exists() and not replace:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        if target.exists() or target.is_symlink():
            target.unlink()
        target.symlink_to(source.readlink())
        return True
    shutil.copyfile(source, target)
    shutil.copymode(source, target)
    return True


# -- fetch:template ---------------------------------------------------------------------------------------


class FetchTemplateInput(ActionInput):
    url: str
    target_path: str = Field("./", alias="targetPath")
    values: dict[str, Any] = Field(default_factory=dict)
    copy_without_render: list[str] = Field(default_factory=list, alias="copyWithoutRender")
    copy_without_templating: list[str] = Field(default_factory=list, alias="copyWithoutTemplating")
    cookiecutter_compat: bool = Field(False, alias="cookiecutterCompat")
    template_file_extension: bool | str = Field(False, alias="templateFileExtension")
    replace: bool = False
    token: str | None = None
    trim_blocks: bool = Field(False, alias="trimBlocks")
    lstrip_blocks: bool = Field(False, alias="lstripBlocks")


def fetch_template(context: ActionContext, given: FetchTemplateInput) -> None:
    extension = ".njk" if given.template_file_extension is True else (given.template_file_extension or "")
    if extension and (given.copy_without_render or given.copy_without_templating or given.cookiecutter_compat):
        raise InputError(
            "templateFileExtension cannot be combined with copyWithoutRender, copyWithoutTemplating "
            "or cookiecutterCompat"
        )
    source = source_path(context, given.url)
    target_root = safe_child(context.workspace, given.target_path, what="targetPath")
    if given.cookiecutter_compat:
        env = make_environment(variable_start="{{", variable_end="}}")
        variables: dict[str, Any] = {"cookiecutter": given.values}
    else:
        env = make_environment()
        variables = {"values": given.values}
    env.trim_blocks, env.lstrip_blocks = given.trim_blocks, given.lstrip_blocks
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink())
    written = 0
    for path in files:
        relative = path.name if source.is_file() else path.relative_to(source).as_posix()
        raw_path = _matches(relative, given.copy_without_render)
        raw_contents = raw_path or _matches(relative, given.copy_without_templating)
        if extension:
            raw_contents = not relative.endswith(extension)
            if not raw_contents:
                relative = relative[: -len(extension)]
        try:
            rendered = relative if raw_path else env.from_string(relative).render(**variables)
        except (TemplateError, InputError, TypeError, ValueError, RecursionError) as error:
            raise InputError(f"fetch:template: cannot render the path {relative!r}: {error}") from None
        if not rendered or rendered.startswith("/") or "//" in rendered or rendered.endswith("/"):
            continue  # a path rendered empty drops the file, as in Backstage
        target = safe_child(target_root, rendered, what="file path")
        if context.dry_run:
            context.log(f"would write {target.relative_to(context.workspace.resolve())}")
        if path.is_symlink():
            link = path.readlink()
            if link.is_absolute() or ".." in link.parts:
                raise NotAllowedError(
                    f"{relative} is a symlink to {str(link)!r}; symlinks may not point outside the skeleton"
                )
            written += _copy_file(path, target, replace=given.replace)
            continue
        data = path.read_bytes()
        if not raw_contents:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                pass  # binary files are copied as they are
            else:
                try:
                    data = env.from_string(text).render(**variables).encode("utf-8")
                except (TemplateError, InputError, TypeError, ValueError, RecursionError) as error:
                    raise InputError(f"fetch:template: cannot render {relative}: {error}") from None
        if target.exists() and not given.replace:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(stat.S_IMODE(path.stat().st_mode))
        written += 1
    context.log(f"fetch:template wrote {written} files into {given.target_path}")


# -- fetch:plain ------------------------------------------------------------------------------------------


class FetchPlainInput(ActionInput):
    url: str
    target_path: str = Field("./", alias="targetPath")
    token: str | None = None


class FetchPlainFileInput(ActionInput):
    url: str
    target_path: str = Field(alias="targetPath")
    token: str | None = None


def fetch_plain(context: ActionContext, given: FetchPlainInput) -> None:
    source = source_path(context, given.url)
    target = safe_child(context.workspace, given.target_path, what="targetPath")
    if source.is_file():
        _copy_file(source, safe_child(target, source.name), replace=True)
        return
    check_tree(source, source)  # no symlink in the skeleton may point outside it
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    check_tree(context.workspace, target)
    context.log(f"fetch:plain copied {given.url} into {given.target_path}")


def fetch_plain_file(context: ActionContext, given: FetchPlainFileInput) -> None:
    source = source_path(context, given.url)
    if not source.is_file():
        raise InputError(f"fetch:plain:file: {given.url} is not a file")
    _copy_file(source, safe_child(context.workspace, given.target_path, what="targetPath"), replace=True)


# -- fs ---------------------------------------------------------------------------------------------------


class Rename(BaseModel):
    from_: str = Field(alias="from")
    to: str
    overwrite: bool = False


class FsRenameInput(ActionInput):
    files: list[Rename]


class FsDeleteInput(ActionInput):
    files: list[str]


def fs_rename(context: ActionContext, given: FsRenameInput) -> None:
    for item in given.files:
        source = safe_child(context.workspace, item.from_, what="from")
        target = safe_child(context.workspace, item.to, what="to")
        if not source.exists():
            raise InputError(f"fs:rename: {item.from_} does not exist in the workspace")
        if target.exists() and not item.overwrite:
            raise InputError(f"fs:rename: {item.to} already exists; set overwrite: true to replace it")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))


def fs_delete(context: ActionContext, given: FsDeleteInput) -> None:
    root = context.workspace.resolve()
    for pattern in given.files:
        safe_child(root, pattern.replace("*", "x"), what="pattern")
        for path in sorted(root.glob(pattern), reverse=True):
            safe_child(root, path.relative_to(root))
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


# -- catalog:write and debug ------------------------------------------------------------------------------


class CatalogWriteInput(ActionInput):
    file_path: str = Field("catalog-info.yaml", alias="filePath")
    entity: dict[str, Any]


def catalog_write(context: ActionContext, given: CatalogWriteInput) -> None:
    target = safe_child(context.workspace, given.file_path, what="filePath")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(given.entity, sort_keys=False, allow_unicode=True), "utf-8")


class DebugLogInput(ActionInput):
    message: str | None = None
    list_workspace: bool | str = Field(False, alias="listWorkspace")
    extra: Any = None


def debug_log(context: ActionContext, given: DebugLogInput) -> None:
    if given.message:
        context.log(given.message)
    if given.list_workspace:
        root = context.workspace.resolve()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            line = path.relative_to(root).as_posix()
            if given.list_workspace == "with-contents":
                line += ":\n" + path.read_text("utf-8", errors="replace")
            context.log(line)


class DebugWaitInput(ActionInput):
    minutes: float = 0
    seconds: float = 0
    milliseconds: float = 0


MAX_WAIT_SECONDS = 600


def debug_wait(context: ActionContext, given: DebugWaitInput) -> None:
    seconds = given.minutes * 60 + given.seconds + given.milliseconds / 1000
    if seconds > MAX_WAIT_SECONDS:
        raise InputError(f"debug:wait waits at most {MAX_WAIT_SECONDS} seconds")
    if not context.dry_run:
        time.sleep(seconds)


FILE_ACTIONS = [
    ScaffolderAction(
        "fetch:template",
        "Copy a skeleton folder, rendering file contents and paths with values.",
        FetchTemplateInput,
        fetch_template,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "fetch:template:file",
        "Render one template file into the workspace.",
        FetchTemplateInput,
        fetch_template,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "fetch:plain",
        "Copy a folder into the workspace unchanged.",
        FetchPlainInput,
        fetch_plain,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "fetch:plain:file",
        "Copy one file into the workspace unchanged.",
        FetchPlainFileInput,
        fetch_plain_file,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "fs:rename", "Rename files and folders in the workspace.", FsRenameInput, fs_rename, supports_dry_run=True
    ),
    ScaffolderAction(
        "fs:delete", "Delete files in the workspace (globs).", FsDeleteInput, fs_delete, supports_dry_run=True
    ),
    ScaffolderAction(
        "catalog:write",
        "Write a catalog-info.yaml into the workspace.",
        CatalogWriteInput,
        catalog_write,
        supports_dry_run=True,
    ),
    ScaffolderAction(
        "debug:log",
        "Write a message, and optionally the workspace's files, to the task log.",
        DebugLogInput,
        debug_log,
        supports_dry_run=True,
    ),
    ScaffolderAction("debug:wait", "Wait (at most 10 minutes).", DebugWaitInput, debug_wait, supports_dry_run=True),
]
