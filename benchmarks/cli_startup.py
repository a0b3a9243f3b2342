"""How long the ``callboard`` command takes to start: wall time of whole processes, as JSON lines.

    .venv/bin/python benchmarks/cli_startup.py [--runs 10]

Each command runs ``--runs`` times in a fresh process (after one warm-up run that fills the OS file cache and
writes bytecode caches, as a second run on a user's machine would); the median and the slowest are printed.
``catalog validate`` reads one small descriptor file, so the figure is start-up, not validation. Every installed
plugin is loaded, as it is for a user.

Bytecode caches are allowed (``pip install`` writes them for a user): where ``PYTHONDONTWRITEBYTECODE`` is set, as
in some CI shells, every module of an editable checkout is compiled again on every run, which adds about a second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DESCRIPTOR = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-a
"""


def _timed(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=environment)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    callboard = str(Path(sys.executable).with_name("callboard"))
    with tempfile.TemporaryDirectory() as temp:
        descriptor = Path(temp) / "catalog-info.yaml"
        descriptor.write_text(DESCRIPTOR, "utf-8")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "callboard --help": [callboard, "--help"],
            "callboard version": [callboard, "version"],
            "callboard catalog validate": [callboard, "catalog", "validate", str(descriptor)],
        }
        environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        for name, command in commands.items():
            _timed(command, environment)
            seconds = [_timed(command, environment) for _ in range(args.runs)]
            print(
                json.dumps(
                    {
                        "command": name,
                        "runs": args.runs,
                        "median_s": round(statistics.median(seconds), 3),
                        "max_s": round(max(seconds), 3),
                    }
                )
            )


if __name__ == "__main__":
    main()
