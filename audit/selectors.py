"""Reading the security log, for the audit administrator."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import SecurityEvent


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def security_log(filters: dict) -> QuerySet:
    """The log, newest first, narrowed by the filter form's cleaned data."""
    rows = SecurityEvent.objects.select_related("user").order_by("-at", "-id")
    if filters.get("kind"):
        rows = rows.filter(kind__in=filters["kind"])
    if filters.get("username"):
        rows = rows.filter(username__icontains=filters["username"].strip())
    if filters.get("ip"):
        rows = rows.filter(ip=filters["ip"])
    if filters.get("q"):
        text = filters["q"].strip()
        rows = rows.filter(Q(summary__icontains=text) | Q(target__icontains=text) | Q(path__icontains=text))
    if filters.get("date_from"):
        rows = rows.filter(at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        rows = rows.filter(at__lt=_day_start(filters["date_to"] + dt.timedelta(days=1)))
    return rows
