"""Docs: ``mkdocs.yml`` means TechDocs; a README's first paragraph describes the component (and may say it
is deprecated)."""

from __future__ import annotations

import re

from callboard.builtins.detectors.common import folder
from callboard.sdk import Fact, RepoView

#: A README saying the code itself is deprecated (not that it replaces something deprecated).
_DEPRECATED = re.compile(
    r"\b(?:this|the)\s+(?:repo(?:sitory)?|project|package|library|service|module|tool|app(?:lication)?)\s+"
    r"(?:is|has been)\s+(?:now\s+)?(?:deprecated|archived|unmaintained|no longer maintained)\b"
    r"|^\W*(?:deprecated|unmaintained|archived)\b",
    re.I,
)
_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|[*_`]")
#: An RST or Setext underline/overline: a run of one punctuation character.
_ADORNMENT = re.compile(r"^([=\-~^*#+`'\".:_])\1{2,}\s*$")
#: Lines that are not prose: HTML, badges and images, RST directives and substitutions, tables, quotes, fences.
_NOT_PROSE = ("<", "[!", "![", "```", "|", ">", ".. ", ":", "[", "---", "***", "- [", "* [")
#: The inside of an HTML block split over lines (``width="400" src="..."``).
_HTML_ATTRIBUTE = re.compile(r'\b(?:src|href|width|height|alt|align|class|style)="')
#: A Sphinx ``conf.py`` (a ``conf.py`` is also many other tools' settings).
_SPHINX = re.compile(r"^\s*(?:extensions|html_theme|master_doc|root_doc)\s*=|\bsphinx", re.M)
#: Fewer words than this is a label, not a description ("XBlock", "Purpose").
MIN_WORDS = 4


def first_paragraph(text: str) -> tuple[str, str]:
    """A README's title (its first heading) and first paragraph of prose, without Markdown or RST markup."""
    lines = _without_front_matter(text.splitlines())
    title = ""
    paragraph: list[str] = []

    def heading_at(index: int) -> bool:
        stripped = lines[index].strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        return stripped.startswith("#") or bool(stripped and _ADORNMENT.match(following))

    for index, line in enumerate(lines):
        stripped = line.strip()
        if _ADORNMENT.match(stripped):
            continue
        if heading_at(index):
            if _enough(paragraph):
                break
            paragraph = []
            title = title or stripped.lstrip("#").strip()
            continue
        if not stripped or stripped.startswith(_NOT_PROSE) or _HTML_ATTRIBUTE.search(stripped):
            if _enough(paragraph):
                break
            paragraph = []
            continue
        paragraph.append(stripped)
    prose = " ".join(paragraph) if _enough(paragraph) else ""
    return title, _MARKUP.sub(lambda m: m.group(1) or "", prose).strip()


def _without_front_matter(lines: list[str]) -> list[str]:
    """A leading ``---`` ... ``---`` block (YAML front matter) is metadata, not prose."""
    if lines and lines[0].strip() == "---" and "---" in (line.strip() for line in lines[1:]):
        return lines[[line.strip() for line in lines].index("---", 1) + 1 :]
    return lines


def _enough(paragraph: list[str]) -> bool:
    return len(" ".join(paragraph).split()) >= MIN_WORDS


class Docs:
    id = "docs"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        for path in repo.glob("mkdocs.yml", "mkdocs.yaml"):
            facts.append(Fact(folder(path), "techdocs", folder(path), 0.95, path, f"{path} configures MkDocs"))
        # Other documentation builders: a repository of only these is a documentation site (not TechDocs).
        for path in repo.glob(".readthedocs.yaml", ".readthedocs.yml", "conf.py", "antora.yml", "book.toml"):
            if path.endswith("conf.py") and not _SPHINX.search(repo.text(path) or ""):
                continue
            rule = f"{path} configures a documentation build"
            facts.append(Fact(folder(path), "docs-site", path.rsplit("/", 1)[-1], 0.7, path, rule))
        for path in repo.glob("README.md", "README.rst", "README", "readme.md"):
            if any(part.startswith(".") for part in path.split("/")):
                continue  # a README of a CI action or an editor setting describes that, not a component
            title, paragraph = first_paragraph(repo.text(path) or "")
            unit = folder(path)
            if paragraph:
                facts.append(
                    Fact(unit, "metadata.description", paragraph[:400], 0.8, path, f"the first paragraph of {path}")
                )
                if _DEPRECATED.search(paragraph) or "deprecated" in title.lower():
                    facts.append(
                        Fact(unit, "spec.lifecycle", "deprecated", 0.75, path, f"{path} says it is deprecated")
                    )
        terraform = list(repo.glob("*.tf"))
        if terraform:
            facts.append(
                Fact(folder(terraform[0]), "infrastructure", "terraform", 0.8, terraform[0], "it is Terraform")
            )
            facts += _terraform_module(repo, terraform)
        return facts


def _terraform_module(repo: RepoView, paths: list[str]) -> list[Fact]:
    """A folder of Terraform that declares inputs but no backend and no provider settings is a module others
    call (a package, like a library); one with a backend is a root that someone applies."""
    facts: list[Fact] = []
    by_folder: dict[str, list[str]] = {}
    for path in paths:
        by_folder.setdefault(folder(path), []).append(repo.text(path) or "")
    for unit, texts in sorted(by_folder.items()):
        if unit.split("/")[0] in ("examples", "example", "test", "tests"):
            continue
        text = "\n".join(texts)
        if re.search(r'^\s*variable\s+"', text, re.M) and not re.search(r'^\s*(backend|provider)\s+"', text, re.M):
            rule = f"{unit or 'the repository'} is a Terraform module: inputs, no backend, no provider settings"
            facts.append(Fact(unit, "spec.type", "library", 0.6, f"{unit}/main.tf".lstrip("/"), rule))
    return facts
