"""Reads of the campaign for screens: scoped by access, aggregated in the database."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

import access
from campaigns.models import Campaign, FiveInPlace, Task
from core import clock
from organisation.models import Unit


def current_campaign_or_404() -> Campaign:
    """For pages that make no sense before the office has set up a campaign."""
    campaign = current_campaign()
    if campaign is None:
        raise Http404(gettext("尚未建立创卫工作"))
    return campaign


def current_campaign() -> Campaign | None:
    """The campaign running now (the latest one that has started), else the latest."""
    today = clock.today()
    return (
        Campaign.objects.filter(starts_on__lte=today).order_by("-starts_on").first()
        or Campaign.objects.order_by("-starts_on").first()
    )


def task_list(*, user, campaign: Campaign, filters: dict) -> QuerySet:
    qs = (
        access.tasks_visible_to(user)
        .filter(campaign=campaign)
        .with_state()
        .select_related("lead_unit", "responsible", "milestone", "criterion")
    )
    if unit := filters.get("unit"):
        qs = qs.filter(lead_unit=unit)
    if criterion := filters.get("criterion"):
        qs = qs.filter(Q(criterion=criterion) | Q(criterion__parent=criterion))
    if milestone := filters.get("milestone"):
        qs = qs.filter(milestone=milestone)
    if state := filters.get("state"):
        qs = qs.filter(state=state)
    return qs.order_by("deadline", "id")


def milestone_progress(*, user, campaign: Campaign) -> list[dict]:
    """Each milestone with how many of its tasks are done, late, open: one query."""
    rows = (
        access.tasks_visible_to(user)
        .filter(campaign=campaign)
        .with_state()
        .values("milestone_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(state=Task.State.DONE)),
            late=Count("id", filter=Q(state=Task.State.LATE)),
        )
        .order_by()
    )
    by_milestone = {row["milestone_id"]: row for row in rows}
    today = clock.today()
    result = []
    for milestone in campaign.milestones.all():
        row = by_milestone.get(milestone.pk, {"total": 0, "done": 0, "late": 0})
        result.append(
            {
                "milestone": milestone,
                "total": row["total"],
                "done": row["done"],
                "late": row["late"],
                "percent": round(100 * row["done"] / row["total"]) if row["total"] else None,
                "passed": milestone.due_on < today,
            }
        )
    return result


def five_in_place_grid(*, user, campaign: Campaign) -> list[dict]:
    """One row per unit with its five items' statuses, in Item order: two queries."""
    units = access.units_visible_to(user).filter(is_active=True, kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT])
    records = {
        (r.unit_id, r.item): r for r in access.five_in_place_visible_to(user).filter(campaign=campaign, unit__in=units)
    }
    return [
        {
            "unit": unit,
            "items": [(item, records.get((unit.pk, item))) for item in FiveInPlace.Item],
            "in_place": sum(
                1
                for item in FiveInPlace.Item
                if (r := records.get((unit.pk, item))) and r.status == FiveInPlace.Status.IN_PLACE
            ),
        }
        for unit in units.order_by("kind", "code")
    ]


def ledger_totals(*, user, campaign: Campaign) -> dict:
    """Tasks by derived state: one grouped query."""
    counts = dict(
        access.tasks_visible_to(user)
        .filter(campaign=campaign)
        .with_state()
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(counts.values())
    return {
        "total": total,
        "states": [(state, counts.get(state.value, 0)) for state in Task.State],
        "done_percent": round(100 * counts.get(Task.State.DONE, 0) / total) if total else 0,
    }


def unit_tasks(*, user, campaign: Campaign) -> QuerySet:
    """The tasks of this person's own units that are not done yet, nearest deadline first."""
    actor = access.actor_for(user)
    return (
        access.tasks_visible_to(user)
        .filter(campaign=campaign, lead_unit_id__in=actor.unit_ids)
        .with_state()
        .exclude(state=Task.State.DONE)
        .select_related("lead_unit", "milestone")
        .order_by("deadline", "id")
    )
