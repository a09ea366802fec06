"""Reads of the public side: the triage queue, sites near a report, a report's public status
(derived from its problem, never copied), and the portal's figures from published data only."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max
from django.utils.translation import gettext, pgettext

import access
from bulletins.models import Bulletin
from core import clock
from core.geo import distance_m
from core.models import Attachment
from inspections.models import InspectionPlan
from organisation.models import Unit
from problems import kpi
from problems.models import Problem, ProblemEvent
from problems.selectors import until_next_step
from problems.states import WITH_UNIT, Action, Status
from public.models import CitizenReport
from public.states import ReportStatus
from sites.models import Site

QUEUE_SIZE = 30
NEAREST = 8
# Sites are looked for within this box around the report (about 3 km), then sorted by distance.
SEARCH_DEGREES = Decimal("0.03")


def triage_queue(user):
    """The reports waiting for the office, oldest first (first come, first served), and those
    waiting for the reporter's answer."""
    return (
        access.citizen_reports_visible_to(user)
        .filter(status__in=[ReportStatus.RECEIVED, ReportStatus.MORE_INFO])
        .select_related("category")
        .annotate(photo_count=Count("photos"))
        .order_by("submitted_at", "id")
    )


def nearest_sites(report: CitizenReport, limit: int = NEAREST) -> list[tuple[Site, int | None]]:
    """Sites to propose for a report, nearest first with their distance in metres: of the
    category's site type when it has one, within SEARCH_DEGREES of the report's position. Without
    a position, the first sites of the type by code (the office picks, or types a code)."""
    sites = Site.objects.active().select_related("area", "site_type")
    if report.category.site_type_id:
        sites = sites.filter(site_type_id=report.category.site_type_id)
    if report.latitude is None:
        return [(site, None) for site in sites.order_by("code")[:limit]]
    lat, lng = report.latitude, report.longitude
    near = sites.filter(
        latitude__gte=lat - SEARCH_DEGREES,
        latitude__lte=lat + SEARCH_DEGREES,
        longitude__gte=lng - SEARCH_DEGREES,
        longitude__lte=lng + SEARCH_DEGREES,
    )[:500]  # bounded: a dense city centre still costs one small read
    scored = [
        (site, round(distance_m(float(lat), float(lng), float(site.latitude), float(site.longitude)))) for site in near
    ]
    return sorted(scored, key=lambda pair: (pair[1], pair[0].code))[:limit]


@dataclass(frozen=True)
class PublicStatus:
    """What the status page says: a stage (for its colour and the steps), a sentence, and the
    after photos once the problem is closed."""

    stage: str  # received / more_info / refused / accepted / fixing / fixed / closed_other
    label: str
    sentence: str
    problem_number: str = ""
    after_photos: tuple = ()


def after_photos(problem: Problem) -> list[Attachment]:
    """The rectification's photos of the submission that was verified: the images linked to the
    last submit event (documents are left out; the unit's file is served through a clean copy)."""
    last_submit = problem.events.filter(action=Action.SUBMIT).order_by("-seq").first()
    if last_submit is None:
        return []
    return [a for a in last_submit.attachments.order_by("id") if a.is_image][:6]


def public_status(report: CitizenReport) -> PublicStatus:
    """The report's stage as the public is told it, derived from the report and, once accepted,
    from its problem's status now."""
    if report.status == ReportStatus.RECEIVED:
        return PublicStatus("received", gettext("已收到"), gettext("您的反映已收到，爱卫办将尽快核实处理。"))
    if report.status == ReportStatus.MORE_INFO:
        return PublicStatus("more_info", gettext("需要补充信息"), report.reply)
    if report.status == ReportStatus.REFUSED:
        return PublicStatus("refused", gettext("不予受理"), report.reply)
    status = _stage(survivor(report.problem))
    if status.problem_number != report.problem.number:
        # Merged (problems.services.problem_merge): the reporter follows the problem that stood.
        merged = gettext("经核实，您反映的问题与问题 %(number)s 为同一问题，已合并处理。") % {
            "number": status.problem_number
        }
        return PublicStatus(
            status.stage, status.label, merged + status.sentence, status.problem_number, status.after_photos
        )
    return status


