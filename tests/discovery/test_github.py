"""A GitHub organisation through the REST API (a local server speaking it): conditional requests make an
unchanged organisation nearly free, archived repositories are deprecated, a near rate limit defers the
rest, and generated descriptors are proposed as pull requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callboard.assembly import create_plugin_manager
from callboard.cli import cli
from callboard.demo.sample_repos import Expected, sample_repos
from callboard.discovery.github import GithubOrganisation
from callboard.discovery.inference import Options
from callboard.discovery.scanner import MemoryState, Scanner
from tests.discovery.evaluation import scores
from tests.discovery.fake_github import FakeGithub
from tests.support import Server


@pytest.fixture
def github(samples: tuple[Path, dict[str, Expected]]) -> Iterator[tuple[FakeGithub, str]]:
    fake = FakeGithub("acme", samples[0], archived={"go-telemetry"})
    with Server(fake.app) as server:
        yield fake, server.url


def scanner() -> Scanner:
    return Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:unowned"))


def organisation(url: str, cache: Path, **options: object) -> GithubOrganisation:
    return GithubOrganisation("acme", api_base=url, cache_dir=cache, **options)  # type: ignore[arg-type]


def test_the_organisation_is_read_through_the_api_as_well_as_from_clones(
    github: tuple[FakeGithub, str], samples: tuple[Path, dict[str, Expected]], tmp_path: Path
) -> None:
    _, url = github
    report = scanner().scan("gh", organisation(url, tmp_path).repositories(), MemoryState())
    expected = dict(samples[1])
    expected["component:default/go-telemetry"] = Expected(
        "Component", "go-telemetry", "library", "group:sre", "deprecated"
    )
    for field, (precision, recall, mistakes) in scores(report.entities, expected).items():
        assert precision >= 0.9 and recall >= 0.9, (field, mistakes)
    telemetry = next(e for e in report.entities if e["metadata"]["name"] == "go-telemetry")
    assert telemetry["spec"]["lifecycle"] == "deprecated"  # the repository is archived
    assert telemetry["metadata"]["annotations"]["github.com/project-slug"] == "acme/go-telemetry"


def test_an_unchanged_organisation_costs_one_counted_request_and_a_304_per_repository(
    github: tuple[FakeGithub, str], tmp_path: Path
) -> None:
    fake, url = github
    state = MemoryState()
    scanner().scan("gh", organisation(url, tmp_path).repositories(), state)
    counted = fake.counted
    again = scanner().scan("gh", organisation(url, tmp_path).repositories(), state)
    assert again.scanned == 0 and again.reused == len(sample_repos())
    assert fake.counted == counted  # lists and trees answered 304, blobs never asked for again
    assert fake.free == len(sample_repos()) + 1


def test_near_the_rate_limit_the_rest_is_deferred_not_lost(github: tuple[FakeGithub, str], tmp_path: Path) -> None:
    fake, url = github
    state = MemoryState()
    scanner().scan("gh", organisation(url, tmp_path).repositories(), state)
    fake.remaining = 105  # the next answer leaves 104, then 103…; the source keeps 100 in reserve
    (tmp_path / "acme-etags.json").unlink()  # forget the ETags: every request now counts
    report = scanner().scan("gh", organisation(url, tmp_path).repositories(), state)
    assert report.deferred and not report.missing
    assert len(report.entities) >= 40  # deferred repositories keep their last entities


def test_pull_requests_propose_the_generated_descriptor(
    github: tuple[FakeGithub, str], samples: tuple[Path, dict[str, Expected]], tmp_path: Path
) -> None:
    fake, url = github
    result = CliRunner().invoke(
        cli, ["discover", "github:acme", "--github-api", url, "--pull-requests", "--write", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    proposed = {pull["repo"] for pull in fake.pulls}
    assert "orders-service" in proposed
    assert "search-indexer" not in proposed and "user-profiles" not in proposed  # they describe themselves
    content = fake.contents[("orders-service", "callboard/catalog-info", "catalog-info.yaml")]
    assert "name: orders-service" in content and "spec.owner = group:commerce" in content
