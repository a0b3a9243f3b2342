"""Building a TechDocs site: MkDocs with the techdocs-core plugin, in an isolated folder, with a time limit.

The source is copied to a fresh temporary folder first, so a build never writes into a repository checkout
and one build cannot see another's files. ``techdocs-core`` is added to the site's plugins when missing, as
Backstage's generator does. Build output is kept as the build log; a failed build raises with that log.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from callboard.core.errors import InputError
from callboard.techdocs.config_check import check_config

DEFAULT_TIMEOUT = 120.0
CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
#: Backstage's name for a site whose entity gives none.
DEFAULT_SITE_NAME = "Documentation Site"


class BuildError(Exception):
    """The site did not build; ``log`` holds MkDocs' output (shown to people when a build fails)."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message)
        self.message = message
        self.log = log


@dataclass
class BuildResult:
    site_dir: Path
    log: str
    metadata: dict[str, Any]
    seconds: float


def source_digest(source: Path) -> str:
    """A digest of every file under ``source``: a changed digest means the site must be rebuilt."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and ".git" not in p.parts):
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _config(source: Path) -> tuple[Path, dict[str, Any]]:
    for name in CONFIG_NAMES:
        path = source / name
        if path.is_file():
            return path, check_config(path, source)
    raise InputError(f"{source} has no mkdocs.yml; add one (site_name, nav) next to the docs/ folder")


def _default_config(source: Path, site_name: str | None) -> dict[str, Any]:
    """The mkdocs.yml Backstage's generator writes when a source has none, if there is a docs/ folder."""
    if not (source / "docs").is_dir():
        raise InputError(
            f"{source} has no mkdocs.yml and no docs/ folder; add docs/index.md (and mkdocs.yml for a title and nav)"
        )
    return {"site_name": site_name or DEFAULT_SITE_NAME, "docs_dir": "docs", "plugins": ["techdocs-core"]}


def _patch_index(copy: Path, docs_dir: str) -> None:
    """Without ``docs/index.md``, the first of docs/README.md, docs/readme.md, README.md, readme.md becomes
    the home page, as Backstage's generator does (MkDocs would otherwise build a site without one)."""
    docs = copy / docs_dir
    if (docs / "index.md").is_file() or not docs.is_dir():
        return
    for candidate in (docs / "README.md", docs / "readme.md", copy / "README.md", copy / "readme.md"):
        if candidate.is_file():
            shutil.copyfile(candidate, docs / "index.md")
            return


def prepare(source: Path, workdir: Path, site_name: str | None = None) -> Path:
    """Copy the source into ``workdir`` and make sure its config uses techdocs-core; the config's path. A source
    without mkdocs.yml gets Backstage's default one (named ``site_name``) in the copy."""
    copy = workdir / "src"
    if not any((source / name).is_file() for name in CONFIG_NAMES):
        config = _default_config(source, site_name)
        shutil.copytree(source, copy, symlinks=False, ignore=shutil.ignore_patterns(".git", "site"))
        (copy / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        _patch_index(copy, "docs")
        return copy / "mkdocs.yml"
    config_path, config = _config(source)
    shutil.copytree(source, copy, symlinks=False, ignore=shutil.ignore_patterns(".git", "site"))
    _patch_index(copy, str(config.get("docs_dir") or "docs"))
    plugins = config.get("plugins")
    names = [next(iter(p)) if isinstance(p, dict) else str(p) for p in plugins or []]
    if "techdocs-core" not in names:
        text = (copy / config_path.name).read_text("utf-8")
        if plugins is None:
            text += "\nplugins:\n  - techdocs-core\n"
            (copy / config_path.name).write_text(text, "utf-8")
        else:
            config["plugins"] = [*(plugins or []), "techdocs-core"]
            (copy / config_path.name).write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return copy / config_path.name


def page_url(markdown: str, *, use_directory_urls: bool = True) -> str:
    """The site path MkDocs gives a Markdown page (``guide/setup.md`` → ``guide/setup/``)."""
    stem = markdown[: -len(".md")] if markdown.endswith(".md") else markdown
    if not use_directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index") or stem.lower() == "readme" or stem.lower().endswith("/readme"):
        return stem.rsplit("index", 1)[0] if stem.endswith("index") else stem[: -len("readme")]
    return stem + "/"


def flatten_nav(nav: Any, *, use_directory_urls: bool = True, depth: int = 0) -> list[dict[str, Any]]:
    """``nav`` of mkdocs.yml as a list of {title, path, depth} (sections have no path)."""
    entries: list[dict[str, Any]] = []
    for item in nav or []:
        if isinstance(item, str):
            entries.append(
                {"title": item, "path": page_url(item, use_directory_urls=use_directory_urls), "depth": depth}
            )
        elif isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, list):
                    entries.append({"title": str(title), "path": None, "depth": depth})
                    entries.extend(flatten_nav(value, use_directory_urls=use_directory_urls, depth=depth + 1))
                elif isinstance(value, str) and not value.startswith(("http://", "https://")):
                    entries.append(
                        {
                            "title": str(title),
                            "path": page_url(value, use_directory_urls=use_directory_urls),
                            "depth": depth,
                        }
                    )
    return entries


def _build_environment(workdir: Path) -> dict[str, str]:
    """What MkDocs sees of the environment: enough to run, none of the server's settings or secrets."""
    kept = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TZ") if name in os.environ}
    return {**kept, "HOME": str(workdir), "PYTHONDONTWRITEBYTECODE": "1", "NO_MKDOCS_2_WARNING": "1"}


def build_site(
    source: Path, output: Path, *, timeout: float = DEFAULT_TIMEOUT, site_name: str | None = None
) -> BuildResult:
    """Build the site in ``source`` into ``output`` (replaced), with ``techdocs_metadata.json`` beside it.
    ``site_name`` names a site whose source has no mkdocs.yml (Backstage uses the entity's title or name)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="callboard-techdocs-") as temp:
        workdir = Path(temp)
        config = prepare(source, workdir, site_name)
        site = workdir / "site"
        command = [sys.executable, "-m", "mkdocs", "build", "--config-file", str(config), "--site-dir", str(site)]
        try:
            done = subprocess.run(
                command,
                cwd=config.parent,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=_build_environment(workdir),
            )
        except subprocess.TimeoutExpired as expired:
            log = (expired.stdout or "") + (expired.stderr or "") if isinstance(expired.stdout, str) else ""
            raise BuildError(f"The docs build took longer than {timeout:.0f} seconds and was stopped", log) from None
        log = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            last = next((line for line in reversed(log.splitlines()) if line.strip()), "no output")
            raise BuildError(f"mkdocs build failed: {last}", log)
        _, loaded = _config(config.parent)
        files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
        metadata = {
            "nav": flatten_nav(loaded.get("nav"), use_directory_urls=loaded.get("use_directory_urls", True)),
            "site_name": loaded.get("site_name", ""),
            "site_description": loaded.get("site_description", ""),
            "etag": source_digest(source),
            "build_timestamp": int(time.time() * 1000),
            "files": files,
        }
        (site / "techdocs_metadata.json").write_text(json.dumps(metadata, indent=2), "utf-8")
        if output.exists():
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(site, output)
    return BuildResult(output, log, metadata, time.perf_counter() - started)
