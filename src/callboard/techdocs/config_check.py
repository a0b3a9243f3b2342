"""What a repository's ``mkdocs.yml`` may ask of the server that builds its docs.

MkDocs was made for building your own docs on your own machine: its config loader builds Python objects
(``!!python/object/apply:os.system``), ``hooks`` import the repository's Python files, ``!ENV`` reads the
builder's environment and ``docs_dir`` may be any folder on disk. Callboard builds docs of repositories that
anyone with push access writes (Backstage runs MkDocs in a container for the same reason), so a config that
uses any of these is refused before MkDocs reads it, with the key named.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from callboard.core.errors import InputError

#: Python names a config may refer to with ``!!python/name:``: the Markdown extensions' documented hooks.
ALLOWED_PYTHON_NAMES = ("material.extensions.", "pymdownx.", "markdown.extensions.")

_PYTHON_TAG = "tag:yaml.org,2002:python/"


class _Recorder(yaml.SafeLoader):
    """Reads the config as data, noting each tag MkDocs' own loader would act on."""

    tags: list[tuple[str, str, int]]


def _record(loader: _Recorder, suffix: str, node: yaml.Node) -> Any:
    loader.tags.append((node.tag, str(node.value) if isinstance(node, yaml.ScalarNode) else "", node.start_mark.line))
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Recorder.add_multi_constructor("!", _record)
_Recorder.add_multi_constructor(_PYTHON_TAG, _record)


def check_config(path: Path, root: Path) -> dict[str, Any]:
    """The config as data, or InputError naming ``path``, the key and why it may not be built here."""
    loader = _Recorder(path.read_text("utf-8"))
    loader.tags = []
    try:
        config = loader.get_single_data()
    except yaml.YAMLError as error:
        raise InputError(f"{path.name}: not valid YAML: {error}") from None
    finally:
        loader.dispose()
    if not isinstance(config, dict):
        raise InputError(f"{path.name}: expected a mapping at the top")
    for tag, value, line in loader.tags:
        _check_tag(path, tag, value, line)
    if "hooks" in config:
        _refuse(path, "hooks", "hooks run the repository's Python code on the portal's server; remove them")
    inherit = config.get("INHERIT")
    if inherit is not None:
        _inside(path, root, "INHERIT", inherit, relative_to=path.parent)
    if "docs_dir" in config:
        _inside(path, root, "docs_dir", config["docs_dir"], relative_to=path.parent)
    theme = config.get("theme")
    if isinstance(theme, dict) and "custom_dir" in theme:
        _inside(path, root, "theme.custom_dir", theme["custom_dir"], relative_to=path.parent)
    for name, options in _extensions(config.get("markdown_extensions")):
        if name == "pymdownx.snippets" and isinstance(options, dict):
            bases = options.get("base_path", [])
            for base in bases if isinstance(bases, list) else [bases]:
                _inside(path, root, "markdown_extensions.pymdownx.snippets.base_path", base, relative_to=path.parent)
    return config


def _check_tag(path: Path, tag: str, value: str, line: int) -> None:
    where = f"line {line + 1}"
    if tag == "!ENV":
        _refuse(path, f"!ENV ({where})", "it would put the portal server's environment (its secrets) in the docs")
    if tag.startswith(_PYTHON_TAG):
        kind = tag[len(_PYTHON_TAG) :]
        if kind.startswith("name:"):
            target = kind[len("name:") :] or value
            if target.startswith(ALLOWED_PYTHON_NAMES):
                return
            allowed = ", ".join(f"{prefix}*" for prefix in ALLOWED_PYTHON_NAMES)
            _refuse(path, f"!!python/{kind} ({where})", f"only these Python names may be used: {allowed}")
        _refuse(path, f"!!python/{kind} ({where})", "it would run Python code on the portal's server")


def _inside(path: Path, root: Path, key: str, value: Any, *, relative_to: Path) -> None:
    text = str(value)
    if PurePosixPath(text).is_absolute() or Path(text).is_absolute():
        _refuse(path, key, f"{text!r} is a folder of the server; give a path inside the repository")
    resolved = (relative_to / text).resolve()
    if not resolved.is_relative_to(root.resolve()):
        _refuse(path, key, f"{text!r} leaves the repository's docs folder")


def _extensions(raw: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for item in raw or []:
        if isinstance(item, str):
            found.append((item, None))
        elif isinstance(item, dict):
            found.extend((str(name), options) for name, options in item.items())
    return found


def _refuse(path: Path, key: str, why: str) -> None:
    raise InputError(f"{path.name}: {key} is not allowed when the portal builds docs: {why}")
