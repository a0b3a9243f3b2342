"""Splitting queries and correcting typos against the index's words."""

from __future__ import annotations

from callboard.search.terms import Vocabulary, query_words


def test_query_words_split_names_and_drop_repeats() -> None:
    assert query_words("Booking-Service booking_api  BOOKING") == ["booking", "service", "api"]


def test_small_typos_are_corrected_to_the_commonest_close_word() -> None:
    vocabulary = Vocabulary.of(["payment service", "payment api", "payout service", "paging"])
    assert vocabulary.correct("paymnet") == "payment"  # two letters swapped count as one edit
    assert vocabulary.correct("servce") == "service"
    assert vocabulary.correct("pament") == "payment"


def test_known_words_and_prefixes_are_never_corrected() -> None:
    vocabulary = Vocabulary.of(["techdocs guide", "team handbook"])
    assert vocabulary.correct("tech") is None  # the start of techdocs: not a typo of "team"
    assert vocabulary.correct("team") is None
    assert vocabulary.correct("tea") is None


def test_short_words_and_far_words_are_left_alone() -> None:
    vocabulary = Vocabulary.of(["kafka topic", "booking"])
    assert vocabulary.correct("kfk") is None  # too short to guess
    assert vocabulary.correct("zzzzzz") is None
    assert vocabulary.correct("bokking") == "booking"
