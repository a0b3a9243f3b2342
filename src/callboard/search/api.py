"""The public face of search: documents, the query service and its bounds, the engine protocol."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.search.documents import CATALOG, TECHDOCS, SearchDocument
    from callboard.search.engine import SearchEngine
    from callboard.search.indexer import Collator
    from callboard.search.ranking import POST_TAG, PRE_TAG
    from callboard.search.service import MAX_PAGE, MAX_TERM, SearchRequest, SearchResponse, SearchService

__all__ = [
    "CATALOG",
    "MAX_PAGE",
    "MAX_TERM",
    "POST_TAG",
    "PRE_TAG",
    "TECHDOCS",
    "Collator",
    "SearchDocument",
    "SearchEngine",
    "SearchRequest",
    "SearchResponse",
    "SearchService",
]

__getattr__, __dir__ = lazy_face(__name__, __file__)
