"""The in-memory browse index answers exactly what the SQL filters answer, on generated catalogs."""

from __future__ import annotations

import random
import time

import pytest

from callboard.catalog.browse_index import FACET_KEYS, SORT_KEYS, TEXT_KEYS, BrowseIndex, Snapshot

TYPES = ["service", "library", "website", None]
OWNERS = ["group:default/a", "group:default/b", "group:default/c"]
#: Owners of a few entities each, as most teams of a large catalog are: the index keeps them as position arrays.
RARE_OWNERS = [f"group:default/team-{number}" for number in range(400)]
TAGS = ["java", "go", "python", "rust"]


def catalog(size: int, seed: int = 3) -> tuple[list[str], list[dict[str, object]], list[tuple[str, str, str, str]]]:
    rng = random.Random(seed)
    ids, entities, rows = [], [], []
    for index in range(size):
        entity_id = f"id-{index:05d}"
        entity = {
            "kind": rng.choice(["component", "api"]),
            "spec.type": rng.choice(TYPES),
            "relations.ownedby": rng.choice(OWNERS if rng.random() < 0.5 else RARE_OWNERS),
            "metadata.tags": rng.sample(TAGS, rng.randint(0, 2)),
            "metadata.name": f"{rng.choice(['alpha', 'beta', 'Gamma'])}-{index}",
        }
        ids.append(entity_id)
        entities.append(entity)
        for key, value in entity.items():
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    rows.append((entity_id, key, item, item.lower()))
    return ids, entities, rows


def expected(entities: list[dict[str, object]], chosen: dict[str, list[str]], text: str = "") -> list[int]:
    def passes(entity: dict[str, object]) -> bool:
        for key, values in chosen.items():
            value = entity.get(key)
            have = {str(v).lower() for v in (value if isinstance(value, list) else [value]) if v is not None}
            if not have & {v.lower() for v in values}:
                return False
        return not text or text.lower() in str(entity["metadata.name"]).lower()

    return [index for index, entity in enumerate(entities) if passes(entity)]


@pytest.mark.parametrize("size", [10, 300, 5000])  # below and above the small-result path; rare owners sparse
def test_filters_counts_and_pages_match_a_plain_scan(size: int) -> None:
    ids, entities, rows = catalog(size)
    snapshot = Snapshot(ids, rows)
    rng = random.Random(size)
    for _ in range(40):
        chosen: dict[str, list[str]] = {}
        if rng.random() < 0.7:
            chosen["kind"] = [rng.choice(["component", "api"])]
        if rng.random() < 0.5:
            chosen["spec.type"] = rng.sample(["service", "library", "website"], rng.randint(1, 2))
        if rng.random() < 0.4:
            chosen["metadata.tags"] = [rng.choice(TAGS)]
        if rng.random() < 0.3:
            chosen["relations.ownedby"] = [rng.choice(OWNERS), *rng.sample(RARE_OWNERS, 3)]
        text = rng.choice(["", "", "beta", "GAM", "1"])
        matching = snapshot.matching(chosen, text)
        wanted = expected(entities, chosen, text)
        assert matching.bit_count() == len(wanted)
        # Facets count under the other filters.
        for key in ("spec.type", "relations.ownedby", "metadata.tags"):
            without = expected(entities, {k: v for k, v in chosen.items() if k != key}, text)
            counts: dict[str, int] = {}
            for index in without:
                value = entities[index][key]
                for item in value if isinstance(value, list) else [value]:
                    if item is not None:
                        counts[str(item)] = counts.get(str(item), 0) + 1
            assert dict(snapshot.facet(key, snapshot.matching(chosen, text, skip=key), 1000)) == counts
        # Pages: by name ascending and descending, missing values last either way.
        by_name = sorted(wanted, key=lambda i: (str(entities[i]["metadata.name"]).lower(), ids[i]))
        assert snapshot.page(matching, "metadata.name", False, 0, 7) == [ids[i] for i in by_name[:7]]
        assert snapshot.page(matching, "metadata.name", True, 3, 5) == [ids[i] for i in by_name[::-1][3:8]]
        typed = [i for i in wanted if entities[i]["spec.type"] is not None]
        untyped = [i for i in wanted if entities[i]["spec.type"] is None]
        name_key = {i: (str(entities[i]["metadata.name"]).lower(), ids[i]) for i in wanted}
        descending = sorted(typed, key=lambda i: (str(entities[i]["spec.type"]), name_key[i]), reverse=True)
        descending += sorted(untyped, key=lambda i: name_key[i])
        assert snapshot.page(matching, "spec.type", True, 0, len(wanted)) == [ids[i] for i in descending]


