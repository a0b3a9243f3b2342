"""The public face of TechDocs: the docs service and the publisher protocol a storage plugin implements."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.techdocs.publisher import LocalPublisher, Publisher
    from callboard.techdocs.service import TechDocsService, location_metadata

__all__ = ["LocalPublisher", "Publisher", "TechDocsService", "location_metadata"]

__getattr__, __dir__ = lazy_face(__name__, __file__)
