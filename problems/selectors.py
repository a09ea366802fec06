"""Reads of problems for screens and exports. Every one starts from access, so nothing
leaves the scope of the person asking."""

from django.db.models import Count, F, Prefetch, Q, QuerySet

import access
from core import clock
from problems.forms import SORTS
from problems.models import ProblemEvent
from problems.states import WITH_UNIT, Action, Status


def problem_list(*, user, filters: dict) -> QuerySet:
    """The problems this person may see, filtered by the cleaned ProblemFilterForm data."""
    qs = access.problems_visible_to(user).select_related(
        "site", "site__site_type", "site__area", "assigned_unit", "criterion"
    )
    if q := (filters.get("q") or "").strip():
        number = q.split("-")
        if len(number) == 2 and all(part.isdigit() for part in number):
            qs = qs.filter(year=int(number[0]), sequence=int(number[1]))
        else:
            qs = qs.filter(Q(description__icontains=q) | Q(site__name__icontains=q))
    if statuses := filters.get("status"):
        qs = qs.filter(status__in=statuses)
    if unit := filters.get("unit"):
        qs = qs.filter(assigned_unit=unit)
    if area := filters.get("area"):
        qs = qs.filter(Q(site__area=area) | Q(site__area__parent=area) | Q(site__area__parent__parent=area))
    if site_type := filters.get("site_type"):
        qs = qs.filter(site__site_type=site_type)
    if criterion := filters.get("criterion"):
        qs = qs.filter(Q(criterion=criterion) | Q(criterion__parent=criterion))
    if source := filters.get("source"):
        qs = qs.filter(source=source)
    if filters.get("overdue"):
        qs = qs.overdue()
    if date_from := filters.get("date_from"):
        qs = qs.filter(recorded_at__gte=clock.start_of_day(date_from))
    if date_to := filters.get("date_to"):
        qs = qs.filter(recorded_at__lt=clock.end_of_day(date_to))
    order = SORTS.get(filters.get("sort") or "-recorded", SORTS["-recorded"])[0]
    return qs.order_by(order, "-id")


def unit_open_problems(*, user) -> QuerySet:
    """A unit person's work list: their units' problems still to fix, nearest deadline first."""
    actor = access.actor_for(user)
    return (
        access.problems_visible_to(user)
        .filter(assigned_unit_id__in=actor.unit_ids, status__in=[Status.ASSIGNED, Status.RETURNED, Status.SUBMITTED])
        .select_related("site", "assigned_unit", "criterion")
        .order_by("deadline", "id")
    )


def awaiting_verification(*, user) -> QuerySet:
    """Problems whose evidence waits for the supervision team, that this person may verify."""
    actor = access.actor_for(user)
    return (
        access.problems_visible_to(user)
        .filter(status=Status.SUBMITTED)
        .exclude(assigned_unit_id__in=actor.unit_ids)
        .select_related("site", "site__area", "site__area__parent", "assigned_unit", "criterion")
        .prefetch_related(
            "photos",
            Prefetch(
                "events",
                queryset=ProblemEvent.objects.filter(action=Action.SUBMIT)
                .select_related("actor")
                .prefetch_related("attachments")
                .order_by("-seq"),
                to_attr="submissions",
            ),
        )
        .order_by("site__area__parent__name", "site__area__name", "deadline")
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def unit_performance(*, user, campaign) -> list[dict]:
    """Per responsible unit: found, open, overdue, closed on time / late, returns and submissions,
    on-time and rework rates; worst first. Two grouped queries whatever the data's size."""
    today = clock.today()
    problems = access.problems_visible_to(user).filter(campaign=campaign, assigned_unit__isnull=False)
    rows = (
        problems.values("assigned_unit", "assigned_unit__code", "assigned_unit__name", "assigned_unit__short_name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=WITH_UNIT)),
            overdue=Count("id", filter=Q(status__in=WITH_UNIT, deadline__lt=today)),
            closed_on_time=Count("id", filter=Q(status=Status.CLOSED, closed_on__lte=F("deadline"))),
            closed_late=Count("id", filter=Q(status=Status.CLOSED, closed_on__gt=F("deadline"))),
        )
        .order_by()
    )
    steps = {
        row["unit"]: row
        for row in ProblemEvent.objects.filter(problem__in=problems, action__in=[Action.SUBMIT, Action.RETURN])
        .values("unit")
        .annotate(
            submits=Count("id", filter=Q(action=Action.SUBMIT)),
            returns=Count("id", filter=Q(action=Action.RETURN)),
        )
        .order_by()
    }
    result = []
    for row in rows:
        step = steps.get(row["assigned_unit"], {"submits": 0, "returns": 0})
        judged = row["closed_on_time"] + row["closed_late"] + row["overdue"]
        result.append(
            {
                "unit_id": row["assigned_unit"],
                "unit_code": row["assigned_unit__code"],
                "unit": row["assigned_unit__short_name"] or row["assigned_unit__name"],
                **{k: row[k] for k in ("total", "open", "overdue", "closed_on_time", "closed_late")},
                "returns": step["returns"],
                "on_time_rate": _rate(row["closed_on_time"], judged),
                "rework_rate": _rate(step["returns"], step["submits"]),
            }
        )
    # Who is late comes first: most overdue, then the lowest on-time rate.
    result.sort(key=lambda r: (-r["overdue"], r["on_time_rate"] if r["on_time_rate"] is not None else 101, r["unit"]))
    return result


def problem_breakdowns(*, user, campaign) -> dict:
    """Counts by status, site type and sub-district, and the overdue total: four grouped queries."""
    problems = access.problems_visible_to(user).filter(campaign=campaign)
    by_status = dict(problems.values_list("status").annotate(n=Count("id")).order_by())
    by_type = list(problems.values("site__site_type", "site__site_type__name").annotate(n=Count("id")).order_by("-n"))
    by_area = list(
        problems.values("site__area__parent", "site__area__parent__name").annotate(n=Count("id")).order_by("-n")
    )
    return {
        "by_status": [(status, by_status.get(status.value, 0)) for status in Status],
        "by_type": by_type,
        "by_area": by_area,
        "total": sum(by_status.values()),
        "overdue": problems.overdue().count(),
        "rebounds": problems.filter(rebound_of__isnull=False).count(),
    }
