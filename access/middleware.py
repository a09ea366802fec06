"""The administrators' boundary (三员分立): an administrator's account works only in the screens
of its role, never in the campaign's (problems, ledger, inspections, bulletins, dossier, API)."""

from django.core.exceptions import PermissionDenied

# Where an administrator may go: the configuration screens, the security log, signing in and out,
# the language switch, and what every page loads.
ADMINISTRATOR_PATHS = ("/admin/", "/audit/", "/accounts/", "/i18n/", "/static/", "/healthz")


class AdministratorBoundaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "admin_role", "")
            and request.path != "/"
            and not request.path.startswith(ADMINISTRATOR_PATHS)
        ):
            raise PermissionDenied
        return None
