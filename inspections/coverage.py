"""Coverage of long-term management (长效管理): which sites recurring supervision has not reached.

A site is **not covered** when it was never inspected (no submitted inspection at all), or when
its site type has an interval (the shortest `interval_weeks` of the active coverage schedules
naming that type, InspectionSchedule.Rule.COVERAGE) and its last inspection is older than that.
Sites of a type without such a schedule are listed only when never inspected. The recurring draw
prefers these sites (services.routine.schedule_run, sampling rule 4).

Reads only: a queryset of the sites (the screen pages it) and the counts per sub-district from
one grouped query."""

import datetime as dt

from django.db.models import Case, Count, DateTimeField, F, Max, Q, Value, When

from core import clock
from inspections.models import InspectionSchedule
from organisation.models import Area
from sites.models import Site

# The sub-district a site lies in, whether its area is the sub-district, a community or a grid.
SUBDISTRICT = Case(
    When(area__kind=Area.Kind.SUBDISTRICT, then=F("area_id")),
    When(area__parent__kind=Area.Kind.SUBDISTRICT, then=F("area__parent_id")),
    default=F("area__parent__parent_id"),
)


def intervals(campaign=None) -> dict[int, int]:
    """Site type id -> weeks: the shortest interval of the active coverage schedules."""
    schedules = InspectionSchedule.objects.filter(is_active=True, rule=InspectionSchedule.Rule.COVERAGE)
    if campaign is not None:
        schedules = schedules.filter(campaign=campaign)
    weeks: dict[int, int] = {}
    for type_id, interval in schedules.values_list("site_types", "interval_weeks"):
        if type_id is not None:
            weeks[type_id] = min(interval, weeks.get(type_id, interval))
    return weeks


def uncovered(*, campaign=None, now: dt.datetime | None = None, site_types=None):
    """Active sites never inspected or not within their type's interval, annotated with
    `last_inspected` (None: never) and `due_since` (the cut-off of their interval, if any);
    never-inspected first, then the longest unvisited."""
    now = now or clock.now()
    cutoffs = {type_id: now - dt.timedelta(weeks=weeks) for type_id, weeks in intervals(campaign).items()}
    sites = Site.objects.active()
    if site_types is not None:
        sites = sites.filter(site_type__in=site_types)
    overdue = Q(last_inspected__isnull=True)
    if cutoffs:
        overdue |= Q(due_since__isnull=False, last_inspected__lt=F("due_since"))
    return (
        sites.annotate(
            last_inspected=Max("inspections__submitted_at"),
            due_since=Case(
                *[When(site_type_id=type_id, then=Value(cutoff)) for type_id, cutoff in cutoffs.items()],
                default=Value(None),
                output_field=DateTimeField(),
            ),
        )
        .filter(overdue)
        .select_related("area", "site_type", "owner_unit")
        .order_by(F("last_inspected").asc(nulls_first=True), "code")
    )


def uncovered_reasons(*, campaign=None, now=None, site_types=None) -> dict[int, str]:
    """Site id -> "never" or "overdue", for the draw's preference."""
    return {
        site_id: ("never" if last is None else "overdue")
        for site_id, last in uncovered(campaign=campaign, now=now, site_types=site_types).values_list(
            "id", "last_inspected"
        )
    }


def by_subdistrict(sites) -> list[dict]:
    """{"area", "count"} per sub-district of `sites` (one grouped query over them as a subquery,
    then the names)."""
    rows = list(
        Site.objects.filter(pk__in=sites.order_by().values("pk"))
        .annotate(subdistrict=SUBDISTRICT)
        .values("subdistrict")
        .annotate(count=Count("id"))
        .order_by()
    )
    names = Area.objects.in_bulk([row["subdistrict"] for row in rows if row["subdistrict"]])
    result = [{"area": names.get(row["subdistrict"]), "count": row["count"]} for row in rows]
    return sorted(result, key=lambda row: (-row["count"], row["area"].code if row["area"] else ""))
