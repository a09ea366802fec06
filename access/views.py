"""The two views that only the access rules decide: where each role starts, and the evidence
files, served only after the rules say yes."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

import access
from core.services import attachment_thumbnail


@login_required
def home(request):
    """Each role starts where its daily work is."""
    actor = access.actor_for(request.user)
    if actor.admin_role:
        return redirect("audit:log" if access.can_read_security_log(request.user) else "admin:index")
    if actor.sees_all:
        return redirect("oversight:overview")
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
