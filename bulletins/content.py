"""What a bulletin says, computed from the data: one function produces the document model (plain,
JSON-ready data); renderers (render.py) turn it into Word and PDF. Publishing stores this model
as the bulletin's snapshot, so a published bulletin never changes when the data does."""

import datetime as dt

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, When

import access
from bulletins.models import Accountability, Bulletin
from core import clock
from organisation.models import Area, Unit
from problems import kpi
from problems.models import Problem, ProblemEvent
from problems.states import VOID, WITH_UNIT, Action, Status
from standard.models import Criterion

TYPICAL_PROBLEMS = 10
PRAISED_PER_GROUP = 3


def build_content(bulletin: Bulletin) -> dict:
    """The document model of a bulletin over its period, as of now. A fixed number of grouped
    queries, whatever the number of problems."""
    start, end = bulletin.period_start, bulletin.period_end
    begins, ends = clock.start_of_day(start), clock.end_of_day(end)
    # What an unpublished covert inspection found is secret until the office publishes it, and a
    # bulletin goes to the units: leave those problems out.
    # A cancelled or merged problem was never one of its own (a mistake, a duplicate counted in
    # its survivor): it counts nowhere (problems.states.VOID).
    problems = (
        Problem.objects.filter(campaign=bulletin.campaign)
        .exclude(pk__in=access.secret_problem_ids())
        .exclude(status__in=sorted(VOID))
    )
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
        {
            "unit": e["unit"],
            "unit_id": e["unit_id"],
            "group": e["group"],
            "overdue": e["overdue"],
            "returned": e["returned"],
        }
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
            "sentence": accountability_sentence(a),
        }
        for a in Accountability.objects.filter(campaign=bulletin.campaign, decided_on__gte=start, decided_on__lte=end)
        .select_related("unit", "person")
        .order_by("decided_on", "id")
    ]
    return {
        "addressee": bulletin.addressee or settings.BULLETIN_ADDRESSEE,
        "copy_to": settings.BULLETIN_COPY_TO,
        "as_of": clock.zh_date(end),
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
        "overview": [line.strip() for line in (bulletin.overview or "").splitlines() if line.strip()],
        "issues": issues_by_category(in_period, bulletin.campaign.standard_id),
        "previous": previous_followup(bulletin, problems, as_of),
    }


