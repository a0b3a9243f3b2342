"""``callboard plugins new NAME``: a plugin package that works and passes its own tests as generated.

The files come from ``skeleton/`` (Jinja templates ending ``.tmpl``); path parts named ``module`` become the
package's module, and ``card.html`` becomes ``<plugin id>_card.html`` so cards of two plugins never collide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from callboard import __version__
from callboard.plugins import PLUGIN_API_VERSION

SKELETON = Path(__file__).parent / "skeleton"
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


class ScaffoldError(Exception):
    """The plugin cannot be generated; the message says why and what to do."""


@dataclass(frozen=True)
class PluginNames:
    plugin_id: str
    package: str
    module: str
    table: str
    title: str

    @classmethod
    def of(cls, name: str) -> PluginNames:
        name = name.strip().lower().removeprefix("callboard-")
        if not _NAME.match(name):
            raise ScaffoldError(
                f"{name!r} cannot name a plugin: use 3 to 40 lower-case letters, digits and hyphens, starting with "
                "a letter (e.g. team-links)"
            )
        snake = name.replace("-", "_")
        return cls(name, f"callboard-{name}", f"callboard_{snake}", f"{snake}_items", name.replace("-", " ").title())


def scaffold(name: str, parent: Path) -> Path:
    """Write the package into ``parent/callboard-<name>``; returns its folder. An existing folder is refused."""
    names = PluginNames.of(name)
    target = parent / names.package
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another name or folder (--dir)")
    major, minor, _ = PLUGIN_API_VERSION.split(".")
    values = {
        **names.__dict__,
        "api": f"{major}.{minor}",
        "callboard_version": __version__,
        "revision": f"{names.module}_0001",
    }
    environment = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    for source in sorted(SKELETON.rglob("*.tmpl")):
        relative = source.relative_to(SKELETON).with_suffix("")
        parts = [names.module if part == "module" else part for part in relative.parts]
        if parts[-1] == "card.html":
            parts[-1] = f"{names.plugin_id}_card.html"
        destination = target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(environment.from_string(source.read_text("utf-8")).render(values), "utf-8")
    return target
