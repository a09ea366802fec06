"""Oversight (督查总览): the reads behind the PHC office's and leaders' pages, across the ledger
and the closed loop. Each part is scoped by access and aggregated in the database, so a page runs a
handful of grouped queries whatever the size of the data."""

from collections import Counter

from django.conf import settings
from django.db.models import Count, F, Q

import access
from campaigns.models import Campaign, FiveInPlace, Task
from core import clock
from inspections import coverage
from inspections import selectors as inspection_selectors
from inspections.models import InspectionSchedule
from inspections.services.routine import period_of
from organisation.models import Area, Membership
from problems import kpi
from problems.models import Problem
from problems.selectors import Kept, hotspots_kept, kept
from problems.states import Level, Status
from standard.models import SiteType


def overview_figures(*, user, campaign) -> dict:
    """The problem figures of the overview, {"breakdowns": ..., "units": ...}."""
    return overview_kept(user=user, campaign=campaign).value


def overview_kept(*, user, campaign) -> Kept:
    """The overview's figures for those who see all: counted in one pass (problem_figures), kept
    until the next transition (problems.selectors.kept), one copy per campaign as all of them see
    the same. When a step made them stale and counting is slow (a million problems), the worker
    counts them again (oversight.tasks.figures_recount) while the page shows them with their time."""
    if not access.actor_for(user).sees_all:
        return Kept(problem_figures(user=user, campaign=campaign), clock.now())

    def recount():
        from oversight.tasks import figures_recount

        figures_recount.enqueue(OVERVIEW, campaign.pk, user.pk)

    return kept(overview_key(campaign.pk), lambda: problem_figures(user=user, campaign=campaign), recount=recount)


OVERVIEW, RANKING, UNIT, TRENDS = "overview", "ranking", "unit", "trends"


def overview_key(campaign_id) -> str:
    return f"{OVERVIEW}:{campaign_id}"


def ranking_key(campaign_id) -> str:
    return f"{RANKING}:{campaign_id}"


def problem_figures(*, user, campaign) -> dict:
    """The campaign's problems counted once, grouped by status, site type, sub-district and
    responsible unit with the counts of problems.kpi beside each group; the breakdowns and the
    units' figures are folded from those rows (the rework from the problem's own return counter,
    no scan of the trail), plus the names of what was grouped."""
    today = clock.today()
    problems = access.problems_visible_to(user).filter(campaign=campaign)
    counted = kpi.conditions(as_of=today)
    rows = (
        problems.order_by()
        .values("status", "assigned_unit", type_id=F("site__site_type"), area_id=F("site__area__parent"))
        .annotate(n=Count("*"), **{key: Count("id", filter=q) for key, q in counted.items()})
    )
    by_status, by_type, by_area, units = Counter(), Counter(), Counter(), {}
    area_in_hand, area_overdue = Counter(), Counter()
    overdue = rebounds = 0
    for row in rows:
        n = row["n"]
        by_status[row["status"]] += n
        by_type[row["type_id"]] += n
        by_area[row["area_id"]] += n
        area_in_hand[row["area_id"]] += row["in_hand"]
        area_overdue[row["area_id"]] += row["overdue"]
        overdue += row["overdue"]
        rebounds += row["rebounds"]
        if row["assigned_unit"] is not None:
            unit = units.setdefault(row["assigned_unit"], Counter())
            for key in counted:
                unit[key] += row[key]
    type_names = dict(SiteType.objects.filter(pk__in=[k for k in by_type if k]).values_list("pk", "name"))
    area_names = dict(Area.objects.filter(pk__in=[k for k in by_area if k]).values_list("pk", "name"))
    breakdowns = {
        "by_status": [(status, by_status.get(status.value, 0)) for status in Status],
        "by_type": [
            {"site__site_type": k, "site__site_type__name": type_names.get(k), "n": n}
            for k, n in sorted(by_type.items(), key=lambda item: -item[1])
        ],
        "by_area": [
            {
                "site__area__parent": k,
                "site__area__parent__name": area_names.get(k),
                "n": n,
                "in_hand": area_in_hand[k],
                "overdue": area_overdue[k],
            }
            for k, n in sorted(by_area.items(), key=lambda item: -item[1])
        ],
        "total": sum(by_status.values()),
        "overdue": overdue,
        "rebounds": rebounds,
    }
    unit_rows = kpi.unit_rows_from(units)
    return {
        "breakdowns": breakdowns,
        "units": unit_rows,
        "ranking": kpi.ranked(unit_rows),
        "period": {"start": campaign.starts_on, "end": clock.today()},
    }


def shared_ranking(*, campaign) -> dict[str, list[dict]]:
    """The ranking as the units themselves may see it: every problem of the campaign but those a
    covert inspection found and the office has not yet published (as in a bulletin). Kept like
    the overview's figures, until the next transition."""

    def recount():
        from oversight.tasks import figures_recount

        figures_recount.enqueue(RANKING, campaign.pk, None)

    return kept(ranking_key(campaign.pk), lambda: ranking_count(campaign), recount=recount).value


def ranking_count(campaign) -> dict[str, list[dict]]:
    problems = Problem.objects.filter(campaign=campaign).exclude(pk__in=access.secret_problem_ids())
    return kpi.ranked(kpi.unit_rows(problems, as_of=clock.today()))


def unit_standing(*, user, campaign, unit) -> dict | None:
    """The unit's row of the ranking (its counts, rates and rank among the units of its kind) and
    the size of that group; None for a unit that is not ranked or has no problems yet."""
    if access.actor_for(user).sees_all:
        ranking = overview_figures(user=user, campaign=campaign)["ranking"]
    else:
        ranking = shared_ranking(campaign=campaign)
    group = ranking.get(unit.kind, [])
    for row in group:
        if row["unit_id"] == unit.pk:
            return {"row": row, "of": len(group)}
    return None


