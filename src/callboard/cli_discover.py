"""``callboard discover``: infer entities from repositories and print them, write them, or compare them
with the catalog, each field with the file and rule it came from."""

from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from callboard.assembly import create_plugin_manager
from callboard.core.entity import EntityRef
from callboard.core.errors import CallboardError, NotFoundError
from callboard.discovery.inference import PROVENANCE, Options
from callboard.discovery.scanner import LAST_SEEN, MemoryState, Scanner
from callboard.sources.git import GitCache

if TYPE_CHECKING:  # web stack, GitHub and git clients: imported when a command needs them
    from callboard.app import Runtime
    from callboard.discovery.model import Repository
    from callboard.discovery.pull_requests import PullRequests

ConfigOption = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="app-config file (for --diff: the catalog to compare with)."),
]
#: Annotations that say where an inferred entity came from, not what it is: left out of diffs.
BOOKKEEPING = (PROVENANCE, LAST_SEEN, "backstage.io/managed-by-location", "backstage.io/managed-by-origin-location")


def _repositories(targets: list[str], cache: GitCache, github_api: str, token: str | None) -> Iterator[Repository]:
    from callboard.discovery.github import GithubOrganisation
    from callboard.discovery.sources import GitRemotes, LocalFolders

    for target in targets:
        if target.startswith("github:"):
            yield from GithubOrganisation(
                target.removeprefix("github:"), api_base=github_api, token=token, cache_dir=cache.root.parent / "github"
            ).repositories()
        elif target.startswith(("http://", "https://", "git@", "ssh://")):
            yield from GitRemotes([target], cache).repositories()
        else:
            path = Path(target).resolve()
            if not path.exists():
                raise NotFoundError(f"{target}: no such folder")
            yield from LocalFolders(path).repositories()


def _commented(entity: dict[str, Any]) -> str:
    """The entity as YAML, after comment lines saying where each field came from; as a file to commit, so
    without the annotations that name this machine's paths or change with every run (the catalog sets those)."""
    annotations = entity.get("metadata", {}).get("annotations", {})
    provenance = json.loads(annotations.get(PROVENANCE, "{}"))
    lines = [f"# from {provenance.get('repository', '?')} at {str(provenance.get('revision', ''))[:12]}"]
    for field, found in sorted((provenance.get("fields") or {}).items()):
        value = found.get("value")
        shown = value if isinstance(value, str) and len(value) < 60 else json.dumps(value)[:60]
        lines.append(f"#   {field} = {shown}  ← {found['source']}: {found['rule']} ({found['confidence']:.2f})")
    for conflict in provenance.get("conflicts") or []:
        lines.append(
            f"#   conflict: {conflict['field']}: kept {json.dumps(conflict['kept'])} from {conflict['keptFrom']}, "
            f"replaced {json.dumps(conflict['replaced'])} from {conflict['replacedFrom']}"
        )
    shown_entity = json.loads(json.dumps(entity))
    shown_annotations = shown_entity["metadata"].get("annotations", {})
    for key in BOOKKEEPING:
        shown_annotations.pop(key, None)
    if not shown_annotations:
        shown_entity["metadata"].pop("annotations", None)
    return "\n".join(lines) + "\n" + yaml.safe_dump(shown_entity, sort_keys=False, width=110)


def _comparable(entity: dict[str, Any]) -> str:
    copy = json.loads(json.dumps(entity))
    metadata = copy.get("metadata") or {}
    for key in ("uid", "etag", "generation"):
        metadata.pop(key, None)
    annotations = metadata.get("annotations") or {}
    for key in BOOKKEEPING:
        annotations.pop(key, None)
    if not annotations:
        metadata.pop("annotations", None)
    copy.pop("relations", None)
    copy.pop("status", None)
    return yaml.safe_dump(copy, sort_keys=True, width=110)


def _thresholds(items: list[str]) -> dict[str, float]:
    """``--min-confidence FIELD=CONFIDENCE`` options as a mapping, or a usage error naming the bad one."""
    found: dict[str, float] = {}
    for item in items:
        name, _, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = -1.0
        if not name or not 0.0 <= value <= 1.0:
            raise typer.BadParameter(f"{item!r}: give FIELD=CONFIDENCE with a number from 0 to 1, e.g. spec.type=0.6")
        found[name] = value
    return found


