"""A text search over names and titles, ordered by name (the catalog table's), takes each name from the matching
rows themselves and looks up only the names of entities that matched by title alone: every page and cursor must
give exactly the entities containing the term, in name order with ties broken by uid, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callboard.catalog.filters import parse_filters
from callboard.catalog.page_order import OrderField
from callboard.catalog.query_store import FullText
from callboard.catalog.service import CatalogService
from tests.catalog.fixtures import config, write_catalog
from tests.support import database_for, make_runtime

WORDS = ("email", "billing", "search", "ledger", "e_mail", "50%-off")


def entity(index: int) -> str:
    word = WORDS[index // 2 % len(WORDS)]
    kind = "API" if index % 2 else "Component"
    spec: dict[str, Any] = {"type": "service", "lifecycle": "production", "owner": "team-a"}
    if kind == "API":
        spec = {**spec, "type": "openapi", "definition": "openapi: 3.0.0"}
    # Each name is an API's and a component's ("email-6" twice): ties in the order are broken by uid.
    metadata = {"name": f"{word.replace('%', '')}-{index // 2}", "uid": f"00000000-0000-4000-8000-{index:012d}"}
    if index % 4 == 1:  # a title with another word than the name's
        metadata["title"] = f"The {WORDS[(index // 2 + 1) % len(WORDS)]} thing"
    elif index % 4:  # a title repeating the name's word: one entity, found by both
        metadata["title"] = f"The {word} service"
    return json.dumps({"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec})


def every_page(catalog: CatalogService, **query: Any) -> list[list[str]]:
    """Every page of a query, following next-page cursors."""
    pages: list[list[str]] = []
    page = catalog.query_entities(**query)
    while True:
        pages.append([label(e) for e in page.items])
        if not page.next_cursor:
            return pages
        page = catalog.query_entities((), cursor=page.next_cursor)


def expected(
    entities: list[dict[str, Any]], term: str, fields: tuple[str, ...], kind: str | None, *, descending: bool
) -> list[str]:
    """What the catalog must answer, worked out here from the entities themselves: by name (lower-cased, either
    way), ties by ascending uid."""
    found = [
        e
        for e in entities
        if (kind is None or e["kind"].lower() == kind)
        and any(term in str(e["metadata"].get(field.split(".")[1], "")).lower() for field in fields)
    ]

    def key(e: dict[str, Any]) -> tuple[Any, str]:
        name = e["metadata"]["name"].lower()
        # Descending text as a key that sorts ascending: each character negated, a shorter name after its longer.
        return ((*(-ord(c) for c in name), 0) if descending else name), e["metadata"]["uid"]

    return [label(e) for e in sorted(found, key=key)]


def label(entity: dict[str, Any]) -> str:
    return f"{entity['kind']}:{entity['metadata']['name']}:{entity['metadata']['uid'][-4:]}"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_search_ordered_by_name_pages_through_every_match_in_order(backend: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "repo")
    name_title = ("metadata.name", "metadata.title")
    cases = [
        ("mail", name_title, None),
        ("e_mail", ("metadata.name",), None),  # _ is a character, not a wildcard
        ("50%", name_title, None),  # in titles only
        ("billing", name_title, "api"),  # names some entities and titles others
        ("billing", name_title, "component"),
    ]
    entities = [json.loads(entity(i)) for i in range(360)]
    with database_for(backend, tmp_path) as database:
        runtime = make_runtime(config(root, database), tmp_path)
        try:
            runtime.catalog.import_entities([json.dumps(e) for e in entities], source="test")
            runtime.engine.run_until_idle(120)
            for term, fields, kind in cases:
                for descending in (False, True):
                    want = expected(entities, term, fields, kind, descending=descending)
                    assert len(want) >= 20, term  # enough matches to page through
                    pages = every_page(
                        runtime.catalog,
                        filters=parse_filters([f"kind={kind}"]) if kind else (),
                        full_text=FullText(term, fields),
                        order=[OrderField("metadata.name", descending=descending)],
                        limit=7,
                    )
                    got = [item for page in pages for item in page]
                    assert got == want, (term, kind, descending)
                    assert all(len(page) == 7 for page in pages[:-1])
        finally:
            runtime.close()
