"""The public face of the scheduler: the service that runs and reports scheduled tasks."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.scheduler.service import Scheduler, TaskStatus, describe_schedule
    from callboard.scheduler.store import Run

__all__ = ["Run", "Scheduler", "TaskStatus", "describe_schedule"]

__getattr__, __dir__ = lazy_face(__name__, __file__)
