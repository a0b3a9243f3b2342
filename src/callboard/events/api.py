"""The public face of events: the bus plugins and the catalog publish to."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.events.bus import EventBus, Handler

__all__ = ["EventBus", "Handler"]

__getattr__, __dir__ = lazy_face(__name__, __file__)
