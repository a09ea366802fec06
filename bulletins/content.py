"""What a bulletin says, computed from the data: one function produces the document model (plain,
JSON-ready data); renderers (render.py) turn it into Word and PDF. Publishing stores this model
as the bulletin's snapshot, so a published bulletin never changes when the data does."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, F

import access
from bulletins.models import Accountability, Bulletin
from core import clock
from organisation.models import Unit
from problems import kpi
from problems.models import Problem, ProblemEvent
from problems.states import WITH_UNIT, Action, Status

TYPICAL_PROBLEMS = 10
PRAISED_PER_GROUP = 3


def build_content(bulletin: Bulletin) -> dict:
    """The document model of a bulletin over its period, as of now. A fixed number of grouped
    queries, whatever the number of problems."""
    start, end = bulletin.period_start, bulletin.period_end
    begins, ends = clock.start_of_day(start), clock.end_of_day(end)
    # What an unpublished covert inspection found is secret until the office publishes it, and a
    # bulletin goes to the units: leave those problems out.
    problems = Problem.objects.filter(campaign=bulletin.campaign).exclude(pk__in=access.secret_problem_ids())
    in_period = problems.filter(recorded_at__gte=begins, recorded_at__lt=ends)
    closed_in_period = problems.filter(status=Status.CLOSED, closed_at__gte=begins, closed_at__lt=ends)
    overdue = problems.filter(status__in=WITH_UNIT, deadline__lt=min(end, clock.today()))
    returns = ProblemEvent.objects.filter(
        problem__campaign=bulletin.campaign, action=Action.RETURN, at__gte=begins, at__lt=ends
    )

    summary = {
        "found": in_period.count(),
        "closed": closed_in_period.count(),
        "closed_on_time": closed_in_period.filter(closed_on__lte=F("deadline")).count(),
        "closed_late": closed_in_period.filter(closed_on__gt=F("deadline")).count(),
        "overdue": overdue.count(),
        "returned": returns.count(),
        "rebounds": in_period.filter(rebound_of__isnull=False).count(),
    }

    # The ranking, the criticism and the praise: the units' figures as problems.kpi defines them,
    # over the bulletin's period, sub-districts and departments ranked apart.
    as_of = min(end, clock.today())
    units_by_id = {row["unit_id"]: row for row in kpi.unit_rows(problems, as_of=as_of, begins=begins, ends=ends)}
    returned_by_unit = dict(returns.values_list("unit").annotate(n=Count("id")).order_by())
    for unit_id, row in units_by_id.items():
        row["returned"] = returned_by_unit.get(unit_id, 0)
    ranking = kpi.ranked(list(units_by_id.values()))
    groups = {Unit.Kind.SUBDISTRICT: "街道", Unit.Kind.DEPARTMENT: "部门"}
    units = []
    for kind, rows in ranking.items():
        for entry in rows:
            entry["group"] = groups[kind]
            entry["kind"] = str(kind)
            units.append(entry)
    criticised = [
        {"unit": e["unit"], "group": e["group"], "overdue": e["overdue"], "returned": e["returned"]}
        for e in sorted(units, key=lambda e: (-e["overdue"], e["unit"]))
        if e["overdue"] >= bulletin.criticise_overdue_at
    ]
    # 红榜: the best of each group that closed something, all on time, with nothing overdue.
    praised = [
        {"unit": e["unit"], "group": e["group"], "closed": e["closed"], "on_time_rate": e["on_time_rate"]}
        for rows in ranking.values()
        for e in rows[:PRAISED_PER_GROUP]
        if e["on_time_rate"] == 100.0 and not e["overdue"]
    ]
    accountability = [
        {
            "unit": a.unit.short_name or a.unit.name,
            "person": a.person.get_full_name() if a.person else "",
            "measure": a.get_measure_display(),
            "reason": a.reason,
            "decided_on": clock.zh_date(a.decided_on),
        }
        for a in Accountability.objects.filter(campaign=bulletin.campaign, decided_on__gte=start, decided_on__lte=end)
        .select_related("unit", "person")
        .order_by("decided_on", "id")
    ]
    return {
        "issuer": settings.BULLETIN_ISSUER,
        "issuer_short": settings.BULLETIN_ISSUER_SHORT,
        "title": bulletin.title,
        "lead": bulletin.lead,
        "closing": bulletin.closing,
        "issue_label": bulletin.issue_label,
        "date": clock.zh_date(bulletin.published_at or clock.now()),
        "period": f"{clock.zh_date(start)}至{clock.zh_date(end)}",
        "criticise_overdue_at": bulletin.criticise_overdue_at,
        "summary": summary,
        "units": units,
        "criticised": criticised,
        "praised": praised,
        "bases": kpi.bases(),
        "accountability": accountability,
        "typical": _typical_problems(in_period),
    }


def _typical_problems(in_period) -> list[dict]:
    """The most serious problems of the period that have photos, with before-and-after evidence."""
    severity_order = {Problem.Severity.SERIOUS: 0, Problem.Severity.MAJOR: 1, Problem.Severity.MINOR: 2}
    candidates = list(
        in_period.filter(photos__content_type__startswith="image/")
        .distinct()
        .select_related("site", "assigned_unit")
        .prefetch_related("photos")
        .order_by("-recorded_at")[:200]
    )
    candidates.sort(key=lambda p: (severity_order[p.severity], -p.recorded_at.timestamp()))
    chosen = candidates[:TYPICAL_PROBLEMS]
    after = {}
    for event in (
        ProblemEvent.objects.filter(problem__in=chosen, action=Action.SUBMIT)
        .prefetch_related("attachments")
        .order_by("problem_id", "seq")
    ):
        # Only pictures: rectification documents, and anything an older version stored as a photo
        # that is not one, would stop the Word layout (documents.official.picture).
        pictures = [str(a.uuid) for a in event.attachments.all() if a.is_image]
        after[event.problem_id] = pictures or after.get(event.problem_id, [])
    return [
        {
            "number": p.number,
            "site": p.site.name,
            "address": p.site.address,
            "description": p.description,
            "unit": str(p.assigned_unit) if p.assigned_unit else "未交办",
            "status": p.get_status_display(),
            "recorded_on": clock.zh_date(p.recorded_at),
            "before": [str(a.uuid) for a in p.photos.all() if a.is_image][:2],
            "after": after.get(p.pk, [])[:2],
        }
        for p in chosen
    ]


def default_title(campaign, start: dt.date, end: dt.date) -> str:
    return f"关于{campaign.name}督查情况的通报（{clock.zh_date(start)}—{clock.zh_date(end)}）"
