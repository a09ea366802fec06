from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/new/", views.task_create, name="task_create"),
    path("ledger/owners/", views.task_owners, name="task_owners"),
    path("ledger/<uuid:task_uuid>/edit/", views.task_update, name="task_update"),
    path("ledger/<uuid:task_uuid>/", views.task_detail, name="task"),
    path("ledger/<uuid:task_uuid>/progress/", views.task_progress, name="task_progress"),
    path("ledger/<uuid:task_uuid>/deadline/", views.task_deadline, name="task_deadline"),
    path("five-in-place/", views.five_in_place, name="five_in_place"),
    path("five-in-place/<str:unit_code>/", views.five_in_place_unit, name="five_in_place_unit"),
]
