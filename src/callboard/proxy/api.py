"""The public face of the proxy: configured endpoints and the handler that serves them."""

from callboard.proxy.endpoints import Endpoint
from callboard.proxy.handler import ProxyHandler

__all__ = ["Endpoint", "ProxyHandler"]
