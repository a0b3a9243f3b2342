"""Validating descriptor files as a whole: find the files, parse every document, run the pipeline, place errors.

This is what ``callboard catalog validate`` and the golden tests use; the engine uses the same parser and
pipeline, so a file that validates here is ingested the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callboard.catalog.descriptors import Document, DocumentProblem, parse_documents
from callboard.catalog.kinds import KindRegistry
from callboard.catalog.pipeline import EntityPipeline
from callboard.catalog.placeholders import DEFAULT_RESOLVERS, LocalFileReader, PlaceholderResolution, Resolver
from callboard.core.entity import stringify_entity_ref
from callboard.core.limits import DescriptorLimits
from callboard.core.relations import Relation

DESCRIPTOR_SUFFIXES = (".yaml", ".yml")
_SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".tox"})


@dataclass(frozen=True, slots=True)
class Finding:
    """A message about one document, placed at a line and column, with the fix when we know it."""

    level: str  # "error" or "warning"
    message: str
    line: int
    column: int
    field: str = ""
    hint: str = ""


@dataclass(slots=True)
class DocumentVerdict:
    """Backstage's verdict on one document: its ref, whether it is valid, and every finding."""

    file: str
    doc: int
    line: int
    ref: str | None
    valid: bool
    findings: list[Finding] = field(default_factory=list)
    entity: dict[str, Any] | None = None
    relations: list[Relation] = field(default_factory=list)

    @property
    def error(self) -> Finding | None:
        return next((finding for finding in self.findings if finding.level == "error"), None)

    def as_json(self) -> dict[str, Any]:
        error = self.error
        return {
            "file": self.file,
            "doc": self.doc,
            "ref": self.ref,
            "valid": self.valid,
            "error": error.message if error else None,
            "line": error.line if error else self.line,
            "column": error.column if error else 1,
            "field": error.field if error else None,
            "hint": error.hint if error else None,
            "warnings": [w.message for w in self.findings if w.level == "warning"],
        }


def find_descriptor_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Files named on the command line, and ``*.yaml``/``*.yml`` found under named folders (sorted)."""
    files: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    candidate
                    for candidate in path.rglob("*")
                    if candidate.suffix in DESCRIPTOR_SUFFIXES
                    and candidate.is_file()
                    and not _SKIPPED_DIRS.intersection(candidate.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(path)
    return files, missing


def looks_like_descriptor(document: Document) -> bool:
    """Whether a document found while walking a folder is meant as an entity (has apiVersion or kind)."""
    return "apiVersion" in document.data or "kind" in document.data


def repository_root(path: Path) -> Path:
    """The enclosing git work tree, else the folder itself: how far placeholders may reach."""
    start = path.resolve() if path.is_dir() else path.resolve().parent
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


class DescriptorValidator:
    """Validates descriptor files with a given kind registry."""

    def __init__(
        self,
        kinds: KindRegistry,
        resolvers: Mapping[str, Resolver] | None = None,
        limits: DescriptorLimits | None = None,
    ) -> None:
        self._kinds = kinds
        self._resolvers = {**DEFAULT_RESOLVERS, **(resolvers or {})}
        self._limits = limits or DescriptorLimits()

    def validate_file(
        self, path: Path, *, root: Path | None = None, walking: bool = False
    ) -> Iterator[DocumentVerdict]:
        """Verdicts for each document of ``path``; when ``walking`` a folder, non-entity YAML is skipped.

        Whatever the file holds, this yields verdicts and never raises: one odd file must not stop a run over
        a thousand others.
        """
        name = str(path)
        try:
            yield from self._validate(path, name, root, walking)
        except Exception as error:  # a bug of ours, not the file's: say so, and go on with the next file
            message = f"Callboard could not check this file ({type(error).__name__}: {error}); please report it"
            yield DocumentVerdict(name, 0, 1, None, False, [Finding("error", message, 1, 1)])

    def _validate(self, path: Path, name: str, root: Path | None, walking: bool) -> Iterator[DocumentVerdict]:
        try:
            content = path.read_bytes()
        except OSError as error:
            yield _file_verdict(name, f"cannot read {name}: {error.strerror}")
            return
        if len(content) > self._limits.file_bytes:
            yield _file_verdict(
                name,
                f"{name} is {len(content)} bytes; files may be at most {self._limits.file_bytes} "
                "(catalog.limits.fileBytes)",
            )
            return
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            yield _file_verdict(
                name, f"{name} is not UTF-8 text (byte {error.start} cannot be decoded); save it as UTF-8"
            )
            return
        yield from self.validate_text(text, name, root=root or repository_root(path), walking=walking)

    def validate_text(self, text: str, name: str, *, root: Path, walking: bool = False) -> Iterator[DocumentVerdict]:
        """Verdicts for each document of ``text`` (named ``name``; placeholders read below ``root``)."""
        resolution = PlaceholderResolution(LocalFileReader(root), self._resolvers)
        pipeline = EntityPipeline(self._kinds, placeholders=resolution)
        for item in parse_documents(text, name, self._limits):
            if isinstance(item, DocumentProblem):
                finding = Finding("error", item.message, item.line, item.column, hint=_yaml_hint(item.message))
                yield DocumentVerdict(name, item.index, item.line, None, False, [finding])
                continue
            if walking and not looks_like_descriptor(item):
                continue
            yield self._verdict(item, pipeline, resolution)

    def _verdict(
        self, document: Document, pipeline: EntityPipeline, resolution: PlaceholderResolution
    ) -> DocumentVerdict:
        result = pipeline.process(document.data, base=document.source)
        ref = _ref_of(document.data)
        findings = [
            Finding("warning", warning.message, *document.locate(warning.path), _dotted(warning.path))
            for warning in resolution.warnings
        ]
        for error in result.errors:
            line, column = document.locate(error.path)
            hint = error.hint
            metadata = document.data.get("metadata")
            if isinstance(metadata, dict) and "${{" in str(metadata.get("name", "")):
                hint = "This is a scaffolder skeleton: it becomes a valid entity only after the template renders it."
            findings.insert(
                0, Finding("error", f"{error.name}: {error.message}", line, column, _dotted(error.path), hint)
            )
        return DocumentVerdict(
            document.source,
            document.index,
            document.line,
            ref,
            result.ok,
            findings,
            result.entity,
            result.relations,
        )


def _file_verdict(name: str, message: str) -> DocumentVerdict:
    return DocumentVerdict(name, 0, 1, None, False, [Finding("error", message, 1, 1)])


def _ref_of(data: dict[str, Any]) -> str | None:
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(data.get("kind"), str) or "name" not in metadata:
        return None
    try:
        return stringify_entity_ref(data)
    except (TypeError, AttributeError):
        return None


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path)


def _yaml_hint(message: str) -> str:
    if message.startswith("Expected object at root"):
        return "Each YAML document must be one entity: a mapping with apiVersion, kind, metadata and spec."
    if message.startswith("Map keys must be unique"):
        return "Remove or rename the repeated key."
    if "catalog.limits." in message:
        return "Simplify the document, or raise the named limit in app-config if the file is meant to be this way."
    return "Fix the YAML syntax at this position (check indentation, quotes and brackets)."
