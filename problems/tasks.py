"""The worker's part of problems: the reminder and escalation sweep (settings.SCHEDULE)."""

from django_tasks import task

from problems import reminders


@task()
def reminders_sweep() -> dict:
    return reminders.sweep()


@task()
def hotspots_recount(user_id: int, unit_id: int | None, limit: int) -> int:
    """Count the hotspots kept for this person's scope again (problems.selectors.hotspots_kept
    asked: they were stale and slow to count)."""
    from organisation.models import User
    from problems.selectors import count_and_keep, hotspots_count, hotspots_key

    user = User.objects.get(pk=user_id)
    kept = count_and_keep(
        hotspots_key(user, unit_id, limit), lambda: hotspots_count(user=user, unit_id=unit_id, limit=limit)
    )
    return kept.value["total"]
