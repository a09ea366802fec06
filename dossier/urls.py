from django.urls import path

from dossier import views

app_name = "dossier"
urlpatterns = [
    path("", views.dossier_index, name="index"),
    path("prepare/", views.dossier_prepare, name="prepare"),
    path("export.zip", views.dossier_export, name="export"),
    path("materials/<uuid:material_uuid>/", views.material_detail, name="material"),
    path("materials/<uuid:material_uuid>/assign/", views.material_assign, name="assign"),
    path("submissions/<uuid:submission_uuid>/review/", views.submission_review, name="review"),
    path("submissions/<uuid:submission_uuid>/file", views.submission_file, name="file"),
]
