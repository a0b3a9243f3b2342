"""The AWS inventory against a moto server: an organisation of N accounts x R regions x M resources, scanned
twice with ``callboard aws scan`` as a user runs it (first scan; second scan with nothing changed).

    .venv/bin/python benchmarks/aws.py --accounts 200 --regions 3 --resources 20 [--database postgresql]

Prints each scan's time, what it wrote, its API calls (by operation for the second), and peak memory.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import yaml

from callboard_aws.standins.moto import MotoServer, Seeder

REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-1", "eu-central-1"]
#: Twenty resources per account and region, in this mix.
MIX = ["cluster"] + ["database"] * 3 + ["table"] * 3 + ["queue"] * 4 + ["topic"] * 3 + ["function"] * 2
MIX += ["repository"] * 2 + ["bucket"] * 2


def seed(server: MotoServer, accounts: int, regions: list[str], per_region: int) -> int:
    seeder = Seeder(server.url)
    root = seeder.organization()
    units = [seeder.unit(root, f"unit-{n}") for n in range(10)]
    ids = [seeder.account(f"account-{n:04d}", units[n % 10], {"team": f"team-{n % 25}"}) for n in range(accounts)]

    def fill(index_and_id: tuple[int, str]) -> int:
        index, account_id = index_and_id
        made = 0
        for region in regions:
            for number, kind in enumerate((MIX * (per_region // len(MIX) + 1))[:per_region]):
                name = f"{kind}-{index}-{region}-{number}"
                tags = {"backstage.io/component": f"service-{(index + number) % 500}"}
                if kind == "bucket":
                    name = f"b-{index}-{region}-{number}-{account_id}"
                getattr(seeder, kind)(account_id, region, name, tags)
                made += 1
        return made

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(fill, enumerate(ids)))


def scan(config: Path, environment: dict[str, str]) -> tuple[float, str, float]:
    """Run the command; its wall time, its stderr, and its peak resident memory in MB (GNU time's %M)."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "peak-rss-kb %M",
            str(Path(sys.executable).with_name("callboard")),
            "aws",
            "scan",
            "-c",
            str(config),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"scan failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak = re.findall(r"peak-rss-kb (\d+)", done.stderr)
    return time.perf_counter() - started, done.stderr, int(peak[-1]) / 1024 if peak else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--resources", type=int, default=20, help="per account and region")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    options = parser.parse_args()
    regions = REGIONS[: options.regions]
    server = MotoServer().start()
    database_name = f"cb_aws_bench_{uuid.uuid4().hex[:8]}"
    try:
        started = time.perf_counter()
        made = seed(server, options.accounts, regions, options.resources)
        seconds = time.perf_counter() - started
        print(f"seeded {options.accounts} accounts x {len(regions)} regions: {made} resources in {seconds:.0f} s")
        with tempfile.TemporaryDirectory() as folder:
            if options.database == "postgresql":
                with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE {database_name}")
                database = {"client": "pg", "connection": f"postgresql://postgres@127.0.0.1:5432/{database_name}"}
            else:
                database = {"client": "better-sqlite3", "connection": f"{folder}/portal.sqlite"}
            config = Path(folder) / "app-config.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "backend": {"database": database},
                        "dataDir": f"{folder}/data",
                        "plugins": {"aws": {"regions": regions, "concurrency": options.concurrency}},
                    }
                )
            )
            environment = {**os.environ, **server.environment(), "COLUMNS": "200"}
            first, first_out, first_rss = scan(config, environment)
            second, second_out, second_rss = scan(config, environment)
            for label, wall, out in (("first scan", first, first_out), ("second scan", second, second_out)):
                summary = re.search(
                    r"\d+ accounts, (\d+) entities; wrote (\d+), removed (\d+); "
                    r"(\d+) API calls \((\d+) retries\) in ([\d.]+) s",
                    out,
                )
                if summary is None:
                    sys.exit(f"no summary in:\n{out[-2000:]}")
                entities, wrote, removed, calls, retries, seconds = summary.groups()
                print(
                    f"{label}: {float(seconds):.1f} s scanning ({wall:.1f} s with the command's start-up); "
                    f"{entities} entities, wrote {wrote}, removed {removed}; {calls} API calls, {retries} retries"
                )
            ratio = float(re.findall(r"in ([\d.]+) s", second_out)[-1]) / float(
                re.findall(r"in ([\d.]+) s", first_out)[-1]
            )
            print(f"second scan / first scan: {ratio:.0%} (target 10%)")
            print(f"peak memory of the scan command: {first_rss:.0f} MB first, {second_rss:.0f} MB second")
            print(f"database: {options.database}")
    finally:
        server.stop()
        if options.database == "postgresql":
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database_name} WITH (FORCE)")


if __name__ == "__main__":
    main()
