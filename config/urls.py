from django.contrib import admin
from django.urls import include, path

from core.views import attachment_file, healthz, home

admin.site.site_header = "创卫督查 · 系统管理"
admin.site.site_title = "创卫督查"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("problems/", include("problems.urls")),
    path("", include("campaigns.urls")),
    path("files/<uuid:attachment_uuid>", attachment_file, name="attachment"),
    path("admin/", admin.site.urls),
]
