from django.urls import path

from bulletins import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_create, name="create"),
    path("accountability/", views.accountability_list, name="accountability"),
    path("<uuid:bulletin_uuid>/", views.bulletin_detail, name="detail"),
    path("<uuid:bulletin_uuid>/publish/", views.bulletin_publish, name="publish"),
    path("<uuid:bulletin_uuid>/accountability/", views.bulletin_accountability, name="accountability_from"),
    path("<uuid:bulletin_uuid>/file.<str:kind>", views.bulletin_file, name="file"),
    path("<uuid:bulletin_uuid>/files/", views.bulletin_files, name="files"),
    path("<uuid:bulletin_uuid>/render/", views.bulletin_render_again, name="render"),
]
