import logging

from django.db import DatabaseError, connection
from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.errors import InputRefused
from core.services import MAX_FILE_BYTES
from core.storage import media_status

logger = logging.getLogger(__name__)


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


def bad_request(request, exception):
    """400 in the site's layout, with the reason when the edge refused the request itself
    (core.errors.InputRefused). Rendered without the request's context, as Django's own handler
    does: a bad request (a forged Host header) must not reach the context processors."""
    reason = str(exception) if isinstance(exception, InputRefused) else ""
    try:
        body = loader.render_to_string("400.html", {"reason": reason})
    except Exception:
        logger.exception("the 400 page could not be drawn")
        body = "<!doctype html><title>400</title><h1>请求无效</h1>"
    return HttpResponseBadRequest(body)


def server_error(request):
    """500 in the site's layout, without the request's context (what failed may be the database
    the context processors read). Whatever goes wrong drawing it (static files not collected, a
    template error), a plain page still answers: an error page must not fail in turn."""
    try:
        body = loader.render_to_string("500.html")
    except Exception:
        logger.exception("the 500 page could not be drawn")
        body = "<!doctype html><title>500</title><h1>服务器内部错误，请稍后再试</h1>"
    return HttpResponseServerError(body)
