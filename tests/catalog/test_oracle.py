"""Verdicts and first errors identical to Backstage's own validators, on the corpus and on mutated descriptors."""

from __future__ import annotations

from pathlib import Path

import pytest

from callboard.catalog.descriptors import Document, parse_documents
from callboard.catalog.validation import find_descriptor_files
from tests.oracle.compare import compare, oracle_available
from tests.oracle.mutations import write_mutations

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module", autouse=True)
def _need_oracle() -> None:
    if not oracle_available():
        pytest.fail("the Backstage oracle is not installed: run 'npm ci --prefix tests/oracle' (make test does)")


def _corpus_files(corpus: Path) -> list[Path]:
    files, _ = find_descriptor_files([corpus / "catalog", corpus / "templates"])
    return files


def test_corpus_verdicts_match_backstage(corpus: Path) -> None:
    result = compare(corpus, _corpus_files(corpus))
    print(result.summary())
    assert result.documents > 150
    assert result.differences == []


def test_mutated_descriptor_verdicts_match_backstage(corpus: Path, tmp_path: Path) -> None:
    entities = [
        item.data
        for path in _corpus_files(corpus)
        for item in parse_documents(path.read_text("utf-8"), str(path))
        if isinstance(item, Document) and "${{" not in path.read_text("utf-8")
    ]
    files = write_mutations(entities, tmp_path / "mutations")
    result = compare(tmp_path, files)
    print(result.summary())
    assert len(files) > 300
    assert result.invalid > 200  # the mutations really do break things
    assert result.differences == []