def discover_cli(runtime_for: Callable[[list[Path] | None], Runtime], err: Console) -> Callable[..., None]:
    def discover(
        targets: Annotated[list[str], typer.Argument(help="Folders of clones (or one clone), or git URLs.")],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the entities (the default).")] = False,
        write: Annotated[Path | None, typer.Option(help="Write <DIR>/<repository>/catalog-info.yaml files.")] = None,
        diff: Annotated[bool, typer.Option("--diff", help="Show what would change in the catalog.")] = False,
        owner: Annotated[str, typer.Option(help="Owner when CODEOWNERS says nothing.")] = "group:unowned",
        handle: Annotated[list[str] | None, typer.Option(help="Map a CODEOWNERS handle: @acme/x=group:y.")] = None,
        overrides: Annotated[Path | None, typer.Option(help="Patches keyed by entity ref (YAML).")] = None,
        min_confidence: Annotated[
            list[str] | None,
            typer.Option(
                metavar="FIELD=CONFIDENCE",
                help="Leave a field for review below this confidence: spec.type=0.6 (* for every other field).",
            ),
        ] = None,
        pull_requests: Annotated[
            bool, typer.Option("--pull-requests", help="Propose the file to GitHub repositories that lack one.")
        ] = False,
        github_api: Annotated[
            str, typer.Option(help="GitHub's API, for github:<org> targets.")
        ] = "https://api.github.com",
        explain: Annotated[
            str | None,
            typer.Option(help="Show every candidate value of each field of this entity (name or ref), with evidence."),
        ] = None,
        config: ConfigOption = None,
    ) -> None:
        """Infer catalog entities from repositories: CI, manifests, specs, CODEOWNERS, docs.

        Targets are folders of clones (or one clone), git URLs, or github:<organisation> (token in GITHUB_TOKEN).
        """
        token = os.environ.get("GITHUB_TOKEN")
        handles = dict(item.split("=", 1) for item in handle or [] if "=" in item)
        thresholds = _thresholds(min_confidence or [])
        from callboard.discovery.provider import load_overrides

        try:
            detectors = create_plugin_manager().discovery_detectors()
            scanner = Scanner(
                detectors,
                Options(default_owner=owner, handles=handles, min_confidence=thresholds),
                overrides=load_overrides(str(overrides) if overrides else None),
                overrides_source=str(overrides or ""),
            )
            with tempfile.TemporaryDirectory() as temp, err.status("Reading repositories...") as status:
                cache = GitCache(Path(temp) / "git")
                report = scanner.scan(
                    "cli",
                    _repositories(targets, cache, github_api, token),
                    MemoryState(),
                    progress=lambda name: status.update(f"Read {escape(name)}"),
                )
        except CallboardError as error:
            err.print(f"[red]error:[/red] {escape(error.message)}")
            raise typer.Exit(2) from None
        for name, message in report.errors.items():
            err.print(f"[yellow]warning:[/yellow] {escape(name)}: {escape(message)}")
        err.print(f"{len(report.entities)} entities from {report.scanned} repositories in {report.seconds:.1f} s")
        if report.errors and not report.scanned:
            err.print(f"[red]error:[/red] none of the {len(report.errors)} repositories could be read (see above)")
            raise typer.Exit(1)
        if explain is not None:
            _explain(report.entities, explain, err)
            return
        if write is not None:
            by_repository: dict[str, list[str]] = {}
            for entity in report.entities:
                provenance = json.loads(entity["metadata"]["annotations"][PROVENANCE])
                by_repository.setdefault(provenance["repository"], []).append(_commented(entity))
            for repository, documents in by_repository.items():
                target = write / repository / "catalog-info.yaml"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("---\n".join(documents), "utf-8")
                err.print(f"wrote {target}")
        if diff:
            _diff(runtime_for(config), report.entities)
        if pull_requests:
            from callboard.discovery.pull_requests import PullRequests

            proposals = PullRequests(github_api, token)
            try:
                _propose(proposals, report.entities, err)
            finally:
                proposals.close()
        if (not diff and write is None) or dry_run:
            sys.stdout.write("---\n".join(_commented(entity) for entity in report.entities))

    return discover


