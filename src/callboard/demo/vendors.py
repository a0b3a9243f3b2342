"""The demo's GitHub, GitLab, PagerDuty and Jira: the local stand-ins, seeded with Northwind's on-call rota,
incidents and Jira projects, and the app-config that points the integration plugins at them."""

from __future__ import annotations

from importlib import metadata, resources
from pathlib import Path
from typing import Any

from callboard.plugins.manager import ENTRY_POINT_GROUP
from callboard.standins import VendorStandIns
from callboard.standins.base import iso
from callboard.standins.pagerduty import Level, Person, Service

#: Made-up credentials the stand-ins accept (the plugins send them as they would real ones).
GITHUB_TOKEN = "ghp_northwind_demo_token"
GITLAB_TOKEN = "glpat-northwind-demo-token"
PAGERDUTY_TOKEN = "y_NbAkKc66ryYTWUXYEu"
JIRA_EMAIL = "portal@northwind.example"
JIRA_TOKEN = "ATATT3xFfGF0-northwind-demo"
#: The carrier rates service is named by its PagerDuty id alone: its Events API key stays on the server.
CARRIER_RATES_KEY = "5f1e8c0d6a7b4c2e9d3f0a1b2c3d4e03"
#: Who may press the integrations' buttons in the demo (the guest; a real portal grants them per team).
WRITES = ["github-actions.run.rerun", "gitlab-ci.pipeline.retry", "pagerduty.incident.create"]


#: A repository's files the demo's catalog does not hold yet, served by the stand-in git host for Register.
REGISTER_SAMPLES = Path(str(resources.files("callboard.demo").joinpath("register")))


def start() -> VendorStandIns:
    vendors = VendorStandIns(raw_files=REGISTER_SAMPLES).start()
    seed(vendors)
    return vendors


def seed(vendors: VendorStandIns) -> None:
    vendors.github.credentials = {GITHUB_TOKEN}
    vendors.gitlab.credentials = {GITLAB_TOKEN}
    vendors.pagerduty.credentials = {PAGERDUTY_TOKEN}
    vendors.jira.credentials = {vendors.jira.basic(JIRA_EMAIL, JIRA_TOKEN)}
    _pagerduty(vendors)
    jira = vendors.jira
    jira.add_project("BOOK", "Booking", ("booking-api", "quotes", "labels"))
    jira.add_project("TRACK", "Tracking", ("scans", "webhooks", "eta"))
    jira.add_project("CARR", "Carrier network", ("rates", "onboarding", "edi"), count=40)
    jira.add_project("PAY", "Payments", ("payments", "payouts"))
    jira.add_project("WEB", "Customer web", ("web", "mobile"), count=30)


def _pagerduty(vendors: VendorStandIns) -> None:
    pagerduty = vendors.pagerduty

    def person(code: str, name: str) -> Person:
        return Person(code, name, f"{name.split(maxsplit=1)[0].lower()}@northwind.example")

    sam = person("PSAMCRT", "Sam Carter")
    shipping = [person("PAMARAO", "Amara Okafor"), person("PLENAFI", "Lena Fischer"), person("PTOMBEC", "Tom Becker")]
    billing = [person("PPRIYAN", "Priya Nair"), person("PJONASW", "Jonas Weber")]
    pagerduty.add_policy(
        "PSHIPEP", "Shipping on call", [Level(shipping), Level([sam, person("PMIAHOF", "Mia Hoffmann")], 168)]
    )
    pagerduty.add_policy("PBILLEP", "Billing on call", [Level(billing, 12), Level([sam], 168)])
    booking = pagerduty.add_service(
        Service("PBOOKNG", "Booking service", "PSHIPEP", "5f1e8c0d6a7b4c2e9d3f0a1b2c3d4e01", "Quotes and bookings")
    )
    pagerduty.add_service(Service("PTRACKG", "Tracking service", "PSHIPEP", "5f1e8c0d6a7b4c2e9d3f0a1b2c3d4e02"))
    pagerduty.add_service(Service("PCARRTS", "Carrier rates", "PSHIPEP", CARRIER_RATES_KEY))
    pagerduty.add_service(Service("PPAYMNT", "Payment service", "PBILLEP", "5f1e8c0d6a7b4c2e9d3f0a1b2c3d4e04"))
    pagerduty.open_incident("PBOOKNG", "Quotes time out for two carriers", urgency="high", age_seconds=1500)
    pagerduty.open_incident(
        "PTRACKG", "Scan backlog above 5,000", urgency="low", status="acknowledged", age_seconds=7200
    )
    now = pagerduty.clock()
    for hours, summary in ((3, "Deployed booking-service 2.14.0 to production"), (27, "Feature flag quote-cache on")):
        booking.change_events.append(
            {
                "id": f"CE{hours:04d}",
                "summary": summary,
                "timestamp": iso(now - hours * 3600),
                "source": "github-actions",
                "links": [{"href": "https://github.com/northwind/booking-service/actions", "text": "workflow"}],
            }
        )


def config(url: str) -> dict[str, Any]:
    """What the demo's app-config adds: Backstage's keys for each vendor, pointed at the stand-ins."""
    return {
        "integrations": {
            "github": [{"host": "github.com", "apiBaseUrl": f"{url}/github", "token": GITHUB_TOKEN}],
            "gitlab": [{"host": "gitlab.com", "apiBaseUrl": f"{url}/gitlab/api/v4", "token": GITLAB_TOKEN}],
        },
        "pagerDuty": {
            "apiToken": PAGERDUTY_TOKEN,
            "apiBaseUrl": f"{url}/pagerduty",
            "eventsBaseUrl": f"{url}/pagerduty-events/v2",
            "integrationKeys": {"PCARRTS": CARRIER_RATES_KEY},
        },
        "jira": {"baseUrl": f"{url}/jira", "email": JIRA_EMAIL, "apiToken": JIRA_TOKEN},
    }


def register_example(url: str) -> str:
    return f"{url}/raw/warehouse-service/catalog-info.yaml"


def merged(demo: dict[str, Any], url: str) -> dict[str, Any]:
    """The demo's app-config with the vendors' keys added and the guest allowed the integrations' buttons."""
    rules = list(demo.get("permission", {}).get("rules", []))
    # Only the buttons of plugins that are installed: a rule naming an unknown permission is reported at start-up,
    # and Callboard installed on its own (pip install callboard) runs the demo too.
    installed = {entry_point.name for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    writes = [name for name in WRITES if name.split(".", 1)[0] in installed]
    if writes:
        rules.append({"permission": writes, "principals": ["user:default/guest"]})
    # Register reads the sample repository from the stand-in git host: the only loopback address it may read.
    backend = {**demo["backend"], "reading": {"allow": [{"host": url.removeprefix("http://")}]}}
    catalog = {**demo["catalog"], "import": {"exampleUrls": [register_example(url)]}}
    return {
        **demo,
        **config(url),
        "backend": backend,
        "catalog": catalog,
        "permission": {**demo.get("permission", {}), "rules": rules},
    }
