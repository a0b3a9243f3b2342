"""The public face of TechDocs: the docs service and the publisher protocol a storage plugin implements."""

from callboard.techdocs.publisher import LocalPublisher, Publisher
from callboard.techdocs.service import TechDocsService, location_metadata

__all__ = ["LocalPublisher", "Publisher", "TechDocsService", "location_metadata"]
