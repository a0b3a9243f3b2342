"""Tests read nothing beside the checkout: a fresh `git clone` + `make test` must pass with nothing else there.

An audit hook (PEP 578) sees every file the test process opens or lists and every program it starts; a path in
a folder next to the checkout (the workplace's shared corpus, another project) raises ``OutsideCheckout`` in the
test that tried, naming the path and the fix. System folders, the virtualenv and temporary files are not
"beside the checkout" and stay readable.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent

#: Audit events whose first argument is a path that is read or listed.
_PATH_EVENTS = {"open", "os.listdir", "os.scandir", "glob.glob", "shutil.copyfile", "shutil.copytree"}


class OutsideCheckout(PermissionError):
    pass


def guarded_folders() -> list[str]:
    """Folders next to the checkout, as they are when the tests start (later ones are the tests' own)."""
    parent = CHECKOUT.parent
    if parent == Path(parent.anchor):
        return []  # a checkout at the root of the file system has system folders beside it, not projects
    kept = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(tempfile.gettempdir()).resolve()}
    guarded = [str(parent / "shared")]  # where the workplace keeps its corpus, whether or not it is here
    for entry in parent.iterdir():
        resolved = entry.resolve()
        if resolved == CHECKOUT or entry.name.startswith("pytest-of-") or not entry.is_dir():
            continue
        if any(resolved == keep or resolved in keep.parents or keep in resolved.parents for keep in kept):
            continue
        guarded.append(str(entry))
    return guarded


def check(path: object, guarded: list[str]) -> None:
    if not isinstance(path, str | bytes | os.PathLike):
        return
    # abspath, not Path.resolve(): an audit hook runs on every open, and must not touch the file system itself.
    absolute = os.path.abspath(os.fsdecode(path))  # noqa: PTH100
    for folder in guarded:
        if absolute == folder or absolute.startswith(folder + os.sep):
            raise OutsideCheckout(
                f"a test read {absolute}, outside the checkout {CHECKOUT}; copy what the test needs under tests/ "
                "(with its source and licence in tests/corpus/INDEX.tsv) so that a bare clone passes"
            )


def audit_hook(guarded: list[str]) -> Callable[[str, tuple[object, ...]], None]:
    """The audit hook that refuses ``guarded`` folders: files opened or listed there, programs given paths there."""

    def hook(event: str, arguments: tuple[object, ...]) -> None:
        if event in _PATH_EVENTS and arguments:
            check(arguments[0], guarded)
        elif event == "subprocess.Popen" and len(arguments) > 1 and isinstance(arguments[1], list | tuple):
            for argument in arguments[1]:
                check(argument, guarded)

    return hook


def install() -> None:
    sys.addaudithook(audit_hook(guarded_folders()))
