"""``POST /entities/by-query`` and ``/entity-facets`` with a predicate, on SQLite and PostgreSQL: mistakes are
400s naming the field, and negation matches what the index holds (Backstage's client's calls are in
``test_catalog_client.py``)."""

from __future__ import annotations

import httpx


def test_the_api_answers_400_naming_the_mistake(api: httpx.Client) -> None:
    wrong = api.post("/entities/by-query", json={"query": {"spec.type": {"$contains": "x"}}})
    assert wrong.status_code == 400 and wrong.json()["error"]["name"] == "InputError"
    assert 'field "spec.type"' in wrong.json()["error"]["message"]
    assert api.post("/entities/by-query", json={"cursor": ""}).status_code == 400
    assert api.post("/entities/by-query", json={"cursor": "not-a-cursor"}).status_code == 400
    assert api.post("/entity-facets", json={"facets": [""]}).status_code == 400
    negated = api.post(
        "/entities/by-query",
        json={"query": {"$not": {"kind": {"$in": ["component", "api", "resource", "group", "user"]}}}},
    ).json()
    assert {item["kind"] for item in negated["items"]} == {"System", "Domain", "Location"}
    assert negated["totalItems"] == len(negated["items"])
