"""Ledger and five-in-place screens. Thin: bind a form, ask access, call a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import access
from campaigns import selectors, services
from campaigns.forms import (
    DeadlineForm,
    FiveInPlaceForm,
    ProgressForm,
    TaskEditForm,
    TaskFilterForm,
    TaskForm,
    owner_choices,
)
from campaigns.models import FiveInPlace
from core import clock
from core.errors import DomainError
from core.forms import applicable_filters, uploaded_files


@login_required
def ledger(request):
    campaign = selectors.current_campaign_or_404()
    form = TaskFilterForm(request.GET or None, campaign=campaign)
    filters = applicable_filters(form)
    tasks = selectors.task_list(user=request.user, campaign=campaign, filters=filters)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "campaigns/ledger.html",
        {
            "campaign": campaign,
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "can_manage": access.can_manage_campaign(request.user),
        },
    )


def _tasks(user):
    return (
        access.tasks_visible_to(user)
        .with_state()
        .select_related("lead_unit", "responsible", "milestone", "criterion", "campaign")
    )


def _task_page(request, task, *, progress_form=None, deadline_form=None, status=200):
    can_report = access.can_report_progress(request.user, task)
    can_manage = access.can_manage_campaign(request.user)
    context = {
        "task": task,
        "reports": task.progress_reports.select_related("reported_by")
        .prefetch_related("attachments")
        .order_by("-reported_at", "-id"),
        "events": task.events.select_related("actor").order_by("-at", "-id"),
        "progress_form": (progress_form or ProgressForm()) if can_report else None,
        "deadline_form": (deadline_form or DeadlineForm()) if can_manage else None,
    }
    return render(request, "campaigns/task.html", context, status=status)


@login_required
def task_detail(request, task_uuid):
    return _task_page(request, access.get_visible_or_404(_tasks(request.user), uuid=task_uuid))


@login_required
@require_POST
def task_progress(request, task_uuid):
    task = access.get_for_action_or_403(request.user, _tasks(request.user), access.can_report_progress, uuid=task_uuid)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.task_report_progress(
                actor=request.user,
                task=task,
                quantity_done=form.cleaned_data["quantity_done"],
                text=form.cleaned_data["text"],
                files=uploaded_files(form),
                submit_key=form.cleaned_data["submit_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("进展已报告"))
            return redirect("campaigns:task", task_uuid=task.uuid)
    return _task_page(request, task, progress_form=form, status=400)


@login_required
@require_POST
def task_deadline(request, task_uuid):
    task = access.get_for_action_or_403(request.user, _tasks(request.user), access.can_manage_campaign, uuid=task_uuid)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        try:
            services.task_move_deadline(
                actor=request.user,
                task=task,
                deadline=form.cleaned_data["deadline"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error("deadline", error.message)
        else:
            messages.success(
                request,
                _("期限已由 %(old)s 提前至 %(new)s")
                % {"old": clock.cn_date(task.deadline), "new": clock.cn_date(form.cleaned_data["deadline"])},
            )
            return redirect("campaigns:task", task_uuid=task.uuid)
    return _task_page(request, task, deadline_form=form, status=400)


@login_required
def task_create(request):
    campaign = selectors.current_campaign_or_404()
    if not access.can_manage_campaign(request.user):
        raise PermissionDenied
    form = TaskForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(actor=request.user, campaign=campaign, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已新建任务：%(title)s") % {"title": task.title})
            return redirect("campaigns:task", task_uuid=task.uuid)
    status = 400 if request.method == "POST" else 200
    return render(request, "campaigns/task_form.html", {"form": form, "campaign": campaign}, status=status)


@login_required
def task_owners(request):
    """The 责任人 options of the chosen 责任单位, for the task forms' htmx swap."""
    if not access.can_manage_campaign(request.user):
        raise PermissionDenied
    raw = request.GET.get("lead_unit", "")
    choices = owner_choices(int(raw)) if raw.isdigit() and len(raw) < 10 else owner_choices()
    return render(request, "campaigns/_owner_options.html", {"choices": choices})


@login_required
def task_update(request, task_uuid):
    """Edit a task: text, target, criterion, milestone, owner (campaigns.services.task_update)."""
    task = access.get_for_action_or_403(request.user, _tasks(request.user), access.can_manage_campaign, uuid=task_uuid)
    initial = {
        "title": task.title,
        "criterion": task.criterion_id,
        "milestone": task.milestone_id,
        "lead_unit": task.lead_unit_id,
        "responsible": task.responsible_id,
        "target_quantity": task.target_quantity,
        "target_measure": task.target_measure,
        "description": task.description,
    }
    form = TaskEditForm(request.POST or None, initial=initial, campaign=task.campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("任务已修改"))
            return redirect("campaigns:task", task_uuid=task.uuid)
    status = 400 if request.method == "POST" else 200
    return render(request, "campaigns/task_edit.html", {"form": form, "task": task}, status=status)


@login_required
def five_in_place(request):
    campaign = selectors.current_campaign_or_404()
    rows = selectors.five_in_place_grid(user=request.user, campaign=campaign)
    return render(
        request,
        "campaigns/five_in_place.html",
        {"campaign": campaign, "rows": rows, "items": FiveInPlace.Item.choices},
    )


@login_required
def five_in_place_unit(request, unit_code):
    campaign = selectors.current_campaign_or_404()
    unit = access.get_visible_or_404(access.units_visible_to(request.user), code=unit_code)
    can_update = access.can_update_five_in_place(request.user, unit.pk)
    records = {
        r.item: r
        for r in access.five_in_place_visible_to(request.user)
        .filter(campaign=campaign, unit=unit)
        .prefetch_related("attachments")
    }
    bound_item, bound_form = None, None
    if request.method == "POST":
        if not can_update:
            raise PermissionDenied
        bound_item = request.POST.get("item")
        if bound_item not in FiveInPlace.Item.values:
            raise Http404
        bound_form = FiveInPlaceForm(request.POST, request.FILES, auto_id=f"id_{bound_item}_%s")
        if bound_form.is_valid():
            try:
                services.five_in_place_update(
                    actor=request.user,
                    campaign=campaign,
                    unit=unit,
                    item=bound_item,
                    status=bound_form.cleaned_data["status"],
                    note=bound_form.cleaned_data["note"],
                    files=uploaded_files(bound_form),
                    submit_key=bound_form.cleaned_data["submit_key"],
                )
            except DomainError as error:
                bound_form.add_error(None, error.message)
            else:
                messages.success(request, _("已更新：%(item)s") % {"item": FiveInPlace.Item(bound_item).label})
                return redirect("campaigns:five_in_place_unit", unit_code=unit.code)
    items = []
    for item in FiveInPlace.Item:
        record = records.get(item)
        if bound_item == item:
            form = bound_form
        elif can_update:
            initial = {"status": record.status, "note": record.note} if record else {}
            form = FiveInPlaceForm(initial=initial, auto_id=f"id_{item}_%s")
        else:
            form = None
        items.append({"item": item, "record": record, "form": form})
    return render(
        request,
        "campaigns/five_in_place_unit.html",
        {"campaign": campaign, "unit": unit, "items": items},
        status=400 if bound_form is not None else 200,
    )
