"""The public face of the inferred catalog: what a detector sees (``RepoView``) and returns (``Fact``)."""

from callboard.discovery.model import Detector, Fact, Repository, RepoView, entity_name

__all__ = ["Detector", "Fact", "RepoView", "Repository", "entity_name"]
