"""Golden files: for every corpus document, the verdict, the processed entity and its relations.

Rewrite them after an intended change with ``pytest tests/catalog/test_golden.py --update-golden`` and review
the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callboard.catalog.kinds import KindRegistry, builtin_kinds
from callboard.catalog.validation import DescriptorValidator, find_descriptor_files

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "corpus"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _corpus_files() -> list[Path]:
    files, _ = find_descriptor_files([CORPUS / "catalog", CORPUS / "templates"])
    return files


def _render(path: Path, corpus: Path) -> list[dict[str, Any]]:
    validator = DescriptorValidator(KindRegistry(builtin_kinds()))
    rendered = []
    for verdict in validator.validate_file(path, root=corpus):
        row = verdict.as_json()
        row["file"] = str(path.relative_to(corpus))
        row["entity"] = verdict.entity
        row["relations"] = sorted([r.source, r.type, r.target] for r in verdict.relations)
        rendered.append(row)
    # Messages may quote the file's path; golden files must not depend on where the corpus is checked out.
    return json.loads(json.dumps(rendered).replace(str(corpus) + "/", ""))  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_document_matches_golden(path: Path, corpus: Path, update_golden: bool) -> None:
    golden = GOLDEN / (str(path.relative_to(corpus)).replace("/", "__") + ".json")
    actual = _render(path, corpus)
    text = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
        return
    assert golden.is_file(), f"no golden file for {path}; run pytest --update-golden and review it"
    assert json.loads(golden.read_text("utf-8")) == json.loads(text)


def test_every_golden_file_has_its_corpus_document(corpus: Path) -> None:
    expected = {str(p.relative_to(corpus)).replace("/", "__") + ".json" for p in _corpus_files()}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected
