"""Problem screens. Thin: bind a form, ask access, call a service, redirect."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

import access
from campaigns.selectors import current_campaign, current_campaign_or_404, unit_tasks
from core import clock
from core.errors import DomainError, InvalidInput, page_status
from core.forms import applicable_filters, uploaded_files, with_seen_version
from core.pagination import IdsFirstPaginator
from organisation.models import Area
from problems import selectors, services
from problems.forms import (
    NEW,
    AssignForm,
    MergeForm,
    ProblemFilterForm,
    ReasonForm,
    ReassignForm,
    RecordForm,
    SubmitForm,
    VerifyForm,
)
from problems.models import Problem
from problems.states import WITH_UNIT, Action, Status

PAGE_SIZE = 30

ACTION_FORMS = {
    Action.ASSIGN: AssignForm,
    Action.REASSIGN: ReassignForm,
    Action.SUBMIT: SubmitForm,
    Action.CLOSE: VerifyForm,
    Action.RETURN: ReasonForm,
    Action.CANCEL: ReasonForm,
    Action.MERGE: MergeForm,
}

# What the page says once an action went through. One whole sentence per action, so that each
# language can say it its own way (the Chinese is "已" + the action's name).
DONE_MESSAGES = {
    Action.ASSIGN: _("问题 %(number)s：已交办"),
    Action.REASSIGN: _("问题 %(number)s：已改派"),
    Action.SUBMIT: _("问题 %(number)s：已提交整改材料"),
    Action.CLOSE: _("问题 %(number)s：已复核通过并销号"),
    Action.RETURN: _("问题 %(number)s：已退回返工"),
    Action.CANCEL: _("问题 %(number)s：已撤销"),
    Action.MERGE: _("问题 %(number)s：已合并"),
}


def _run_action(action: str, *, actor, problem, data: dict, files, documents=()):
    """Dispatch a screen's action to its service."""
    if action == Action.ASSIGN:
        return services.problem_assign(
            actor=actor, problem=problem, unit=data["unit"], deadline=data["deadline"], note=data["note"]
        )
    if action == Action.REASSIGN:
        return services.problem_reassign(
            actor=actor, problem=problem, unit=data["unit"], reason=data["note"], deadline=data.get("deadline")
        )
    if action == Action.SUBMIT:
        return services.problem_submit_evidence(
            actor=actor, problem=problem, note=data["note"], files=files, documents=documents
        )
    if action == Action.CLOSE:
        return services.problem_close(actor=actor, problem=problem, note=data["note"], files=files)
    if action == Action.RETURN:
        return services.problem_return(actor=actor, problem=problem, reason=data["note"], files=files)
    if action == Action.CANCEL:
        return services.problem_cancel(actor=actor, problem=problem, reason=data["note"])
    if action == Action.MERGE:
        year, sequence = data["into"]
        into = access.problems_visible_to(actor).filter(year=year, sequence=sequence).first()
        if into is None:
            raise InvalidInput(gettext("找不到问题 %(number)s") % {"number": f"{year}-{sequence:06d}"})
        return services.problem_merge(actor=actor, problem=problem, into=into, reason=data["note"])
    raise Http404


def _problems(user):
    return access.problems_visible_to(user).select_related(
        "site",
        "site__site_type",
        "site__area",
        "site__owner_unit",
        "assigned_unit",
        "criterion",
        "criterion__parent",
        "recorded_by",
        "rebound_of",
        "resembles",
        "merged_into",
    )


def _get_problem(user, problem_uuid):
    return access.get_visible_or_404(_problems(user), uuid=problem_uuid)


@login_required
def problem_list(request):
    form = ProblemFilterForm(request.GET or None)
    filters = applicable_filters(form)
    problems = selectors.problem_list(user=request.user, filters=filters)
    page = IdsFirstPaginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # On a phone the filters fold away unless one of them is in use (the order is not a filter).
    active = sum(1 for name, value in filters.items() if value and name != "sort")
    return render(
        request,
        "problems/list.html",
        {
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "active_filters": active,
            "can_record": _can_record(request.user),
        },
    )


