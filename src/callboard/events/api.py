"""The public face of events: the bus plugins and the catalog publish to."""

from callboard.events.bus import EventBus, Handler

__all__ = ["EventBus", "Handler"]
