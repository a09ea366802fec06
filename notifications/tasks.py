"""The worker's part of notifications: delivering the outbox."""

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from notifications.delivery import deliver_due


@task()
def deliver() -> int:
    """Send everything due now; the schedule also runs it every minute, so a message whose
    retry falls due later is picked up then."""
    return deliver_due()


def deliver_soon() -> None:
    """Ask for a delivery run now rather than at the schedule's next minute, unless one is
    already waiting. Called in the transaction that wrote the messages (the request exists
    exactly when they do), and by a worker whose batch was full (so idle workers join in)."""
    if not DBTaskResult.objects.ready().filter(task_path=deliver.module_path).exists():
        deliver.enqueue()
