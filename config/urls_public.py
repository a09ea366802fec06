"""The internet-facing process (URL_SETS=public): the portal, citizen reports and status pages,
static files (whitenoise), /healthz and the language switch. No staff URL exists here, so a
proxy that forwards /problems/ or /admin/ by mistake gets 404, never a staff page. The error
pages are the portal's (public/views.py): the staff layout links to staff URLs this set lacks.
400 and 500 are the site's own, drawn without the request (they link only to "home", which is
the portal here)."""

from django.urls import path
from django.views.generic import RedirectView

from config.urls import common_urlpatterns, public_urlpatterns

urlpatterns = [
    # The site's root is the portal; named "home" as the staff root is, for the shared templates.
    path("", RedirectView.as_view(url="/public/", permanent=False), name="home"),
    *common_urlpatterns,
    *public_urlpatterns,
]

handler403 = "public.views.forbidden"
handler404 = "public.views.not_found"
handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