def _detail_context(request, problem, *, bound=None):
    actions = access.problem_actions_for(request.user, problem)
    # 交办 starts from a proposal: the site's unit and the criterion's usual days to fix.
    proposal = selectors.assign_proposal(problem) if Action.ASSIGN in actions else None
    initial = {
        Action.ASSIGN: {"unit": proposal["unit"], "deadline": proposal["deadline"]} if proposal else None,
        # 合并 proposes the open problem this one was recorded beside.
        Action.MERGE: {"into": problem.resembles.number}
        if problem.resembles_id and problem.resembles.status != Status.MERGED
        else None,
    }
    forms = {action: ACTION_FORMS[action](auto_id=f"id_{action}_%s", initial=initial.get(action)) for action in actions}
    if bound:
        forms[bound[0]] = bound[1]
    return {
        "problem": problem,
        "events": problem.events.select_related("actor", "unit", "actor_unit").prefetch_related("attachments"),
        "photos": problem.photos.all(),
        "action_forms": [(Action(action), form) for action, form in forms.items()],
        "withheld": access.problem_actions_withheld(request.user, problem),
        "proposal": proposal,
        # The duplicates folded into this one, and those recorded as resembling it, still open.
        "merged_ones": access.problems_visible_to(request.user, problem.merged_ones.all()).order_by("year", "sequence"),
        "resembled_by": access.problems_visible_to(request.user, problem.resembled_by.all())
        .exclude(status=Status.MERGED)
        .order_by("year", "sequence")[:10],
    }


@login_required
def problem_detail(request, problem_uuid):
    problem = _get_problem(request.user, problem_uuid)
    return render(request, "problems/detail.html", _detail_context(request, problem))


@login_required
@require_POST
def problem_act(request, problem_uuid, action):
    if action not in ACTION_FORMS:
        raise Http404
    problem = access.get_for_action_or_403(
        request.user,
        _problems(request.user),
        lambda user, problem: access.can_problem_action(user, action, problem),
        uuid=problem_uuid,
    )
    # Several action forms share a page: distinct ids keep every label tied to its own input.
    form = ACTION_FORMS[action](request.POST, request.FILES, auto_id=f"id_{action}_%s")
    if not form.is_valid():
        context = _detail_context(request, problem, bound=(action, form))
        return render(request, "problems/detail.html", context, status=400)
    # Act on the version the person saw: if it changed meanwhile, the service refuses.
    with_seen_version(problem, request.POST)
    try:
        _run_action(
            action,
            actor=request.user,
            problem=problem,
            data=form.cleaned_data,
            files=uploaded_files(form),
            documents=uploaded_files(form, "documents") if "documents" in form.fields else (),
        )
    except DomainError as error:
        form.add_error(None, error.message)
        problem = _get_problem(request.user, problem_uuid)
        context = _detail_context(request, problem, bound=(action, form))
        return render(request, "problems/detail.html", context, status=page_status(error))
    messages.success(request, DONE_MESSAGES[action] % {"number": problem.number})
    return redirect("problems:detail", problem_uuid=problem.uuid)


def _can_record(user, _target=None) -> bool:
    return access.can_problem_action(user, Action.RECORD, None)


def _record_form(request, campaign, data=None, files=None) -> RecordForm:
    return RecordForm(
        data,
        files,
        sites=access.sites_visible_to(request.user).filter(is_active=True).order_by("code"),
        campaign=campaign,
    )


