"""Inspection screens: plans for the office, the day's sites and checklists for the phone.

Thin: bind a form, ask access, call a service, redirect. The checklist page works without
JavaScript (a plain POST); with it, static/js/inspect-offline.js keeps what is recorded on the
phone and sends it through the API when there is a network."""

import hashlib
import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

import access
from campaigns.selectors import current_campaign
from core import clock
from core.errors import DomainError
from core.forms import uploaded_files, with_seen_version
from core.pagination import page_of
from core.services import IMAGE_FORMATS, MAX_FILE_BYTES, MAX_IMAGE_PIXELS
from inspections import coverage as coverage_selectors
from inspections import readiness as readiness_selectors
from inspections import selectors, services
from inspections.forms import ChecklistForm, DrawForm, PlanForm, ReadinessForm, ScheduleForm
from inspections.models import InspectionSchedule
from inspections.services import routine
from inspections.states import PlanAction, allowed_from
from problems import hotspots

PLANS_PER_PAGE = 30

# Where a covert plan was read, as the plan page lists it.
READ_SURFACES = {
    "web:plans": gettext_lazy("计划列表"),
    "web:plan": gettext_lazy("计划页面"),
    "web:today": gettext_lazy("今日检查"),
    "web:checklist": gettext_lazy("检查清单"),
    "web:inspection": gettext_lazy("检查记录"),
    "api:plans": gettext_lazy("接口：计划列表"),
    "api:plan": gettext_lazy("接口：计划"),
    "api:today": gettext_lazy("接口：今日检查"),
    "api:inspection": gettext_lazy("接口：检查记录"),
}


def _covert_reads(request, plans, surface: str) -> None:
    services.covert_reads_record(user=request.user, plans=plans, surface=surface, path=request.path)


@login_required
def plan_list(request):
    # A plan a day makes hundreds a year: a page at a time, and only the covert plans shown are
    # logged as read.
    page = page_of(request, selectors.plan_list(user=request.user), PLANS_PER_PAGE)
    plans = list(page.object_list)
    _covert_reads(request, plans, "web:plans")
    return render(
        request,
        "inspections/plan_list.html",
        {"plans": plans, "page": page, "can_create": access.can_manage_inspections(request.user)},
    )


