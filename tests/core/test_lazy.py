"""Lazy public faces: a name's module is imported on first use, and the face's listing is checked."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from callboard.core.lazy import LazyFaceError, face_targets

FACES = [
    "callboard.sdk",
    "callboard.auth.api",
    "callboard.catalog.api",
    "callboard.discovery.api",
    "callboard.events.api",
    "callboard.people.api",
    "callboard.proxy.api",
    "callboard.scaffolder.api",
    "callboard.scheduler.api",
    "callboard.search.api",
    "callboard.sources.api",
    "callboard.techdocs.api",
]


@pytest.mark.parametrize("face", FACES)
def test_every_listed_name_resolves_and_all_matches_the_listing(face: str) -> None:
    module = importlib.import_module(face)
    assert module.__file__ is not None
    listed = set(face_targets(Path(module.__file__).read_text("utf-8"), module.__file__))
    assert set(module.__all__) == listed
    for name in module.__all__:
        assert getattr(module, name) is not None
    assert set(module.__all__) <= set(dir(module))


def test_an_unknown_name_is_an_attribute_error_naming_the_face() -> None:
    import callboard.catalog.api as face

    with pytest.raises(AttributeError, match=r"callboard\.catalog\.api.*no_such_thing"):
        _ = face.no_such_thing  # type: ignore[attr-defined]


def test_importing_a_face_imports_none_of_its_modules_until_a_name_is_used() -> None:
    probe = (
        "import sys, callboard.sdk, callboard.catalog.api as c\n"
        "assert 'callboard.catalog.service' not in sys.modules\n"
        "c.SecuredCatalog\n"
        "assert 'callboard.catalog.secured' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


def test_anything_but_absolute_from_imports_in_the_listing_is_refused() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\n"
    with pytest.raises(LazyFaceError, match=r"face\.py:3: .*absolute 'from module import name'"):
        face_targets(source, "face.py")
