"""Which folder of a monorepo a pipeline is about.

A pipeline limited to the changes under one folder (GitHub's ``on.<event>.paths``, GitLab's ``rules: changes``
and ``only: changes``) or whose commands all run in one folder (GitHub's ``defaults.run.working-directory``)
builds, publishes and deploys the component there, not every component of the repository. A pipeline that is
not limited is about the whole repository (scope ``*``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from callboard.builtins.detectors.common import yaml_documents

#: Scope of a pipeline that may be about any component of the repository.
WHOLE_REPOSITORY = "*"

#: Top-level keys of ``.gitlab-ci.yml`` that are settings, not jobs.
GITLAB_KEYWORDS = frozenset(
    {
        "after_script",
        "before_script",
        "cache",
        "default",
        "image",
        "include",
        "pages:deploy",
        "services",
        "stages",
        "types",
        "variables",
        "workflow",
    }
)


@dataclass(frozen=True)
class PipelinePart:
    """A piece of a pipeline about one scope: a GitHub workflow, or one GitLab job."""

    scope: str
    #: The part's own text (a job's YAML), where publish, deploy and test commands are looked for.
    text: str
    #: The part as parsed, where environments are looked for.
    document: Any
    #: The file the part was read from (a GitLab job may come from an included file).
    source: str = ""


def shared_folder(patterns: Iterable[str]) -> str:
    """The folder every path pattern lies under (``services/orders`` for ``services/orders/**``), or ``*``.

    Exclusions (``!docs/**``) say nothing about where the pipeline's component is. A pattern naming a file at
    the root, or patterns in different folders, leave the whole repository; so does a dot-folder (``.github``),
    which holds tooling rather than a component.
    """
    folders: list[list[str]] = []
    for pattern in patterns:
        if not isinstance(pattern, str) or pattern.startswith("!"):
            continue
        literal = re.split(r"[*?\[{$]", pattern.removeprefix("./").lstrip("/"), maxsplit=1)[0]
        folders.append([part for part in literal.split("/")[:-1] if part] if "/" in literal else [])
    if not folders:
        return WHOLE_REPOSITORY
    shared: list[str] = []
    for level in zip(*folders, strict=False):
        if len(set(level)) != 1:
            break
        shared.append(level[0])
    return "/".join(shared) if shared and not shared[0].startswith(".") else WHOLE_REPOSITORY


def reusable_only(text: str) -> bool:
    """Whether a GitHub workflow runs only when another workflow calls it (``on: workflow_call``)."""
    for document in yaml_documents(text):
        triggers = document.get("on", document.get(True)) if isinstance(document, dict) else None
        if isinstance(triggers, str):
            return triggers == "workflow_call"
        events = list(triggers) if isinstance(triggers, list | dict) else []
        return bool(events) and all(event == "workflow_call" for event in events)
    return False


#: A job that runs a reusable workflow of the same repository: ``uses: ./.github/workflows/deploy.yml``.
LOCAL_WORKFLOW = re.compile(r"uses:\s*['\"]?\./(\.github/workflows/[\w./-]+\.ya?ml)")


def github_parts(text: str, read: Callable[[str], str | None] = lambda path: None) -> list[PipelinePart]:
    """A GitHub workflow as one part, scoped by its trigger paths or else by its working directory. The reusable
    workflows of the repository it calls (``read`` gives their text) are part of it: what they deploy, the
    caller deploys, for the folder the caller is about."""
    called = [read(path) or "" for path in dict.fromkeys(LOCAL_WORKFLOW.findall(text))]
    whole = "\n".join([text, *called])
    callees = [document for callee in called for document in yaml_documents(callee)]
    parts: list[PipelinePart] = []
    for document in yaml_documents(text):
        if not isinstance(document, dict):
            continue
        triggers = document.get("on", document.get(True))
        patterns = [
            pattern
            for event in (triggers.values() if isinstance(triggers, dict) else [])
            if isinstance(event, dict)
            for pattern in _strings(event.get("paths"))
        ]
        scope = shared_folder(patterns)
        if scope == WHOLE_REPOSITORY:
            scope = _working_directory(document)
        parts.append(PipelinePart(scope, whole, [document, *callees]))
    return parts or [PipelinePart(WHOLE_REPOSITORY, whole, None)]


def _working_directory(workflow: dict[str, Any]) -> str:
    """The folder every job's commands run in: the workflow's ``defaults.run.working-directory``, or the one
    all jobs set for themselves."""
    folders = {_run_directory(workflow)}
    jobs = workflow.get("jobs")
    if isinstance(jobs, dict) and None in folders:
        folders = {_run_directory(job) for job in jobs.values() if isinstance(job, dict)}
    if len(folders) != 1 or None in folders:
        return WHOLE_REPOSITORY
    (folder,) = folders
    return shared_folder([f"{folder}/"]) if folder else WHOLE_REPOSITORY


def _run_directory(node: dict[str, Any]) -> str | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    folder = run.get("working-directory") if isinstance(run, dict) else None
    return folder.removeprefix("./").strip("/") if isinstance(folder, str) and "${{" not in folder else None


def gitlab_parts(path: str, read: Callable[[str], str | None]) -> list[PipelinePart]:
    """Each job of a GitLab CI file as a part, scoped by its ``rules: changes`` or ``only: changes``.

    A trigger job that starts a child pipeline from a file of the repository (``trigger: include:``, GitLab's
    way to build one folder of a monorepo) passes its scope to the child's jobs; so does a local ``include:``
    with ``rules: changes``. Jobs of a file kept in a component's folder are about that folder unless they
    say otherwise. ``read`` gives a repository file's text.
    """
    return _gitlab_jobs(path, read, _file_scope(path, WHOLE_REPOSITORY), depth=0)


def _file_scope(path: str, inherited: str) -> str:
    folder = posixpath.dirname(path.strip("/"))
    if inherited != WHOLE_REPOSITORY or not folder:
        return inherited
    return shared_folder([f"{folder}/"])


def _gitlab_jobs(path: str, read: Callable[[str], str | None], inherited: str, *, depth: int) -> list[PipelinePart]:
    parts: list[PipelinePart] = []
    text = read(path) or ""
    for document in yaml_documents(text):
        if not isinstance(document, dict):
            continue
        for name, written in document.items():
            if not isinstance(written, dict) or not isinstance(name, str) or name.startswith("."):
                continue
            if name in GITLAB_KEYWORDS:
                continue
            job = _extended(written, document)
            scope = _changes_scope(job)
            if scope == WHOLE_REPOSITORY:
                scope = inherited
            parts.append(PipelinePart(scope, _job_text(job), job, path))
            if depth < 3:
                for child in _child_files(job.get("trigger")):
                    parts += _gitlab_jobs(child, read, _file_scope(child, scope), depth=depth + 1)
        if depth < 3:
            for include in _local_includes(document.get("include")):
                scope = _changes_scope(include)
                child = include["local"]
                within = inherited if scope == WHOLE_REPOSITORY else scope
                parts += _gitlab_jobs(child, read, _file_scope(child, within), depth=depth + 1)
    return parts


def _extended(job: dict[str, Any], document: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A job with what it ``extends`` (templates such as ``.deploy`` in the same file) merged under it."""
    bases = job.get("extends")
    names = (
        [bases]
        if isinstance(bases, str)
        else [base for base in bases if isinstance(base, str)]
        if isinstance(bases, list)
        else []
    )
    merged: dict[str, Any] = {}
    for name in names:
        base = document.get(name)
        if isinstance(base, dict) and depth < 10:
            merged.update(_extended(base, document, depth + 1))
    merged.update({key: value for key, value in job.items() if key != "extends"})
    return merged


def _changes_scope(node: dict[str, Any]) -> str:
    patterns: list[str] = []
    rules = node.get("rules")
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict) and rule.get("when") != "never":
            patterns += _changes_patterns(rule.get("changes"))
    only = node.get("only")
    if isinstance(only, dict):
        patterns += _changes_patterns(only.get("changes"))
    return shared_folder(patterns)


def _changes_patterns(changes: Any) -> list[str]:
    """``changes:`` as a list of patterns or as ``{paths: [...], compare_to: ...}``."""
    if isinstance(changes, dict):
        changes = changes.get("paths")
    return _strings(changes)


def _child_files(trigger: Any) -> list[str]:
    include = trigger.get("include") if isinstance(trigger, dict) else None
    if isinstance(include, str):
        return [include]
    return [entry["local"] for entry in _local_includes(include)]


def _local_includes(include: Any) -> list[dict[str, Any]]:
    entries = include if isinstance(include, list) else [include] if include is not None else []
    found: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, str) and not entry.startswith(("http://", "https://")):
            found.append({"local": entry})
        elif isinstance(entry, dict) and isinstance(entry.get("local"), str):
            found.append(entry)
    return [{**entry, "local": entry["local"].lstrip("/")} for entry in found]


def _job_text(job: dict[str, Any]) -> str:
    """A job's commands and image as text, for the publish, deploy and test patterns."""
    lines: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, str):
            lines.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit({key: job.get(key) for key in ("before_script", "script", "after_script", "image", "trigger")})
    return "\n".join(lines)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


#: Commands that build, test or deploy named projects of a workspace, and how they name them.
_PROJECT_COMMANDS = (
    re.compile(r"\bnx\s+run\s+(?P<names>[\w@/.-]+):"),  # nx run orders:deploy
    re.compile(
        r"\bnx\s+(?!run\b|affected\b|run-many\b|graph\b)[\w-]+\s+(?P<names>[\w@/.-]+)(?:\s|$)"
    ),  # nx deploy orders
    re.compile(r"\bnx\s+run-many\b[^\n]*?(?:--projects[= ]|-p\s+)(?P<names>[\w@/.,-]+)"),
    re.compile(r"(?:--filter[= ]|\s-F\s+)(?P<names>[\w@/.{}-]+)"),  # turbo run build --filter=orders, pnpm -F orders
    re.compile(r"\byarn\s+workspace\s+(?P<names>[\w@/.-]+)"),
    re.compile(r"(?:--workspace[= ]|\snpm\b[^\n]*\s-w\s+)(?P<names>[\w@/.-]+)"),
    re.compile(
        r"\bbazel(?:isk)?\s+(?:run|build|test)\b[^\n]*?//(?P<path>[\w/.-]*):"
    ),  # bazel run //services/orders:push
)


def project_scope(text: str, projects: Callable[[], dict[str, str]]) -> str:
    """The one folder whose workspace project a pipeline's commands name (Nx, Turborepo and npm, pnpm or yarn
    workspaces by project or package name, Bazel by label), or ``*`` when they name none or several.

    ``projects`` gives project and package names → folder, read only when a command names a project.
    """
    named: set[str] = set()
    paths: set[str] = set()
    for pattern in _PROJECT_COMMANDS:
        for match in pattern.finditer(text):
            found = match.groupdict()
            if found.get("path") is not None:
                paths.add(found["path"].strip("/"))
            else:
                named.update(name for name in found["names"].split(",") if name)
    if not named and not paths:
        return WHOLE_REPOSITORY
    folders = set(paths)
    known = projects() if named else {}
    for name in named:
        # Turborepo's filters: "orders", "orders...", "...^orders", "./apps/web", "{./apps/web}".
        bare = name.strip("{}").removeprefix("...").removesuffix("...").removeprefix("^")
        if bare.startswith("./"):
            folders.add(bare[2:].strip("/"))
        elif bare in known:
            folders.add(known[bare])
        else:
            return WHOLE_REPOSITORY  # a name we cannot place: the pipeline may be about anything
    if len(folders) != 1:
        return WHOLE_REPOSITORY
    (only,) = folders
    return shared_folder([f"{only}/"]) if only else WHOLE_REPOSITORY
