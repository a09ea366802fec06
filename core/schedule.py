"""The worker's clock: jobs that run every N minutes, daily or weekly, in the site's time zone.

A job is due in its latest slot (the last moment on its grid at or before now). Whichever worker
first inserts the `ScheduleSlot` row (job, slot) enqueues the job's task in the same transaction;
another worker's insert fails on the unique pair and it moves on. So two workers never run one
slot twice, and a worker that was down runs, on waking, the latest slot it missed, once: the
jobs look at the state of things (what is overdue now), not at what happened in one slot, so
running each missed slot in turn would only repeat the same messages.
"""

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core import clock
from core.models import ScheduleSlot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks Task
    every_minutes: int | None = None
    at: dt.time | None = None
    weekday: int | None = None  # with `at`: 0 = Monday

    @classmethod
    def from_setting(cls, name: str, spec: dict) -> "Job":
        at = dt.time.fromisoformat(spec["at"]) if spec.get("at") else None
        job = cls(
            name=name, task=spec["task"], every_minutes=spec.get("every_minutes"), at=at, weekday=spec.get("weekday")
        )
        if (job.every_minutes is None) == (job.at is None):
            raise ValueError(f"SCHEDULE[{name!r}]: give either every_minutes or at")
        if job.every_minutes is not None and not (1 <= job.every_minutes <= 1440 and 1440 % job.every_minutes == 0):
            raise ValueError(f"SCHEDULE[{name!r}]: every_minutes must divide a day")
        return job

    def latest_slot(self, now: dt.datetime) -> dt.datetime:
        """The last moment on this job's grid at or before `now`, in the site's time zone."""
        local = timezone.localtime(now)
        if self.every_minutes is not None:
            minutes = local.hour * 60 + local.minute
            start = minutes - minutes % self.every_minutes
            return local.replace(hour=start // 60, minute=start % 60, second=0, microsecond=0)
        slot = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if self.weekday is None:
            return slot if slot <= local else slot - dt.timedelta(days=1)
        slot -= dt.timedelta(days=(local.weekday() - self.weekday) % 7)
        return slot if slot <= local else slot - dt.timedelta(days=7)


def jobs() -> list[Job]:
    return [Job.from_setting(name, spec) for name, spec in settings.SCHEDULE.items()]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def tick(now: dt.datetime | None = None) -> list[str]:
    """Take every job's latest slot that nobody has taken yet and enqueue its task. Returns the
    names of the jobs enqueued."""
    now = now or clock.now()
    taken = []
    for job in jobs():
        slot = job.latest_slot(now)
        if ScheduleSlot.objects.filter(job=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                ScheduleSlot.objects.create(job=job.name, slot=slot, taken_at=now, taken_by=worker_name())
                import_string(job.task).enqueue()
        except IntegrityError:
            continue  # another worker took the slot between our look and our insert
        logger.info("schedule: %s for %s", job.name, slot.isoformat())
        taken.append(job.name)
    return taken