@login_required
def plan_create(request):
    if not access.can_manage_inspections(request.user):
        raise PermissionDenied
    campaign = current_campaign()
    if campaign is None:
        raise Http404
    today = clock.today()
    form = PlanForm(request.POST or None, initial={"starts_on": today, "ends_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(
                actor=request.user,
                campaign=campaign,
                name=data["name"],
                kind=data["kind"],
                mode=data["mode"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                areas=data["areas"],
                counts=form.counts(),
                members=data["members"],
                exclude_recent_days=data["exclude_recent_days"] or 0,
                submit_key=data["submit_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("检查计划「%(name)s」已制定，请随机抽样") % {"name": plan.name})
            return redirect("inspections:plan", plan_uuid=plan.uuid)
    status = 400 if request.method == "POST" else 200
    return render(request, "inspections/plan_form.html", {"form": form}, status=status)


def _plan_context(request, plan, *, draw_form=None):
    actions = allowed_from(plan.status) if access.can_manage_inspections(request.user) else []
    draw = (
        plan.draws.select_related("drawn_by").order_by("-drawn_at").first()
        if access.can_see_whole_plan(request.user, plan)
        else None
    )
    targets = selectors.plan_targets(user=request.user, plan=plan)
    return {
        "plan": plan,
        "team": plan.team.select_related("user", "unit").order_by("unit__code"),
        "strata": plan.strata.select_related("area", "site_type"),
        "draw": draw,
        "targets": targets,
        "done": sum(1 for t in targets if t.inspection),
        "events": plan.events.select_related("actor"),
        "can_draw": PlanAction.DRAW in actions,
        "can_publish": PlanAction.PUBLISH in actions,
        "draw_form": draw_form or DrawForm(),
        "is_member": access.can_inspect(request.user, plan),
        "reads": [
            (read, READ_SURFACES.get(read.surface, read.surface))
            for read in (plan.read_log.select_related("user")[:20] if access.actor_for(request.user).sees_all else [])
        ],
    }


@login_required
def plan_detail(request, plan_uuid):
    plan = selectors.get_plan(user=request.user, plan_uuid=plan_uuid)
    _covert_reads(request, [plan], "web:plan")
    return render(request, "inspections/plan_detail.html", _plan_context(request, plan))


@login_required
@require_POST
def plan_draw(request, plan_uuid):
    plan = selectors.get_plan(user=request.user, plan_uuid=plan_uuid, can=access.can_manage_inspections)
    form = DrawForm(request.POST)
    if form.is_valid():
        try:
            draw = services.sample_draw(
                actor=request.user, plan=with_seen_version(plan, request.POST), seed=form.cleaned_data["seed"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已随机抽样，随机种子 %(seed)s") % {"seed": draw.seed})
            return redirect("inspections:plan", plan_uuid=plan.uuid)
    return render(request, "inspections/plan_detail.html", _plan_context(request, plan, draw_form=form), status=400)


@login_required
@require_POST
def plan_publish(request, plan_uuid):
    plan = selectors.get_plan(user=request.user, plan_uuid=plan_uuid, can=access.can_manage_inspections)
    try:
        services.plan_publish(actor=request.user, plan=with_seen_version(plan, request.POST))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("检查结果已公布"))
    return redirect("inspections:plan", plan_uuid=plan.uuid)


@login_required
def readiness(request):
    """迎检准备度: the office's and leaders' view of where the covert visit would cost most points."""
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    campaign = current_campaign()
    if campaign is None:
        raise Http404
    default = readiness_selectors.default_since()
    form = ReadinessForm(request.GET or None, initial={"since": default})
    since = (form.cleaned_data.get("since") or default) if form.is_valid() else default
    return render(
        request,
        "inspections/readiness.html",
        {
            "campaign": campaign,
            "form": form,
            "report": readiness_selectors.readiness(user=request.user, campaign=campaign, since=since),
        },
    )


# ---- long-term management (长效管理) ------------------------------------------------------------

COVERAGE_PER_PAGE = 50


@login_required
def schedule_list(request):
    """The recurring rules and the latest plan each made: the office and leaders."""
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    schedules = (
        InspectionSchedule.objects.select_related("updated_by")
        .prefetch_related("site_types", "areas")
        .annotate(plan_count=Count("plans"), latest_period=Max("plans__period_start"))
        .order_by("-is_active", "name", "id")
    )
    return render(
        request,
        "inspections/schedule_list.html",
        {"schedules": schedules, "can_edit": access.can_manage_inspections(request.user)},
    )


def _schedule_form_page(request, form, schedule=None, status=200):
    return render(request, "inspections/schedule_form.html", {"form": form, "schedule": schedule}, status=status)


@login_required
def schedule_create(request):
    if not access.can_manage_inspections(request.user):
        raise PermissionDenied
    campaign = current_campaign()
    if campaign is None:
        raise Http404
    form = ScheduleForm(request.POST or None, initial={"rule": "sample", "window_days": 5, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            schedule = routine.schedule_create(
                actor=request.user, campaign=campaign, submit_key=form.cleaned_data["submit_key"], **form.values()
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("常态检查规则「%(name)s」已保存") % {"name": schedule.name})
            return redirect("inspections:schedules")
    return _schedule_form_page(request, form, status=400 if request.method == "POST" else 200)


@login_required
def schedule_edit(request, schedule_uuid):
    if not access.can_manage_inspections(request.user):
        raise PermissionDenied
    schedule = InspectionSchedule.objects.filter(uuid=schedule_uuid).first()
    if schedule is None:
        raise Http404
    form = ScheduleForm(request.POST or None, initial=ScheduleForm.initial_of(schedule))
    if request.method == "POST" and form.is_valid():
        try:
            schedule = routine.schedule_update(actor=request.user, schedule=schedule, **form.values())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("常态检查规则「%(name)s」已保存") % {"name": schedule.name})
            return redirect("inspections:schedules")
    return _schedule_form_page(request, form, schedule, status=400 if request.method == "POST" else 200)


@login_required
def coverage_list(request):
    """覆盖情况: sites recurring supervision has not reached, a page at a time, with the counts
    per sub-district from one grouped query; the office and leaders."""
    if not access.actor_for(request.user).sees_all:
        raise PermissionDenied
    campaign = current_campaign()
    uncovered = coverage_selectors.uncovered(campaign=campaign)
    page = page_of(request, uncovered, COVERAGE_PER_PAGE)
    hot = hotspots.hotspot_site_ids(access.problems_visible_to(request.user))
    sites = list(page.object_list)
    for site in sites:
        site.is_hotspot = site.pk in hot
    return render(
        request,
        "inspections/coverage.html",
        {
            "page": page,
            "sites": sites,
            "by_subdistrict": coverage_selectors.by_subdistrict(uncovered),
            "total": page.paginator.count,
            "intervals": coverage_selectors.intervals(campaign),
        },
    )


@login_required
def today(request):
    rows = selectors.today_sites(user=request.user)
    _covert_reads(request, {row.plan.pk: row.plan for row in rows}.values(), "web:today")
    for row in rows:
        row.links = selectors.navigation_links(row.site)
    return render(
        request,
        "inspections/today.html",
        {
            "rows": rows,
            "day": clock.today(),
            "left": sum(1 for row in rows if not row.done),
            "offline_config": offline_config(request.user),
        },
    )


# The phone's patience (static/js/inspect-offline.js): a request with no answer after this many
# seconds is abandoned and tried again later (a photo may take longer on a slow network), and the
# waits between automatic retries after a failed sync, the last one repeated.
SYNC_TIMEOUT_S = 30
PHOTO_TIMEOUT_S = 120
RETRY_AFTER_S = [5, 15, 30, 60, 120, 300]


def offline_config(user) -> dict:
    """What static/js/inspect-offline.js needs: where things are, who is signed in (each record is
    bound to its maker), the photo limits the server applies, its patience, and its sentences in
    the page's language (gettext placeholders, filled in by the script)."""
    return {
        "api": "/api/v1/",
        "today": reverse("inspections:today"),
        # A record's result page, for the record just sent: the script puts the id in.
        "record": reverse("inspections:inspection", args=[uuid.UUID(int=0)]),
        "sw": reverse("service_worker"),
        "scope": reverse("inspections:plans"),
        "login": reverse("login"),
        "username": user.username,
        "full_name": user.get_full_name() or user.username,
        "photo": {"max_bytes": MAX_FILE_BYTES, "max_pixels": MAX_IMAGE_PIXELS, "formats": sorted(IMAGE_FORMATS)},
        "timeout_ms": SYNC_TIMEOUT_S * 1000,
        "photo_timeout_ms": PHOTO_TIMEOUT_S * 1000,
        "retry_ms": [s * 1000 for s in RETRY_AFTER_S],
        "text": {
            "pending": _("手机上有 %(count)s 条记录待同步"),
            "synced": _("全部已同步"),
            "synced_mine": _("您的记录已全部同步"),
            "online": _("在线"),
            "offline": _("当前离线"),
            "offline_empty": _("当前离线，手机上没有待同步的记录"),
            "sending": _("正在发送第 %(n)s / %(total)s 条"),
            "failed": _("同步未完成：%(reason)s"),
            "next_try": _("；%(time)s 自动重试"),
            "others": _("%(name)s 的 %(count)s 条记录在等其本人登录后同步"),
            "refused": _("；%(count)s 条被退回，见下"),
            "refused_title": _("被服务器退回的记录（可删除，照片可更换）"),
            "remove": _("删除"),
            "replace": _("更换照片"),
            "confirm_remove": _("从手机上删除这条记录？删除后无法恢复。"),
            "kind_inspections": _("检查记录"),
            "kind_problems": _("问题"),
            "kind_photos": _("照片"),
            "not_api": _("服务器的回答无法识别（可能是登录页或网络代理页面）"),
            "timeout": _("服务器 %(seconds)s 秒未回答"),
            "sign_in": _("重新登录"),
            "linked": _("该点位此项问题已由他人登记为 %(number)s，已并入"),
            "no_network": _("没有网络"),
            "expired": _("登录已过期，请重新登录后同步（记录仍保存在手机上）"),
            "server": _("服务器暂时无法处理（%(status)s）"),
            "error": _("错误 %(status)s"),
            "not_photo": _("「%(name)s」不是照片，只接受 %(kinds)s，未采用"),
            "too_big": _("「%(name)s」超过 %(mb)s MB，未采用"),
            "too_many_pixels": _("「%(name)s」像素过多（%(mp)s 百万像素，最多 %(max)s 百万），未采用"),
            "located": _("已取得手机位置（±%(metres)s 米）"),
            "not_located": _("未能取得手机位置，请检查定位权限；记录仍可提交"),
            "photo": _("照片 %(n)s"),
            "need_photo": _("不合格的检查要点请至少拍一张照片"),
            "unanswered": _("还有 %(count)s 项检查要点未判定"),
            "submitted": _("「%(site)s」检查记录已提交"),
            "saved": _("「%(site)s」检查记录已保存在手机上，联网后自动同步"),
            "save_failed": _("保存失败：%(error)s"),
        },
    }


@login_required
def checklist(request, plan_uuid, site_code):
    plan = selectors.get_plan(user=request.user, plan_uuid=plan_uuid, can=access.can_inspect)
    target = access.get_visible_or_404(
        plan.targets.select_related("site", "site__site_type", "site__area"), site__code=site_code
    )
    site = target.site
    _covert_reads(request, [plan], "web:checklist")
    checkpoints = services.checklist(site)
    etag = _checklist_etag(request, plan, site, checkpoints)
    if request.method == "GET" and etag in request.headers.get("If-None-Match", ""):
        # The phone's kept copy is this page still: its service worker keeps it (static/sw.js).
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    status = 200
    if request.method == "POST":
        form = ChecklistForm(request.POST, request.FILES, checkpoints=checkpoints)
        if form.is_valid():
            try:
                data = form.cleaned_data
                services.checklist_store(
                    actor=request.user,
                    client_id=data["client_id"],
                    plan=plan,
                    site=site,
                    started_at=data["started_at"],
                    results=[(c.pk, data[f"result_{c.pk}"], data[f"note_{c.pk}"]) for c in form.checkpoints],
                    photos={c.pk: uploaded_files(form, f"photos_{c.pk}") for c in form.checkpoints},
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    note=data.get("note", ""),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("「%(site)s」检查记录已提交") % {"site": site.name})
                return redirect("inspections:inspection", client_id=form.cleaned_data["client_id"])
        status = 400
    else:
        form = ChecklistForm(initial={"client_id": uuid.uuid4(), "started_at": clock.now()}, checkpoints=checkpoints)
    response = render(
        request,
        "inspections/checklist.html",
        {
            "plan": plan,
            "site": site,
            "form": form,
            "links": selectors.navigation_links(site),
            "offline_config": offline_config(request.user),
        },
        status=status,
    )
    if status == 200:
        response["ETag"] = etag
    return response


def _checklist_etag(request, plan, site, checkpoints) -> str:
    """What a checklist page shows that can change: the person, the plan (its version moves with
    every step), the site, the checkpoints, the language and the assets. The form's fresh record id
    and start time are not in it: the phone's script makes its own for every inspection, and a
    page kept from yesterday serves today as well (its CSRF token is the same cookie's)."""
    parts = [
        request.user.pk,
        str(plan.uuid),
        plan.version,
        plan.name,
        site.pk,
        site.name,
        site.code,
        site.site_type_id,
        site.latitude,
        site.longitude,
        [(c.pk, c.code, c.name, str(c.weight)) for c in checkpoints],
        translation.get_language(),
        [static(name) for name in OFFLINE_ASSETS],
    ]
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:20]
    return f'"{digest}"'


@login_required
def inspection_detail(request, client_id):
    inspection = selectors.inspection_detail(user=request.user, client_id=client_id)
    _covert_reads(request, [inspection.plan], "web:inspection")
    actor = access.actor_for(request.user)
    results = selectors.inspection_results(user=request.user, inspection=inspection)
    # The problems this record made, named at the top (two failed checkpoints may share one).
    problems = list({r.finding.problem_id: r.finding.problem for r in results if r.finding}.values())
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "results": results,
            "problems": problems,
            "rebounds": sum(1 for p in problems if p.rebound_of_id),
            "show_originals": actor.sees_all or actor.inspector,
        },
    )


# ---- the installable web app -----------------------------------------------------------------


# Pages and assets the service worker keeps for offline use, besides the day's checklists.
OFFLINE_ASSETS = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "css/app.css",
    "js/inspect-offline.js",
    "js/once.js",
    "css/inspections.css",
    "img/icon-192.png",
    "img/icon-512.png",
]


@never_cache
@require_GET
def service_worker(request):
    """static/sw.js, served from the site's root so that it may control /inspections/, with the
    list of assets to keep and a version that changes whenever they do (so phones update)."""
    path = finders.find("sw.js")
    if path is None:
        raise Http404
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    assets = [static(name) for name in OFFLINE_ASSETS]
    config = {
        "assets": assets,
        "pages": [reverse("inspections:today")],
        "scope": reverse("inspections:plans"),
        "offline_page": _("当前离线，此页面尚未保存在手机上。"),
        "login": reverse("login"),
    }
    version = hashlib.sha256((source + json.dumps(config)).encode()).hexdigest()[:12]
    config["version"] = version
    body = f"self.CW_CONFIG = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request):
    """The web app manifest: "add to home screen" opens the day's sites, full screen."""
    data = {
        "name": _("创卫督查 · 现场检查"),
        "short_name": _("现场检查"),
        "lang": "zh-CN",
        "start_url": reverse("inspections:today"),
        "scope": reverse("inspections:plans"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
