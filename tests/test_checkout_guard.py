"""The guard that keeps the tests inside the checkout: the hook refuses a guarded folder's files and programs given
paths in it, with the fix; the checkout itself is never guarded. The test guards a folder of its own, so it
reads nothing beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checkout_guard import CHECKOUT, OutsideCheckout, audit_hook, guarded_folders


def test_a_file_or_program_argument_in_a_guarded_folder_is_refused_with_the_fix(tmp_path: Path) -> None:
    beside = tmp_path / "shared"
    hook = audit_hook([str(beside)])
    fix = r"outside the checkout .*copy what the test needs under tests/"
    with pytest.raises(OutsideCheckout, match=fix):
        hook("open", (str(beside / "corpus" / "INDEX.tsv"), "r", 0))
    with pytest.raises(OutsideCheckout):
        hook("os.listdir", (beside,))
    with pytest.raises(OutsideCheckout):
        hook("subprocess.Popen", ("python", ["python", "-c", "pass", str(beside / "x")], None, None))
    hook("open", (str(tmp_path / "shared-not" / "f"), "r", 0))  # a folder merely starting with the name is fine
    hook("open", (str(CHECKOUT / "tests" / "corpus" / "INDEX.tsv"), "r", 0))


def test_the_workplace_corpus_is_guarded_and_the_checkout_is_not() -> None:
    guarded = guarded_folders()
    assert str(CHECKOUT.parent / "shared") in guarded  # whether or not it exists on this machine
    assert str(CHECKOUT) not in guarded
