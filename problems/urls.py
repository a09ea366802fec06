from django.urls import path

from problems import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("map/", views.problem_map, name="map"),
    path("map.geojson", views.problem_map_data, name="map_data"),
    path("areas.geojson", views.area_boundaries, name="areas"),
    path("mine/", views.my_unit_problems, name="mine"),
    path("verify/", views.verification_queue, name="verify"),
    path("new/", views.problem_new, name="new"),
    path("duplicates/", views.duplicates_fragment, name="duplicates"),
    path("<uuid:problem_uuid>/", views.problem_detail, name="detail"),
    path("<uuid:problem_uuid>/<str:action>/", views.problem_act, name="act"),
]
