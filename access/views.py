"""The views that only the access rules decide: where each role starts, the evidence files,
served only after the rules say yes, and the files the worker made for one person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

import access
from core import downloads
from core.errors import DomainError
from core.models import GeneratedFile
from core.services import attachment_thumbnail


@login_required
def home(request):
    """Each role starts where its daily work is."""
    actor = access.actor_for(request.user)
    if actor.admin_role:
        return redirect("audit:log" if access.can_read_security_log(request.user) else "admin:index")
    if actor.sees_all:
        return redirect("oversight:overview")
    if not actor.unit_ids and (request.user.is_superuser or request.user.is_staff):
        # The installation's superuser or a staff account without a campaign role: it has
        # administration to do, and an empty problem list would tell it nothing (issue 12).
        return redirect("admin:index")
    if unit := access.led_unit(request.user):
        # 一把手 and 分管领导 answer for the unit's results: they start on its page.
        return redirect("oversight:unit", unit_code=unit.code)
    if actor.inspector:
        return redirect("problems:verify")
    if actor.acting_unit_ids or actor.unit_ids:
        return redirect("problems:mine")
    return redirect("problems:list")


@login_required
@require_GET
def attachment_file(request, attachment_uuid):
    """Evidence files are served only through here, after the access module says yes."""
    attachment = access.get_visible_or_404(access.attachments_visible_to(request.user), uuid=attachment_uuid)
    thumbnail = attachment_thumbnail(attachment) if request.GET.get("thumb") else None
    try:
        if thumbnail:
            response = FileResponse(attachment.file.storage.open(thumbnail, "rb"), content_type="image/jpeg")
        else:
            response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    except OSError:
        # The row without its bytes (a restore without the media folder): audit_check names it.
        raise Http404("evidence file missing on disk") from None
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{attachment.uuid.hex}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def download_page(request, file_uuid):
    """A document the worker makes: its progress, then the link. `?part=status` answers the
    status box alone, which static/js/poll.js fetches every few seconds while the work runs."""
    job = access.get_visible_or_404(access.generated_files_visible_to(request.user), uuid=file_uuid)
    template = "downloads/_status.html" if request.GET.get("part") == "status" else "downloads/detail.html"
    return render(request, template, {"job": job, "under_way": job.state in _UNDER_WAY})


_UNDER_WAY = (GeneratedFile.State.PENDING, GeneratedFile.State.RUNNING)


@login_required
@require_GET
def download_file(request, file_uuid):
    """The finished file, for its requester only (others 404), until it expires."""
    job = access.get_visible_or_404(access.generated_files_visible_to(request.user), uuid=file_uuid)
    if job.state != GeneratedFile.State.READY or not job.file:
        return redirect("download", file_uuid=job.uuid)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("文件已过期或已被清理，请重新生成")) from None
    return FileResponse(handle, as_attachment=True, filename=job.filename)


@login_required
@require_POST
def download_again(request, file_uuid):
    """Make a failed document again, with the same parameters."""
    job = access.get_visible_or_404(access.generated_files_visible_to(request.user), uuid=file_uuid)
    try:
        again = downloads.generated_file_again(actor=request.user, job=job)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("download", file_uuid=job.uuid)
    return redirect("download", file_uuid=again.uuid)
