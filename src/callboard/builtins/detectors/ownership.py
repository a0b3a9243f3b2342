"""CODEOWNERS: who owns which folders (the rules are matched to components when entities are made)."""

from __future__ import annotations

from callboard.sdk import Fact, RepoView

LOCATIONS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


class CodeOwners:
    id = "ownership"

    def detect(self, repo: RepoView) -> list[Fact]:
        for path in LOCATIONS:
            text = repo.text(path) if repo.exists(path) else None
            if text is None:
                continue
            rules = []
            for line in text.splitlines():
                parts = line.split("#", 1)[0].split()
                if len(parts) >= 2 and not parts[0].startswith("["):
                    rules.append([parts[0], parts[1:]])
            if rules:
                return [Fact("*", "codeowners", rules, 0.9, path, f"{path} assigns owners")]
        return []
