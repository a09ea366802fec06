"""Oversight pages: the overview of the whole campaign and a unit's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import access
from campaigns import selectors as ledger
from campaigns import services as campaign_services
from campaigns.models import Campaign
from core import clock
from core.errors import DomainError
from dossier import selectors as dossier_selectors
from inspections import readiness as readiness_selectors
from organisation.models import Unit
from oversight import selectors
from problems import kpi

SUBDISTRICT, DEPARTMENT = Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT


@login_required
def overview(request):
    """The PHC office's and leaders' one-page picture: milestones, ledger, problems, who is late."""
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    campaign = ledger.current_campaign_or_404()
    figures = selectors.overview_figures(user=request.user, campaign=campaign)
    breakdowns = figures["breakdowns"]
    chart = {
        "status": [{"name": status.label, "value": n} for status, n in breakdowns["by_status"]],
        "types": [{"name": row["site__site_type__name"], "value": row["n"]} for row in breakdowns["by_type"]],
        "areas": [
            {"name": row["site__area__parent__name"] or _("其他"), "value": row["n"]} for row in breakdowns["by_area"]
        ],
    }
    routine = campaign.phase == Campaign.Phase.ROUTINE
    milestones = [] if routine else ledger.milestone_progress(user=request.user, campaign=campaign)
    # The dossier milestone's tasks may all be done while materials still await acceptance: its
    # card shows both figures (issue 12: the ledger said 7/7, the dossier 40/50).
    dossier_milestone = dossier_selectors.dossier_deadline(campaign)
    for m in milestones:
        if dossier_milestone is not None and m["milestone"].pk == dossier_milestone.pk:
            scope = access.dossier_materials_visible_to(request.user).filter(campaign=campaign)
            m["dossier"] = dossier_selectors.completeness_overall(scope)
    return render(
        request,
        "oversight/overview.html",
        {
            "campaign": campaign,
            "milestones": milestones,
            "ledger": ledger.ledger_totals(user=request.user, campaign=campaign),
            "breakdowns": breakdowns,
            "ranking": [
                (label, figures["ranking"][kind])
                for kind, label in ((Unit.Kind.SUBDISTRICT, _("街道")), (Unit.Kind.DEPARTMENT, _("部门")))
            ],
            "period": figures["period"],
            "bases": kpi.bases(),
            "chart": chart,
            "routine": selectors.routine_measures(user=request.user, campaign=campaign) if routine else None,
            "hotspots": selectors.hotspot_list(user=request.user),
            "may_enter_routine": not routine
            and access.can_manage_campaign(request.user)
            and bool(milestones)
            and clock.today() > max(m["milestone"].due_on for m in milestones),
            "readiness": readiness_selectors.readiness(
                user=request.user, campaign=campaign, since=readiness_selectors.default_since()
            )["overall"],
        },
    )


@login_required
def unit_page(request, unit_code):
    """A unit at a glance: its problems, its ledger, its five-in-place, its people and the
    accountability decisions about it."""
    campaign = ledger.current_campaign_or_404()
    unit = access.get_visible_or_404(access.units_visible_to(request.user).select_related("area"), code=unit_code)
    return render(
        request,
        "oversight/unit.html",
        {
            "campaign": campaign,
            "unit": unit,
            **selectors.unit_summary(user=request.user, campaign=campaign, unit=unit),
            "hotspots": selectors.hotspot_list(user=request.user, unit=unit),
        },
    )


@login_required
@require_POST
def enter_routine(request):
    """转入长效管理: the office, after the last milestone (campaigns.services.campaign_enter_routine)."""
    campaign = ledger.current_campaign_or_404()
    try:
        campaign_services.campaign_enter_routine(actor=request.user, campaign=campaign)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已转入长效管理阶段"))
    return redirect("oversight:overview")
