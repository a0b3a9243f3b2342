"""The integration plugins (GitHub Actions, GitLab CI, PagerDuty, Jira) as people use them: V viewers each open
the overview of C demo services (whose lazy cards then load) and their CI/CD, On call and Issues tabs, against the
demo's vendor stand-ins answering after a delay. Run with the plugins' answers cached (their defaults) and with
caching off.

    .venv/bin/python benchmarks/integrations.py [--viewers 20] [--delay 0.2]

Prints, per mode: the calls each vendor answered, per page view, and the server time of the overview page (which
never waits on a vendor: the cards are lazy) and of a tab body (which does, when its answer is not cached).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callboard.core.identity import Identity
from callboard.demo import demo_config
from callboard.demo import vendors as demo_vendors
from tests.support import Server, make_runtime

SERVICES = ("booking-service", "tracking-service", "payment-service", "carrier-onboarding")
CARDS = ("github-actions", "gitlab-ci", "pagerduty", "jira")
TABS = ("github-actions", "gitlab-ci", "pagerduty", "jira")
VENDORS = ("github", "gitlab", "pagerduty", "jira")


def run(mode: str, viewers: int, delay: float) -> dict[str, Any]:
    vendors = demo_vendors.start()
    for name in VENDORS:
        getattr(vendors, name).delay = delay
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        config = demo_vendors.merged(demo_config(work / "data"), vendors.url)
        config.pop("plugins", None)  # the AWS demo is not measured here
        config["changeEvents"] = {}
        config["deployments"] = {}
        config["backend"]["database"] = {"connection": str(work / "callboard.db")}
        seconds = 0 if mode == "caching off" else None
        if seconds is not None:
            config.setdefault("plugins", {})["github-actions"] = {"cacheSeconds": 0}
            config["plugins"]["gitlab-ci"] = {"cacheSeconds": 0}
            config["pagerDuty"]["cacheSeconds"] = 0
            config["jira"]["cacheSeconds"] = 0
        runtime = make_runtime(config, work)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(120)
            guest = Identity("user", "user:default/guest", ("user:default/guest",), "Guest")
            headers = {"Authorization": f"Bearer {runtime.auth.tokens.issue(guest)}"}
            with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
                overview: list[float] = []
                tabs: list[float] = []
                views = 0

                def timed(path: str, into: list[float] | None) -> bool:
                    started = time.perf_counter()
                    response = http.get(path)
                    if into is not None:
                        into.append((time.perf_counter() - started) * 1000)
                    return response.status_code == 200

                def viewer(_: int) -> int:
                    seen = 0
                    for service in SERVICES:
                        page = f"/catalog/default/component/{service}"
                        timed(page, overview)
                        seen += 1
                        for card in CARDS:
                            timed(f"{page}/cards/{card}", None)
                        for tab in TABS:
                            if timed(f"{page}/tabs/{tab}", tabs):
                                seen += 1
                    return seen

                before = vendors.calls()
                with ThreadPoolExecutor(4) as pool:
                    views = sum(pool.map(viewer, range(viewers)))
                calls = vendors.calls() - before
        finally:
            runtime.close()
            vendors.stop()
    per_vendor = {name: sum(n for call, n in calls.items() if call.startswith(f"{name} ")) for name in VENDORS}
    return {
        "mode": mode,
        "views": views,
        "calls": per_vendor,
        "overview_ms": statistics.median(overview),
        "tab_ms": statistics.median(tabs),
        "tab_p95_ms": sorted(tabs)[int(len(tabs) * 0.95) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each vendor call takes")
    args = parser.parse_args()
    print(f"{args.viewers} viewers x {len(SERVICES)} services; each vendor answers after {args.delay:g} s")
    print(
        f"{'mode':<12} {'page views':>10} "
        + " ".join(f"{v + ' calls':>16}" for v in VENDORS)
        + f" {'calls/view':>10} {'overview p50':>12} {'tab p50':>9} {'tab p95':>9}"
    )
    for mode in ("cached", "caching off"):
        found = run(mode, args.viewers, args.delay)
        total = sum(found["calls"].values())
        cells = " ".join(f"{found['calls'][v]:>16}" for v in VENDORS)
        print(
            f"{mode:<12} {found['views']:>10} {cells} {total / found['views']:>10.2f} "
            f"{found['overview_ms']:>10.0f}ms {found['tab_ms']:>7.0f}ms {found['tab_p95_ms']:>7.0f}ms"
        )


if __name__ == "__main__":
    main()
