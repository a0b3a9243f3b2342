"""The public face of the inferred catalog: what a detector sees (``RepoView``) and returns (``Fact``), and
what each source knows (``source_status``, for the Discovery page)."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.discovery.model import Detector, Fact, Repository, RepoView, entity_name
    from callboard.discovery.status import Disagreement, SourceStatus, source_status

__all__ = ["Detector", "Disagreement", "Fact", "RepoView", "Repository", "SourceStatus", "entity_name", "source_status"]

__getattr__, __dir__ = lazy_face(__name__, __file__)
