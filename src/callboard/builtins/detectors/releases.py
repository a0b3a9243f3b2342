"""What shows code is released and in use: release tags, a changelog of several versions, GoReleaser, fastlane
uploading to an app store. (A pipeline that publishes a package is read with the pipelines, in ``ci.py``.)"""

from __future__ import annotations

import re

from callboard.builtins.detectors.common import folder
from callboard.sdk import Fact, RepoView

#: A changelog line that starts a release: "## 1.4.0", "1.4.0 (2024-01-02)", "[v2.1.0] - ...", "Version 3.2".
_RELEASE_LINE = re.compile(r"^\s*(?:#+\s*|\*\s*)?\[?(?:v|version\s+)?\d+\.\d+(?:\.\d+)?\b", re.I | re.M)
#: Enough releases to call the code released rather than a first draft.
RELEASES = 3
#: Tags that are not releases: moving pointers, snapshots, experiments.
_NOT_RELEASE = re.compile(r"nightly|snapshot|latest|test|tmp|temp|wip|backup|experiment|alpha|beta|rc\d*$|pre", re.I)
#: A tag naming a version ("v1.4.0", "release-2.3"), as opposed to a named release ("release/teak.1").
_VERSION_TAG = re.compile(r"^[A-Za-z/_.-]*\d+\.\d+")
#: fastlane actions that ship an app to its users.
_STORES = re.compile(r"\b(upload_to_app_store|upload_to_play_store|deliver|supply|pilot|upload_to_testflight)\b")


class Releases:
    id = "releases"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts = _tag_facts(repo)
        for path in repo.glob("CHANGELOG*", "CHANGES*", "HISTORY*", "Changelog*", "changelog*", "NEWS*"):
            count = len(_RELEASE_LINE.findall(repo.text(path) or ""))
            if count >= RELEASES:
                rule = f"{path} records {count} releases"
                facts.append(Fact(folder(path), "spec.lifecycle", "production", 0.5, path, rule))
        for path in repo.glob(".goreleaser.yml", ".goreleaser.yaml"):
            rule = f"{path} publishes its releases (GoReleaser)"
            facts.append(Fact(folder(path), "spec.lifecycle", "production", 0.55, path, rule))
        for path in repo.glob("Fastfile"):
            if _STORES.search(repo.text(path) or ""):
                rule = f"{path} uploads it to an app store"
                facts.append(Fact(folder(folder(path)), "spec.lifecycle", "production", 0.55, path, rule))
        return facts


def _tag_facts(repo: RepoView) -> list[Fact]:
    """Several release tags (``v1.4.0``, ``release/2024-05``, ``open-release/quince.1``) say the code is shipped
    to people who use it, whatever it is: a deployed service tags what it deploys, a package what it publishes."""
    releases = [tag for tag in repo.tags if any(c.isdigit() for c in tag) and not _NOT_RELEASE.search(tag)]
    if len(releases) < RELEASES:
        return []
    web = repo.repository.web_url
    versions = [tag for tag in releases if _VERSION_TAG.match(tag)]
    latest = f" (the highest version {max(versions, key=_version_key)})" if versions else ""
    rule = f"it has {len(releases)} release tags{latest}"
    return [Fact("*", "spec.lifecycle", "production", 0.55, f"{web}/tags" if web else "git tags", rule)]


def _version_key(tag: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", tag)[:4])