def _explain(entities: list[dict[str, Any]], wanted: str, err: Console) -> None:
    """Each field of the entity named ``wanted``: the value kept and every value that lost, with the file and
    rule behind each and its strength, so a surprising field can be traced and fixed at its source."""
    matches = [entity for entity in entities if _names_entity(entity, wanted)]
    if not matches:
        names = ", ".join(sorted(f"{e['kind'].lower()}:{e['metadata']['name']}" for e in entities)) or "none"
        err.print(f"[red]error:[/red] no inferred entity is {escape(wanted)!r}; found: {escape(names)}")
        raise typer.Exit(1)
    out = Console(file=sys.stdout, width=160, highlight=False)
    for entity in matches:
        provenance = json.loads(entity["metadata"]["annotations"].get(PROVENANCE, "{}"))
        table = Table(title=f"{entity['kind']} {entity['metadata']['name']} (from {provenance.get('repository', '?')})")
        for column in ("field", "value", "strength", "evidence"):
            table.add_column(column, overflow="fold")
        for field, found in sorted((provenance.get("fields") or {}).items()):
            for index, candidate in enumerate([found, *(found.get("alternatives") or [])]):
                value = candidate.get("value")
                shown = value if isinstance(value, str) else json.dumps(value)
                evidence = f"{candidate.get('source', '?')}: {candidate.get('rule', '')}"
                style = "bold" if index == 0 else "dim"
                table.add_row(
                    field if index == 0 else "",
                    escape(f"{'' if index == 0 else 'lost: '}{shown}"[:80]),
                    f"{float(candidate.get('confidence', 0)):.2f}",
                    escape(evidence),
                    style=style,
                )
        out.print(table)


def _names_entity(entity: dict[str, Any], wanted: str) -> bool:
    name = str(entity["metadata"]["name"]).lower()
    wanted = wanted.strip().lower()
    return wanted in (name, f"{entity['kind'].lower()}:{name}", f"{entity['kind'].lower()}:default/{name}")


def _propose(client: PullRequests, entities: list[dict[str, Any]], err: Console) -> None:
    """A pull request per GitHub repository whose entities were all inferred (none written in the repo)."""
    by_repository: dict[str, list[dict[str, Any]]] = {}
    for entity in entities:
        provenance = json.loads(entity["metadata"]["annotations"][PROVENANCE])
        by_repository.setdefault(provenance["repository"], []).append(entity)
    for _, found in sorted(by_repository.items()):
        fields = [json.loads(e["metadata"]["annotations"][PROVENANCE])["fields"] for e in found]
        if any(f.get("by") == "catalog-info.yaml" for group in fields for f in group.values()):
            continue  # the repository already describes itself
        slug = found[0]["metadata"]["annotations"].get("github.com/project-slug")
        if not slug:
            continue
        branch = found[0]["metadata"]["annotations"]["backstage.io/source-location"].split("/tree/", 1)[1].split("/")[0]
        body = _pull_request_body(found)
        try:
            url = client.propose(slug, branch, "---\n".join(_commented(e) for e in found), body=body)
        except CallboardError as error:
            err.print(f"[yellow]warning:[/yellow] {escape(slug)}: {escape(error.message)}")
            continue
        err.print(f"proposed {escape(slug)}: {url}")


def _pull_request_body(entities: list[dict[str, Any]]) -> str:
    """What a reviewer needs to judge the file: each entity's fields with the file and rule each came from."""
    lines = [
        "Callboard inferred these catalog entities from this repository. Merge to make them this repository's own "
        "(edit any field first: what is written here wins over what is inferred). Each field and where it came from:",
        "",
    ]
    for entity in entities:
        provenance = json.loads(entity["metadata"]["annotations"][PROVENANCE])
        lines += [
            f"### {entity['kind']} `{entity['metadata']['name']}`",
            "",
            "| field | value | from |",
            "|---|---|---|",
        ]
        for field, found in sorted((provenance.get("fields") or {}).items()):
            value = found.get("value")
            shown = (value if isinstance(value, str) else json.dumps(value)).replace("|", "\\|")[:80]
            origin = f"`{found.get('source', '?')}`: {found.get('rule', '')}".replace("|", "\\|")
            lines.append(f"| `{field}` | {shown} | {origin} |")
        lines.append("")
    lines.append(
        "This pull request is kept up to date by the scheduled `callboard discover` job; it is never opened twice."
    )
    return "\n".join(lines)


def _diff(runtime: Runtime, entities: list[dict[str, Any]]) -> None:
    try:
        for entity in entities:
            ref = EntityRef.of(entity)
            try:
                current = runtime.catalog.entity_by_name(ref.kind, ref.namespace, ref.name)
            except NotFoundError:
                sys.stdout.write(f"+ {ref.key} (new)\n")
                continue
            before, after = _comparable(current).splitlines(), _comparable(entity).splitlines()
            changes = list(
                difflib.unified_diff(before, after, f"catalog {ref.key}", f"inferred {ref.key}", lineterm="")
            )
            sys.stdout.write("\n".join(changes) + "\n" if changes else f"= {ref.key} (unchanged)\n")
    finally:
        runtime.close()
