"""Middleware of the floor: which peers may speak for the client (X-Forwarded-*), that nothing the
app renders is kept in a cache, and that refusals go to the security log."""

import json

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from core.errors import InputRefused
from core.security import Kind, is_trusted_proxy, log_event

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")


class TrustedProxyMiddleware:
    """X-Forwarded-For and -Proto are believed only from TRUSTED_PROXIES: from any other peer they
    are dropped here, first, so that no later step (HTTPS detection with SECURE_PROXY_SSL_HEADER,
    the client's address in the security log) can be told a made-up address or scheme."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED:
                request.META.pop(header, None)
        return self.get_response(request)


class ChosenLanguageMiddleware:
    """Chinese unless the person chose otherwise with the language switch (its cookie). Django's
    LocaleMiddleware also follows the browser's Accept-Language, which put staff whose office
    computers run an English Windows into English on their first visit (issue 12): the office's
    language is Chinese, English is a choice. The JSON API keeps Accept-Language: a phone's
    app has no switch, and its language setting is the person's choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        if not chosen and request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class NoStoreMiddleware:
    """Cache-Control: no-store on everything the app renders: signed-in pages, evidence files,
    exports, API answers, the sign-in form. A shared computer's browser or a proxy must keep none
    of it, and a page must not come back from the history after signing out. Static files never
    reach this far (whitenoise answers them above) and keep their year-long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A public portal page made for everyone (public/views.py marks it `shared_cache`: no
        # person's data, no form token) keeps the Cache-Control and ETag its view set.
        if not request.path_info.startswith(settings.STATIC_URL) and not getattr(response, "shared_cache", False):
            # Overrides what a view set (an evidence file's "private, max-age=3600" included).
            add_never_cache_headers(response)
        return response


class RefusalLogMiddleware:
    """Every 403, and every 404 answered to a signed-in person, is a refusal the security log
    keeps (with the person, the address and the path): an outsider asking for another unit's
    problem gets 404 by design, and that attempt is what an auditor wants to see. Static files
    and anonymous 404s (scanners, typos) are left out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404) and not request.path.startswith(settings.STATIC_URL):
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            if response.status_code == 403 or signed_in:
                log_event(
                    Kind.REFUSED,
                    user=user if signed_in else None,
                    request=request,
                    summary=f"{request.method} {request.path[:200]} 被拒绝（{response.status_code}）",
                    details={"status": response.status_code, "method": request.method},
                )
        return response


class NulRefusedMiddleware:
    """NUL (%00) in a URL answers 404 in its path, 400 in its query, before any view: a path
    parameter or a filter with NUL would otherwise reach a database query, which PostgreSQL
    refuses with an error (a 500). Nobody types NUL into an address; forms refuse it in their
    fields with a message (core.forms)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404(_("页面不存在"))
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            raise InputRefused(_("请求地址含有空字符（NUL），无法处理"))
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """A request that declares a body larger than UPLOAD_MAX_REQUEST_BYTES is answered 413 before
    a byte of it is read: an 800 MB upload to the dossier used to be read whole (1 GB of the
    server's memory, from any liaison). A body without a declared length is read as empty by
    Django's WSGI request (and nginx, which sends the length, refuses above the same limit).
    The page says what to do; the API answers the same in JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared <= settings.UPLOAD_MAX_REQUEST_BYTES:
            return self.get_response(request)
        message = gettext(
            "提交的内容过大（%(size)s MB），一次最多 %(limit)s MB；单个文件不超过 20 MB，请分几次上传"
        ) % {"size": -(-declared // (1024 * 1024)), "limit": settings.UPLOAD_MAX_REQUEST_BYTES // (1024 * 1024)}
        if request.path_info.startswith("/api/"):
            response = HttpResponse(
                json.dumps({"detail": message}, ensure_ascii=False),
                status=413,
                content_type="application/json; charset=utf-8",
            )
        else:
            response = render(request, "413.html", {"message": message}, status=413)
        # No "Connection: close" here: WSGI forbids hop-by-hop headers; gunicorn's synchronous
        # workers close the connection after each request, so the unread body goes with it.
        return response