def unit_key(campaign_id, unit_id, user_id) -> str:
    return f"{UNIT}:{campaign_id}:{unit_id}:{user_id}"


def unit_counts(*, user, campaign, unit) -> dict:
    """The unit's problems as this person may see them, counted in one aggregate."""
    problems = access.problems_visible_to(user).filter(campaign=campaign, assigned_unit=unit)
    conditions = kpi.conditions(as_of=clock.today())
    return problems.aggregate(
        **{key: Count("id", filter=q) for key, q in conditions.items()},
        returned=Count("id", filter=Q(status=Status.RETURNED)),
        # Overdue problems escalated to the unit's head or under the district's 督办.
        escalated=Count("id", filter=conditions["overdue"] & Q(escalation__gte=Level.HEAD)),
    )


def unit_summary(*, user, campaign: Campaign, unit) -> dict:
    """What the unit page shows, each part scoped by access: a handful of grouped queries."""
    # A department holds a hundred thousand problems at a million (0.24 s to count): kept until
    # the next transition, per person as the scope is theirs (reminders and escalations write
    # events too, so the escalated count moves with them); counted again by the worker when slow.

    def recount():
        from oversight.tasks import figures_recount

        figures_recount.enqueue(UNIT, campaign.pk, user.pk, unit.pk)

    counts = kept(
        unit_key(campaign.pk, unit.pk, user.pk),
        lambda: unit_counts(user=user, campaign=campaign, unit=unit),
        recount=recount,
    ).value
    counts = {
        "in_hand": counts["in_hand"],
        "overdue": counts["overdue"],
        "escalated": counts["escalated"],
        "returned": counts["returned"],
        "closed": counts["closed_on_time"] + counts["closed_late"],
    }
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
        "standing": unit_standing(user=user, campaign=campaign, unit=unit),
        "period": {"start": campaign.starts_on, "end": clock.today()},
        "bases": kpi.bases(),
        "task_counts": [(state, tasks.get(state.value, 0)) for state in Task.State],
        "tasks_late": tasks.get(Task.State.LATE.value, 0),
        "five_in_place": [(item, five.get(item)) for item in FiveInPlace.Item],
        "people": Membership.objects.filter(unit=unit, user__is_active=True)
        .exclude(role=Membership.Role.VIEWER)
        .select_related("user")
        .order_by("role", "user__full_name"),
        "accountabilities": access.accountabilities_visible_to(user).filter(unit=unit).select_related("person"),
    }


def trend_params(kind: str, filters: dict) -> dict:
    """A trend's parameters as plain ids (the cache key and the worker's arguments)."""
    return {
        "kind": kind,
        **{name: getattr(filters.get(name), "pk", None) for name in ("unit", "area", "site_type", "criterion")},
    }


def trends_key(campaign_id, user, params: dict) -> str:
    # Those who see all share one copy; anyone else counts in their own scope.
    who = "all" if access.actor_for(user).sees_all else user.pk
    return f"{TRENDS}:{campaign_id}:{who}:" + ":".join(f"{k}={params[k]}" for k in sorted(params))


def trends_count(*, user, campaign, params: dict) -> dict:
    from oversight import trends

    filters = {name: params[name] for name in ("unit", "area", "site_type", "criterion") if params.get(name)}
    return trends.series(user=user, campaign=campaign, kind=params["kind"], filters=filters)


def trends_kept(*, user, campaign, kind: str, filters: dict) -> Kept:
    """A campaign's trend (oversight.trends.series), kept until the next step like the overview's
    figures and counted again by the worker when slow."""
    params = trend_params(kind, filters)

    def recount():
        from oversight.tasks import figures_recount

        figures_recount.enqueue(TRENDS, campaign.pk, user.pk, None, params)

    return kept(
        trends_key(campaign.pk, user, params),
        lambda: trends_count(user=user, campaign=campaign, params=params),
        recount=recount,
    )


def routine_measures(*, user, campaign) -> dict:
    """What the overview shows in 长效 (long-term management) instead of the milestone bars:
    sites not covered (one count), the plans of the recurring schedules for the current period
    with sites drawn and done, and how many hotspots there are. The hotspots themselves come
    from `unit_hotspots`/problems.hotspots (the overview lists them in both phases)."""
    today = clock.today()
    schedules = list(InspectionSchedule.objects.filter(campaign=campaign, is_active=True).order_by("name", "id"))
    current = Q(pk__in=[])
    for schedule in schedules:
        current |= Q(schedule=schedule, period_start=period_of(schedule.period, today)[0])
    plans = list(inspection_selectors.plan_list(user=user).filter(current)) if schedules else []
    return {
        "uncovered": coverage.uncovered(campaign=campaign).count(),
        "schedules": len(schedules),
        "plans": plans,
        "drawn": sum(p.target_count for p in plans),
        "done": sum(p.done_count or 0 for p in plans),
    }


def hotspot_list(*, user, unit=None, limit: int = 10) -> dict:
    """Rebound hotspots among the problems this person sees (a unit: at its own sites), the
    first `limit` with their counts, and how many there are in all."""
    counted = hotspots_kept(user=user, unit_id=unit.pk if unit is not None else None, limit=limit).value
    return {
        "rows": counted["rows"],
        "total": counted["total"],
        "window_days": settings.HOTSPOT_WINDOW_DAYS,
        "min_rebounds": settings.HOTSPOT_REBOUNDS,
        "min_problems": settings.HOTSPOT_PROBLEMS,
    }
