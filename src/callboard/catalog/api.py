"""The public face of the catalog: the secured catalog (every read and write names who asks), the query
language's parsed forms, paging cursors, and the read-only view plugins get. Other parts import this only."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.catalog.descriptors import DescriptorError, parse_value
    from callboard.catalog.filters import WHITESPACE, FilterSets, parse_filters
    from callboard.catalog.page_order import OrderField
    from callboard.catalog.paging import encode_cursor, page_cursor
    from callboard.catalog.predicates import both, parse_predicate
    from callboard.catalog.query_store import FullText
    from callboard.catalog.reader import ServiceCatalogReader
    from callboard.catalog.secured import SecuredCatalog
    from callboard.catalog.secured import matches as entity_matches
    from callboard.catalog.topics import ENTITY_CHANGED, ENTITY_REMOVED

__all__ = [
    "ENTITY_CHANGED",
    "ENTITY_REMOVED",
    "WHITESPACE",
    "DescriptorError",
    "FilterSets",
    "FullText",
    "OrderField",
    "SecuredCatalog",
    "ServiceCatalogReader",
    "both",
    "encode_cursor",
    "entity_matches",
    "page_cursor",
    "parse_filters",
    "parse_predicate",
    "parse_value",
]

__getattr__, __dir__ = lazy_face(__name__, __file__)
