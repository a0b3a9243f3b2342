"""Compare Callboard's verdicts with Backstage's (computed by ``verdicts.js`` with Backstage's own packages)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callboard.catalog.kinds import KindRegistry, builtin_kinds
from callboard.catalog.validation import DescriptorValidator

ORACLE_DIR = Path(__file__).parent


def oracle_available() -> bool:
    return shutil.which("node") is not None and (ORACLE_DIR / "node_modules" / "@backstage" / "catalog-model").is_dir()


def oracle_verdicts(root: Path, files: Sequence[Path]) -> dict[tuple[str, int], dict[str, object]]:
    rows: dict[tuple[str, int], dict[str, object]] = {}
    for start in range(0, len(files), 200):
        chunk = [str(path) for path in files[start : start + 200]]
        output = subprocess.run(
            ["node", str(ORACLE_DIR / "verdicts.js"), str(root), *chunk],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        ).stdout
        for line in output.splitlines():
            row = json.loads(line)
            rows[(row["file"], row["doc"])] = row
    return rows


class OracleServer:
    """One long-lived Backstage validator process: verdicts on texts, a few milliseconds each."""

    def __init__(self, root: Path) -> None:
        self._process = subprocess.Popen(
            ["node", str(ORACLE_DIR / "verdicts.js"), "--serve", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def verdicts(self, text: str, file: str) -> list[dict[str, object]]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps({"file": file, "text": text}) + "\n")
        self._process.stdin.flush()
        rows = []
        while (line := self._process.stdout.readline()) and line.strip() != '{"end": true}':
            rows.append(json.loads(line))
        return rows

    def close(self) -> None:
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._process.wait(10)


_READ_DETAIL = re.compile(r"(could not read location [^,]*),.*$")


def normalise(message: str | None) -> str | None:
    # How a missing placeholder file is described is the reader's business, not the pipeline's.
    return None if message is None else _READ_DETAIL.sub(r"\1", message)


@dataclass
class Agreement:
    documents: int = 0
    same_verdict: int = 0
    same_error: int = 0
    invalid: int = 0
    differences: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "invalid_per_backstage": self.invalid,
            "verdict_agreement": round(self.same_verdict / self.documents, 4) if self.documents else None,
            "first_error_agreement": round(self.same_error / self.documents, 4) if self.documents else None,
        }


def compare(root: Path, files: Sequence[Path]) -> Agreement:
    validator = DescriptorValidator(KindRegistry(builtin_kinds()))
    ours = {
        (verdict.file, verdict.doc): verdict for path in files for verdict in validator.validate_file(path, root=root)
    }
    theirs = oracle_verdicts(root, files)
    agreement = Agreement()
    for key in sorted(set(ours) | set(theirs)):
        agreement.documents += 1
        mine, other = ours.get(key), theirs.get(key)
        if mine is None or other is None:
            agreement.differences.append(f"{key}: only in {'Backstage' if mine is None else 'Callboard'}")
            continue
        agreement.invalid += not other["valid"]
        if mine.valid == other["valid"]:
            agreement.same_verdict += 1
        else:
            agreement.differences.append(f"{key}: verdict {mine.valid} vs Backstage {other['valid']}: {other['error']}")
            continue
        error = mine.error
        my_message = error.message if error else None
        their = other["error"]
        yaml_error = bool(their and str(their).startswith("YAML error"))
        if yaml_error or normalise(my_message) == normalise(str(their) if their else None):
            agreement.same_error += 1
        else:
            agreement.differences.append(f"{key}: error\n   ours:      {my_message}\n   Backstage: {their}")
    return agreement


def main(argv: Sequence[str]) -> int:
    """``python -m tests.oracle.compare ROOT PATH...``: print the agreement figures as JSON."""
    from callboard.catalog.validation import find_descriptor_files

    root = Path(argv[0])
    files, _ = find_descriptor_files([Path(arg) for arg in argv[1:]])
    result = compare(root, files)
    print(json.dumps({"set": "corpus", **result.summary()}))
    for line in result.differences:
        print(line, file=sys.stderr)
    return 0 if not result.differences else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
