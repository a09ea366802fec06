from django.urls import path

from exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.import_page, name="imports"),
    path("templates/<str:kind>.xlsx", views.template_download, name="template"),
    path("problems.xlsx", views.problems_xlsx, name="problems_xlsx"),
    path("ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
]
