"""Middleware of the floor: refusals go to the security log."""

from django.conf import settings

from core.security import Kind, log_event


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
