"""The ``callboard`` command line."""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from callboard import __version__
from callboard.assembly import Callboard, create_callboard, create_plugin_manager
from callboard.catalog.descriptors import Document, parse_documents
from callboard.catalog.filters import Condition
from callboard.catalog.kinds import KindSchemaError
from callboard.catalog.validation import DocumentVerdict, find_descriptor_files, repository_root
from callboard.cli_db import db_cli
from callboard.cli_discover import discover_cli
from callboard.cli_doctor import doctor_command
from callboard.cli_help import use_readable_value_names
from callboard.cli_plugins import plugins_cli, tasks_cli
from callboard.cli_portal import CommandPortal
from callboard.cli_search import search_cli
from callboard.cli_serve import add_serve_commands, serve_web
from callboard.config_loader import ConfigError, LoadedConfig
from callboard.core.errors import CallboardError
from callboard.core.permissions import SYSTEM
from callboard.listening import why_cannot_listen
from callboard.plugins.manager import PluginError
from callboard.settings import load_settings, settings_from
from callboard.techdocs.builder import BuildError, build_site

# The web stack, the database and the demo are imported by the commands that use them: 'callboard --help' and
# 'catalog validate' start in well under a second without them (benchmarks/cli_startup.py).
if TYPE_CHECKING:
    from callboard.app import Runtime

use_readable_value_names()
cli = typer.Typer(help="Callboard: an internal developer portal that speaks Backstage.", no_args_is_help=True)
catalog_cli = typer.Typer(help="Validate descriptor files; export and import the catalog.", no_args_is_help=True)
config_cli = typer.Typer(help="Inspect app-config.", no_args_is_help=True)
cli.add_typer(catalog_cli, name="catalog")
cli.add_typer(config_cli, name="config")
docs_cli = typer.Typer(help="Build and publish TechDocs sites (like Backstage's techdocs-cli).", no_args_is_help=True)
cli.add_typer(docs_cli, name="docs")
template_cli = typer.Typer(help="Run software templates locally (for template authors).", no_args_is_help=True)
cli.add_typer(template_cli, name="template")

ConfigOption = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="app-config file; repeat to layer, later files win."),
]

