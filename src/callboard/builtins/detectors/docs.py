"""Docs: ``mkdocs.yml`` means TechDocs; a README's first paragraph describes the component (and may say it
is deprecated)."""

from __future__ import annotations

import re

from callboard.builtins.detectors.common import folder
from callboard.sdk import Fact, RepoView

_DEPRECATED = re.compile(r"\b(deprecated|no longer maintained|unmaintained|archived)\b", re.I)
_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|[*_`]")


def first_paragraph(text: str) -> tuple[str, str]:
    """A README's title (its first heading) and first paragraph of prose, without Markdown markup."""
    title = ""
    paragraph: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if paragraph:
                break
            title = title or stripped.lstrip("#").strip()
            continue
        if not stripped or (stripped.startswith(("<", "[!", "![", "---", "```", "|", ">")) and not paragraph):
            if paragraph:
                break
            continue
        paragraph.append(stripped)
    return title, _MARKUP.sub(lambda m: m.group(1) or "", " ".join(paragraph)).strip()


class Docs:
    id = "docs"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        for path in repo.glob("mkdocs.yml", "mkdocs.yaml"):
            facts.append(Fact(folder(path), "techdocs", folder(path), 0.95, path, f"{path} configures MkDocs"))
        for path in repo.glob("README.md", "README.rst", "README", "readme.md"):
            title, paragraph = first_paragraph(repo.text(path) or "")
            unit = folder(path)
            if paragraph:
                facts.append(
                    Fact(unit, "metadata.description", paragraph[:400], 0.8, path, f"the first paragraph of {path}")
                )
                if _DEPRECATED.search(paragraph) or _DEPRECATED.search(title):
                    facts.append(
                        Fact(unit, "spec.lifecycle", "deprecated", 0.75, path, f"{path} says it is deprecated")
                    )
        for path in repo.glob("*.tf"):
            facts.append(Fact(folder(path), "infrastructure", "terraform", 0.8, path, f"{path} is Terraform"))
            break
        return facts
