from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from access.views import attachment_file, download_again, download_file, download_page, home
from accounts.urls import admin_urlpatterns
from config.api import api
from core.views import healthz
from inspections.views import manifest, service_worker

admin.site.site_header = _("创卫督查 · 系统管理")
admin.site.site_title = _("创卫督查")

# The staff side: the intranet's URLs (config/urls_staff.py serves them alone).
staff_urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("problems/", include("problems.urls")),
    path("inspections/", include("inspections.urls")),
    path("api/", api.urls),
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("exchange/", include("exchange.urls")),
    path("bulletins/", include("bulletins.urls")),
    path("dossier/", include("dossier.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("oversight.urls")),
    path("", include("campaigns.urls")),
    path("files/<uuid:attachment_uuid>", attachment_file, name="attachment"),
    # Documents the worker made for one person (large exports, the dossier ZIP): core/downloads.py.
    path("downloads/<uuid:file_uuid>/", download_page, name="download"),
    path("downloads/<uuid:file_uuid>/file", download_file, name="download_file"),
    path("downloads/<uuid:file_uuid>/again", download_again, name="download_again"),
    path("admin/", include(admin_urlpatterns)),  # the admin signs in like everyone (accounts/urls.py)
    path("admin/", admin.site.urls),
]

# What every process serves: its health, the language switch.
common_urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # set_language: the 中文 / English switch posts here; the choice is kept in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
]

# The public side: the portal, citizen reports and their status pages (config/urls_public.py
# serves them alone, on the internet).
public_urlpatterns = [path("public/", include("public.urls"))]

# The office's triage of citizen reports is a staff page, though the app is `public`.
staff_urlpatterns.insert(1, path("reports/", include("public.triage_urls")))

# Both sets (`make run`, the default): URL_SETS in settings picks this module or one of the two.
urlpatterns = common_urlpatterns + public_urlpatterns + staff_urlpatterns

# Error pages in the site's layout (templates/400.html … 500.html); 400 names the edge's reason.
handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
