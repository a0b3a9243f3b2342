"""The sample repositories, written once per test session as real git clones."""

from __future__ import annotations

from pathlib import Path

import pytest

from callboard.demo.sample_repos import Expected, write_sample_repos


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Expected]]:
    root = tmp_path_factory.mktemp("samples") / "repos"
    return root, write_sample_repos(root)