@login_required
def problem_new(request):
    """登记问题: the office records a problem found outside a checklist. Once site and criterion
    are chosen, the open problems that may be the same are shown (the fragment below, by htmx;
    without JavaScript after the first submit), and the person links the report to one of them
    (再次发现 in its trail, no new number) or records a new problem all the same (it keeps a link
    to the nearest, Problem.resembles)."""
    if not _can_record(request.user):
        raise PermissionDenied
    campaign = current_campaign_or_404()
    if request.method != "POST":
        return render(request, "problems/new.html", {"form": _record_form(request, campaign), "candidates": None})
    form = _record_form(request, campaign, request.POST, request.FILES)
    candidates = None
    if form.is_valid():
        data = form.cleaned_data
        candidates = selectors.possible_duplicates(campaign, data["site"], data["criterion"], user=request.user)
        choice = data["duplicate"]
        chosen = next((p for p in candidates if str(p.uuid) == choice), None)
        try:
            if chosen is not None:
                services.problem_found_again(
                    actor=request.user,
                    problem=chosen,
                    # Stored in the trail, so written in Chinese whatever the screen's language.
                    note=f"登记时记为本问题的重复（来源：{Problem.Source(data['source']).label}）：{data['description']}",
                    photos=uploaded_files(form, "photos"),
                )
                messages.success(
                    request, gettext("已记为问题 %(number)s 的重复（再次发现），未新建编号") % {"number": chosen.number}
                )
                return redirect("problems:detail", problem_uuid=chosen.uuid)
            # The same form sent again (a double click, a resend) once its problem is stored, with
            # that problem now among the candidates: it leads to the first, as a new submit would.
            again = selectors.recorded_under_key(data.get("submit_key"))
            if candidates and choice != NEW and not again:
                form.add_error(None, gettext("已有疑似重复的问题：请选择记为其中一个的重复，或仍然新建"))
            else:
                problem = services.problem_record(
                    actor=request.user,
                    campaign=campaign,
                    site=data["site"],
                    criterion=data["criterion"],
                    description=data["description"],
                    severity=data["severity"],
                    source=data["source"],
                    photos=uploaded_files(form, "photos"),
                    submit_key=data.get("submit_key"),
                )
                messages.success(request, gettext("已登记问题 %(number)s") % {"number": problem.number})
                return redirect("problems:detail", problem_uuid=problem.uuid)
        except DomainError as error:
            form.add_error(None, error.message)
            return render(
                request, "problems/new.html", {"form": form, "candidates": candidates}, status=page_status(error)
            )
    return render(request, "problems/new.html", {"form": form, "candidates": candidates}, status=400)


@login_required
def duplicates_fragment(request):
    """The open problems that may be the one being recorded, for the record form (htmx, GET
    ?site=&criterion=): nothing until both are chosen; only what the person may see."""
    if not _can_record(request.user):
        raise PermissionDenied
    campaign = current_campaign_or_404()
    form = _record_form(request, campaign)
    candidates = None
    try:
        site = form.fields["site"].clean(request.GET.get("site"))
        criterion = form.fields["criterion"].clean(request.GET.get("criterion"))
    except ValidationError:
        site = criterion = None
    if site is not None and criterion is not None:
        candidates = selectors.possible_duplicates(campaign, site, criterion, user=request.user)
    return render(request, "problems/_duplicates.html", {"candidates": candidates, "choice": ""})


# A list a person opens shows this many rows at most, the nearest deadlines first, whatever the
# size of the data; its figures count all of it, and a link opens the whole list, paged.
NEAREST = 50


def _full_list(**filters) -> str:
    return f"{reverse('problems:list')}?{urlencode(filters, doseq=True)}"


@login_required
def my_unit_problems(request):
    """The liaison's phone-first work list: the nearest deadlines, the figures over all of it."""
    open_problems = selectors.unit_open_problems(user=request.user)
    counts = selectors.work_counts(open_problems)
    campaign = current_campaign()
    tasks = list(unit_tasks(user=request.user, campaign=campaign)) if campaign else []
    # Each figure opens the list it counts (a person of one unit: that unit's problems only).
    unit_ids = access.actor_for(request.user).unit_ids
    mine = {"unit": next(iter(unit_ids))} if len(unit_ids) == 1 else {}
    return render(
        request,
        "problems/mine.html",
        {
            "problems": list(selectors.with_return_reason(open_problems)[:NEAREST]),
            "counts": counts,
            "full_list": _full_list(status=sorted(WITH_UNIT), sort="deadline", **mine),
            "overdue_list": _full_list(status=sorted(WITH_UNIT), overdue="on", sort="deadline", **mine),
            "returned_list": _full_list(status=Status.RETURNED, sort="deadline", **mine),
            "tasks": tasks,
            "late_tasks": sum(1 for t in tasks if t.state == "late"),
        },
    )