def survivor(problem: Problem) -> Problem:
    """The problem a merged one was merged into (followed to the end: a survivor may itself have
    been merged later); the problem itself otherwise. A few hops at most in practice; bounded."""
    for _ in range(10):
        if problem.status != Status.MERGED or problem.merged_into_id is None:
            break
        problem = problem.merged_into
    return problem


def _stage(problem: Problem) -> PublicStatus:
    number = problem.number
    if problem.status == Status.CLOSED:
        return PublicStatus(
            "fixed",
            gettext("已整改"),
            gettext("问题已整改完毕，经督导组复核后销号。"),
            number,
            tuple(after_photos(problem)),
        )
    if problem.status in WITH_UNIT:
        return PublicStatus(
            "fixing", gettext("整改中"), gettext("问题已交责任单位限期整改，整改后由督导组复核。"), number
        )
    if problem.status == Status.CANCELLED:
        return PublicStatus(
            "closed_other", gettext("已办结"), gettext("经核实，该问题已另行处理，不再单独整改。"), number
        )
    return PublicStatus(
        "accepted",
        pgettext("citizen report", "已受理"),
        gettext("您的反映已受理，登记为问题 %(number)s，即将交责任单位整改。") % {"number": number},
        number,
    )


def public_photo(report: CitizenReport, attachment_uuid) -> Attachment | None:
    """An attachment the status page of this report may show: the report's clean copies, or the
    after photos of its problem once closed. Anything else is None (404)."""
    found = report.photos.filter(uuid=attachment_uuid).first()
    if found is not None:
        return found
    problem = survivor(report.problem) if report.problem_id else None
    if problem is not None and problem.status == Status.CLOSED:
        for attachment in after_photos(problem):
            if str(attachment.uuid) == str(attachment_uuid):
                return attachment
    return None


# ---- the portal's figures ------------------------------------------------------------------------


def _published_covert_plans() -> int:
    """Changes when a covert plan's results are published (which adds its findings to the
    figures without a problem's step): part of the figures' cache key."""
    return InspectionPlan.objects.filter(published_at__isnull=False).count()


def portal_figures(campaign) -> dict:
    """The campaign's figures for the public, per sub-district and in total, by the definitions
    of problems/kpi.py, over the problems the public may count (access.problems_public: nothing
    an unpublished covert inspection found). Kept until the next step (until_next_step)."""

    def compute():
        problems = access.problems_public(Problem.objects.filter(campaign=campaign))
        rows = kpi.unit_rows(problems, as_of=clock.today())
        subdistricts = sorted(
            (row for row in rows if row["kind"] == Unit.Kind.SUBDISTRICT), key=lambda row: row["unit_code"]
        )
        # The district as one row: the sums of every unit's counts, with the rates formed alike.
        totals = kpi.with_rates({key: sum(row[key] for row in rows) for key in kpi.COUNTS})
        return {"subdistricts": subdistricts, "totals": totals}

    return until_next_step(f"public:figures:{campaign.pk}:{_published_covert_plans()}", compute)


def subdistrict_figures(campaign, unit: Unit) -> dict | None:
    for row in portal_figures(campaign)["subdistricts"]:
        if row["unit_id"] == unit.pk:
            return row
    return None


def public_bulletins():
    """Published bulletins, newest first, with their PDF when made."""
    return access.bulletins_public(Bulletin.objects.select_related("pdf")).order_by("-published_at", "-id")


def last_step_at():
    """When anything the portal shows last changed: for the pages' ETag."""
    return (
        ProblemEvent.objects.aggregate(last=Max("pk"))["last"],
        Bulletin.objects.filter(status=Bulletin.Status.PUBLISHED).aggregate(last=Max("published_at"))["last"],
        _published_covert_plans(),
    )
