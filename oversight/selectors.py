"""Oversight (督查总览): the reads behind the PHC office's and leaders' pages, across the ledger
and the closed loop. Each part is scoped by access and aggregated in the database, so a page runs a
handful of grouped queries whatever the size of the data."""

from django.db.models import Count, F, Q

import access
from campaigns.models import Campaign, FiveInPlace, Task
from core import clock
from organisation.models import Membership
from problems.models import ProblemEvent
from problems.states import WITH_UNIT, Action, Status


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


def unit_summary(*, user, campaign: Campaign, unit) -> dict:
    """What the unit page shows, each part scoped by access: a handful of grouped queries."""
    today = clock.today()
    problems = access.problems_visible_to(user).filter(campaign=campaign, assigned_unit=unit)
    counts = problems.aggregate(
        open=Count("id", filter=Q(status__in=WITH_UNIT)),
        overdue=Count("id", filter=Q(status__in=WITH_UNIT, deadline__lt=today)),
        returned=Count("id", filter=Q(status=Status.RETURNED)),
        closed=Count("id", filter=Q(status=Status.CLOSED)),
    )
    tasks = dict(
        access.tasks_visible_to(user)
        .filter(campaign=campaign, lead_unit=unit)
        .with_state()
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    five = {r.item: r for r in access.five_in_place_visible_to(user).filter(campaign=campaign, unit=unit)}
    return {
        "problem_counts": counts,
        "task_counts": [(state, tasks.get(state.value, 0)) for state in Task.State],
        "five_in_place": [(item, five.get(item)) for item in FiveInPlace.Item],
        "people": Membership.objects.filter(unit=unit, user__is_active=True)
        .exclude(role=Membership.Role.VIEWER)
        .select_related("user")
        .order_by("role", "user__full_name"),
        "accountabilities": access.accountabilities_visible_to(user).filter(unit=unit).select_related("person"),
    }