@login_required
def verification_queue(request):
    """The evidence waiting for the supervision team: the nearest deadlines as cards with their
    photos, grouped by sub-district; how many wait in each sub-district, with links to the list."""
    waiting = selectors.awaiting_verification(user=request.user)
    shown = list(selectors.with_evidence(waiting[:NEAREST]))
    # Cards grouped by sub-district and community, the nearest deadline first within each.
    shown.sort(key=lambda p: (p.site.area.parent.name if p.site.area.parent else "", p.site.area.name))
    # Per person (their scope), kept until the next transition: 0.3 s at a million problems.
    areas = selectors.until_next_step(f"verify-areas:{request.user.pk}", lambda: selectors.by_subdistrict(waiting))
    for row in areas:
        filters = {"status": Status.SUBMITTED, "sort": "deadline"}
        if row["area_id"]:
            filters["area"] = row["area_id"]
        row["url"] = _full_list(**filters)
    return render(
        request,
        "problems/verify.html",
        {
            "problems": shown,
            "total": sum(row["n"] for row in areas),
            "areas": areas,
            "full_list": _full_list(status=Status.SUBMITTED, sort="deadline"),
        },
    )


MAP_LIMIT = 5000
# The hotspots drawn as rings, worst first: at a million problems there were thousands, and 5,000
# rings doubled the map's answer (2.4 MB, 0.5 s) without telling more than the worst few hundred.
MAP_HOTSPOTS = 300


@login_required
def problem_map(request):
    form = ProblemFilterForm(request.GET or None)
    query = request.GET.copy()
    return render(
        request,
        "problems/map.html",
        {
            "form": form,
            "querystring": query.urlencode(),
            "map_config": {
                "tiles": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "center": settings.MAP_CENTER,
                "limit": MAP_LIMIT,
                # The datum of the tiles: the script shifts WGS-84 points onto GCJ-02 tiles.
                "coordinates": settings.MAP_TILE_COORDINATES,
                # Sentences the map's script shows, in the page's language.
                "text": {
                    "shown": gettext("共显示 %(count)s 个问题"),
                    "truncated": gettext("（仅显示前 %(limit)s 个，请缩小筛选范围）"),
                    "popup": gettext("%(number)s %(site)s（%(status)s）"),
                    "hotspot": gettext("反弹热点：%(site)s（近期问题 %(problems)s 个，其中反弹 %(rebounds)s 个）"),
                },
            },
        },
    )


@login_required
def problem_map_data(request):
    """GeoJSON of the filtered problems (the same filters as the list), nearest first capped."""
    form = ProblemFilterForm(request.GET or None)
    filters = applicable_filters(form)
    rows = (
        selectors.problem_list(user=request.user, filters=filters)
        .filter(site__latitude__isnull=False)
        .values_list(
            "uuid", "year", "sequence", "status", "deadline", "site__name", "site__latitude", "site__longitude"
        )[: MAP_LIMIT + 1]
    )
    rows = list(rows)
    today = clock.today()
    # Up to MAP_LIMIT points: the URL reversed and the labels translated once, not per point
    # (5,000 reverse() calls were a third of the answer's time at a million problems).
    placeholder = "00000000-0000-0000-0000-000000000000"
    url_pattern = reverse("problems:detail", args=[placeholder])
    labels = {status.value: str(status.label) for status in Status}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(lng), float(lat)]},
            "properties": {
                "url": url_pattern.replace(placeholder, str(uuid)),
                "number": f"{year}-{sequence:06d}",
                "status": status,
                "status_label": labels[status],
                # Problem.is_overdue's rule: a cluster holding a late problem is drawn red.
                "overdue": status in WITH_UNIT and deadline is not None and deadline < today,
                "site": site,
            },
        }
        for uuid, year, sequence, status, deadline, site, lat, lng in rows[:MAP_LIMIT]
    ]
    # Rebound hotspots (problems.hotspots) among the problems this person sees, drawn as their own
    # layer whatever the filters: a ring around the site, so that a place that keeps failing shows.
    spots = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(s.site.longitude), float(s.site.latitude)]},
            "properties": {"site": s.site.name, "problems": s.problems, "rebounds": s.rebounds},
        }
        for s in selectors.hotspots_kept(user=request.user, limit=MAP_HOTSPOTS).value["rows"]
        if s.site.latitude is not None and s.site.longitude is not None
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_LIMIT, "hotspots": spots}
    )


@login_required
def area_boundaries(request):
    """Sub-district and community boundaries, drawn even when no tile server is reachable."""
    areas = Area.objects.filter(boundary__isnull=False, kind__in=[Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY])
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": a.boundary, "properties": {"name": a.name, "kind": a.kind}}
                for a in areas.only("name", "kind", "boundary")
            ],
        }
    )
