"""Oversight (督查总览): the reads behind the PHC office's and leaders' pages, across the ledger
and the closed loop. Each part is scoped by access and aggregated in the database, so a page runs a
handful of grouped queries whatever the size of the data."""

from collections import Counter

from django.core.cache import cache
from django.db.models import Count, F, Q

import access
from campaigns.models import Campaign, FiveInPlace, Task
from core import clock
from organisation.models import Area, Membership, Unit
from problems.models import ProblemEvent
from problems.states import WITH_UNIT, Action, Status
from standard.models import SiteType


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# The overview's figures are kept this long at most; a transition makes them stale at once (the
# key carries the trail's last event), so the time only bounds what changes without an event.
FIGURES_SECONDS = 60


def overview_figures(*, user, campaign) -> dict:
    """The problem figures of the overview, {"breakdowns": ..., "units": ...}, for those who see
    all: counted in one pass (problem_figures), kept a short while per campaign.

    The cache key holds the id of the problems' trail's last event: every transition writes one,
    so the key changes when a transition commits, in every server process, and the next request
    counts again (no process can miss an invalidation, as none is sent)."""
    if not access.actor_for(user).sees_all:
        return problem_figures(user=user, campaign=campaign)
    last_event = ProblemEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    key = f"overview:{campaign.pk}:{last_event}:{clock.today().isoformat()}"
    figures = cache.get(key)
    if figures is None:
        figures = problem_figures(user=user, campaign=campaign)
        cache.set(key, figures, FIGURES_SECONDS)
    return figures


def problem_figures(*, user, campaign) -> dict:
    """The campaign's problems counted once, grouped by status, site type, sub-district and
    responsible unit with the overdue, on-time, late and rebound counts beside each group; the
    breakdowns and the units' performance are folded from those rows. Plus one grouped query over
    the trail for the returns and evidence submissions, and the names of what was grouped."""
    today = clock.today()
    problems = access.problems_visible_to(user).filter(campaign=campaign)
    rows = (
        problems.order_by()
        .values("status", "assigned_unit", type_id=F("site__site_type"), area_id=F("site__area__parent"))
        .annotate(
            n=Count("*"),
            overdue=Count("id", filter=Q(status__in=WITH_UNIT, deadline__lt=today)),
            closed_on_time=Count("id", filter=Q(status=Status.CLOSED, closed_on__lte=F("deadline"))),
            closed_late=Count("id", filter=Q(status=Status.CLOSED, closed_on__gt=F("deadline"))),
            rebounds=Count("id", filter=Q(rebound_of__isnull=False)),
        )
    )
    by_status, by_type, by_area, units = Counter(), Counter(), Counter(), {}
    overdue = rebounds = 0
    for row in rows:
        n = row["n"]
        by_status[row["status"]] += n
        by_type[row["type_id"]] += n
        by_area[row["area_id"]] += n
        overdue += row["overdue"]
        rebounds += row["rebounds"]
        if row["assigned_unit"] is not None:
            unit = units.setdefault(
                row["assigned_unit"], dict.fromkeys(("total", "open", "overdue", "closed_on_time", "closed_late"), 0)
            )
            unit["total"] += n
            unit["open"] += n if row["status"] in WITH_UNIT else 0
            for k in ("overdue", "closed_on_time", "closed_late"):
                unit[k] += row[k]
    type_names = dict(SiteType.objects.filter(pk__in=[k for k in by_type if k]).values_list("pk", "name"))
    area_names = dict(Area.objects.filter(pk__in=[k for k in by_area if k]).values_list("pk", "name"))
    breakdowns = {
        "by_status": [(status, by_status.get(status.value, 0)) for status in Status],
        "by_type": [
            {"site__site_type": k, "site__site_type__name": type_names.get(k), "n": n}
            for k, n in sorted(by_type.items(), key=lambda item: -item[1])
        ],
        "by_area": [
            {"site__area__parent": k, "site__area__parent__name": area_names.get(k), "n": n}
            for k, n in sorted(by_area.items(), key=lambda item: -item[1])
        ],
        "total": sum(by_status.values()),
        "overdue": overdue,
        "rebounds": rebounds,
    }
    return {"breakdowns": breakdowns, "units": _unit_rows(units, problems)}


def _unit_rows(units: dict, problems) -> list[dict]:
    """Per responsible unit: found, open, overdue, closed on time / late, returns and submissions,
    on-time and rework rates; worst first."""
    steps = {
        row["unit"]: row
        for row in ProblemEvent.objects.filter(
            problem__in=problems.filter(assigned_unit__isnull=False), action__in=[Action.SUBMIT, Action.RETURN]
        )
        .values("unit")
        .annotate(
            submits=Count("id", filter=Q(action=Action.SUBMIT)),
            returns=Count("id", filter=Q(action=Action.RETURN)),
        )
        .order_by()
    }
    names = {u.pk: u for u in Unit.objects.filter(pk__in=units).only("code", "name", "short_name")}
    result = []
    for unit_id, row in units.items():
        step = steps.get(unit_id, {"submits": 0, "returns": 0})
        judged = row["closed_on_time"] + row["closed_late"] + row["overdue"]
        unit = names[unit_id]
        result.append(
            {
                "unit_id": unit_id,
                "unit_code": unit.code,
                "unit": unit.short_name or unit.name,
                **row,
                "returns": step["returns"],
                "on_time_rate": _rate(row["closed_on_time"], judged),
                "rework_rate": _rate(step["returns"], step["submits"]),
            }
        )
    # Who is late comes first: most overdue, then the lowest on-time rate.
    result.sort(key=lambda r: (-r["overdue"], r["on_time_rate"] if r["on_time_rate"] is not None else 101, r["unit"]))
    return result


def unit_performance(*, user, campaign) -> list[dict]:
    """The units' performance, worst first (problem_figures)."""
    return problem_figures(user=user, campaign=campaign)["units"]


def problem_breakdowns(*, user, campaign) -> dict:
    """Counts by status, site type and sub-district, the overdue and rebound totals
    (problem_figures)."""
    return problem_figures(user=user, campaign=campaign)["breakdowns"]


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
