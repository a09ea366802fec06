from django.contrib import admin
from django.urls import path

from core.views import healthz

admin.site.site_header = "创卫督查 · 系统管理"
admin.site.site_title = "创卫督查"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
