from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.services import MAX_FILE_BYTES
from core.storage import media_status


@never_cache
@require_GET
def healthz(request):
    """For load balancers and monitoring: 200 when the database answers and evidence files can be
    written (a probe write in MEDIA_ROOT, and room for one more upload); 503 otherwise, naming
    what failed. `media_free_bytes` lets monitoring warn long before the disk is full."""
    body: dict = {"status": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        body.update(status="error", database="unreachable", detail=type(exc).__name__)
    else:
        body.update(database="ok", vendor=connection.vendor)
    media = media_status(min_free_bytes=MAX_FILE_BYTES)
    body["media"] = "ok" if media["writable"] else "unwritable"
    body["media_free_bytes"] = media["free_bytes"]
    if not media["writable"]:
        body.update(status="error", media_detail=f"{media['error']}: {media['detail']}")
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
