"""Public faces that import what they name only when it is first used.

A face (``callboard/<feature>/api.py``, ``callboard.sdk``) names many things from many modules; importing them
all eagerly made every command pay for the web stack and the database drivers before doing anything (``callboard
--help`` took 1.7 s). A lazy face lists its names once, as ordinary imports under ``if TYPE_CHECKING:`` (so type
checkers, import-linter and readers see real imports), and ends with::

    __getattr__, __dir__ = lazy_face(__name__, __file__)

which reads that block from the module's source and imports each name's module on first access (PEP 562).
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


class LazyFaceError(ImportError):
    """A face's ``TYPE_CHECKING`` block holds something other than absolute ``from ... import`` lines."""


def lazy_face(module: str, file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the face ``module`` whose source is ``file``."""
    targets = face_targets(Path(file).read_text("utf-8"), file)
    namespace = sys.modules[module].__dict__

    def attribute(name: str) -> Any:
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(target[0]), target[1])
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def names() -> list[str]:
        return sorted(set(namespace) | set(targets))

    return attribute, names


def face_targets(source: str, file: str) -> dict[str, tuple[str, str]]:
    """Public name → (module, attribute), from the imports under the module's ``if TYPE_CHECKING:``."""
    targets: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source, file).body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            continue
        for statement in node.body:
            if not isinstance(statement, ast.ImportFrom) or statement.level or not statement.module:
                raise LazyFaceError(
                    f"{file}:{statement.lineno}: a lazy face lists its names as absolute 'from module import name' "
                    "lines under 'if TYPE_CHECKING:'; move anything else above that block"
                )
            for alias in statement.names:
                targets[alias.asname or alias.name] = (statement.module, alias.name)
    return targets
