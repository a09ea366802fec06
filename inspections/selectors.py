"""Reads of inspections for screens and the API. Every one starts from access."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery

import access
from core import clock, geo
from inspections.models import Inspection, InspectionPlan, PlanMember, PlanSite
from inspections.states import PlanStatus
from sites.models import Site


def _with_membership(plans: QuerySet, user) -> QuerySet:
    """Annotate `is_member`: whether this person is on the plan's team (in the same query, not
    one more per plan)."""
    return plans.annotate(is_member=Exists(PlanMember.objects.filter(plan=OuterRef("pk"), user_id=user.pk)))


def plan_list(*, user) -> QuerySet:
    """The plans this person may see, newest first, with how many sites were drawn and done and
    whether the person is on the team."""
    done = Inspection.objects.filter(plan=OuterRef("pk")).values("plan").annotate(n=Count("site", distinct=True))
    plans = (
        access.inspection_plans_visible_to(user)
        .select_related("campaign")
        .annotate(target_count=Count("targets", distinct=True), done_count=Subquery(done.values("n")[:1]))
        .order_by("-starts_on", "-id")
    )
    return _with_membership(plans, user)


def get_plan(*, user, plan_uuid, can=None) -> InspectionPlan:
    """A plan the person may see (else 404) and, with `can`, act on (else 403)."""
    scoped = _with_membership(access.inspection_plans_visible_to(user).select_related("campaign", "created_by"), user)
    if can is None:
        return access.get_visible_or_404(scoped, uuid=plan_uuid)
    return access.get_for_action_or_403(user, scoped, can, uuid=plan_uuid)


def plan_targets(*, user, plan: InspectionPlan) -> list[PlanSite]:
    """The plan's drawn sites with their latest visible inspection (`inspection`, or None). A
    unit's people see only their own sites of it."""
    visible_sites = access.sites_visible_to(user).values("pk")
    inspections = access.inspections_visible_to(user).filter(plan=plan).order_by("-submitted_at")
    targets = list(
        plan.targets.filter(site__in=visible_sites)
        .select_related("site", "site__site_type", "site__area", "site__owner_unit", "stratum", "stratum__area")
        .order_by("stratum__area__code", "stratum__site_type__code", "position")
    )
    latest: dict[int, Inspection] = {}
    for inspection in inspections.select_related("inspector"):
        latest.setdefault(inspection.site_id, inspection)
    for target in targets:
        target.inspection = latest.get(target.site_id)
    return targets


@dataclass
class TodaySite:
    target: PlanSite
    plan: InspectionPlan
    site: Site
    done: bool


def today_sites(*, user, day: dt.date | None = None) -> list[TodaySite]:
    """The inspector's day: the sites of every plan they are on whose window includes today and
    whose sites are drawn, not yet inspected first."""
    day = day or clock.today()
    plans = InspectionPlan.objects.filter(
        team__user=user,
        status__in=[PlanStatus.SAMPLED, PlanStatus.IN_PROGRESS],
        starts_on__lte=day,
        ends_on__gte=day,
    )
    plans = access.inspection_plans_visible_to(user, plans)
    visited = Inspection.objects.filter(plan=OuterRef("plan"), site=OuterRef("site"))
    targets = (
        PlanSite.objects.filter(plan__in=plans)
        .select_related("plan", "site", "site__site_type", "site__area")
        .annotate(done=Exists(visited))
        .order_by("done", "plan__starts_on", "plan_id", "site__code")
    )
    return [TodaySite(target=t, plan=t.plan, site=t.site, done=t.done) for t in targets]


def inspection_detail(*, user, client_id) -> Inspection:
    scoped = access.inspections_visible_to(user).select_related(
        "plan", "site", "site__site_type", "site__area", "inspector"
    )
    inspection = access.get_visible_or_404(scoped, client_id=client_id)
    return inspection


def inspection_results(*, user, inspection: Inspection) -> list:
    """Results in checklist order, each with its finding (problem) when the person may see it."""
    from inspections.models import CheckResult, Finding, InspectionPhoto

    visible_problems = access.problems_visible_to(user).values("pk")
    findings = {
        f.checkpoint_id: f
        for f in Finding.objects.filter(inspection=inspection, problem__in=visible_problems)
        .select_related("problem")
        .prefetch_related(Prefetch("photos", queryset=InspectionPhoto.objects.select_related("display", "original")))
    }
    results = list(
        CheckResult.objects.filter(inspection=inspection).select_related("checkpoint").order_by("checkpoint__position")
    )
    for result in results:
        result.finding = findings.get(result.checkpoint_id)
    return results


def navigation_links(site: Site) -> dict[str, str]:
    """Links that open navigation to a site on the phone: `geo:` (WGS-84, the standard; Android
    offers every map app) and AutoNavi's URI (GCJ-02, converted here), which opens the app when
    it is installed. Empty when the site has no coordinates."""
    if site.latitude is None or site.longitude is None:
        return {}
    lat, lng = float(site.latitude), float(site.longitude)
    g_lat, g_lng = geo.wgs84_to_gcj02(lat, lng)
    name = quote(site.name)
    return {
        "geo": f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({name})",
        "amap": f"https://uri.amap.com/marker?position={g_lng:.6f},{g_lat:.6f}&name={name}"
        "&coordinate=gaode&callnative=1&src=chuangwei",
    }
