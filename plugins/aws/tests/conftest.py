from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import callboard_aws
from callboard_aws import demo
from callboard_aws.standins.moto import MotoServer, Seeder

pytest_plugins = ["callboard.sdk.testing"]

#: The demo catalog's groups the demo organisation's owner tags map to, and components its resources name.
CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: billing-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: shipping-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: customer-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: sre-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: invoice-service}
spec: {type: service, lifecycle: production, owner: billing-team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: booking-service}
spec: {type: service, lifecycle: production, owner: shipping-team}
"""


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cloud(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A freshly seeded organisation (the demo's), reached through boto3's standard environment variables."""
    moto_server.reset()
    for key, value in moto_server.environment().items():
        monkeypatch.setenv(key, value)
    return demo.seed(Seeder(moto_server.url))


@pytest.fixture
def seeder(moto_server: MotoServer) -> Seeder:
    return Seeder(moto_server.url)


@pytest.fixture
def callboard_plugins() -> dict[str, ModuleType]:
    return {"aws": callboard_aws}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "aws(**settings): this test's own plugins.aws settings, over the defaults")


@pytest.fixture
def aws_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("aws")
    return {
        "regions": list(demo.REGIONS),
        "owners": dict(demo.OWNERS),
        "namingRules": [{"pattern": "^(?P<component>[a-z0-9-]+)-(prod|staging|dev)$", "types": ["queue"]}],
        "terraform": [
            {"s3": f"s3://{demo.STATE_BUCKET}/", "repository": "https://git.northwind.example/platform/infra"}
        ],
        "concurrency": 4,
        **(marker.kwargs if marker else {}),
    }


@pytest.fixture
def callboard_config(tmp_path: Path, aws_settings: dict[str, Any]) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    return {
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "plugins": {"aws": aws_settings},
    }


SCAN = "aws.provider.inventory"
