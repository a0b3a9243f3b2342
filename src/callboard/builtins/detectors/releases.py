"""What shows code is released and in use: a changelog of several versions, GoReleaser, fastlane uploading to
an app store. (A pipeline that publishes a package is read with the pipelines, in ``ci.py``.)"""

from __future__ import annotations

import re

from callboard.builtins.detectors.common import folder
from callboard.sdk import Fact, RepoView

#: A changelog line that starts a release: "## 1.4.0", "1.4.0 (2024-01-02)", "[v2.1.0] - ...", "Version 3.2".
_RELEASE_LINE = re.compile(r"^\s*(?:#+\s*|\*\s*)?\[?(?:v|version\s+)?\d+\.\d+(?:\.\d+)?\b", re.I | re.M)
#: Enough releases to call the code released rather than a first draft.
RELEASES = 3
#: fastlane actions that ship an app to its users.
_STORES = re.compile(r"\b(upload_to_app_store|upload_to_play_store|deliver|supply|pilot|upload_to_testflight)\b")


class Releases:
    id = "releases"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
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