err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _callboard(config: list[Path] | None) -> Callboard:
    try:
        return create_callboard(load_settings(config))
    except (ConfigError, KindSchemaError, PluginError) as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@catalog_cli.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Descriptor files, or folders searched for *.yaml/*.yml.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text, or json (one object per line).")] = (
        OutputFormat.text
    ),
    config: ConfigOption = None,
) -> None:
    """Validate descriptor files exactly as Backstage's catalog would; exit 1 when any document is invalid."""
    callboard = _callboard(config)
    validator = callboard.descriptor_validator()
    files, missing = find_descriptor_files(paths)
    for path in missing:
        err.print(f"[red]error:[/red] {path}: no such file or folder")
    counts: Counter[str] = Counter()
    out = sys.stdout
    for path in paths:
        walking = path.is_dir()
        targets = [file for file in files if file == path or (walking and path in file.parents)]
        root = repository_root(path)
        for file in targets:
            for verdict in validator.validate_file(file, root=root, walking=walking):
                counts["valid" if verdict.valid else "invalid"] += 1
                counts["warnings"] += sum(f.level == "warning" for f in verdict.findings)
                if output is OutputFormat.json:
                    out.write(json.dumps(verdict.as_json(), ensure_ascii=False) + "\n")
                else:
                    _print_findings(verdict)
    total = counts["valid"] + counts["invalid"]
    summary = (
        f"{total} {'entity' if total == 1 else 'entities'} in {len(files)} {'file' if len(files) == 1 else 'files'}: "
        f"{counts['valid']} valid, {counts['invalid']} invalid"
        + (f", {counts['warnings']} warnings" if counts["warnings"] else "")
    )
    if output is OutputFormat.json:
        err.print(summary)
    else:
        out.write(summary + "\n")
    if counts["invalid"] or missing:
        raise typer.Exit(1)


@catalog_cli.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write every entity of the catalog as JSON lines, ordered by entity ref."""
    runtime = _runtime(config)
    count = 0
    try:
        with output.open("w", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout) as out:
            for text in runtime.catalog.export_entities():
                out.write(text + "\n")
                count += 1
    finally:
        runtime.close()
    err.print(f"exported {count} entities" + (f" to {output}" if output else ""))


@catalog_cli.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A file written by 'callboard catalog export'.")],
    config: ConfigOption = None,
) -> None:
    """Load an export into this catalog (uids kept); importing again replaces the previous import."""
    runtime = _runtime(config)
    try:
        with path.open(encoding="utf-8") as lines:
            count = runtime.catalog.import_entities(lines, source=str(path))
        with Progress(
            TextColumn("processing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            task = progress.add_task("processing", total=count)
            runtime.engine.on_batch = lambda done: progress.advance(task, done)
            runtime.engine.run_until_idle(timeout=24 * 3600)
    except CallboardError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    except FileNotFoundError:
        err.print(f"[red]error:[/red] {path}: no such file")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    err.print(f"imported {count} entities from {path}")


def _print_findings(verdict: DocumentVerdict) -> None:
    ref = verdict.ref or "<no ref>"
    for finding in verdict.findings:
        level = "" if finding.level == "error" else "warning: "
        sys.stdout.write(f"{verdict.file}:{finding.line}:{finding.column}: {ref}: {level}{finding.message}\n")
        if finding.hint:
            sys.stdout.write(f"    hint: {finding.hint}\n")


@config_cli.command("print")
def config_print(config: ConfigOption = None) -> None:
    """Print the merged configuration as YAML, with every secret value replaced by <secret>."""
    callboard = _callboard(config)
    loaded = callboard.settings.loaded
    data = loaded.redacted() if loaded else {}
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@config_cli.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Load and validate the configuration; print which files were read and the kinds that are known, and warn
    about Backstage settings Callboard ignores that would change what Backstage does."""
    callboard = _callboard(config)
    loaded = callboard.settings.loaded
    files = ", ".join(str(path) for path in loaded.files) if loaded and loaded.files else "none (defaults)"
    sys.stdout.write(f"configuration is valid; files: {files}\n")
    kinds = ", ".join(sorted({kind.kind for kind in callboard.kinds.kinds}))
    sys.stdout.write(f"kinds: {kinds}\n")
    from callboard.backstage_config import ignored_with_effect

    for path, key in ignored_with_effect(loaded.data if loaded else {}):
        where = loaded.origin(path) if loaded else "app-config"
        err.print(
            f"[yellow]warning:[/yellow] {where}: {'.'.join(path)} is a Backstage setting Callboard ignores"
            + (f" ({escape(key.note)})" if key.note else "")
            + "; see 'Coming from Backstage' in the docs",
            highlight=False,
        )


def _runtime(config: list[Path] | None, *, migrate: bool = True) -> Runtime:
    from callboard.app import create_runtime
    from callboard.storage.db import DatabaseConfigError, DatabaseUnavailable

    callboard = _callboard(config)
    try:
        return create_runtime(callboard, migrate=migrate)
    except (DatabaseConfigError, DatabaseUnavailable) as error:
        err.print(f"[red]error:[/red] cannot open the database: {error}")
        raise typer.Exit(2) from None
    except ConfigError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@cli.command("demo")
def demo(
    port: Annotated[int, typer.Option(help="Port to listen on (always 127.0.0.1).")] = 7007,
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its database.")] = Path("data/demo"),
) -> None:
    """Run Callboard on 127.0.0.1 with the bundled demo catalog (Northwind Freight)."""
    from callboard.app import create_runtime
    from callboard.demo import catalog_root, demo_config
    from callboard.demo import vendors as demo_vendors
    from callboard.demo.sample_repos import write_sample_repos
    from callboard.logs import configure_logging
    from callboard.storage.db import DatabaseConfigError, DatabaseUnavailable

    problem = why_cannot_listen("127.0.0.1", port)
    if problem:
        err.print(f"[red]error:[/red] {problem}.\nStop it, or choose another port: callboard demo --port {port + 1}")
        raise typer.Exit(2)
    # GitHub, GitLab, PagerDuty and Jira as local stand-ins, for the integration plugins (in this process).
    vendors = demo_vendors.start()
    config = demo_vendors.merged(demo_config(data_dir.resolve()), vendors.url)
    # A fresh API token per run, so scripts and curl can try the API (it dies with the process).
    token = secrets.token_urlsafe(24)
    config["backend"]["auth"] = {
        "externalAccess": [{"type": "static", "options": {"token": token, "subject": "service:demo"}}]
    }
    settings = settings_from(LoadedConfig(config, []))
    # The demo's terminal shows its banner and problems; LOG_LEVEL=info shows every request as well.
    configure_logging("development", default_level="warning")
    repos = data_dir.resolve() / "repos"
    if not repos.exists():
        with err.status("Writing sample repositories for the inferred catalog..."):
            write_sample_repos(repos)
    try:
        runtime = create_runtime(create_callboard(settings))
    except (DatabaseConfigError, DatabaseUnavailable) as error:
        err.print(f"[red]error:[/red] cannot open the demo database in {data_dir}: {error}")
        raise typer.Exit(2) from None
    runtime.catalog.sync_locations()
    with err.status("Loading the demo catalog..."):
        count = runtime.engine.run_until_idle(timeout=120)
    with err.status("Inferring entities from the sample repositories..."):
        for provider in runtime.discovery:
            provider.run_once()
        count += runtime.engine.run_until_idle(timeout=120)
    total = runtime.catalog.views.total()
    err.print(f"Demo catalog ready: {total} entities ({count} items processed now) from {catalog_root()} and {repos}")
    with err.status("Indexing the demo catalog for search..."):
        runtime.indexer.run_once()
    # Build the demo's docs now (in the background) so search finds their pages before anyone opens them.
    with_docs = ((Condition("metadata.annotations.backstage.io/techdocs-ref", None),),)
    for entity in runtime.catalog.list_entities(with_docs):
        runtime.techdocs.state(entity)
    err.print(f"  Portal:    http://127.0.0.1:{port}/  (sign in with 'Continue as guest')")
    err.print(f"  OpenAPI:   http://127.0.0.1:{port}/api/openapi.json")
    err.print(f"  API token: {token}  (valid while this demo runs)")
    err.print(f"  Vendors:   GitHub, GitLab, PagerDuty and Jira stand-ins on {vendors.url}")
    err.print(
        f"  Try:       curl -H 'Authorization: Bearer {token}' "
        f"'http://127.0.0.1:{port}/api/catalog/entities?filter=kind=component&limit=5'"
    )
    serve_web(runtime, "127.0.0.1", port, worker=True)


@cli.command("audit")
def audit(
    config: ConfigOption = None,
    user: Annotated[str | None, typer.Option(help="Only this caller, e.g. user:default/jdoe or service:ci.")] = None,
    action: Annotated[
        list[str] | None, typer.Option(help="Only these actions (proxy.request, catalog.location.create, ...).")
    ] = None,
    since: Annotated[str, typer.Option(help="From when: 30m, 6h, 7d or an ISO date-time.")] = "24h",
    until: Annotated[str, typer.Option(help="Until when (same forms); default now.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many entries, newest first.")] = 200,
    output: Annotated[str, typer.Option("--format", help="table or json (one JSON object per line).")] = "table",
) -> None:
    """Read the audit log: proxied calls and catalog changes, newest first."""
    from callboard.auth.audit import parse_since

    runtime = _runtime(config)
    try:
        rows = runtime.audit.read(
            SYSTEM, actor=user, actions=action or [], since=parse_since(since), until=parse_since(until), limit=limit
        )
    except CallboardError as error:
        err.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    if output == "json":
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
        return
    table = Table("when (UTC)", "who", "action", "target", "method", "status", "bytes", "ms")
    for row in rows:
        when = datetime.fromtimestamp(row["at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            when,
            row["actor"],
            row["action"],
            row["target"],
            row["method"] or "",
            "" if row["status"] is None else str(row["status"]),
            "" if row["bytes"] is None else str(row["bytes"]),
            "" if row["duration_ms"] is None else str(row["duration_ms"]),
        )
    # Piped or captured output keeps whole rows instead of folding them to 80 columns.
    Console(width=None if sys.stdout.isatty() else 220).print(table)


@template_cli.command("run")
def template_run(
    template: Annotated[Path, typer.Argument(help="The template.yaml to run.", exists=True, dir_okay=False)],
    values: Annotated[Path | None, typer.Option(help="YAML or JSON file with the form values.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run only actions that support dry runs.")] = False,
    workspace: Annotated[Path | None, typer.Option(help="Where the files are written (default: a new folder).")] = None,
    publish_dir: Annotated[
        Path | None, typer.Option(help="Where publish:file copies the files (default: a new folder).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run a template on this machine and print each step; files land in the workspace folder.

    A dry run writes the workspace only: publishing and registering are skipped, and each says what it would do.
    """
    from callboard.scaffolder.runner import Runner
    from callboard.scaffolder.templates import Template

    callboard = _callboard(config)
    problems = []
    documents = list(parse_documents(template.read_text("utf-8"), str(template)))
    entity = next((d.data for d in documents if isinstance(d, Document) and d.data.get("kind") == "Template"), None)
    if entity is None:
        err.print(f"[red]error:[/red] {template} holds no Template entity")
        raise typer.Exit(2)
    try:
        parsed = Template.from_entity(entity, base_url=f"file:{template.resolve()}")
    except CallboardError as error:
        err.print(f"[red]error:[/red] {template}: {error.message}")
        raise typer.Exit(2) from None
    given = yaml.safe_load(values.read_text("utf-8")) if values else {}
    if not isinstance(given, dict):
        err.print(f"[red]error:[/red] {values} must hold a mapping of parameter names to values")
        raise typer.Exit(2)
    given = parsed.with_defaults(given)
    problems = parsed.validate(given)
    for problem in problems:
        err.print(f"{values or 'values'}: {problem['path'] or '(top)'}: {problem['message']}", markup=False)
    if problems:
        raise typer.Exit(1)
    target = workspace or Path(tempfile.mkdtemp(prefix="callboard-template-"))
    runner = Runner(callboard.plugins.scaffolder_actions())

    def show(event: dict[str, object]) -> None:
        body = event.get("body") or {}
        assert isinstance(body, dict)
        status, step = body.get("status"), body.get("stepId")
        marker = {
            "processing": "[cyan]>[/cyan]",
            "completed": "[green]✓[/green]",
            "skipped": "[dim]-[/dim]",
            "failed": "[red]✗[/red]",
        }.get(str(status), " ")
        if event.get("type") == "completion":
            return
        label = escape(f"[{step}] ") if step else ""
        err.print(f"{marker} {label}{escape(str(body.get('message', '')))}", highlight=False)

    published = None if dry_run else publish_dir or Path(tempfile.mkdtemp(prefix="callboard-published-"))
    result = runner.run(
        parsed,
        given,
        workspace=target,
        emit=show,
        integrations=callboard.settings.integrations,
        dry_run=dry_run,
        local_root=published,
    )
    if result.status != "completed":
        err.print(f"[red]failed:[/red] {escape(str(result.error))}")
        raise typer.Exit(1)
    err.print(f"[green]completed[/green]; files are in {target}")
    if result.output:
        sys.stdout.write(json.dumps(result.output, indent=2) + "\n")


@docs_cli.command("build")
def docs_build(
    source: Annotated[
        Path,
        typer.Argument(help="Folder with docs/ (and mkdocs.yml, else a default one).", exists=True, file_okay=False),
    ] = Path(),
    output: Annotated[Path, typer.Option(help="Where the built site goes.")] = Path("site"),
    timeout: Annotated[float, typer.Option(help="Stop the build after this many seconds.")] = 120.0,
) -> None:
    """Build a TechDocs site with MkDocs and techdocs-core (added when mkdocs.yml lacks it)."""
    try:
        with err.status(f"Building the docs in {source}..."):
            result = build_site(source.resolve(), output.resolve(), timeout=timeout, site_name=source.resolve().name)
    except BuildError as error:
        err.print(f"[red]error:[/red] {escape(error.message)}")
        sys.stderr.write(error.log + "\n")
        raise typer.Exit(1) from None
    except CallboardError as error:
        err.print(f"[red]error:[/red] {escape(error.message)}")
        raise typer.Exit(2) from None
    pages = sum(1 for name in result.metadata["files"] if name.endswith(".html"))
    err.print(f"[green]built[/green] {pages} pages into {output} in {result.seconds:.1f} s")


@docs_cli.command("publish")
def docs_publish(
    entity: Annotated[str, typer.Option(help="namespace/kind/name of the entity the docs belong to.")],
    directory: Annotated[Path, typer.Option(help="The built site.", exists=True, file_okay=False)] = Path("site"),
    config: ConfigOption = None,
) -> None:
    """Publish a built site for an entity into the portal's TechDocs storage."""
    from callboard.app import docs_publisher

    parts = entity.split("/")
    if len(parts) != 3:
        err.print("[red]error:[/red] --entity is namespace/kind/name, e.g. default/Component/payments")
        raise typer.Exit(2)
    callboard = _callboard(config)
    try:
        publisher = docs_publisher(callboard, (Path.cwd() / callboard.settings.data_dir).resolve())
        publisher.publish(parts[0], parts[1], parts[2], directory.resolve())
    except (CallboardError, ConfigError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    err.print(f"[green]published[/green] {directory} for {entity} ({type(publisher).__name__})")


@cli.command("version")
def version() -> None:
    """Print Callboard's version."""
    sys.stdout.write(f"callboard {__version__}\n")


cli.add_typer(search_cli(_runtime, err), name="search")
cli.add_typer(db_cli(_runtime, err), name="db")
cli.command("doctor")(doctor_command(_callboard, lambda config: _runtime(config, migrate=False), err))
add_serve_commands(cli, _runtime, err)
cli.add_typer(plugins_cli(_runtime, err), name="plugins")
cli.add_typer(tasks_cli(_runtime, err), name="tasks")
cli.command("discover")(discover_cli(_runtime, err))


def main() -> None:
    try:
        plugins = create_plugin_manager()
    except PluginError as error:
        err.print(f"[red]error:[/red] {error}")
        raise SystemExit(2) from None
    plugins.hook.register_commands(cli=cli, portal=CommandPortal(_runtime))
    cli()
