from django.urls import path

from oversight import views

app_name = "oversight"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("overview/routine/", views.enter_routine, name="enter_routine"),
    path("units/<str:unit_code>/", views.unit_page, name="unit"),
    path("trends/", views.trends_page, name="trends"),
    path("scores/", views.scores_page, name="scores"),
    path("wall/", views.wall, name="wall"),
    path("wall/data.json", views.wall_data, name="wall_data"),
]
