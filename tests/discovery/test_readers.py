"""Small readers discovery relies on: README paragraphs, remote URLs, clone heads."""

from __future__ import annotations

from callboard.builtins.detectors.docs import first_paragraph
from callboard.discovery.sources import web_url
from callboard.sources.git import RepositoryUrl


def test_the_first_paragraph_skips_badges_html_and_markup() -> None:
    readme = (
        "[![build](https://ci/badge.svg)](https://ci)\n<p align=center><img src=logo.png></p>\n\n"
        "# Orders\n\n![diagram](d.png)\n\nTakes **orders** from the [storefront](https://shop) and\n"
        "tracks them.\n\nSecond paragraph.\n"
    )
    assert first_paragraph(readme) == ("Orders", "Takes orders from the storefront and tracks them.")


def test_remote_urls_become_browsable_addresses() -> None:
    assert web_url("git@github.com:acme/orders.git") == "https://github.com/acme/orders"
    assert web_url("https://token@github.com/acme/orders.git") == "https://github.com/acme/orders"
    assert web_url("ssh://git@gitlab.example.com/team/app.git") == "https://gitlab.example.com/team/app"
    assert web_url("/srv/git/app.git") is None


def test_repository_urls_name_the_remote_branch_and_folder() -> None:
    assert RepositoryUrl.parse("https://github.com/acme/x/tree/main/docs/guide") == RepositoryUrl(
        "https://github.com/acme/x", "main", "docs/guide"
    )
    assert RepositoryUrl.parse("https://gitlab.com/g/p/-/blob/dev/catalog-info.yaml") == RepositoryUrl(
        "https://gitlab.com/g/p", "dev", "catalog-info.yaml"
    )
    assert RepositoryUrl.parse("https://git.example.com/acme/x.git") == RepositoryUrl(
        "https://git.example.com/acme/x.git"
    )
