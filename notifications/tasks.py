"""The worker's part of notifications: delivering the outbox."""

from django_tasks import task

from notifications.delivery import deliver_due


@task()
def deliver() -> int:
    """Send everything due now; the schedule also runs it every minute, so a message whose
    retry falls due later is picked up then."""
    return deliver_due()
