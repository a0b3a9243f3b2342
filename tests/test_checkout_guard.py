"""The guard that keeps the tests inside the checkout fails a test that reads beside it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.checkout_guard import CHECKOUT, OutsideCheckout, guarded_folders


def test_reading_the_workplace_corpus_beside_the_checkout_fails_with_the_fix() -> None:
    beside = CHECKOUT.parent / "shared" / "corpus" / "INDEX.tsv"
    with pytest.raises(OutsideCheckout, match=r"outside the checkout .*copy what the test needs under tests/"):
        beside.read_text("utf-8")
    with pytest.raises(OutsideCheckout):
        subprocess.run([sys.executable, "-c", "pass", str(beside)], check=False)


def test_the_checkout_itself_stays_readable() -> None:
    assert (CHECKOUT / "tests" / "corpus" / "INDEX.tsv").read_text("utf-8")
    assert str(CHECKOUT) not in guarded_folders()
