from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import signin


class SignInMiddleware:
    """After django-otp's OTPMiddleware: ends timed-out sessions (idle, absolute) and keeps a
    signed-in person on the step their sign-in still owes (accounts.signin) until it is done.
    The API gets 401 in JSON instead of a page. Bearer tokens never reach this: they sign in per
    request inside the API, with no session and no second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            reason = signin.expiry(request)
            if reason:
                signin.expire(request, reason)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        step = signin.pending_step(request)
        if step is None:
            return None
        name = request.resolver_match.view_name if request.resolver_match else ""
        if name == signin.STEP_PAGES[step] or name in signin.ALWAYS_OPEN:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("请先在网页上完成登录。")}, status=401)
        return redirect(f"{reverse(signin.STEP_PAGES[step])}?{urlencode({'next': request.get_full_path()})}")
