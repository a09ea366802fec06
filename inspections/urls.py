from django.urls import path

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.plan_list, name="plans"),
    path("new/", views.plan_create, name="plan_create"),
    path("readiness/", views.readiness, name="readiness"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<uuid:schedule_uuid>/", views.schedule_edit, name="schedule_edit"),
    path("coverage/", views.coverage_list, name="coverage"),
    path("today/", views.today, name="today"),
    path("plans/<uuid:plan_uuid>/", views.plan_detail, name="plan"),
    path("plans/<uuid:plan_uuid>/draw/", views.plan_draw, name="plan_draw"),
    path("plans/<uuid:plan_uuid>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<uuid:plan_uuid>/sites/<str:site_code>/", views.checklist, name="checklist"),
    path("records/<uuid:client_id>/", views.inspection_detail, name="inspection"),
]
