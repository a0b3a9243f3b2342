"""Shared fixtures: where the corpus lives, and the option to rewrite golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests import checkout_guard

checkout_guard.install()

# Property and fuzz tests run the same examples on every `make test` (a fixed budget, no surprises in CI);
# HYPOTHESIS_PROFILE=fuzz explores new ones, CALLBOARD_FUZZ_SCALE times as many. A case found that way is kept
# as an @example in the test that found it (budgets: tests.support.fuzz_examples).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


REPO = Path(__file__).resolve().parent.parent
#: Real descriptors, templates and docs written by others, with their sources and licences in INDEX.tsv.
CORPUS = REPO / "tests" / "corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS
