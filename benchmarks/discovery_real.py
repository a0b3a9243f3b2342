"""The inferred catalog against real repositories whose owners wrote their own ``catalog-info.yaml``.

    .venv/bin/python benchmarks/discovery_real.py [--mirrors /work/.mirror] [--half dev|test|both] [--misses]

The repositories, the commit of each and the development/test split are in ``discovery_real/repositories.tsv``
(the split was drawn once, by a hash of each name, before any rule was tuned; rules are tuned on ``dev`` only).
Each repository is read from a local mirror (``<mirrors>/<owner>+<name>/repo``, a bare git directory; bring one
with the workplace's fetch of ``github:<owner>/<name>``): its tree at the listed commit is written to a
temporary folder, every ``catalog-info.yaml`` removed, scanned as the discovery provider scans, and the root
component compared field by field with the hand-written one. A field counts where the hand-written descriptor
gives it (owner only where the repository has CODEOWNERS); the description agrees when half its words do.

Prints agreement per field for each half, repositories with a build file and no component, and with
``--misses`` every disagreement.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callboard.assembly import create_plugin_manager
from callboard.discovery.inference import Options
from callboard.discovery.model import Repository
from callboard.discovery.scanner import MemoryState, Scanner

HERE = Path(__file__).resolve().parent
LIST = HERE / "discovery_real" / "repositories.tsv"
FIELDS = (
    "kind",
    "type",
    "lifecycle",
    "owner",
    "system",
    "providesApis",
    "consumesApis",
    "techdocs-ref",
    "project-slug",
    "description",
)
BUILD_FILES = re.compile(
    r"^(package\.json|pyproject\.toml|setup\.py|setup\.cfg|go\.mod|pom\.xml|build\.gradle(\.kts)?|Cargo\.toml|"
    r"Gemfile|.*\.gemspec|composer\.json|mix\.exs|build\.sbt|.*\.csproj|.*\.sln|Package\.swift|requirements\.txt)$"
)


def expected_of(text: str) -> tuple[dict[str, Any], str]:
    """The hand-written fields of the descriptor's first Component (else its first entity), and its kind."""
    documents = [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]
    chosen = next((doc for doc in documents if str(doc.get("kind")) == "Component"), documents[0] if documents else {})
    return fields_of(chosen), str(chosen.get("kind") or "")


def fields_of(entity: Mapping[str, Any]) -> dict[str, Any]:
    metadata = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    annotations = metadata.get("annotations") or {}
    values: dict[str, Any] = {
        "kind": entity.get("kind"),
        "type": spec.get("type"),
        "lifecycle": spec.get("lifecycle"),
        "owner": _ref(spec.get("owner"), "group"),
        "system": _ref(spec.get("system"), "system"),
        "providesApis": sorted(_ref(v, "api") for v in spec.get("providesApis") or []) or None,
        "consumesApis": sorted(_ref(v, "api") for v in spec.get("consumesApis") or []) or None,
        "techdocs-ref": _techdocs(annotations.get("backstage.io/techdocs-ref")),
        "project-slug": annotations.get("github.com/project-slug"),
        "description": metadata.get("description"),
    }
    return {key: value for key, value in values.items() if value not in (None, "", [])}


def _ref(value: Any, kind: str) -> str | None:
    if not value:
        return None
    text = str(value).strip().lower()
    if ":" not in text:
        text = f"{kind}:{text}"
    kind_part, _, rest = text.partition(":")
    return f"{kind_part}:{rest.removeprefix('default/')}"


def _techdocs(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).strip()
    return text[:-1] if text.endswith("/") and text != "dir:./" else text.replace("dir:./", "dir:.")


def agrees(field: str, expected: Any, got: Any) -> bool:
    if field == "description":
        want = set(re.findall(r"[a-z0-9]+", str(expected).lower()))
        have = set(re.findall(r"[a-z0-9]+", str(got or "").lower()))
        return bool(want) and len(want & have) >= len(want) / 2
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip().lower() == got.strip().lower()
    return bool(expected == got)


def root_component(entities: list[dict[str, Any]], web_url: str) -> dict[str, Any] | None:
    components = [e for e in entities if e.get("kind") == "Component"]
    for entity in components:
        location = (entity["metadata"].get("annotations") or {}).get("backstage.io/source-location", "")
        if re.fullmatch(rf"url:{re.escape(web_url)}/tree/[^/]+/?", location):
            return entity
    return components[0] if components else (entities[0] if entities else None)


