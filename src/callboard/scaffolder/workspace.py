"""Paths inside a task's workspace: nothing a template asks for may land outside it.

Backstage's CVE-2026-24046 and CVE-2026-24047 let a template escape its workspace through symlinks; here every
path is resolved (symlinks followed) before use and must stay under the workspace, and copied trees never
carry a symlink that points outside.
"""

from __future__ import annotations

import os
from pathlib import Path

from callboard.core.errors import InputError, NotAllowedError


def safe_child(
    root: Path, relative: str | os.PathLike[str], *, what: str = "path", area: str = "the task's workspace"
) -> Path:
    """``root / relative`` with symlinks resolved; NotAllowedError when it would leave ``root``."""
    text = str(relative)
    if "\x00" in text:
        raise InputError(f"The {what} {text!r} contains a NUL character")
    base = root.resolve()
    candidate = (base / text).resolve()
    if candidate != base and base not in candidate.parents:
        raise NotAllowedError(f"The {what} {text!r} would leave {area}; use a path inside it")
    return candidate


def check_tree(root: Path, directory: Path) -> None:
    """Refuse a tree holding a symlink that points outside ``root`` (or dangles outside it)."""
    base = root.resolve()
    for current, dirs, files in os.walk(directory, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(current) / name
            if path.is_symlink():
                target = (path.parent / path.readlink()).resolve()
                if target != base and base not in target.parents:
                    raise NotAllowedError(
                        f"{path.relative_to(directory)} is a symlink to {str(path.readlink())!r}, outside the workspace"
                    )
