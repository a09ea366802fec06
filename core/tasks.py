"""Background tasks of the floor: housekeeping, run nightly by the worker's schedule."""

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from core import clock
from core.management.commands.attachments_orphans import orphan_files
from core.models import ScheduleSlot

logger = logging.getLogger(__name__)


@task()
def housekeeping() -> dict:
    """Prune finished background jobs and old schedule slots; report evidence files no row
    names (they are listed, never deleted here: `attachments_orphans --delete` is a person's
    decision, after a look)."""
    keep = clock.now() - dt.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    pruned, _ = DBTaskResult.objects.finished().filter(finished_at__lt=keep).delete()
    slots, _ = ScheduleSlot.objects.filter(slot__lt=keep).delete()
    orphans = len(orphan_files(Path(settings.MEDIA_ROOT)))
    if orphans:
        logger.warning("housekeeping: %s evidence files on disk without a row (manage.py attachments_orphans)", orphans)
    return {"pruned_jobs": pruned, "pruned_slots": slots, "orphan_files": orphans}
