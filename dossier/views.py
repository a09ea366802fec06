"""Dossier screens. Thin: bind a form, ask access, call a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

import access
from campaigns.selectors import current_campaign
from core import downloads
from core.errors import DomainError
from core.forms import applicable_filters, upload_bytes, with_seen_version
from core.security import Kind, log_event
from dossier import export, selectors, services
from dossier.forms import AssignForm, FilterForm, ReviewForm, UploadForm
from dossier.models import Material, Submission


def _campaign_or_404(user):
    if not access.can_see_dossier(user):
        raise Http404
    campaign = current_campaign()
    if campaign is None:
        raise Http404
    return campaign


@login_required
def dossier_index(request):
    campaign = _campaign_or_404(request.user)
    form = FilterForm(request.GET or None)
    filters = applicable_filters(form)
    materials = list(selectors.material_list(user=request.user, campaign=campaign, filters=filters))
    scope = access.dossier_materials_visible_to(request.user).filter(campaign=campaign)
    deadline = selectors.dossier_deadline(campaign)
    # The badge and the figures speak of the materials in view: a unit's own, or the unit the
    # office filtered on.
    in_view = scope.filter(responsible_unit=filters["unit"]) if filters.get("unit") else scope
    figures = selectors.completeness(in_view)
    tasks = selectors.milestone_tasks(user=request.user, milestone=deadline)
    tree = selectors.tree(materials)
    empty = selectors.Figure(0, 0)
    for cat in tree:
        cat["figure"] = figures["categories"].get(cat["category"].pk if cat["category"] else None, empty)
        for crit in cat["criteria"]:
            crit["figure"] = figures["criteria"].get(crit["criterion"].pk, empty)
    return render(
        request,
        "dossier/index.html",
        {
            "campaign": campaign,
            "form": form,
            "tree": tree,
            "figures": figures,
            "deadline": deadline,
            "badge": selectors.deadline_badge(deadline, figures["overall"]),
            "tasks": tasks,
            # The ledger calls the milestone done by its tasks, the dossier by accepted materials.
            "disagree": tasks is not None and tasks.total and tasks.percent != figures["overall"].percent,
            "can_manage": access.can_manage_dossier(request.user),
            "has_materials": scope.exists(),
        },
    )


@login_required
@require_POST
def dossier_prepare(request):
    campaign = _campaign_or_404(request.user)
    try:
        created = services.dossier_prepare(actor=request.user, campaign=campaign)
    except DomainError as error:
        raise PermissionDenied(error.message) from None
    messages.success(request, gettext("已生成 %(count)s 项申报资料") % {"count": created})
    return redirect("dossier:index")


def _material(user, material_uuid) -> Material:
    scoped = selectors.materials_with_state(access.dossier_materials_visible_to(user))
    return access.get_visible_or_404(
        scoped.select_related("criterion", "criterion__parent", "responsible_unit", "campaign"), uuid=material_uuid
    )


@login_required
def material_detail(request, material_uuid):
    material = _material(request.user, material_uuid)
    can_submit = access.can_submit_material(request.user, material)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.submission_upload(
                    actor=request.user,
                    material=material,
                    name=upload.name,
                    data=upload_bytes(upload),
                    note=form.cleaned_data["note"],
                    submit_key=form.cleaned_data["submit_key"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, gettext("材料已报送，等待爱卫办审核"))
                return redirect("dossier:material", material_uuid=material.uuid)
        status = 400
    submissions = material.submissions.select_related(
        "attachment", "unit", "submitted_by", "reviewer"
    ).prefetch_related("events__actor")
    can_manage = access.can_manage_dossier(request.user)
    return render(
        request,
        "dossier/material.html",
        {
            "material": material,
            "submissions": submissions,
            "form": form if can_submit else None,
            "can_manage": can_manage,
            "assign_form": AssignForm(initial={"unit": material.responsible_unit_id}) if can_manage else None,
            "review_form": ReviewForm(),
        },
        status=status,
    )


@login_required
@require_POST
def material_assign(request, material_uuid):
    material = _material(request.user, material_uuid)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请选择有效的单位"))
        return redirect("dossier:material", material_uuid=material.uuid)
    try:
        services.material_assign(actor=request.user, material=material, unit=form.cleaned_data["unit"])
    except DomainError as error:
        raise PermissionDenied(error.message) from None
    messages.success(request, gettext("责任单位已更新"))
    return redirect("dossier:material", material_uuid=material.uuid)


def _submissions(user):
    return access.dossier_submissions_visible_to(user).select_related("attachment", "material")


def _submission(user, submission_uuid) -> Submission:
    return access.get_visible_or_404(_submissions(user), uuid=submission_uuid)


@login_required
@require_POST
def submission_review(request, submission_uuid):
    submission = access.get_for_action_or_403(
        request.user, _submissions(request.user), access.can_manage_dossier, uuid=submission_uuid
    )
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.submission_transition(
                actor=request.user,
                submission=with_seen_version(submission, request.POST),
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("审核结果已保存"))
    else:
        messages.error(request, gettext("无效的操作"))
    return redirect("dossier:material", material_uuid=submission.material.uuid)


@login_required
def submission_file(request, submission_uuid):
    attachment = _submission(request.user, submission_uuid).attachment
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{attachment.uuid.hex}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def dossier_export(request):
    """Ask the worker for the ZIP and show its progress page (the same request again while it
    is being made leads to the same page)."""
    campaign = _campaign_or_404(request.user)
    if not access.can_manage_dossier(request.user):
        raise PermissionDenied
    job = downloads.generated_file_request(
        actor=request.user,
        title=gettext("申报资料包"),
        filename=export.zip_filename(campaign),
        builder="dossier.export.build_for_download",
        parameters={"campaign": campaign.pk},
    )
    log_event(
        Kind.EXPORT,
        user=request.user,
        request=request,
        target=export.zip_filename(campaign),
        summary=f"导出{campaign.year}年申报资料（ZIP，后台生成）",
    )
    return redirect("download", file_uuid=job.uuid)
