"""The internet-facing process (URL_SETS=public): the portal, citizen reports and status pages,
static files (whitenoise), /healthz and the language switch. No staff URL exists here, so a
proxy that forwards /problems/ or /admin/ by mistake gets 404, never a staff page. The error
pages are the site's own: for a visitor (nobody signs in here) they link only to "home", which
is the portal in this set."""

from django.urls import path
from django.views.generic import RedirectView

from config.urls import common_urlpatterns, public_urlpatterns

urlpatterns = [
    # The site's root is the portal; named "home" as the staff root is, for the shared templates.
    path("", RedirectView.as_view(url="/public/", permanent=False), name="home"),
    *common_urlpatterns,
    *public_urlpatterns,
]

handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
