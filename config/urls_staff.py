"""The intranet process (URL_SETS=staff): every staff URL (the office's triage of citizen reports
included), /healthz and the language switch; not the public portal."""

from config.urls import common_urlpatterns, staff_urlpatterns

urlpatterns = [*common_urlpatterns, *staff_urlpatterns]

handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
