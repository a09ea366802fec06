"""The worker's part of problems: the reminder and escalation sweep (settings.SCHEDULE)."""

from django_tasks import task

from problems import reminders


@task()
def reminders_sweep() -> dict:
    return reminders.sweep()
