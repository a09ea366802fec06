"""Request and response headers that every page shares: which peers may speak for the client
(X-Forwarded-*), and that nothing the app renders is kept in a cache."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from core.security import is_trusted_proxy

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


class NoStoreMiddleware:
    """Cache-Control: no-store on everything the app renders: signed-in pages, evidence files,
    exports, API answers, the sign-in form. A shared computer's browser or a proxy must keep none
    of it, and a page must not come back from the history after signing out. Static files never
    reach this far (whitenoise answers them above) and keep their year-long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith(settings.STATIC_URL):
            # Overrides what a view set (an evidence file's "private, max-age=3600" included).
            add_never_cache_headers(response)
        return response