def test_keys_cover_what_the_catalog_page_uses() -> None:
    assert {"kind", "spec.type", "relations.ownedby", "spec.lifecycle", "metadata.tags"} <= set(FACET_KEYS)
    assert "metadata.name" in SORT_KEYS and "metadata.name" in TEXT_KEYS


def test_rows_of_unknown_entities_and_null_values_are_ignored() -> None:
    rows = [("a", "spec.type", None, None), ("gone", "spec.type", "service", "service"), ("a", "kind", "API", "api")]
    snapshot = Snapshot(["a"], rows)
    assert snapshot.facet("kind", snapshot.everything, 10) == [("API", 1)]
    assert snapshot.facet("spec.type", snapshot.everything, 10) == []
    assert snapshot.page(snapshot.matching({"kind": ["api"]}), "metadata.name", False, 0, 10) == ["a"]
    assert snapshot.page(snapshot.matching({"kind": ["api"]}), "metadata.name", False, 0, 0) == []


def test_text_search_puts_names_that_start_with_the_term_first() -> None:
    rows = [
        ("1", "metadata.name", "billing-api", "billing-api"),
        ("2", "metadata.name", "api-gateway", "api-gateway"),
        ("3", "metadata.name", "rapid", "rapid"),
        ("4", "metadata.name", "zeta", "zeta"),
        ("4", "metadata.title", "API docs", "api docs"),
        ("5", "metadata.name", "other", "other"),
    ]
    snapshot = Snapshot(["1", "2", "3", "4", "5"], rows)
    assert snapshot.find_text("API", 10) == ["2", "4", "1", "3"]  # starts-with (by name), then contains
    assert snapshot.find_text("api", 1) == ["2"]
    assert snapshot.find_text("", 5) == []


def test_rare_values_are_kept_as_positions_and_answer_like_bitsets() -> None:
    ids, entities, rows = catalog(5000)
    snapshot = Snapshot(ids, rows)
    owners = snapshot.members["relations.ownedby"]
    assert all(isinstance(owners[owner], int) for owner in OWNERS)
    assert all(not isinstance(owners[owner], int) for owner in RARE_OWNERS if owner in owners)
    # A permission narrowed to some owners (isEntityOwner), rare and common, selects exactly their entities.
    chosen = (RARE_OWNERS[1], RARE_OWNERS[7], OWNERS[2])
    mask = snapshot.criteria_mask([[("relations.ownedby", chosen)]], lambda key, values: [])
    assert mask.bit_count() == sum(entity["relations.ownedby"] in chosen for entity in entities)
    # Facet counts within that permission, for the rare owners too.
    counts = dict(snapshot.facet("relations.ownedby", mask, 50))
    owned = {owner: sum(entity["relations.ownedby"] == owner for entity in entities) for owner in chosen}
    assert counts == {owner: count for owner, count in owned.items() if count}


def test_a_slow_build_spaces_out_the_next_while_the_catalog_keeps_changing() -> None:
    builds: list[float] = []
    version = [0]

    def build() -> Snapshot:
        builds.append(time.monotonic())
        time.sleep(0.2)
        return Snapshot([], [])

    index = BrowseIndex(build, lambda: (version[0],), check_every=0.0)
    index.snapshot()  # the first build, 0.2 s
    version[0] += 1
    index.snapshot()  # changed, but the last build took 0.2 s: no rebuild before 0.8 s have passed
    assert len(builds) == 1
    deadline = time.monotonic() + 5
    while len(builds) < 2 and time.monotonic() < deadline:
        index.snapshot()
        time.sleep(0.02)
    assert len(builds) == 2
    assert builds[1] - builds[0] >= 0.2 + 4 * 0.2 - 0.05
