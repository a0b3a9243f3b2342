"""``callboard search``: fill the search index now (with progress) and try queries from a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from callboard.app import Runtime

ConfigOption = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="app-config file; repeat to layer, later files win."),
]


def search_cli(runtime_for: Callable[[list[Path] | None], Runtime], err: Console) -> typer.Typer:
    app = typer.Typer(help="The search index: fill it, query it.", no_args_is_help=True)

    @app.command("index")
    def index(
        rebuild: Annotated[bool, typer.Option(help="Drop the index and build it again from scratch.")] = False,
        config: ConfigOption = None,
    ) -> None:
        """Index what changed since the last run (everything, the first time or with --rebuild)."""
        runtime = runtime_for(config)
        try:
            if rebuild:
                runtime.indexer.forget()
            with Progress(
                TextColumn("indexing entities"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
            ) as progress:
                task = progress.add_task("entities", total=None)
                report, changed = runtime.indexer.index_catalog(lambda done: progress.advance(task, done))
            with err.status("indexing docs sites..."):
                report.add(runtime.indexer.index_docs(changed))
                report.add(runtime.indexer.index_collators())
            size = runtime.search.engine.size()
        finally:
            runtime.close()
        err.print(
            f"indexed {report.upserted} documents, removed {report.deleted}; "
            f"the index holds {size['rows']} documents in {size['bytes'] / 1e6:.1f} MB"
        )

    @app.command("query")
    def query(
        term: Annotated[str, typer.Argument(help="What to search for.")],
        type_: Annotated[list[str] | None, typer.Option("--type", help="software-catalog or techdocs.")] = None,
        limit: Annotated[int, typer.Option(help="How many results.")] = 10,
        config: ConfigOption = None,
    ) -> None:
        """Search as the portal does (as a caller who may read everything) and print the results."""
        runtime = runtime_for(config)
        try:
            from callboard.search.service import SearchRequest

            response = runtime.search.query(SearchRequest(term=term, types=tuple(type_ or ()), limit=limit))
        finally:
            runtime.close()
        for word, corrected in response.corrections.items():
            err.print(f"[dim]{escape(word)} → {escape(corrected)}[/dim]")
        for result in response.results:
            document = result.document
            sys.stdout.write(f"{result.rank:>3}. [{result.type}] {document['title']}  {document['location']}\n")
        more = "+" if response.more else ""
        err.print(f"{response.total}{more} results")

    return app
