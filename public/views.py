"""The public side's pages. Thin: bind a form, call a service or a selector, render or redirect.

The portal's pages (home, bulletins, a sub-district, the guide) are the same for everyone: no
person's data, no form token, so they are cacheable (`shared_cache`: Cache-Control public with an
ETag from the last change; core.middleware.NoStoreMiddleware leaves them alone). The report form
and a report's status page carry a form token or a person's report: no-store like every page."""

import functools
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.http import condition, require_GET, require_POST

import access
from bulletins.models import Bulletin
from campaigns.selectors import current_campaign
from core.errors import DomainError, InvalidInput, page_status
from core.forms import uploaded_files, with_seen_version
from core.pagination import page_of
from core.security import client_ip
from organisation.models import Area, Unit
from public import selectors, services
from public.forms import AcceptForm, LookupForm, ReplyForm, ReportForm, SupplementForm
from public.models import CitizenReport, ReportCategory, normalise_code
from public.photos import clean_copy
from public.states import ReportAction, ReportStatus, allowed_from
from sites.models import Site

# How long a shared cache (a proxy, the browser) may keep a portal page before asking again with
# its ETag: the figures move with every step of a problem, and a minute late is harmless.
PORTAL_MAX_AGE = 60


def _portal_etag(request, *args, **kwargs) -> str:
    """Changes when anything a portal page shows may have changed: a problem's step, a
    bulletin's publication, a covert plan's published results, a category edited."""
    categories = ReportCategory.objects.order_by("-pk").values_list("pk", flat=True).first()
    state = (*selectors.last_step_at(), categories, request.path, settings.LANGUAGE_CODE)
    return hashlib.sha256(repr(state).encode()).hexdigest()[:32]


