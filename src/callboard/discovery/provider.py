"""Discovery as a catalog entity provider: scan every source on its schedule and hand the catalog the full
set of entities (Backstage's "full mutation": what is no longer provided leaves the catalog)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from callboard.core.errors import InputError
from callboard.discovery.config import DiscoverySource
from callboard.discovery.github import GithubOrganisation
from callboard.discovery.inference import Options
from callboard.discovery.model import Detector, Repository
from callboard.discovery.scanner import Scanner, ScanReport, ScanState
from callboard.discovery.sources import GitRemotes, LocalFolders
from callboard.sources.api import GitCache

log = logging.getLogger(__name__)

#: Applies a provider's entities to the catalog: (provider key, entities).
Apply = Callable[[str, list[dict[str, Any]]], object]


def load_overrides(path: str | None) -> dict[str, dict[str, Any]]:
    """Patches keyed by entity ref (``component:default/orders``), from the platform team's YAML file."""
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    except OSError as error:
        raise InputError(f"{path}: the overrides file cannot be read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path}: the overrides file is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"{path}: overrides are a mapping of entity ref → fields to set, e.g. component:default/x:")
    return {str(ref).lower(): patch for ref, patch in data.items()}


def repositories(config: DiscoverySource, git: GitCache) -> Iterator[Repository]:
    """The source's repositories; a github source keeps its ETags and blobs beside the git cache."""
    if config.type == "local":
        yield from LocalFolders(Path(config.path or ".")).repositories()
    elif config.type == "git":
        yield from GitRemotes(config.remotes, git).repositories()
    else:
        organisation = str(config.organization)
        yield from GithubOrganisation(
            organisation,
            api_base=config.api_base_url,
            web_base=f"https://{config.host}",
            token=git.token_for(config.host),
            cache_dir=git.root.parent / "github" / organisation,
        ).repositories()


class DiscoveryProvider:
    """One discovery source as an entity provider; the portal's scheduler runs ``run_once`` on its schedule
    (once across replicas), and its runs are listed with every other scheduled task."""

    def __init__(
        self,
        source_id: str,
        config: DiscoverySource,
        detectors: Sequence[Detector],
        state: ScanState,
        apply: Apply,
        git: GitCache,
    ) -> None:
        self.source_id = source_id
        self.config = config
        self._detectors = detectors
        self._state = state
        self._apply = apply
        self._git = git
        self.last_report: ScanReport | None = None

    @property
    def provider_key(self) -> str:
        return f"discovery:{self.source_id}"

    def scanner(self) -> Scanner:
        options = Options(
            default_owner=self.config.default_owner,
            handles=dict(self.config.handles),
            min_confidence=dict(self.config.min_confidence),
        )
        overrides = load_overrides(self.config.overrides)
        return Scanner(self._detectors, options, overrides=overrides, overrides_source=self.config.overrides or "")

    def run_once(self, progress: Callable[[str], None] | None = None) -> ScanReport:
        report = self.scanner().scan(
            self.source_id, repositories(self.config, self._git), self._state, progress=progress
        )
        self._apply(self.provider_key, report.entities)
        self.last_report = report
        return report

    def scheduled(self) -> None:
        """A scheduled run: scan, apply, and log what was found (errors reach the run's record)."""
        report = self.run_once()
        log.info(
            "discovery %s: %d scanned, %d unchanged, %d missing in %.1f s",
            self.source_id,
            report.scanned,
            report.reused,
            len(report.missing),
            report.seconds,
        )


def providers_from(
    sources: Mapping[str, DiscoverySource],
    detectors: Sequence[Detector],
    state: ScanState,
    apply: Apply,
    git: GitCache,
) -> list[DiscoveryProvider]:
    return [DiscoveryProvider(i, config, detectors, state, apply, git) for i, config in sources.items()]
