"""Oversight pages: the overview of the whole campaign and a unit's page."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import access
from campaigns import selectors as ledger
from campaigns import services as campaign_services
from campaigns.models import Campaign
from core import clock
from core.errors import DomainError
from core.forms import applicable_filters
from core.security import export_logged
from documents import xlsx
from dossier import selectors as dossier_selectors
from inspections import readiness as readiness_selectors
from organisation.models import Unit
from oversight import scores, selectors, trends
from oversight import services as oversight_services
from oversight.forms import ScoreMonthForm, ScoreWeightsForm, TrendFilterForm
from problems import kpi
from problems.states import WITH_UNIT

SUBDISTRICT, DEPARTMENT = Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT


@login_required
def overview(request):
    """The PHC office's and leaders' one-page picture: milestones, ledger, problems, who is late."""
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    campaign = ledger.current_campaign_or_404()
    kept = selectors.overview_kept(user=request.user, campaign=campaign)
    figures = kept.value
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
            "figures_stale": kept.stale,
            "figures_as_of": timezone.localtime(kept.counted_at),
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
def trends_page(request):
    """趋势: the closed loop's figures period by period, a chart with its data table beside it, the
    same months of an earlier campaign when asked, and the table as a workbook."""
    campaign = ledger.current_campaign_or_404()
    form = TrendFilterForm(request.GET or None, campaign=campaign)
    filters = applicable_filters(form)
    kind = filters.get("period") or trends.MONTH
    kept = selectors.trends_kept(user=request.user, campaign=campaign, kind=kind, filters=filters)
    current = kept.value
    earlier = filters.get("compare")
    rows = (
        trends.compared(
            current, selectors.trends_kept(user=request.user, campaign=earlier, kind=kind, filters=filters).value
        )
        if earlier is not None and kind == trends.MONTH
        else [{"current": row, "earlier": None} for row in current["periods"]]
    )
    if request.GET.get("format") == "xlsx":
        if not access.can_export(request.user):
            raise Http404
        table = trends.trend_table(campaign=campaign, form=form, rows=rows, earlier=earlier, user=request.user)
        return xlsx.xlsx_response(table, on_written=export_logged(request, "趋势"))
    chart = {
        "labels": [row["current"]["label"] for row in rows],
        "series": [
            {"name": str(m.label), "key": m.key, "data": [row["current"][m.key] for row in rows]}
            for m in trends.MEASURES
            if m.key in ("found", "closed", "overdue_at_end")
        ],
        "earlier": (
            {"name": str(earlier), "data": [row["earlier"]["found"] if row["earlier"] else None for row in rows]}
            if earlier is not None and kind == trends.MONTH
            else None
        ),
    }
    query = request.GET.copy()
    query.pop("format", None)
    # A period's link opens the problems found in it, under the same filters (the list knows them).
    in_list = request.GET.copy()
    for name in ("format", "period", "compare"):
        in_list.pop(name, None)
    return render(
        request,
        "oversight/trends.html",
        {
            "campaign": campaign,
            "form": form,
            "rows": rows,
            "earlier": earlier if kind == trends.MONTH else None,
            "measures": trends.MEASURES,
            "bases": trends.BASES,
            "chart": chart,
            "stale": kept.stale,
            "as_of": timezone.localtime(kept.counted_at),
            "querystring": query.urlencode(),
            "list_query": in_list.urlencode(),
            "can_export": access.can_export(request.user),
        },
    )


WALL_RANKED = 3  # best and worst units of each kind on the wall


def _wall_figures(user, campaign) -> dict:
    """What the wall screen shows, as plain data: counts, the units' ranking ends, the month's
    trend and the sub-districts' open and overdue counts. Unit and area names only: no person's
    name, phone or problem description is on a screen a room full of people reads."""
    kept = selectors.overview_kept(user=user, campaign=campaign)
    breakdowns, ranking = kept.value["breakdowns"], kept.value["ranking"]
    statuses = {status.value: n for status, n in breakdowns["by_status"]}
    units = [row for group in ranking.values() for row in group]
    found = sum(row["found"] for row in units)
    closed_on_time = sum(row["closed_on_time"] for row in units)
    closed = sum(row["closed"] for row in units)
    trend = selectors.trends_kept(user=user, campaign=campaign, kind=trends.MONTH, filters={}).value

    def ends(rows):
        rated = [r for r in rows if r["on_time_rate"] is not None]
        return {
            "best": [
                {"unit": r["unit"], "rate": r["on_time_rate"], "overdue": r["overdue"]} for r in rated[:WALL_RANKED]
            ],
            # The last ones, worst first, never repeating one of the first.
            "worst": [
                {"unit": r["unit"], "rate": r["on_time_rate"], "overdue": r["overdue"]}
                for r in reversed(rated[max(WALL_RANKED, len(rated) - WALL_RANKED) :])
            ],
        }

    return {
        "campaign": campaign.name,
        "as_of": timezone.localtime(kept.counted_at).strftime("%H:%M:%S"),
        "stale": kept.stale,
        "figures": {
            "total": breakdowns["total"],
            "in_hand": sum(statuses.get(status, 0) for status in WITH_UNIT),
            "overdue": breakdowns["overdue"],
            "closed": statuses.get("closed", 0),
            "on_time_rate": round(100 * closed_on_time / (closed + breakdowns["overdue"]), 1) if closed else None,
            "rebounds": breakdowns["rebounds"],
            "found_assigned": found,
        },
        "ranking": {
            "subdistrict": ends(ranking.get(Unit.Kind.SUBDISTRICT, [])),
            "department": ends(ranking.get(Unit.Kind.DEPARTMENT, [])),
        },
        "areas": [
            {
                "name": row["site__area__parent__name"] or str(_("其他")),
                "in_hand": row["in_hand"],
                "overdue": row["overdue"],
            }
            for row in breakdowns["by_area"]
        ],
        "trend": {
            "labels": [row["label"] for row in trend["periods"]],
            "found": [row["found"] for row in trend["periods"]],
            "closed": [row["closed"] for row in trend["periods"]],
            "overdue": [row["overdue_at_end"] for row in trend["periods"]],
        },
    }


@login_required
def wall(request):
    """大屏: a full-screen page for a 1920x1080 display in a control room. It loads its figures
    from wall_data and refreshes them in place every minute, without reloading the page."""
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    campaign = ledger.current_campaign_or_404()
    return render(
        request,
        "oversight/wall.html",
        {
            "campaign": campaign,
            "wall": _wall_figures(request.user, campaign),
            # Sentences the wall's script writes, in the page's language.
            "wall_text": {
                "area": gettext("在办 %(in_hand)s · 逾期 %(overdue)s"),
                "found": gettext("发现"),
                "closed": gettext("销号"),
                "overdue": gettext("期末逾期"),
                "none": gettext("暂无"),
                "rate": gettext("%(rate)s%%，逾期 %(overdue)s"),
            },
            "map_config": {
                "tiles": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "center": settings.MAP_CENTER,
                "coordinates": settings.MAP_TILE_COORDINATES,
                "time_zone": settings.TIME_ZONE,
            },
        },
    )


@login_required
def wall_data(request):
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    campaign = ledger.current_campaign_or_404()
    return JsonResponse(_wall_figures(request.user, campaign))


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


@login_required
def scores_page(request):
    """考核: the units' monthly scores, sub-districts and departments ranked apart, the indicators
    and their 口径, the weights in force that month; a unit's month-by-month scores; the office
    adds a version of the weights (from this month on)."""
    campaign = ledger.current_campaign_or_404()
    months = scores.campaign_months(campaign)
    form = ScoreMonthForm(request.GET or None, months=months)
    filters = applicable_filters(form)
    first = dt.date.fromisoformat(f"{filters['month']}-01") if filters.get("month") else months[0]
    problems = scores.scope(campaign, user=request.user)
    may_set = access.can_manage_campaign(request.user)
    weights_form = None
    if may_set:
        weights_form = ScoreWeightsForm(
            request.POST or None,
            initial={"effective_from": scores.month_start(clock.today()), **scores.weights_for(first)},
        )
        if request.method == "POST" and weights_form.is_valid():
            try:
                oversight_services.score_weights_set(actor=request.user, **weights_form.cleaned_data)
            except DomainError as error:
                weights_form.add_error(None, error.message)
            else:
                messages.success(request, _("考核权重已调整，自所选月份起生效"))
                query = request.GET.urlencode()
                return redirect(f"{request.path}?{query}" if query else request.path)
    elif request.method == "POST":
        raise PermissionDenied
    ranking = scores.month_ranking(problems, first=first)
    unit = filters.get("unit")
    return render(
        request,
        "oversight/scores.html",
        {
            "campaign": campaign,
            "form": form,
            "first": first,
            "ranking": [
                (label, ranking[kind])
                for kind, label in ((Unit.Kind.SUBDISTRICT, _("街道")), (Unit.Kind.DEPARTMENT, _("部门")))
            ],
            "weights": ranking["weights"],
            "indicators": scores.INDICATORS,
            "unit": unit,
            "history": scores.unit_history(problems, unit=unit, months=months) if unit else None,
            "weights_form": weights_form,
        },
    )
