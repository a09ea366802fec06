"""Reads of the dossier for screens and the export: scoped by access, counted in the database."""

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models import CharField as CharFieldType

import access
from campaigns.models import Campaign, Milestone
from core import clock
from dossier.models import Submission

# A material's state, derived from its submissions.
MISSING, PENDING, ACCEPTED, RETURNED = "missing", "submitted", "accepted", "returned"


def materials_with_state(qs: QuerySet) -> QuerySet:
    """Annotate `complete` (an accepted submission exists) and `state`: accepted, submitted (one
    awaits review), returned (all returned), missing (nothing submitted)."""
    subs = Submission.objects.filter(material=OuterRef("pk"))
    return qs.annotate(
        complete=Exists(subs.filter(status=Submission.Status.ACCEPTED)),
        pending=Exists(subs.filter(status=Submission.Status.SUBMITTED)),
        any_submission=Exists(subs),
    ).annotate(
        state=Case(
            When(complete=True, then=Value(ACCEPTED)),
            When(pending=True, then=Value(PENDING)),
            When(any_submission=True, then=Value(RETURNED)),
            default=Value(MISSING),
            output_field=CharFieldType(),
        )
    )


def material_list(*, user, campaign: Campaign, filters: dict | None = None) -> QuerySet:
    filters = filters or {}
    qs = materials_with_state(access.dossier_materials_visible_to(user).filter(campaign=campaign))
    if unit := filters.get("unit"):
        qs = qs.filter(responsible_unit=unit)
    if state := filters.get("state"):
        qs = qs.filter(state=state)
    return qs.select_related("criterion", "criterion__parent", "responsible_unit").order_by(
        "criterion__parent__position", "criterion__position", "position", "id"
    )


@dataclass(frozen=True)
class Figure:
    total: int
    complete: int

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0


def completeness(qs: QuerySet) -> dict:
    """Completeness of the given materials per criterion, per category and overall: three grouped
    queries. Returns {"criteria": {id: Figure}, "categories": {id: Figure}, "overall": Figure}."""
    qs = qs.order_by()
    accepted = Exists(Submission.objects.filter(material=OuterRef("pk"), status=Submission.Status.ACCEPTED))
    counts = {"total": Count("pk"), "complete": Count("pk", filter=Q(accepted))}
    by_criterion = {
        r["criterion_id"]: Figure(r["total"], r["complete"]) for r in qs.values("criterion_id").annotate(**counts)
    }
    by_category = {
        r["criterion__parent_id"]: Figure(r["total"], r["complete"])
        for r in qs.values("criterion__parent_id").annotate(**counts)
    }
    overall = qs.aggregate(**counts)
    return {
        "criteria": by_criterion,
        "categories": by_category,
        "overall": Figure(overall["total"], overall["complete"]),
    }


def completeness_overall(qs: QuerySet) -> Figure:
    """Materials in `qs` and how many have an accepted submission: one query."""
    accepted = Exists(Submission.objects.filter(material=OuterRef("pk"), status=Submission.Status.ACCEPTED))
    row = qs.order_by().aggregate(total=Count("pk"), complete=Count("pk", filter=Q(accepted)))
    return Figure(row["total"], row["complete"])


def dossier_deadline(campaign: Campaign) -> Milestone | None:
    """The milestone whose name contains 资料申报, else the campaign's first milestone."""
    milestones = Milestone.objects.filter(campaign=campaign).order_by("due_on", "position", "id")
    return milestones.filter(name__contains="资料申报").first() or milestones.first()


def days_left(milestone: Milestone | None) -> int | None:
    return None if milestone is None else (milestone.due_on - clock.today()).days


def deadline_badge(milestone: Milestone | None, figure: Figure) -> dict | None:
    """The deadline badge for the materials in view (a unit's own, or the unit filtered on), or
    None when nothing there is missing: a unit with no material, or with all accepted, has
    nothing to be late with (issue 12: every page said 已逾期 276 天)."""
    left = days_left(milestone)
    missing = figure.total - figure.complete
    if left is None or missing <= 0:
        return None
    return {"milestone": milestone, "days_left": left, "days_overdue": max(-left, 0), "missing": missing}


def milestone_tasks(*, user, milestone: Milestone | None) -> dict | None:
    """The ledger's tasks under the dossier milestone, as the ledger counts them (done = the
    task's progress reported complete): one query. Shown beside the dossier's completeness,
    which counts materials the office accepted, so two different figures are never mistaken for
    one."""
    if milestone is None:
        return None
    from campaigns.models import Task

    row = (
        access.tasks_visible_to(user)
        .filter(milestone=milestone)
        .with_state()
        .aggregate(total=Count("id"), done=Count("id", filter=Q(state=Task.State.DONE)))
    )
    return Figure(row["total"], row["done"])


def tree(materials) -> list[dict]:
    """Group an ordered material list into category -> criterion -> materials."""
    categories: dict = {}
    for material in materials:
        criterion = material.criterion
        category = criterion.parent
        cat = categories.setdefault(category.pk if category else None, {"category": category, "criteria": {}})
        crit = cat["criteria"].setdefault(criterion.pk, {"criterion": criterion, "materials": []})
        crit["materials"].append(material)
    return [{**cat, "criteria": list(cat["criteria"].values())} for cat in categories.values()]
