"""The bundled demo: a fictional freight company's catalog, served by ``callboard demo``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def catalog_root() -> Path:
    """The folder holding the demo catalog's descriptor files (``all.yaml`` is its root Location)."""
    return Path(str(resources.files("callboard.demo").joinpath("catalog")))


def demo_config(data_dir: Path) -> dict[str, object]:
    """app-config for the demo: the demo catalog, every built-in kind allowed, a private data folder."""
    return {
        "app": {"title": "Callboard demo — Northwind Freight"},
        "backend": {"listen": {"host": "127.0.0.1", "port": 7007}, "database": {}},
        "dataDir": str(data_dir),
        # Guest sign-in: development mode, and the demo only listens on 127.0.0.1 (start-up checks both).
        "auth": {"environment": "development", "providers": {"guest": {}}},
        "permission": {"rules": [{"permission": "audit.read", "principals": ["user:default/guest"]}]},
        "catalog": {
            "rules": [
                {"allow": ["Component", "API", "System", "Domain", "Resource", "Group", "User", "Location", "Template"]}
            ],
            "locations": [
                {"type": "file", "target": str(catalog_root() / "all.yaml")},
                {"type": "file", "target": str(catalog_root().parent / "templates" / "all.yaml")},
            ],
            "processingInterval": {"minutes": 2},
            # The inferred catalog: entities read from a folder of sample repositories (written at start-up).
            "providers": {
                "discovery": {
                    "sample-repos": {
                        "type": "local",
                        "path": str(data_dir / "repos"),
                        "defaultOwner": "group:platform-team",
                        "handles": DEMO_HANDLES,
                        "schedule": {"frequency": {"minutes": 5}},
                    }
                }
            },
        },
        # The change events plugin (plugins/change-events), when installed: a made-up month of changes.
        "changeEvents": {"demo": True},
        # The deployments plugin (plugins/deployments), when installed: stand-in clusters in three environments and
        # three markets running the demo's services, with dashboards, logs and golden signals to link to.
        "deployments": {"demo": True},
        # The AWS inventory plugin (plugins/aws), when installed: a moto server (AWS's APIs on loopback) seeded
        # with Northwind's organisation, scanned like a real one: accounts, EKS clusters, databases, queues...
        "plugins": {"aws": {"demo": True}},
    }


#: The sample repositories' CODEOWNERS teams, mapped to the demo's groups.
DEMO_HANDLES = {
    "@acme/commerce": "group:customer-team",
    "@acme/web": "group:customer-team",
    "@acme/customer": "group:customer-team",
    "@acme/billing": "group:billing-team",
    "@acme/payments": "group:billing-team",
    "@acme/logistics": "group:shipping-team",
    "@acme/platform": "group:platform-team",
    "@acme/engineering-leads": "group:engineering",
    "@acme/sre": "group:sre-team",
    "@acme/data": "group:data-team",
}