def checkout(mirror: Path, commit: str, into: Path) -> str:
    """The tree at ``commit`` written to ``into``, without any catalog-info file; the hand-written descriptor.

    Read blob by blob: a mirror lacks files of 4 MiB and more (binaries, mostly), which are left out."""
    listing = subprocess.run(
        ["git", "-C", str(mirror), "ls-tree", "-r", "-z", commit], capture_output=True, check=True
    ).stdout.split(b"\0")
    blobs = []
    for line in listing:
        if not line:
            continue
        meta, _, path = line.partition(b"\t")
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":
            blobs.append((sha.decode(), path.decode("utf-8", "replace")))
    batch = subprocess.Popen(
        ["git", "-C", str(mirror), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert batch.stdin is not None and batch.stdout is not None
    for sha, path in blobs:
        batch.stdin.write(f"{sha}\n".encode())  # one at a time: a full pipe either way would stall both sides
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) < 3:  # "<sha> missing"
            continue
        content = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)
        target = into / path
        if ".." in Path(path).parts or Path(path).name.startswith("catalog-info.y"):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    batch.stdin.close()
    batch.wait()
    return subprocess.run(
        ["git", "-C", str(mirror), "show", f"{commit}:catalog-info.yaml"], capture_output=True, text=True, check=True
    ).stdout


def tags_at(mirror: Path, commit: str) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(mirror), "tag", "--merged", commit], capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--half", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--misses", action="store_true", help="print every disagreement")
    args = parser.parse_args()
    scanner = Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:unknown"))
    rows = list(csv.DictReader(LIST.open(), delimiter="\t"))
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    misses: list[tuple[str, str, str, Any, Any]] = []
    unasked: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    without: list[str] = []
    missing: list[str] = []
    for row in rows:
        half, name = row["half"], row["repository"]
        if args.half not in ("both", half):
            continue
        mirror = args.mirrors / name.replace("/", "+", 1) / "repo"
        if not mirror.is_dir():
            missing.append(name)
            continue
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            expected, _ = expected_of(checkout(mirror, row["commit"], root))
            has_code = any(BUILD_FILES.match(path.name) for path in root.iterdir())
            web = f"https://github.com/{name}"
            owners_files = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
            has_owners = any((root / path).is_file() for path in owners_files)
            # The tags a clone made at that commit would have listed (those reachable from it).
            tags = tags_at(mirror, row["commit"])
            repository = Repository(
                name=name,
                root=root,
                revision=row["commit"],
                web_url=web,
                location=f"url:{web}/blob/main",
                list_tags=lambda tags=tags: tags,
            )
            report = scanner.scan("real", [repository], MemoryState())
        inferred = root_component(report.entities, web)
        got = fields_of(inferred) if inferred else {}
        if has_code and (inferred is None or inferred.get("kind") != "Component"):
            without.append(name)
        for field in FIELDS:
            if field not in expected and field in got:
                unasked[half][field] += 1  # a claim the owners did not make: not scored, but shown
            if field not in expected or (field == "owner" and not has_owners):
                continue
            right = agrees(field, expected[field], got.get(field))
            totals[half][field][0] += int(right)
            totals[half][field][1] += 1
            if not right:
                misses.append((half, name, field, expected[field], got.get(field)))
    halves = [h for h in ("dev", "test") if args.half in (h, "both")]
    print("agreement per field (agreeing / where the hand-written descriptor gives it)")
    print(f"{'field':<14}" + "".join(f"{h:>18}" for h in halves))
    for field in FIELDS:
        cells = []
        for half in halves:
            right, count = totals[half][field]
            cells.append(f"{right / count:>8.2f} ({right:>2}/{count:<2})" if count else f"{'-':>18}")
        print(f"{field:<14}" + "".join(f"{cell:>18}" for cell in cells))
    extra = ", ".join(
        f"{field} {'/'.join(str(unasked[half][field]) for half in halves)}"
        for field in FIELDS
        if any(unasked[half][field] for half in halves)
    )
    print(f"inferred where the hand-written descriptor has none ({'/'.join(halves)}): {extra or 'none'}")
    print(f"repositories with a build file and no component: {len(without)} {without}")
    if missing:
        print(f"not scanned (no mirror; fetch github:<name>): {', '.join(missing)}")
    if args.misses:
        print("\nmisses (half, repository, field: expected -> inferred)")
        for half, name, field, want, have in sorted(misses):
            print(f"{half:<5} {name:<42} {field:<13} {str(want)[:60]!s:<60} -> {str(have)[:60]}")


if __name__ == "__main__":
    main()