def _typical_problems(in_period) -> list[dict]:
    """The most serious problems of the period that have photos, with before-and-after evidence."""
    severity_order = {Problem.Severity.SERIOUS: 0, Problem.Severity.MAJOR: 1, Problem.Severity.MINOR: 2}
    candidates = list(
        # An unassigned problem has nobody to name or to show rectified.
        in_period.filter(photos__content_type__startswith="image/", assigned_unit__isnull=False)
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


def accountability_sentence(a: Accountability) -> str:
    """问责 as a bulletin phrases it: 「对××街道办事处××同志进行约谈」, 「责令××作出书面检查」."""
    who = a.unit.name + (f"{a.person.get_full_name()}同志" if a.person else "")
    phrase = {
        Accountability.Measure.CRITICISM: f"对{who}予以通报批评",
        Accountability.Measure.INTERVIEW: f"对{who}进行约谈",
        Accountability.Measure.WARNING: f"对{who}进行诫勉谈话",
        Accountability.Measure.ORDER: f"责令{who}作出书面检查",
        Accountability.Measure.DISCIPLINE: f"将{who}有关问题线索移交纪检监察机关",
    }.get(a.measure, f"对{who}{a.get_measure_display()}")
    reason = a.reason.strip().rstrip("。；;.")
    on = clock.zh_date(a.decided_on)
    return f"{on}，因{reason}，{phrase}。" if reason else f"{on}，{phrase}。"


DEFAULT_CLOSING = (
    "一要提高思想认识。各单位要把问题整改作为巩固创建成果的重要抓手，主要负责同志亲自部署、亲自过问。\n"
    "二要狠抓问题整改。对本期通报的问题，责任单位要建立台账，逐项明确措施和时限，按期整改销号，严防反弹。\n"
    "三要强化长效管理。各单位要举一反三，加强日常巡查和常态管理，推动由集中整治向常态长效转变。\n"
    "区爱卫办将持续开展督查，对整改不力、问题反弹的单位，按规定严肃问责。"
)


def default_lead(campaign) -> str:
    """The opening paragraph: basis, purpose, and the formula that leads into the report."""
    return (
        f"为深入推进{campaign.name}工作，按照区爱卫会工作部署，区爱卫办组织督导组对各责任单位开展了督查，"
        "现将有关情况通报如下："
    )


def default_title(campaign, start: dt.date, end: dt.date) -> str:
    """A calendar month is named as such (a title of two even lines); any other period by dates."""
    month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if start.day == 1 and end == month_end:
        return f"关于{start.year}年{start.month}月{campaign.name}督查情况的通报"
    return f"关于{campaign.name}督查情况的通报（{clock.zh_date(start)}—{clock.zh_date(end)}）"


# ---- 督查概况, 存在问题, 上期问题整改情况 ------------------------------------------------------

EXAMPLES_PER_GROUP = 3


def default_overview(campaign, start: dt.date, end: dt.date) -> str:
    """督查概况 from the inspection plans of the period, as the draft's editable default: how many
    rounds (明查, 暗访), when, where, how many sites of each type, the team, the inspections done
    and the share of checkpoints passed. A covert plan whose results are not published is left
    out (its existence is secret until then, and a bulletin goes to the units). Empty when no
    plan falls in the period."""
    from inspections.models import CheckResult, Inspection, InspectionPlan, PlanMember, PlanSite

    plans = (
        InspectionPlan.objects.filter(campaign=campaign, starts_on__lte=end, ends_on__gte=start)
        .exclude(status=InspectionPlan.Status.DRAFT)
        .exclude(mode=InspectionPlan.Mode.COVERT, published_at__isnull=True)
    )
    figures = plans.aggregate(
        rounds=Count("id"),
        covert=Count("id", filter=Q(mode=InspectionPlan.Mode.COVERT)),
        first=Min("starts_on"),
        last=Max("ends_on"),
    )
    if not figures["rounds"]:
        return ""
    areas = list(
        Area.objects.filter(pk__in=plans.values("areas")).order_by("code").values_list("name", flat=True).distinct()
    )
    by_type = list(
        PlanSite.objects.filter(plan__in=plans)
        .values_list("stratum__site_type__name")
        .annotate(n=Count("id"))
        .order_by("-n", "stratum__site_type__name")
    )
    team = PlanMember.objects.filter(plan__in=plans).aggregate(
        people=Count("user", distinct=True), units=Count("unit", distinct=True)
    )
    inspections = Inspection.objects.filter(
        plan__in=plans, submitted_at__gte=clock.start_of_day(start), submitted_at__lt=clock.end_of_day(end)
    )
    results = CheckResult.objects.filter(inspection__in=inspections).aggregate(
        passed=Count("id", filter=Q(result=CheckResult.Result.PASS)),
        failed=Count("id", filter=Q(result=CheckResult.Result.FAIL)),
    )
    rounds, covert = figures["rounds"], figures["covert"]
    shown_areas = "、".join(areas[:5]) + (f"等{len(areas)}个街道" if len(areas) > 5 else "")
    sites = sum(n for _name, n in by_type)
    types = "、".join(f"{name}{n}个" for name, n in by_type)
    text = (
        f"本期区爱卫办组织开展督查{rounds}轮（明查{rounds - covert}轮、暗访{covert}轮），"
        f"时间为{clock.zh_date(figures['first'])}至{clock.zh_date(figures['last'])}"
    )
    if shown_areas:
        text += f"，范围覆盖{shown_areas}"
    if sites:
        text += f"，共抽取点位{sites}个（{types}）"
    text += "。"
    if team["people"]:
        text += f"督导组由{team['units']}个单位{team['people']}名同志组成，"
    checked = results["passed"] + results["failed"]
    text += f"共完成现场检查{inspections.count()}次"
    if checked:
        text += f"，检查要点合格率{round(results['passed'] * 100 / checked, 1):g}%"
    return text + "。"


def _category_of(criteria: dict[int, tuple]) -> dict[int, int]:
    """Each criterion's top-level area of the standard (its category), by id."""
    top = {}
    for pk in criteria:
        node = pk
        while criteria[node][0] is not None and criteria[node][0] in criteria:
            node = criteria[node][0]
        top[pk] = node
    return top


def issues_by_category(in_period, standard_id) -> list[dict]:
    """存在问题: the period's problems grouped by the standard's top-level area, largest first,
    each with a few examples (the most serious, then the latest). Three queries, whatever the
    number of problems."""
    criteria = {
        pk: (parent_id, code, name)
        for pk, parent_id, code, name in Criterion.objects.filter(standard_id=standard_id).values_list(
            "pk", "parent_id", "code", "name"
        )
    }
    top = _category_of(criteria)
    counts: dict[int, int] = {}
    for criterion_id, n in in_period.values_list("criterion_id").annotate(n=Count("id")).order_by():
        key = top.get(criterion_id)
        if key is not None:
            counts[key] = counts.get(key, 0) + n
    severity = Case(
        When(severity=Problem.Severity.SERIOUS, then=0),
        When(severity=Problem.Severity.MAJOR, then=1),
        default=2,
        output_field=IntegerField(),
    )
    examples: dict[int, list[str]] = {}
    for criterion_id, site, description in (
        in_period.annotate(rank=severity)
        .order_by("rank", "-recorded_at")
        .values_list("criterion_id", "site__name", "description")[:500]
    ):
        key = top.get(criterion_id)
        shown = examples.setdefault(key, [])
        if len(shown) < EXAMPLES_PER_GROUP:
            text = description.strip().rstrip("。；;.")
            shown.append(f"{site}{text[:40]}{'…' if len(text) > 40 else ''}")
    return [
        {"name": criteria[key][2], "code": criteria[key][1], "count": n, "examples": examples.get(key, [])}
        for key, n in sorted(counts.items(), key=lambda item: (-item[1], criteria[item[0]][1]))
    ]


def previous_period(bulletin: Bulletin) -> tuple[dt.date, dt.date] | None:
    """The period before this one: the latest earlier bulletin's, else as long a period just
    before (not before the campaign began)."""
    earlier = (
        Bulletin.objects.filter(campaign=bulletin.campaign, period_end__lt=bulletin.period_start)
        .exclude(pk=bulletin.pk)
        .order_by("-period_end", "-id")
        .first()
    )
    if earlier is not None:
        return earlier.period_start, earlier.period_end
    start, end = bulletin.period_start, bulletin.period_end
    month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if start.day == 1 and end == month_end:  # a month's bulletin: the month before
        end = start - dt.timedelta(days=1)
        start = max(end.replace(day=1), bulletin.campaign.starts_on)
        return (start, end) if start <= end else None
    length = bulletin.period_end - bulletin.period_start
    end = bulletin.period_start - dt.timedelta(days=1)
    start = max(end - length, bulletin.campaign.starts_on)
    return (start, end) if start <= end else None


def previous_followup(bulletin: Bulletin, problems, as_of: dt.date) -> str:
    """上期问题整改情况: of the problems found in the previous period, how many are closed now,
    how many still open, and how many of those overdue. Empty when there was none."""
    period = previous_period(bulletin)
    if period is None:
        return ""
    start, end = period
    found = problems.filter(recorded_at__gte=clock.start_of_day(start), recorded_at__lt=clock.end_of_day(end))
    figures = found.aggregate(
        total=Count("id"),
        closed=Count("id", filter=Q(status=Status.CLOSED)),
        overdue=Count("id", filter=Q(status__in=WITH_UNIT, deadline__lt=as_of)),
    )
    if not figures["total"]:
        return ""
    still_open = figures["total"] - figures["closed"]
    text = (
        f"上期（{clock.zh_date(start)}至{clock.zh_date(end)}）发现的{figures['total']}个问题，"
        f"截至{clock.zh_date(as_of)}已整改销号{figures['closed']}个，尚未销号{still_open}个"
    )
    if figures["overdue"]:
        text += f"，其中逾期未整改{figures['overdue']}个，请责任单位抓紧整改"
    return text + "。"


def secret_left_out(bulletin: Bulletin) -> int:
    """Problems of the period a bulletin leaves out because an unpublished covert inspection found
    them: the office is told on the draft screen, never in the document."""
    return (
        Problem.objects.filter(
            campaign=bulletin.campaign,
            pk__in=access.secret_problem_ids(),
            recorded_at__gte=clock.start_of_day(bulletin.period_start),
            recorded_at__lt=clock.end_of_day(bulletin.period_end),
        )
        .exclude(status__in=sorted(VOID))
        .count()
    )
