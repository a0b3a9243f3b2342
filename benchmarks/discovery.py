"""Discovery benchmark: precision and recall per field over the sample repositories, and scan timings.

    .venv/bin/python benchmarks/discovery.py [--repositories 1000]

Writes the sample repositories (src/callboard/demo/sample_repos.py) as git clones, scans them and prints
precision and recall per field against the expected entities. Then writes copies up to ``--repositories``
clones (kept under build/bench/ for later runs), scans them with the state in a SQLite database, as the
provider does, and prints the first scan's time and a second scan's with nothing changed. Targets: 0.9 per
field; 60 s and 10 s for 1,000 repositories.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.discovery.evaluation import FIELDS, scores

from callboard.assembly import create_plugin_manager
from callboard.demo.sample_repos import sample_repos, write_sample_repos
from callboard.discovery.inference import Options
from callboard.discovery.scanner import MemoryState, Scanner
from callboard.discovery.sources import LocalFolders
from callboard.discovery.store import DatabaseState
from callboard.storage.db import Database
from callboard.storage.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repositories", type=int, default=1000)
    args = parser.parse_args()
    scanner = Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:unowned"))

    with tempfile.TemporaryDirectory() as temp:
        expected = write_sample_repos(Path(temp) / "repos")
        report = scanner.scan("samples", LocalFolders(Path(temp) / "repos").repositories(), MemoryState())
    result = scores(report.entities, expected)
    for field in FIELDS:
        precision, recall, mistakes = result[field]
        print(
            json.dumps(
                {"field": field, "precision": round(precision, 3), "recall": round(recall, 3), "mistakes": mistakes}
            )
        )

    work = REPO / "build" / "bench" / f"discovery-{args.repositories}"
    copies = math.ceil(args.repositories / len(sample_repos()))
    if not (work / "ready").exists():
        shutil.rmtree(work, ignore_errors=True)
        started = time.perf_counter()
        write_sample_repos(work / "repos", copies=copies)
        (work / "ready").write_text("")
        print(json.dumps({"wrote_repositories_s": round(time.perf_counter() - started, 1)}))
    (work / "state.db").unlink(missing_ok=True)
    database = Database(f"sqlite:///{work / 'state.db'}")
    upgrade(database)
    state = DatabaseState(database)
    count = sum(1 for _ in LocalFolders(work / "repos").repositories())
    for label in ("first scan", "second scan, nothing changed"):
        report = scanner.scan("bench", LocalFolders(work / "repos").repositories(), state)
        print(
            json.dumps(
                {
                    "scan": label,
                    "repositories": count,
                    "scanned": report.scanned,
                    "reused": report.reused,
                    "entities": len(report.entities),
                    "seconds": round(report.seconds, 2),
                }
            )
        )
    database.dispose()


if __name__ == "__main__":
    main()
