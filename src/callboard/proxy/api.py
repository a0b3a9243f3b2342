"""The public face of the proxy: configured endpoints and the handler that serves them."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.proxy.endpoints import Endpoint
    from callboard.proxy.handler import ProxyHandler

__all__ = ["Endpoint", "ProxyHandler"]

__getattr__, __dir__ = lazy_face(__name__, __file__)