def portal_page(view):
    """A page for everyone: GET only, in Chinese whatever language a staff member chose (a shared
    cache keeps one copy per URL), ETag (304 when unchanged), Cache-Control public."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            response = require_GET(condition(etag_func=_portal_etag)(view))(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        if response.status_code in (200, 304):
            patch_cache_control(response, public=True, max_age=PORTAL_MAX_AGE)
            response.shared_cache = True
        return response

    return wrapper


def _campaign_or_404():
    campaign = current_campaign()
    if campaign is None:
        raise Http404(gettext("尚未建立创卫工作"))
    return campaign


@portal_page
def portal_home(request):
    campaign = current_campaign()
    context = {"campaign": campaign, "bulletins": selectors.public_bulletins()[:5]}
    if campaign is not None:
        context["milestones"] = campaign.milestones.all()
        context["figures"] = selectors.portal_figures(campaign)
    return render(request, "public/home.html", context)


@portal_page
def guide(request):
    return render(request, "public/guide.html", {"categories": ReportCategory.objects.filter(is_active=True)})


@portal_page
def bulletin_list(request):
    page = page_of(request, selectors.public_bulletins(), 30)
    return render(request, "public/bulletins.html", {"page": page})


@require_GET
def bulletin_pdf(request, bulletin_uuid):
    """A published bulletin's PDF, for anyone; a draft, or a bulletin whose PDF is not made yet,
    is 404 (nothing says that it exists)."""
    bulletin = access.get_visible_or_404(
        access.bulletins_public(Bulletin.objects.select_related("pdf")), uuid=bulletin_uuid
    )
    if bulletin.pdf is None:
        raise Http404
    try:
        handle = bulletin.pdf.file.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=False, filename=f"{bulletin.issue_label}.pdf", content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A published bulletin's file is frozen: a day in any cache is safe.
    patch_cache_control(response, public=True, max_age=86400)
    response.shared_cache = True
    return response


@portal_page
def subdistrict(request, unit_code):
    campaign = _campaign_or_404()
    unit = access.get_visible_or_404(Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT, is_active=True), code=unit_code)
    return render(
        request,
        "public/subdistrict.html",
        {"campaign": campaign, "unit": unit, "row": selectors.subdistrict_figures(campaign, unit)},
    )


def _map_config() -> dict:
    """The report map's settings, with the sub-districts' boundaries (public knowledge, a few
    dozen shapes): without tiles they are what a person finds their street by."""
    areas = Area.objects.filter(boundary__isnull=False, kind=Area.Kind.SUBDISTRICT).only("name", "boundary")
    return {
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": area.boundary, "properties": {"name": area.name}} for area in areas
            ],
        },
        "center": settings.MAP_CENTER,
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "coordinates": settings.MAP_TILE_COORDINATES,
        "text": {"picked": gettext("已选位置：%(lat)s, %(lng)s"), "none": gettext("尚未选择位置")},
    }


def report_form(request):
    """随手拍: the form, then the status page of the new report with its code."""
    form = ReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.report_submit(
                    category=data["category"],
                    description=data["description"],
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    address=data["address"],
                    name=data["name"],
                    phone=data["phone"],
                    photos=uploaded_files(form, "photos"),
                    ip=client_ip(request),
                    submit_key=data.get("submit_key"),
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = page_status(error)
            else:
                return redirect(f"{reverse('public:status', args=[report.code])}?new=1")
        else:
            status = 400
    return render(request, "public/report.html", {"form": form, "map_config": _map_config()}, status=status)


def _report_or_404(code: str) -> CitizenReport:
    code = normalise_code(code)
    return access.get_visible_or_404(CitizenReport.objects.select_related("problem", "category"), code=code)


@require_GET
def lookup(request):
    form = LookupForm(request.GET or None)
    if request.GET and form.is_valid():
        code = form.cleaned_data["code"]
        if CitizenReport.objects.filter(code=code).exists():
            return redirect("public:status", code=code)
        form.add_error("code", gettext("没有找到这个查询码，请核对后重新输入"))
    return render(request, "public/lookup.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def report_status(request, code):
    report = _report_or_404(code)
    form = SupplementForm(initial={"version": report.version}) if report.status == ReportStatus.MORE_INFO else None
    return render(
        request,
        "public/status.html",
        {
            "report": report,
            "status": selectors.public_status(report),
            "new": request.GET.get("new") == "1",
            "form": form,
        },
    )


@require_POST
def report_supplement(request, code):
    report = _report_or_404(code)
    form = SupplementForm(request.POST)
    if form.is_valid():
        try:
            services.report_supplement(
                report=with_seen_version(report, request.POST), answer=form.cleaned_data["answer"]
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect("public:status", code=report.code)
    report.refresh_from_db()
    return render(
        request,
        "public/status.html",
        {"report": report, "status": selectors.public_status(report), "form": form},
        status=400,
    )


@require_GET
def report_photo(request, code, attachment_uuid):
    """A photo the status page shows: the report's clean copy, or the after photo of its closed
    problem, re-encoded here without any metadata (the unit's file is kept as sent)."""
    report = _report_or_404(code)
    attachment = selectors.public_photo(report, attachment_uuid)
    if attachment is None:
        raise Http404
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
        body = clean_copy(data)
    except (OSError, ValueError, SyntaxError):
        raise Http404 from None
    response = HttpResponse(body, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- the office's triage (staff side, /reports/) ---------------------------------------------


@login_required
def triage_queue(request):
    if not access.can_triage_reports(request.user):
        raise Http404
    page = page_of(request, selectors.triage_queue(request.user), selectors.QUEUE_SIZE)
    return render(request, "public/triage_queue.html", {"page": page})


def _triage_report(request, code) -> CitizenReport:
    return access.get_visible_or_404(
        access.citizen_reports_visible_to(request.user).select_related("category", "category__criterion", "problem"),
        code=normalise_code(code),
    )


def _site_choices(report):
    choices = []
    for site, metres in selectors.nearest_sites(report):
        distance = gettext("约 %(m)s 米") % {"m": metres} if metres is not None else ""
        choices.append((site.code, f"{site.name}（{site.code}）{distance}"))
    return choices


def _triage_context(report, **forms):
    return {
        "report": report,
        "events": report.events.select_related("actor").order_by("seq"),
        "actions": allowed_from(report.status),
        "accept_form": forms.get("accept")
        or AcceptForm(site_choices=_site_choices(report), initial={"version": report.version}),
        "refuse_form": forms.get("refuse") or ReplyForm(initial={"version": report.version}, auto_id="refuse_%s"),
        "ask_form": forms.get("ask") or ReplyForm(initial={"version": report.version}, auto_id="ask_%s"),
        "map_config": _map_config(),
    }


@login_required
def triage_detail(request, code):
    report = _triage_report(request, code)
    return render(request, "public/triage_detail.html", _triage_context(report))


@login_required
@require_POST
def triage_act(request, code, action):
    report = _triage_report(request, code)
    if not access.can_triage_reports(request.user):
        raise PermissionDenied
    if action == ReportAction.ACCEPT:
        form = AcceptForm(request.POST, site_choices=_site_choices(report))
        key = "accept"
    elif action in (ReportAction.REFUSE, ReportAction.ASK):
        key = action
        # Both forms on the page post `note` and `version` (to their own URL); ids kept apart.
        form = ReplyForm(request.POST, auto_id=f"{action}_%s")
    else:
        raise Http404
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        seen = with_seen_version(report, request.POST)
        try:
            if action == ReportAction.ACCEPT:
                code_typed = (data.get("site_code") or data.get("site") or "").strip()
                site = Site.objects.filter(code=code_typed, is_active=True).first()
                if site is None:
                    raise InvalidInput(gettext("没有编码为「%(code)s」的在用点位") % {"code": code_typed})
                report = services.report_accept(
                    actor=request.user, report=seen, site=site, severity=data["severity"], note=data["note"]
                )
                messages.success(request, gettext("已受理，登记为问题 %(number)s") % {"number": report.problem.number})
                return redirect("problems:detail", problem_uuid=report.problem.uuid)
            if action == ReportAction.REFUSE:
                services.report_refuse(actor=request.user, report=seen, reason=data["note"])
                messages.success(request, gettext("已告知反映人不予受理及理由"))
            else:
                services.report_ask(actor=request.user, report=seen, question=data["note"])
                messages.success(request, gettext("已请反映人补充信息"))
            return redirect("triage:queue")
        except DomainError as error:
            form.add_error(None, str(error))
            status = page_status(error)
        report.refresh_from_db()
    return render(request, "public/triage_detail.html", _triage_context(report, **{key: form}), status=status)


# ---- error pages of the public-only process (config/urls_public.py) ----------------------------
# The staff layout links to staff URLs, which that process does not have; its errors are drawn in
# the portal's layout, the same for everyone.


def not_found(request, exception=None):
    return render(request, "public/error.html", {"heading": gettext("页面不存在")}, status=404)


def forbidden(request, exception=None):
    return render(request, "public/error.html", {"heading": gettext("无权访问")}, status=403)
