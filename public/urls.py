from django.urls import path

from public import views

app_name = "public"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("guide/", views.guide, name="guide"),
    path("report/", views.report_form, name="report"),
    path("r/", views.lookup, name="lookup"),
    path("r/<str:code>/", views.report_status, name="status"),
    path("r/<str:code>/supplement/", views.report_supplement, name="supplement"),
    path("r/<str:code>/photos/<uuid:attachment_uuid>", views.report_photo, name="photo"),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/<uuid:bulletin_uuid>.pdf", views.bulletin_pdf, name="bulletin_pdf"),
    path("areas/<str:unit_code>/", views.subdistrict, name="subdistrict"),
]
