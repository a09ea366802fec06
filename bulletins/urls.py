from django.urls import path

from bulletins import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_create, name="create"),
    path("accountability/", views.accountability_list, name="accountability"),
    path("<uuid:bulletin_uuid>/", views.bulletin_detail, name="detail"),
    path("<uuid:bulletin_uuid>/publish/", views.bulletin_publish, name="publish"),
    path("<uuid:bulletin_uuid>/file.<str:kind>", views.bulletin_file, name="file"),
]
