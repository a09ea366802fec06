"""The office's triage of citizen reports: staff URLs (config/urls.py mounts them at /reports/
in the staff set only)."""

from django.urls import path

from public import views

app_name = "triage"
urlpatterns = [
    path("", views.triage_queue, name="queue"),
    path("<str:code>/", views.triage_detail, name="detail"),
    path("<str:code>/<str:action>/", views.triage_act, name="act"),
]
