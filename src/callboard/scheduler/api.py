"""The public face of the scheduler: the service that runs and reports scheduled tasks."""

from callboard.scheduler.service import Scheduler, TaskStatus, describe_schedule
from callboard.scheduler.store import Run

__all__ = ["Run", "Scheduler", "TaskStatus", "describe_schedule"]
