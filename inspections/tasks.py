"""The worker's part of inspections: long-term management's hourly run (settings.SCHEDULE)."""

from django_tasks import task

from inspections.services import routine as routine_services


@task()
def routine() -> dict:
    """Each recurring schedule's plan for the current period, then the hotspot notices."""
    plans = routine_services.schedule_run()
    notices = routine_services.hotspots_announce()
    return {"plans": len(plans), "hotspot_notices": len(notices)}
