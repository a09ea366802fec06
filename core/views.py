from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import access
from core.services import attachment_thumbnail


@never_cache
@require_GET
def healthz(request):
    """For load balancers and monitoring: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "database": "unreachable", "detail": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


@login_required
def home(request):
    """Each role starts where its daily work is."""
    actor = access.actor_for(request.user)
    if actor.sees_all:
        return redirect("campaigns:overview")
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
    if thumbnail:
        response = FileResponse(attachment.file.storage.open(thumbnail, "rb"), content_type="image/jpeg")
    else:
        response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{attachment.uuid.hex}"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
